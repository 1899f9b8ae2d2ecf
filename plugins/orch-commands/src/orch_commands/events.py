"""The event types the packs add, and their reducers.

Pure functions of (state, event), like the core's: replaying a log that holds
them rebuilds exactly the stored state. Their records live in the session's
``plugins["orch-commands"]`` namespace:

* ``standups``: team -> {ts, seq, count} of its last stand-up;
* the lead of a team is written into ``state.teams[team].lead``.

Checkpoints and rollbacks (``checkpoint.created``, ``state.restored``) were
this plugin's and are the core's now (``create_checkpoint``, ``roll_back`` in
``orchcore.api``); their records stay in this namespace (``checkpoints``,
``rollbacks``), so old sessions replay as they were stored.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import Event, InvalidValue, Session, Team, structure

NAMESPACE = "orch-commands"


def namespace(session: Session) -> dict[str, Any]:
    return session.plugins.setdefault(NAMESPACE, {})


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
