"""The SessionStore interface and the one rule every backend follows.

A session's state is a snapshot that always equals the fold of its event log.
``append`` is the only way to change it: in one transaction it gives the event
the next sequence number, applies the reducer to the current snapshot, and
stores both. A reducer that raises leaves nothing behind.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from orchcore import jsonlimits
from orchcore.clock import now_iso
from orchcore.errors import InvalidValue, LimitExceeded, StoreError, UnknownSession
from orchcore.models import Event, Session, structure, unstructure

Reduce = Callable[[Session, Event], Session]


@attrs.frozen
class SessionInfo:
    """A line of ``orch session list``: enough to choose, without loading state."""

    session_id: str
    created_at: str
    updated_at: str
    last_seq: int
    orchestration_enabled: bool
    mode: str
    archived_at: str | None = None  # set while the session is archived (expired); its next event revives it


@attrs.frozen
class StoreLimits:
    """What the store enforces on every append, whatever path the event came by (from ``limits.*``)."""

    max_state_bytes: int = 1024 * 1024  # limits.max_state_kb: an event that grows the state past it is refused
    event_buffer: int = 1000  # limits.event_buffer: live events per session before compaction archives older ones


class SessionStore(abc.ABC):
    """Where sessions and their event logs live."""

    name = "abstract"
    location: str = ""
    limits: StoreLimits = StoreLimits()  # the runtime sets the project's (``Runtime.open_store``)

    @abc.abstractmethod
    def load(self, session_id: str) -> Session | None:
        """The current state of a session, or None when there is no such session."""

    @abc.abstractmethod
    def sessions(self) -> list[SessionInfo]:
        """Every session, most recently updated first."""

    @abc.abstractmethod
    def append(
        self, session_id: str, type: str, data: dict[str, Any], source: str, reduce: Reduce, *, create: bool = False,
        key: str | None = None, ts: str | None = None,
    ) -> tuple[Event, Session]:
        """Append one event and apply ``reduce`` in one transaction.

        ``create``: start the session when it does not exist (else UnknownSession).
        ``key``: the event is unique by it within the session; a second event with
        the same key raises DuplicateEvent and changes nothing.
        ``ts``: when the event happened, for events rebuilt from another record
        (``orch recover``); default now.
        """

    @abc.abstractmethod
    def recorded_keys(self, session_id: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` the session's log holds already."""

    @abc.abstractmethod
    def events(
        self,
        session_id: str,
        *,
        after: int = 0,
        upto: int | None = None,
        types: Iterable[str] | None = None,
        limit: int | None = None,
        newest: bool = False,
    ) -> list[Event]:
        """Events with ``after < seq <= upto``, oldest first (the last ``limit`` when ``newest``)."""

    def has_session(self, session_id: str) -> bool:
        """Whether the session exists, without decoding its state (which may be corrupt)."""
        return any(info.session_id == session_id for info in self.sessions())

    def require(self, session_id: str) -> None:
        """Raise UnknownSession unless the session exists."""
        if not self.has_session(session_id):
            raise self._unknown(session_id)

    def _unknown(self, session_id: str) -> UnknownSession:
        return UnknownSession(
            f"no session {session_id} in {self.location or 'the store'}; "
            "see `orch session list` or create it with `orch session create`"
        )

    def get(self, session_id: str) -> Session:
        session = self.load(session_id)
        if session is None:
            raise self._unknown(session_id)
        return session

    def close(self) -> None:
        """Release resources; the store is not used afterwards."""

    # -- capabilities ---------------------------------------------------
    #
    # What some backends can do beyond the interface. Each default is right
    # for a backend without the feature, so a third-party backend implements
    # the abstract methods above and nothing else; one with the feature
    # overrides the method. Code outside the store calls these instead of
    # asking which backend it has.

    def note_activity(self, session_id: str, enabled: bool) -> None:
        """Note that a hook event of the session arrived (``enabled``: its orchestration flag now).

        Override when the backend keeps the gate's flag files
        (``orchcore.gate``): the SQLite store touches the session's flag file,
        whose modification time is the session's last activity, and rewrites a
        missing one under its write lock, so the gate can answer the session's
        next events without the router. Default: nothing (without flag files
        the gate hands every event to the router, which is slower, not wrong).
        """

    def can_reopen(self) -> bool:
        """Whether opening the backend again (a new connection, for another thread) reaches the same sessions.

        Default True: the sessions live outside this object (a file, a server).
        The memory store says False: its sessions live in this object only,
        so the runtime hands out this store itself instead of an empty new one.
        """
        return True

    def is_created(self) -> bool:
        """Whether the store's data exists yet; default True (a backend that cannot tell).

        The SQLite store says False until the first session creates its
        database file, so ``orch doctor`` can report that instead of creating
        an empty database by looking.
        """
        return True

    def snapshot(self, session_id: str, reason: str) -> int | None:
        """Store the session's current state as a snapshot (replay may start there); its seq, or None.

        Default None: a backend without snapshots replays from the first event.
        """
        return None

    def latest_snapshot(self, session_id: str, upto: int | None = None) -> tuple[int, Session] | None:
        """The newest snapshot at or before ``upto`` as (seq, state), for replay to start from; or None.

        Default None: replay folds from the first event.
        """
        return None

    def remove_session(self, session_id: str) -> bool:
        """Delete a session, its events and snapshots (``orch session gc``); whether the backend can.

        Default False: the backend keeps every session.
        """
        return False

    def integrity_problem(self) -> str | None:
        """What is wrong with the stored data, or None; default None (a backend that has no check).

        The SQLite store runs ``PRAGMA integrity_check`` (``orch doctor``); a
        networked store says whether its server answers.
        """
        return None

    def operator_note(self) -> str | None:
        """One more thing ``orch doctor`` shows about a healthy store, or None (default).

        The Redis store says how its server keeps data across a restart.
        """
        return None


