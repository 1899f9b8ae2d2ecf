"""Checkpoints and rollback: named points in a session's log, and going back to one without deleting anything.

A checkpoint is an event (``checkpoint.created``) naming an earlier event:
the state after that event is the checkpoint's state. A rollback replays the
log up to its target and records the result as a new event
(``state.restored``) carrying that whole state, so the log only grows,
replaying all of it still gives the stored state, and a rollback is undone
by rolling back to the event before it.

Both event types were introduced by the orch-commands plugin; their names,
data and the place their records live in the state
(``session.plugins["orch-commands"]``) are kept as they were, so the logs of
old sessions replay to exactly the state they stored.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import attrs

from orchcore.errors import InvalidValue, OrchError
from orchcore.models import Event, Session, structure, unstructure

CHECKPOINT = "checkpoint.created"
RESTORED = "state.restored"
NAMESPACE = "orch-commands"  # where the records have always lived (see above)
KEPT_BY_ROLLBACK = ("checkpoints", "rollbacks")  # markers over the log, not part of the work
NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$")


@attrs.frozen
class Checkpoint:
    """A named point: the state after event ``seq``, recorded by event ``event``."""

    name: str
    seq: int
    ts: str
    note: str
    event: int

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Rollback:
    """What a rollback did (or, for a preview, would do)."""

    to_seq: int
    checkpoint: str | None
    undone: int  # events after the target, whose effect is gone
    before: Session
    after: Session
    event: Event | None = None  # the ``state.restored`` event; None for a preview


# -- reading ----------------------------------------------------------------


def last_seq(store: Any, session_id: str) -> int:
    newest = store.events(session_id, limit=1, newest=True)
    return newest[-1].seq if newest else 0


def checkpoints(store: Any, session_id: str) -> dict[str, Checkpoint]:
    """Checkpoints by name, read from the log (a later checkpoint of the same name wins)."""
    found: dict[str, Checkpoint] = {}
    for event in store.events(session_id, types=[CHECKPOINT]):
        name, seq = event.data.get("name"), event.data.get("seq")
        if isinstance(name, str) and isinstance(seq, int) and not isinstance(seq, bool):
            found[name] = Checkpoint(name, seq, event.ts, event.data.get("note") or "", event.seq)
    return found


def find(store: Any, session_id: str, name: str) -> Checkpoint:
    found = checkpoints(store, session_id)
    if name not in found:
        known = ", ".join(sorted(found)) or "none yet (create one with orch session checkpoint NAME)"
        raise OrchError(f"no checkpoint {name!r} in this session (checkpoints: {known})")
    return found[name]


def describe(store: Any, session_id: str) -> str:
    """``name (event N), …`` for error messages that list what there is to go back to."""
    return ", ".join(f"{c.name} (event {c.seq})" for c in checkpoints(store, session_id).values()) or "none"


def target(store: Any, session_id: str, to: str | int) -> tuple[int, str | None]:
    """(seq, checkpoint name) for ``--to``: an event number, or else a checkpoint's name."""
    if isinstance(to, int) or to.strip().isdigit():
        return int(to), None
    checkpoint = find(store, session_id, to.strip())
    return checkpoint.seq, checkpoint.name


# -- writing ----------------------------------------------------------------


def next_name(existing: Any) -> str:
    """``cp-<n>``, n one more than the largest such name."""
    numbers = [int(m.group(1)) for key in existing if (m := re.fullmatch(r"cp-(\d+)", key))]
    return f"cp-{max(numbers, default=0) + 1}"


