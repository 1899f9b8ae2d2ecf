"""Resumed and forked sessions: which session a fork came from, and what it takes from it.

What Claude Code 2.1.328 does (docs/sessions.md has the captured payloads):
``--resume`` and ``--continue`` keep the session id and its transcript, and
SessionStart says ``source: "resume"``: the session's orchestration state
simply goes on. ``--fork-session`` (and ``/branch``) starts a new session id
with SessionStart ``source: "fork"`` and a new transcript that is a copy of
the parent's, whose copied lines name the session they came from
(``requestSessionId``). The payload names no parent, and the copy is written
only once the first prompt has been handled, so a fork is *pending* from its
SessionStart until an event finds the copy; then its parent's state is
carried over (``orchcore.merge``, how="fork") and a ``session.linked`` event
records the parent.

While a fork is pending its gate flag files are removed, so its events reach
the router even when its orchestration is off (the parent's may be on).
"""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchcore.models import Event, Session

LINKED = "session.linked"
NAMESPACE = "lineage"
MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024  # how far back from its end a transcript is searched for its parent
BLOCK_BYTES = 256 * 1024
TAIL_BYTES = 64  # longer than '"requestSessionId":"<36>"'; kept from one block to the next
_REQUEST_SESSION = b'"requestSessionId":'  # as Claude Code writes its JSON lines: no spaces
_ASSISTANT = b'"assistant"'  # a cheap filter before a line is parsed
_SESSION_ID = re.compile(rb'\s*"([0-9a-fA-F-]{36})"')


def lineage(session: Session) -> dict[str, Any]:
    return session.plugins.get(NAMESPACE) or {}


def pending(session: Session) -> bool:
    """Whether the session is a fork whose parent is not known yet."""
    return bool(lineage(session).get("pending"))


def started(runtime: Any, session: Session, event: Any, transcript: dict[str, str]) -> Session:
    """Record SessionStart as ``session.started``; a revived session says so, a fork starts looking for its parent."""
    bus, session_id = runtime.bus, session.session_id
    source = event.source or ""
    fresh = session.created_at == session.updated_at  # created by this very event
    data: dict[str, Any] = {"source": source, **transcript}
    if session.archived_at:
        data["revived"] = "archived"
    elif session.ended_at:
        data["revived"] = "ended"
    if data.get("revived"):
        data["was"] = session.archived_at or session.ended_at
    session = bus.emit(session_id, "session.started", data, "hook")[1]
    if session.archived_at:
        from orchcore import expiry

        session = expiry.revive(runtime, session_id, by=f"SessionStart ({source})", source="hook")
    if source == "fork" and not lineage(session):
        session = bus.emit(session_id, LINKED, {"how": "fork", "parent": None, "pending": True}, "hook")[1]
        _clear_flags(runtime, session_id)
    elif source == "resume" and fresh and not lineage(session):
        # A resumed session orchcore never saw: if its transcript is a fork's copy, link it now.
        parent, _ = parent_in_transcript(session.transcript_path, session_id)
        if parent is not None:
            session = link(runtime, session, parent, "resume")[0]
    return session


def settle(runtime: Any, session: Session, event: Any) -> tuple[Session, str | None]:
    """A pending fork whose transcript now shows its parent is linked (and gets its parent's state)."""
    if not pending(session):
        return session, None
    parent, answered = parent_in_transcript(session.transcript_path or event.transcript_path, session.session_id)
    if parent is None and not answered:
        return session, None  # the copy is not written yet: try again at the next event
    from orchcore.errors import OrchError

    try:
        return link(runtime, session, parent, "fork")
    except OrchError as exc:  # (a parent whose state cannot be read): linked without it, never tried at every event
        data = {"how": "fork", "parent": parent, "pending": False, "reason": f"nothing carried over: {exc}"}
        return runtime.bus.emit(session.session_id, LINKED, data, "hook")[1], None


