"""A team's load: its people and its work in one session, and how much room it has left.

``TeamLoad`` is the one answer to "how busy is this team?" for the
leadership meeting, the ``orch`` team and sprint commands and automatic
assignment; ``MemberLoad`` is the same for one person of a team.

The decisions, where the copies this replaces disagreed:

- **Running work** is the tasks *in progress*. A task in review waits for a
  reviewer, not for a slot of the team; a live subagent with no task does
  not hold one either (it is counted as busy, not as work).
- **Room**: a team may run ``max_parallel`` tasks at once (no limit when
  unset), a member ``capacity`` tasks (1 unless its definition says more).
  ``planned`` counts what a plan hands out before it is recorded, so room
  shrinks as a plan is made.
- **Which team a task belongs to**: its own ``team``, else its assignee's
  (an agent's team, or the team whose definition names it); a task with
  neither counts under ``NO_TEAM``.
"""

from __future__ import annotations

from typing import Any

import attrs

from orchcore import clock
from orchcore.domain.vocabulary import OPEN_TASK, WORKING_AGENT, AgentStatus, TaskStatus

__all__ = ["MemberLoad", "NO_TEAM", "TeamLoad", "team_loads"]

NO_TEAM = "(no team)"


@attrs.define
class MemberLoad:
    """One person a team can hand a task to: what it can take, what it runs, what a plan gave it."""

    name: str
    team: str | None = None
    role: str = "worker"
    capacity: int = 1
    skills: set[str] = attrs.Factory(set)
    senior: bool = False  # a director or the team's lead: handed work last
    running: int = 0  # tasks in progress assigned to it
    planned: int = 0  # tasks a plan gives it, not recorded yet

    @property
    def load(self) -> int:
        return self.running + self.planned

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


@attrs.define
class TeamLoad:
    """One team's people and work in this session, and its room for more."""

    name: str
    lead: str | None = None
    max_parallel: int | None = None
    members: list[str] = attrs.Factory(list)  # the names its definitions give, the lead included
    skills: list[str] = attrs.Factory(list)
    directors: list[str] = attrs.Factory(list)
    agents: list[str] = attrs.Factory(list)  # ids of its live agents
    busy: int = 0
    idle: int = 0
    blocked_agents: int = 0
    by_status: dict[str, int] = attrs.Factory(dict)
    blocked_tasks: list[str] = attrs.Factory(list)
    points_total: int = 0
    points_done: int = 0
    cycle_hours: list[float] = attrs.Factory(list)
    allocated: int | None = None  # agents a plan (the leadership meeting's) gives the team
    planned: int = 0  # tasks a plan hands the team, not recorded yet

    @property
    def tasks(self) -> int:
        return sum(self.by_status.values())

    @property
    def done(self) -> int:
        return self.by_status.get(TaskStatus.DONE, 0)

    @property
    def open(self) -> int:
        return sum(self.by_status.get(s, 0) for s in OPEN_TASK)

    @property
    def in_progress(self) -> int:
        return self.by_status.get(TaskStatus.IN_PROGRESS, 0)

    @property
    def pending(self) -> int:
        return self.by_status.get(TaskStatus.PENDING, 0)

    @property
    def running(self) -> int:
        """Tasks the team runs now and those a plan has given it."""
        return self.in_progress + self.planned

    @property
    def free(self) -> int | None:
        """Tasks it may still start under ``max_parallel``; None when it has no limit."""
        return None if self.max_parallel is None else max(self.max_parallel - self.running, 0)

    @property
    def completion(self) -> float | None:
        counted = self.tasks - self.by_status.get(TaskStatus.CANCELLED, 0)
        return self.done / counted if counted else None

    @property
    def load(self) -> float | None:
        """Open tasks per live agent; None without agents."""
        return self.open / len(self.agents) if self.agents else None

    @property
    def avg_cycle_hours(self) -> float | None:
        return sum(self.cycle_hours) / len(self.cycle_hours) if self.cycle_hours else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.name, "lead": self.lead, "directors": self.directors, "members": self.members,
            "agents": len(self.agents), "busy": self.busy, "idle": self.idle, "blocked_agents": self.blocked_agents,
            "tasks": self.tasks, "done": self.done, "open": self.open, "in_progress": self.in_progress,
            "pending": self.pending, "blocked": len(self.blocked_tasks), "blocked_tasks": self.blocked_tasks,
            "completion": None if self.completion is None else round(self.completion, 3),
            "load": None if self.load is None else round(self.load, 2),
            "points_total": self.points_total, "points_done": self.points_done,
            "avg_cycle_hours": None if self.avg_cycle_hours is None else round(self.avg_cycle_hours, 2),
            "max_parallel": self.max_parallel, "allocated": self.allocated,
            "running": self.running, "free": self.free,
        }