def create(
    runtime: Any, session_id: str, name: str | None = None, note: str = "", *, force: bool = False,
    source: str = "cli",
) -> tuple[Checkpoint, int | None]:
    """Record a checkpoint of the state as of now, then ask the store for a snapshot there.

    Returns the checkpoint and the snapshot's seq (None when the store keeps no snapshots).
    """
    store = runtime.store
    store.require(session_id)
    found = checkpoints(store, session_id)
    name = name or next_name(found)
    if not NAME.match(name):
        raise OrchError(f"{name!r} is not a checkpoint name: letters, digits, '.', '_', '-' (at most 64)")
    if name in found and not force:
        raise OrchError(f"checkpoint {name!r} already exists (event {found[name].seq}); "
                        "choose another name or pass --force to move it")
    seq = last_seq(store, session_id)
    event, _ = runtime.bus.emit(session_id, CHECKPOINT, {"name": name, "seq": seq, "note": note}, source=source)
    snapshot = store.snapshot(session_id, f"checkpoint {name}")
    return Checkpoint(name, seq, event.ts, note, event.seq), snapshot


def rollback(
    runtime: Any, session_id: str, to_seq: int, checkpoint: str | None = None, *, source: str = "cli",
    preview: bool = False,
) -> Rollback:
    """Return the state to that after event ``to_seq``, as a new ``state.restored`` event (``preview``: not recorded)."""
    store, bus = runtime.store, runtime.bus
    before = store.get(session_id)
    last = last_seq(store, session_id)
    if not 1 <= to_seq <= last:
        raise OrchError(f"event {to_seq} is not in this session's log (events 1 to {last})")
    if to_seq == last:
        raise OrchError(f"the state is already that of event {to_seq}, the last one; nothing to roll back")
    snapshot = unstructure(bus.replay(session_id, upto=to_seq))
    data: dict[str, Any] = {"to_seq": to_seq, "undone": last - to_seq, "snapshot": snapshot}
    if checkpoint:
        data["checkpoint"] = checkpoint
    if preview:  # exactly what the event would do, without recording it
        upcoming = Event(seq=last + 1, session_id=session_id, ts=before.updated_at, type=RESTORED, source=source,
                         data=data)
        return Rollback(to_seq, checkpoint, last - to_seq, before, state_restored(copy.deepcopy(before), upcoming))
    event, after = bus.emit(session_id, RESTORED, data, source=source)
    return Rollback(to_seq, checkpoint, last - to_seq, before, after, event)


# -- reducers (registered by orchcore.builtin.lifecycle_events) ---------------


def _records(session: Session) -> dict[str, Any]:
    return session.plugins.setdefault(NAMESPACE, {})


def checkpoint_created(session: Session, event: Event) -> Session:
    name = event.need("name")
    seq = event.need("seq", int)
    if not 0 <= seq < event.seq:
        raise InvalidValue(f"checkpoint {name!r}: seq must be an earlier event (got {seq}, this is {event.seq})")
    note = event.data.get("note") or ""
    if not isinstance(note, str):
        raise InvalidValue("event 'checkpoint.created': note must be text")
    _records(session).setdefault("checkpoints", {})[name] = {"seq": seq, "ts": event.ts, "note": note,
                                                             "event": event.seq}
    return session


def state_restored(session: Session, event: Event) -> Session:
    """The whole state becomes the snapshot the event carries (the state after event ``to_seq``).

    Checkpoints and earlier rollbacks are markers over the log, so they are
    kept; the new entry in ``rollbacks`` says where the state came from.
    """
    to_seq = event.need("to_seq", int)
    snapshot = event.need("snapshot", dict)
    if not 0 < to_seq < event.seq:
        raise InvalidValue(f"event 'state.restored': to_seq must be an earlier event (got {to_seq})")
    if snapshot.get("session_id") != session.session_id:
        raise InvalidValue("event 'state.restored': the snapshot is of another session")
    restored = structure(copy.deepcopy(snapshot), Session)
    restored.archived_at = session.archived_at  # whether the session is archived is not part of its work
    kept = {key: copy.deepcopy(_records(session)[key]) for key in KEPT_BY_ROLLBACK if key in _records(session)}
    mine = _records(restored)
    mine.update(kept)
    mine.setdefault("rollbacks", []).append({
        "seq": event.seq, "ts": event.ts, "to_seq": to_seq,
        "checkpoint": event.data.get("checkpoint"), "undone": event.data.get("undone", 0),
    })
    return restored