def check_state_size(session_id: str, type: str, before: int, after: int, limits: Any) -> None:
    """Refuse an event that grows a session's state past ``limits.max_state_bytes`` (shrinking is always fine)."""
    if after > limits.max_state_bytes and after > before:
        raise LimitExceeded(
            f"event {type!r} would grow the state of session {session_id} to {after // 1024:,} KB, past "
            f"limits.max_state_kb = {limits.max_state_bytes // 1024:,}; remove what it no longer needs (done "
            "tasks, delivered messages) or raise the limit in .claude/orchcore.json"
        )


def encode_data(type: str, data: Any) -> str:
    if not isinstance(data, dict):
        raise InvalidValue(f"event {type!r}: data must be a JSON object, not {type_name(data)}")
    jsonlimits.check_depth(data, f"event {type!r}: data")  # before json.dumps, which would recurse as deep
    try:
        # ASCII: a lone surrogate (Claude Code can cut a string inside an emoji) still stores.
        return json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"event {type!r}: data is not JSON ({exc})") from None


def type_name(value: Any) -> str:
    return type(value).__name__


def decode_state(session_id: str, text: str, where: str) -> Session:
    try:
        return structure(json.loads(text), Session)
    except (ValueError, InvalidValue) as exc:
        raise corrupt_state(session_id, where, exc) from None


def corrupt_state(session_id: str, where: str, detail: object) -> StoreError:
    """The error for a stored state (or one part of it) that does not decode: the log is kept."""
    return StoreError(
        f"the stored state of session {session_id} in {where} is corrupt ({detail}); "
        f"its event log is kept: inspect it with `orch events replay --session {session_id}`"
    )


def encode_state(session: Session) -> str:
    try:
        return json.dumps(unstructure(session), ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError:
        raise InvalidValue("the state would hold a number that is not finite (NaN or infinity)") from None


def reduced(state: Any, session_id: str, type: str) -> Session:
    """What a reducer returned, when it is this session's state (else InvalidValue: the event is refused)."""
    if not isinstance(state, Session) or state.session_id != session_id:
        raise InvalidValue(f"the reducer for {type!r} did not return this session's state")
    return state


def apply_event(
    current: Session | None, session_id: str, seq: int, type: str, data: dict[str, Any], source: str, reduce: Reduce,
    ts: str | None = None,
) -> tuple[Event, Session]:
    """Build the event and the next state; shared by every backend so they agree."""
    event = Event(seq=seq, session_id=session_id, ts=ts or now_iso(), type=type, source=source, data=data)
    state = current if current is not None else Session(session_id=session_id)
    new_state = reduced(reduce(state, event), session_id, type)
    # A reducer may have put anything into the models; only a state that loads again is committed.
    try:
        return event, structure(unstructure(new_state), Session)
    except RecursionError:  # a reducer nested values far deeper than any event's data may be
        raise InvalidValue(f"event {type!r} would leave an invalid state: {jsonlimits.message('it')}") from None
    except InvalidValue as exc:
        raise InvalidValue(f"event {type!r} would leave an invalid state: {exc}") from None
