"""Who could do the work: team members from the definitions, and what each is doing now.

Members come from the installed agent definitions (``orch_agents``), the
teams active in the session (their ``members`` and ``lead``), and the live
subagents Claude Code started (``state.agents``, matched by ``agent_type``).
Their load is what they run now: live subagents of their type and open tasks
assigned to them (by name or by a live agent's id). Teams' load is
``orchcore.domain.load.TeamLoad``, the one every program and command reads.
"""

from __future__ import annotations

from typing import Any

import attrs

from orchcore.api import OPEN_TASK, WORKING_AGENT, AgentStatus, TaskStatus, TeamLoad, team_loads

WORKING = (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)  # what a member shows as its current work
ROLE_ORDER = {"worker": 0, "specialist": 1, "director": 2}
ALL = "all"  # build(..., teams=ALL): every member, whatever the active teams


@attrs.define
class Member:
    name: str
    team: str | None = None
    role: str = "worker"
    skills: list[str] = attrs.Factory(list)
    capacity: int = 1
    live: list[Any] = attrs.Factory(list)  # the session's Agent records of this type
    tasks: list[Any] = attrs.Factory(list)  # open tasks assigned to this member

    @property
    def ids(self) -> set[str]:
        return {self.name, *(a.id for a in self.live)}

    @property
    def running(self) -> int:
        """Its tasks in progress: running work as ``orchcore.domain.load`` counts it."""
        return sum(t.status == TaskStatus.IN_PROGRESS for t in self.tasks)

    @property
    def free(self) -> int:
        return max(self.capacity - self.running, 0)

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
            "name": self.name, "team": self.team, "role": self.role, "skills": self.skills,
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

    members: dict[str, Member] = {}
    for spec in agent_specs.values():
        members[spec.name] = Member(name=spec.name, team=spec.team, role=spec.role, skills=list(spec.skills),
                                    capacity=max(spec.capacity, 1))
    for team in loads.values():
        source = state.teams.get(team.name) or team_specs.get(team.name)
        for name in team.members:
            member = members.get(name)
            if member is None:
                role = "director" if name == team.lead else "worker"
                member = members[name] = Member(name=name, team=team.name, role=role,
                                                skills=list(getattr(source, "skills", []) or []))
            elif member.team is None:
                member.team = team.name
    for agent in state.agents.values():
        kind = agent.agent_type or agent.name or agent.id
        member = members.get(kind) or members.get(agent.id)
        if member is None:
            member = members[kind] = Member(name=kind, team=agent.team, role=agent.role or "worker")
        member.live.append(agent)
    by_id = {agent_id: m for m in members.values() for agent_id in m.ids}
    for task in state.tasks.values():
        if task.status in OPEN_TASK and task.assignee and task.assignee in by_id:
            by_id[task.assignee].tasks.append(task)

    if teams != ALL:
        wanted = set(teams)
        members = {n: m for n, m in members.items() if m.team in wanted}
        loads = {n: t for n, t in loads.items() if n in wanted}
    return members, loads


def member_order(member: Member) -> tuple:
    return (ROLE_ORDER.get(member.role, 1), member.name)
