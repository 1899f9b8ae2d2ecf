"""The event types the packs add, and their reducers.

Pure functions of (state, event), like the core's: replaying a log that holds
them rebuilds exactly the stored state. Their records live in the session's
``plugins["orch-commands"]`` namespace:

* ``checkpoints``: name -> {seq, ts, note, event}: the state after event
  ``seq`` is what ``orch rollback --checkpoint NAME`` returns to;
* ``rollbacks``: one entry per ``state.restored``;
* ``standups``: team -> {ts, seq, count} of its last stand-up;
* the lead of a team is written into ``state.teams[team].lead``.
"""

from __future__ import annotations

import copy
from typing import Any

from orchcore.api import Event, InvalidValue, Session, Team, structure

NAMESPACE = "orch-commands"
# Markers over the log, not part of the work: a rollback keeps them.
KEPT_BY_ROLLBACK = ("checkpoints", "rollbacks")


def namespace(session: Session) -> dict[str, Any]:
    return session.plugins.setdefault(NAMESPACE, {})


# -- state pack ---------------------------------------------------------


def checkpoint_created(session: Session, event: Event) -> Session:
    name = event.need("name")
    seq = event.need("seq", int)
    if not 0 <= seq < event.seq:
        raise InvalidValue(f"checkpoint {name!r}: seq must be an earlier event (got {seq}, this is {event.seq})")
    note = event.data.get("note") or ""
    if not isinstance(note, str):
        raise InvalidValue("event 'checkpoint.created': note must be text")
    checkpoints = namespace(session).setdefault("checkpoints", {})
    checkpoints[name] = {"seq": seq, "ts": event.ts, "note": note, "event": event.seq}
    return session


# -- debug pack ---------------------------------------------------------


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
    kept = {key: copy.deepcopy(namespace(session)[key]) for key in KEPT_BY_ROLLBACK if key in namespace(session)}
    mine = namespace(restored)
    mine.update(kept)
    mine.setdefault("rollbacks", []).append({
        "seq": event.seq, "ts": event.ts, "to_seq": to_seq,
        "checkpoint": event.data.get("checkpoint"), "undone": event.data.get("undone", 0),
    })
    return restored


# -- team pack ----------------------------------------------------------


def team_standup(session: Session, event: Event) -> Session:
    teams = event.need("teams", list)
    if not all(isinstance(t, str) and t for t in teams):
        raise InvalidValue("event 'team.standup': teams must be a list of names")
    standups = namespace(session).setdefault("standups", {})
    for team in teams:
        previous = standups.get(team) or {}
        standups[team] = {"ts": event.ts, "seq": event.seq, "count": int(previous.get("count", 0)) + 1}
    return session


def team_lead_assigned(session: Session, event: Event) -> Session:
    name = event.need("team")
    lead = event.need("lead")
    team = session.state.teams.get(name)
    if team is None:
        team = session.state.teams[name] = structure({"name": name}, Team)
    team.lead = lead
    if lead not in team.members:
        team.members.append(lead)
    if name not in session.active_teams:
        session.active_teams.append(name)
    return session
