"""The event bus: the one way session state changes.

``emit`` appends an event and applies its reducer in one store transaction,
then notifies subscribers. Reducers come from the ``orch_event_types`` hook
(the core's own types are a built-in plugin), subscribers from
``orch_event_subscribers``. A subscriber that raises is isolated: the event
stays committed and the failure is recorded as a ``plugin.error`` event.
"""

from __future__ import annotations

from typing import Any

from orchcore.errors import InvalidValue, OrchError, UnknownEventType
from orchcore.models import Event, Session
from orchcore.plugins import OrchPluginManager, Provided
from orchcore.store.base import SessionStore

PLUGIN_ERROR = "plugin.error"


class EventBus:
    def __init__(self, store: SessionStore, plugins: OrchPluginManager):
        self.store = store
        self.plugins = plugins

    @property
    def types(self) -> dict[str, Provided]:
        """Event types by name (the plugin manager caches them until a plugin comes or goes)."""
        return self.plugins.collect("orch_event_types")

    @property
    def subscribers(self) -> dict[str, Provided]:
        return self.plugins.collect("orch_event_subscribers")

    def reducer(self, event_type: str, seq: int | None = None) -> Any:
        """The reducer ``emit`` applies for ``event_type`` (for code that appends to the store itself,
        such as ``orch recover`` rebuilding events with their own times); UnknownEventType when none is."""
        return self._reducer(event_type, seq)

    def _reducer(self, event_type: str, seq: int | None = None) -> Any:
        provided = self.types.get(event_type)
        if provided is None:
            where = f"event {seq} has type" if seq else "unknown event type"
            known = ", ".join(sorted(self.types)) or "none"
            raise UnknownEventType(
                f"{where} {event_type!r}, which no installed plugin provides (known: {known})"
            )
        reducer = provided.spec.reducer

        def reduce(session: Session, event: Event) -> Session:
            if event.type == "session.created" and session.created_at:
                raise InvalidValue(f"session {session.session_id} already exists")
            new = reducer(session, event)
            if isinstance(new, Session):
                new.updated_at = event.ts
            return new

        return reduce

    def emit(
        self,
        session_id: str,
        type: str,
        data: dict[str, Any] | None = None,
        source: str = "orch",
        *,
        create: bool = False,
        key: str | None = None,
    ) -> tuple[Event, Session]:
        """Append one event, apply its reducer, notify subscribers; returns the event and new state.

        ``key`` makes the event unique in the session's log (DuplicateEvent when it is there already).
        """
        reduce = self._reducer(type)
        event, state = self.store.append(session_id, type, data or {}, source, reduce, create=create, key=key)
        if type != PLUGIN_ERROR:
            self._notify(event, state)
        return event, state

    def create_session(self, session_id: str, source: str = "orch", **fields: Any) -> Session:
        """Start tracking a session; the ``session.created`` event is its first."""
        return self.emit(session_id, "session.created", fields, source, create=True)[1]

    def ensure_session(self, session_id: str, source: str = "orch", **fields: Any) -> Session:
        """The session, created first when it does not exist yet (safe under races)."""
        session = self.store.load(session_id)
        if session is not None:
            return session
        try:
            return self.create_session(session_id, source, **fields)
        except InvalidValue:
            return self.store.get(session_id)  # another process created it first

    def replay(self, session_id: str, upto: int | None = None, *, from_start: bool = False) -> Session:
        """Fold the log (up to ``upto``): equals the stored state at that point.

        It starts from the newest snapshot at or before ``upto`` when the store
        has one (a long session's log is not folded from event 1 every time);
        ``from_start`` folds every event from nothing, which must give the same.
        """
        self.store.require(session_id)
        found = None if from_start else self.store.latest_snapshot(session_id, upto)
        after, state = found if found is not None else (0, Session(session_id=session_id))
        events = self.store.events(session_id, after=after, upto=upto)
        for event in events:
            state = self._reducer(event.type, event.seq)(state, event)
        return state

    def _notify(self, event: Event, state: Session) -> None:
        for name, provided in self.subscribers.items():
            subscriber = provided.spec
            if not subscriber.wants(event.type):
                continue
            try:
                subscriber.callback(event, state)
            except (Exception, SystemExit) as exc:
                self._record_failure(provided, name, event, exc)

    def _record_failure(self, provided: Provided, name: str, event: Event, exc: Exception) -> None:
        message = f"subscriber {name!r} failed on event {event.seq} ({event.type}): {type(exc).__name__}: {exc}"
        self.plugins.record_failure(provided.plugin, message, exc)  # raises when strict
        try:
            self.emit(
                event.session_id,
                PLUGIN_ERROR,
                {"plugin": provided.plugin, "where": f"subscriber {name}", "error": message, "event": event.seq},
                source="orchcore",
            )
        except OrchError:
            pass  # recording must never turn one failure into two
