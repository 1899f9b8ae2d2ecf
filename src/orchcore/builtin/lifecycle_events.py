"""Built-in plugin: the event types of a session's lifecycle beyond its hooks.

``session.archived`` / ``session.revived`` (expiry, ``orchcore.expiry``) and
``checkpoint.created`` / ``state.restored`` (checkpoints and rollback,
``orchcore.checkpoints``, whose reducers are there). Pure reducers, as every
reducer: replaying the log rebuilds the state.
"""

from __future__ import annotations

from orchcore import checkpoints
from orchcore.errors import InvalidValue, SessionArchived
from orchcore.models import Event, Session
from orchcore.plugins import hookimpl
from orchcore.specs import EventType

ARCHIVED = "session.archived"
REVIVED = "session.revived"
LIFECYCLE_TYPES = frozenset({ARCHIVED, REVIVED, "session.started", "session.ended"})
HOOK_SOURCES = ("hook", "handler:")  # what Claude Code's own events are recorded as (router, recovery, handlers)


def session_archived(session: Session, event: Event) -> Session:
    if session.archived_at is not None:
        raise InvalidValue(f"session {session.session_id} is archived already (since {session.archived_at})")
    session.archived_at = event.ts
    return session


def session_revived(session: Session, event: Event) -> Session:
    if session.archived_at is None:
        raise InvalidValue(f"session {session.session_id} is not archived")
    session.archived_at = None
    return session


def archived_message(session_id: str, archived_at: str) -> str:
    return (f"session {session_id} is archived (no activity; since {archived_at}) and read-only: "
            f"its next hook event revives it, or run `orch session revive --session {session_id}`")


def admit(session: Session, event: Event) -> None:
    """Whether an archived session takes the event: hook events revive it, anything else is refused.

    For the bus's reduce wrapper (one line before the reducer runs), so every
    path that changes state is read-only while a session is archived; until
    it calls this, the router revives a session with a ``session.revived``
    event and the core's commands check ``orchcore.expiry.require_live``.
    """
    if session.archived_at is None or event.type in LIFECYCLE_TYPES:
        return
    if event.source == HOOK_SOURCES[0] or event.source.startswith(HOOK_SOURCES[1]):
        session.archived_at = None  # the session is in use again
        return
    raise SessionArchived(archived_message(session.session_id, session.archived_at))


EVENT_TYPES = [
    EventType(ARCHIVED, session_archived,
              "no activity for sessions.expire_after_hours: the session is archived: {last_activity, after_hours}"),
    EventType(REVIVED, session_revived, "an archived session is in use again: {by}"),
    EventType(checkpoints.CHECKPOINT, checkpoints.checkpoint_created,
              "a named checkpoint: the state after event seq: {name, seq, note?}"),
    EventType(checkpoints.RESTORED, checkpoints.state_restored,
              "a rollback: the state becomes the snapshot at to_seq: {to_seq, snapshot, checkpoint?, undone}"),
]


@hookimpl
def orch_event_types():
    return EVENT_TYPES
