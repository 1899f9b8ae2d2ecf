"""Who could do the work: team members from the definitions, and what each is doing now.

Members come from the installed agent definitions (``orch_agents``), the
teams active in the session (their ``members`` and ``lead``), and the live
subagents Claude Code started (``state.agents``, matched by ``agent_type``).
That much, and how a member looks (its status, its current task, its open
tasks for a stand-up), is the roster's own. Its load is the core's: a
``Member`` is an ``orchcore.domain.load.MemberLoad`` built by
``member_load``, the one automatic assignment plans with, and teams' load
is ``TeamLoad``. So ``orch team standup``, ``orch sprint delegate``'s agents
and the planner cannot disagree about who has room.

Where the roster's own rules disagreed with the domain's, the domain's won:

- **capacity**: the agent definition's, else the session agent's
  ``extra["capacity"]`` (a positive whole number), else 1; the roster read
  only the definition's;
- **skills**: the member's own (definition, else the session agent's
  ``extra["skills"]``), lower-cased; the roster gave a member with no
  definition its team's skills (those are the team's, ``TeamLoad.skills``)
  and kept their case;
- **running work and open tasks**: tasks whose assignee answers to the
  member's name (``names_of``: an agent's id, name or type), not only the
  member's name and its live agents' ids;
- **role**: the agent's own (definition, else session agent, else
  ``worker``); a team's lead with no role of its own is no longer shown as
  ``director`` (it is ``senior``, as the planner treats it).
"""

from __future__ import annotations

from typing import Any

import attrs

from orchcore.api import (
    OPEN_TASK,
    WORKING_AGENT,
    AgentStatus,
    MemberLoad,
    TaskStatus,
    TeamLoad,
    member_load,
    names_of,
    team_loads,
)

WORKING = (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)  # what a member shows as its current work
ROLE_ORDER = {"worker": 0, "specialist": 1, "director": 2}
ALL = "all"  # build(..., teams=ALL): every member, whatever the active teams


@attrs.define
class Member(MemberLoad):
    """A member's load (the core's), and what the roster shows of it: live agents, open tasks, status."""

    live: list[Any] = attrs.Factory(list)  # the session's Agent records of this type
    tasks: list[Any] = attrs.Factory(list)  # open tasks assigned to this member

    @classmethod
    def of(cls, session: Any, name: str, plugins: Any, team: str | None, lead: str | None) -> Member:
        load = member_load(session, name, plugins, team=team, lead=lead)
        return cls(**{f.name: getattr(load, f.name) for f in attrs.fields(MemberLoad)})

    @property
    def ids(self) -> set[str]:
        return {self.name, *(a.id for a in self.live)}

    @property
    def status(self) -> str:
        if any(a.status == AgentStatus.BLOCKED for a in self.live) or any(
                t.status == TaskStatus.BLOCKED for t in self.tasks):
            return "blocked"
        if any(a.status in WORKING_AGENT for a in self.live):
            return "busy" if self.tasks else "active"
        if any(t.status in WORKING for t in self.tasks):
            return "assigned"
        return "idle"

    @property
    def current_task(self) -> str | None:
        for agent in self.live:
            if agent.status in WORKING_AGENT and agent.current_task:
                return agent.current_task
        working = [t for t in self.tasks if t.status in WORKING]
        return working[0].id if working else None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "team": self.team, "role": self.role, "skills": sorted(self.skills),
            "capacity": self.capacity, "running": self.running, "free": self.free, "status": self.status,
            "current_task": self.current_task, "live_agents": [a.id for a in self.live],
            "open_tasks": [t.id for t in self.tasks],
        }


def build(
    plugins: Any, session: Any, teams: list[str] | str | None = None
) -> tuple[dict[str, Member], dict[str, TeamLoad]]:
    """Members by name and teams by name.

    ``teams``: these teams only; None: the session's active teams (all when
    none is active); ``ALL``: everyone, including agents of no team.
    """
    team_specs = plugins.specs("orch_teams")
    agent_specs = plugins.specs("orch_agents")
    state = session.state
    if teams is None:
        teams = list(session.active_teams) or ALL

    defined = [*state.teams, *(n for n in team_specs if n not in state.teams)]
    known = {t.name: t for t in team_loads(session, team_specs, agent_specs)}
    loads = {name: known[name] for name in defined}

    team_of: dict[str, str | None] = {spec.name: spec.team for spec in agent_specs.values()}
    for team in loads.values():
        for name in team.members:
            if team_of.get(name) is None:
                team_of[name] = team.name
    kinds: dict[str, str] = {}  # live agent id -> the member it is
    for agent in state.agents.values():
        kind = agent.agent_type or agent.name or agent.id
        kinds[agent.id] = kind if kind in team_of or agent.id not in team_of else agent.id
        team_of.setdefault(kinds[agent.id], agent.team)

    members: dict[str, Member] = {}
    for name, team_name in team_of.items():
        lead = loads[team_name].lead if team_name in loads else None
        members[name] = Member.of(session, name, plugins, team_name, lead)
    for agent in state.agents.values():
        members[kinds[agent.id]].live.append(agent)
    open_tasks = [t for t in state.tasks.values() if t.status in OPEN_TASK and t.assignee]
    for task in open_tasks:
        for name in names_of(session, task.assignee):
            if name in members:
                members[name].tasks.append(task)

    if teams != ALL:
        wanted = set(teams)
        members = {n: m for n, m in members.items() if m.team in wanted}
        loads = {n: t for n, t in loads.items() if n in wanted}
    return members, loads


def member_order(member: Member) -> tuple:
    return (ROLE_ORDER.get(member.role, 1), member.name)