def _is_director(agent: Any, agent_specs: dict[str, Any]) -> bool:
    spec = agent_specs.get(agent.agent_type) or agent_specs.get(agent.name)
    return (
        agent.role == "director"
        or "director" in (agent.agent_type or "").lower()
        or (spec is not None and getattr(spec, "role", None) == "director")
    )


def team_loads(
    session: Any,
    team_specs: dict[str, Any] | None = None,
    agent_specs: dict[str, Any] | None = None,
    allocations: dict[str, int | None] | None = None,
) -> list[TeamLoad]:
    """Every team's load: the session's teams, installed teams, and any team its work names.

    ``team_specs``/``agent_specs`` (installed TeamSpec/AgentSpec by name) fill in
    leads, members and limits the session itself does not carry; the
    session's own definitions win. ``allocations`` (team -> agents) is what
    a plan gives each team. Active teams come first, then the session's,
    then the rest by name, ``NO_TEAM`` last.
    """
    team_specs = team_specs or {}
    agent_specs = agent_specs or {}
    state = session.state
    teams: dict[str, TeamLoad] = {}

    def team(name: str) -> TeamLoad:
        if name not in teams:
            teams[name] = TeamLoad(name=name)
        return teams[name]

    members: dict[str, set[str]] = {}
    for name in [*session.active_teams, *state.teams, *team_specs]:
        load = team(name)
        defined = state.teams.get(name) or team_specs.get(name)
        if defined is not None and not load.members and load.lead is None:
            load.lead = defined.lead
            load.max_parallel = defined.max_parallel
            load.members = list(dict.fromkeys([*defined.members, *([defined.lead] if defined.lead else [])]))
            load.skills = list(getattr(defined, "skills", ()) or ())
            members.setdefault(name, set()).update(load.members)
    for spec in agent_specs.values():
        if getattr(spec, "team", None):
            members.setdefault(spec.team, set()).add(spec.name)

    def team_of(agent_key: str | None) -> str | None:
        if not agent_key:
            return None
        agent = state.agents.get(agent_key)
        if agent is not None and agent.team:
            return agent.team
        keys = {agent_key} | ({agent.agent_type, agent.name} - {""} if agent is not None else set())
        for name, names in members.items():
            if keys & names:
                return name
        return None

    for agent_id, agent in state.agents.items():
        name = team_of(agent_id)
        if name is None or agent.status in (AgentStatus.COMPLETED, AgentStatus.FAILED):
            continue
        load = team(name)
        load.agents.append(agent_id)
        if agent.status in WORKING_AGENT:
            load.busy += 1
        elif agent.status == AgentStatus.BLOCKED:
            load.blocked_agents += 1
        else:
            load.idle += 1
        if _is_director(agent, agent_specs):
            load.directors.append(agent.agent_type or agent.name or agent_id)

    for task in state.tasks.values():
        load = team(task.team or team_of(task.assignee) or NO_TEAM)
        load.by_status[task.status] = load.by_status.get(task.status, 0) + 1
        if task.status == TaskStatus.BLOCKED or (task.blockers and task.status in OPEN_TASK):
            load.blocked_tasks.append(task.id)
        if task.points:
            load.points_total += task.points
            if task.status == TaskStatus.DONE:
                load.points_done += task.points
        started, ended = clock.read_iso(task.created_at), clock.read_iso(task.completed_at)
        if task.status == TaskStatus.DONE and started and ended:
            load.cycle_hours.append(max((ended - started).total_seconds() / 3600, 0.0))

    for name, agents in (allocations or {}).items():
        team(name).allocated = agents
    for load in teams.values():
        if load.lead and load.lead not in load.directors:
            load.directors.insert(0, load.lead)
        load.directors = list(dict.fromkeys(load.directors))
    order = {name: i for i, name in enumerate(dict.fromkeys([*session.active_teams, *state.teams]))}
    return sorted(teams.values(), key=lambda t: (t.name == NO_TEAM, order.get(t.name, len(order)), t.name))