def link(runtime: Any, session: Session, parent: str | None, how: str) -> tuple[Session, str | None]:
    """Carry the parent's state over (when orchcore knows the parent) and record ``session.linked``."""
    from orchcore import merge

    bus, store, session_id = runtime.bus, runtime.store, session.session_id
    data: dict[str, Any] = {"how": how, "parent": parent, "pending": False}
    notice = None
    if parent is None:
        data["reason"] = "the transcript names no parent session"
    elif not store.has_session(parent):
        data["reason"] = f"orchcore has no session {parent}: nothing to carry over"
    else:
        plan = merge.plan(store, parent, session_id, how="fork")
        result = merge.apply(bus, plan, source="hook")
        data.update(parent_seq=plan.source_seq, carried=result["imported"], shared=plan.shared,
                    conflicts=plan.conflicts)
        if plan.shared:
            notice = (
                f"orchcore: this session is a fork of {parent}; its in-progress tasks ({', '.join(plan.shared)}) "
                "are in progress in both sessions now: finish each in one of them, and fold the other back with "
                f"`orch session merge {session_id} {parent}`"
            )
    return bus.emit(session_id, LINKED, data, "hook")[1], notice


def parent_in_transcript(path: str | None, session_id: str) -> tuple[str | None, bool]:
    """The session a transcript's copied lines came from (the last one named), and whether that is the answer.

    A fork's copy names, on each line it took over, the session that line was
    recorded in; the last such line is the parent's newest (a fork of a fork
    has its grandparent's lines first). Read from the end, a block at a time:
    the copied lines sit just before the fork's own. No parent named is an
    answer only once the fork's own answer is written after the copy: Claude
    Code opens the file with lines of its own (mode, tools-used) before it
    copies, so an event in between sees a transcript that names no one yet.
    """
    if not path:
        return None, False
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return None, False
            end, tail, answered = size, b"", False
            while end > 0 and size - end < MAX_TRANSCRIPT_BYTES:
                start = max(0, end - BLOCK_BYTES)
                handle.seek(start)
                block = handle.read(end - start) + tail
                found = _last_other(block, session_id)
                if found is not None:
                    return found, True
                answered = answered or _has_own_answer(block, session_id)
                tail, end = block[:TAIL_BYTES], start  # a name cut by the block's edge is whole in the next
    except OSError:
        return None, False
    return None, answered


def _has_own_answer(text: bytes, session_id: str) -> bool:
    """Whether the text holds a whole assistant line of the session itself (no other session named on it)."""
    import json

    for line in text.split(b"\n"):
        if _ASSISTANT not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:  # a line cut by the block's edge
            continue
        if isinstance(record, dict) and record.get("type") == "assistant" \
                and record.get("requestSessionId") in (None, session_id):
            return True
    return False


def _last_other(text: bytes, session_id: str) -> str | None:
    end = len(text)
    while True:
        at = text.rfind(_REQUEST_SESSION, 0, end)
        if at < 0:
            return None
        found = _SESSION_ID.match(text, at + len(_REQUEST_SESSION))
        named = found.group(1).decode("ascii").lower() if found else None
        if named and named != session_id:
            return named
        end = at


def session_linked(session: Session, event: Event) -> Session:
    """The session's parent and how it came (fork | resume); ``pending``: a fork still looking for its parent."""
    from orchcore.errors import InvalidValue

    how = event.need("how")
    parent = event.data.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise InvalidValue(f"event {LINKED!r}: parent must be a session id or null")
    entry = session.plugins.setdefault(NAMESPACE, {})
    entry.update(parent=parent, how=how, pending=bool(event.data.get("pending")))
    if not entry["pending"]:
        entry["linked_at"] = event.ts
    if event.data.get("shared"):
        entry["shared"] = list(event.data["shared"])
    return session


def _clear_flags(runtime: Any, session_id: str) -> None:
    from orchcore import gate

    gate.clear_flags(os.fspath(runtime.state_dir), session_id)
