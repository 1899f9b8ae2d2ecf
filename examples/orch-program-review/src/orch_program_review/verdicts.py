"""The program's own event type, ``review.verdict``: what the reviewer decided about a task, and why.

State changes only through events. The task's status moves through the
core's events (``task.completed``, ``task.updated``); the verdict, with the
reviewer's note, is this plugin's record, kept in the session's namespace
``plugins["review"]``. The reducer is a pure function of the state and the
event (the time comes from ``event.ts``), so replaying the log rebuilds it;
raising ``InvalidValue`` refuses the event and changes nothing.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import Event, EventType, InvalidValue, Session

NAMESPACE = "review"
VERDICT = "review.verdict"
APPROVED = "approved"
CHANGES = "changes"


def record_verdict(session: Session, event: Event) -> Session:
    task_id = event.need("task")
    if task_id not in session.state.tasks:
        raise InvalidValue(f"no task {task_id!r} in this session")
    verdict = event.need("verdict")
    if verdict not in (APPROVED, CHANGES):
        raise InvalidValue(f"event {VERDICT!r}: verdict must be {APPROVED!r} or {CHANGES!r}")
    note = event.data.get("note", "")
    if not isinstance(note, str):
        raise InvalidValue(f"event {VERDICT!r}: note must be text")
    if verdict == CHANGES and not note.strip():
        raise InvalidValue(f"event {VERDICT!r}: asking for changes needs a note saying which")
    log = session.plugins.setdefault(NAMESPACE, {}).setdefault("verdicts", [])
    log.append({"task": task_id, "verdict": verdict, "note": note.strip(), "at": event.ts})
    return session


EVENT_TYPES = [
    EventType(VERDICT, record_verdict, "a reviewer's verdict on a task: {task, verdict: approved|changes, note?}"),
]


def verdicts(session: Session, task_id: str | None = None) -> list[dict[str, Any]]:
    """The verdicts recorded in this session, oldest first; only one task's when ``task_id`` is given."""
    log = session.plugins.get(NAMESPACE, {}).get("verdicts", [])
    return [v for v in log if task_id is None or v["task"] == task_id]


def last_verdict(session: Session, task_id: str) -> dict[str, Any] | None:
    found = verdicts(session, task_id)
    return found[-1] if found else None
