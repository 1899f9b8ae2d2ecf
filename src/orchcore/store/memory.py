"""An in-memory store for tests: the same contract as SQLite, in one process.

State is kept encoded, exactly as SQLite keeps it, so a reducer that mutates
its input, or a caller that mutates a loaded Session, cannot change the store
behind its back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from orchcore.errors import DuplicateEvent
from orchcore.models import Event, Session
from orchcore.store.base import (
    Reduce,
    SessionInfo,
    SessionStore,
    apply_event,
    check_state_size,
    decode_state,
    encode_data,
    encode_state,
)


class MemoryStore(SessionStore):
    name = "memory"
    location = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, str] = {}
        self._info: dict[str, SessionInfo] = {}
        self._events: dict[str, list[tuple[Event, str]]] = {}
        self._keys: dict[str, set[str]] = {}

    def can_reopen(self) -> bool:
        return False  # the sessions live in this object: another MemoryStore would be empty

    def load(self, session_id: str) -> Session | None:
        text = self._states.get(session_id)
        return None if text is None else decode_state(session_id, text, self.location)

    def has_session(self, session_id: str) -> bool:
        return session_id in self._states

    def sessions(self) -> list[SessionInfo]:
        return sorted(self._info.values(), key=lambda i: i.updated_at, reverse=True)

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
        wanted = set(types or ())
        found = [
            Event(seq=e.seq, session_id=e.session_id, ts=e.ts, type=e.type, source=e.source, data=json.loads(data))
            for e, data in self._events.get(session_id, [])
            if e.seq > after and (upto is None or e.seq <= upto) and (not wanted or e.type in wanted)
        ]
        if limit is not None:
            found = (found[-limit:] if limit > 0 else []) if newest else found[:limit]
        return found

    def recorded_keys(self, session_id: str, keys: Iterable[str]) -> set[str]:
        return set(keys) & self._keys.get(session_id, set())

    def append(
        self, session_id: str, type: str, data: dict[str, Any], source: str, reduce: Reduce, *, create: bool = False,
        key: str | None = None, ts: str | None = None,
    ) -> tuple[Event, Session]:
        encoded = encode_data(type, data)
        with self._lock:
            if session_id not in self._states and not create:
                raise self._unknown(session_id)
            if key is not None and key in self._keys.get(session_id, ()):
                raise DuplicateEvent(f"session {session_id} already has the event {key!r}")
            current = self.load(session_id)
            seq = len(self._events.get(session_id, [])) + 1
            event, state = apply_event(current, session_id, seq, type, json.loads(encoded), source, reduce, ts)
            state_text = encode_state(state)
            check_state_size(session_id, type, len(self._states.get(session_id, "")), len(state_text), self.limits)
            self._events.setdefault(session_id, []).append((event, encoded))
            self._states[session_id] = state_text
            if key is not None:
                self._keys.setdefault(session_id, set()).add(key)
            self._info[session_id] = SessionInfo(
                session_id=session_id,
                created_at=state.created_at or event.ts,
                updated_at=state.updated_at or event.ts,
                last_seq=seq,
                orchestration_enabled=state.orchestration_enabled,
                mode=state.mode,
            )
        return event, decode_state(session_id, state_text, self.location)
