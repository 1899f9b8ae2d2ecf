"""Automatic assignment: which pending task goes to which team member, and why.

One planner for the sprint program's ``auto-assign`` (which records the
plan) and ``orch sprint delegate`` (which shows it and records nothing).
``plan`` only reads; the rules, in the order they apply:

1. **Tasks**: the sprint's pending, unassigned tasks (every such task when
   there is no sprint), at least ``min_priority`` urgent and of ``teams``
   when given, in the one task order (``vocabulary.by_urgency``: priority,
   then age, then id), at most ``limit`` of them.
2. **Teams**: the session's team definitions (``state.teams``), else the
   teams installed plugins define, narrowed to the session's active teams,
   then to the sprint's teams when it names any, then to ``teams`` when
   given. Without any team with people, the session's live agents form one
   pool (``POOL``).
3. **A task's team**: the task's own ``team`` when it has one. Otherwise,
   with the ``skills`` strategy, each team scores by how well its skills
   (and, less, its members') match the task's ``skills`` (weighted double)
   and the words of its title and description, compared as stemmed terms
   (``regression-testing`` matches "tests"); the best-scoring teams are
   tried in order; a task that matches no team goes to the team with the
   most room, unless it asks for skills nobody has (then it stays pending).
   With ``capacity`` and ``round-robin`` the team with the most room is
   tried first.
4. **Room** (``orchcore.domain.load``): a team runs at most
   ``max_parallel`` tasks in progress, a member at most its capacity
   (its agent definition's, else 1); what the plan hands out counts at once.
5. **The member**, among those with room: ``skills`` picks the best skill
   match, ``capacity`` the most free, ``round-robin`` the next in turn
   within the team; directors and the team's lead come after everyone
   else, then the least loaded, then the order the team lists them.

The copies this replaces disagreed on nearly every rule (one strategy with
stemmed team scores in the program, three strategies over members' skills
and a different load in the command); the program's rules won, as the
documented and tested ones, and the command's strategies and filters
became options of the same planner.
"""

from __future__ import annotations

from typing import Any

import attrs

from orchcore import views
from orchcore.domain.load import MemberLoad, TeamLoad, team_loads
from orchcore.domain.sprints import sprint_tasks
from orchcore.domain.vocabulary import ENDED_AGENT, TaskStatus, by_urgency, priority_rank

__all__ = [
    "CURRENT",
    "Decision",
    "POOL",
    "Plan",
    "STRATEGIES",
    "Wanted",
    "agent_facts",
    "assignee_for",
    "member_load",
    "plan",
    "skill_score",
    "stem",
    "terms",
]

POOL = "(session agents)"
STRATEGIES = ("capacity", "skills", "round-robin")
CURRENT = "current"  # plan(sprint=CURRENT): the session's current sprint


# -- what a task asks for -----------------------------------------------------

STOP_WORDS = frozenset({
    "a", "an", "and", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of", "on", "or",
    "the", "this", "that", "to", "up", "with", "all", "new", "our",
})


def stem(word: str) -> str:
    """A crude stem, enough for skills: ``testing``/``tests`` → ``test``, ``debugging`` → ``debug``."""
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix != "s" and len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1]
            break
    return word


def terms(text: str) -> set[str]:
    """Stemmed words of a text or a skill name (``regression-testing`` → regression, test; ``ux`` stays)."""
    return {stem(w) for w in views.words(text) if w not in STOP_WORDS}


@attrs.define
class Wanted:
    """What a task asks for: its explicit ``skills`` (exact and as terms) and the terms of its text."""

    skills: set[str]
    explicit: set[str]
    text: set[str]

    @classmethod
    def of(cls, task: Any) -> Wanted:
        raw = task.extra.get("skills")
        skills = {str(s).lower() for s in raw} if isinstance(raw, list) else set()
        explicit = set().union(*(terms(s) for s in skills)) if skills else set()
        return cls(skills=skills, explicit=explicit, text=terms(f"{task.title} {task.description}"))

    @property
    def all(self) -> set[str]:
        return self.explicit | self.text


def skill_score(wanted: Wanted, primary: set[str], secondary: set[str] = frozenset()) -> tuple[int, list[str]]:
    """How well skills match a task, and the matching skills, best first.

    Each wanted term counts once: double when it comes from the task's own
    ``skills``; double again when a ``primary`` skill (the team's) has it,
    single when only a ``secondary`` one (a member's) does. A skill named
    exactly, or whose every term the task has (``release-notes`` for "write
    the release notes"), adds a bonus. Counting terms, not skills, keeps a
    team with many similar skills from winning by numbers alone.
    """
    offered = {s: (terms(s), s in primary) for s in primary | secondary}
    primary_terms = set().union(*(t for t, main in offered.values() if main)) if offered else set()
    secondary_terms = set().union(*(t for t, main in offered.values() if not main)) if offered else set()
    total = 0
    for term in wanted.all:
        weight = 2 if term in wanted.explicit else 1
        total += weight * (2 if term in primary_terms else 1 if term in secondary_terms else 0)
    ranked = []
    for skill, (skill_terms, main) in offered.items():
        exact = skill in wanted.skills
        whole = len(skill_terms) > 1 and skill_terms <= wanted.all
        if exact or whole:
            total += 2 if main else 1
        hits = len(skill_terms & wanted.all)
        if exact or hits:
            ranked.append(((not exact, -hits / max(len(skill_terms), 1), not main, skill), skill))
    return total, [skill for _, skill in sorted(ranked)]


# -- the plan -------------------------------------------------------------------


@attrs.define
class Decision:
    """One task of the plan: who gets it (``member`` None: nobody) and why; other members with room."""

    task: Any
    member: MemberLoad | None
    team: TeamLoad | None
    why: str
    alternatives: list[str] = attrs.Factory(list)


@attrs.define
class Plan:
    """What automatic assignment would do now, task by task in the order it went through them."""

    tasks: list[Any] = attrs.Factory(list)  # the pending tasks it went through, in order
    decisions: list[Decision] = attrs.Factory(list)
    teams: list[TeamLoad] = attrs.Factory(list)
    people: dict[str, list[MemberLoad]] = attrs.Factory(dict)  # team name -> its members
    sprint: Any = None
    strategy: str = "skills"
    problem: str | None = None  # why nothing could be planned

    @property
    def assigned(self) -> list[Decision]:
        return [d for d in self.decisions if d.member is not None]

    @property
    def left(self) -> list[Decision]:
        return [d for d in self.decisions if d.member is None]

    def usage(self, team: TeamLoad) -> str:
        """``running/limit`` of a team: its max_parallel, else its members' capacity."""
        limit = team.max_parallel if team.max_parallel is not None else sum(
            m.capacity for m in self.people.get(team.name, []))
        return f"{team.running}/{limit}"

    def room(self, team: TeamLoad) -> int:
        """Tasks the team can still take: its members' room, within its parallel limit."""
        members = sum(m.free for m in self.people.get(team.name, []))
        return members if team.free is None else min(team.free, members)


def agent_facts(session: Any, name: str, plugins: Any = None) -> dict[str, Any]:
    """Capacity, skills and role of a team member: its agent definition, else the session's agent.

    The session's agent is the one with this id, else a live one of this
    name, else a live one of this type (``agent_type``: a subagent Claude
    Code started for the definition), as ``views.names_of`` counts its work.
    """
    spec = views.plugin_specs(plugins, "orch_agents").get(name)
    live = [a for a in session.state.agents.values() if a.status not in ENDED_AGENT]
    agent = session.state.agents.get(name) or next((a for a in live if a.name == name), None) or next(
        (a for a in live if a.agent_type == name), None
    )
    extra = agent.extra if agent is not None else {}
    capacity = getattr(spec, "capacity", None) or extra.get("capacity")
    skills = list(getattr(spec, "skills", ()) or ()) or list(extra.get("skills") or [])
    role = getattr(spec, "role", None) or (agent.role if agent is not None else "worker")
    return {
        "capacity": capacity if isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 0 else 1,
        "skills": [str(s).lower() for s in skills],
        "role": role,
    }


def member_load(
    session: Any, name: str, plugins: Any = None, *, team: str | None = None, lead: str | None = None
) -> MemberLoad:
    """One team member's load, as automatic assignment and every roster see it.

    What it can take and is good at come from ``agent_facts`` (its agent
    definition, else the session agent's ``extra``: ``capacity``, ``skills``,
    lower-cased); its running work is the tasks in progress whose assignee
    answers to its name (``views.names_of``: an agent's id, name or type).
    ``senior``: it leads ``team`` (``lead``) or is a director.
    """
    facts = agent_facts(session, name, plugins)
    return MemberLoad(
        name=name, team=team, role=facts["role"], capacity=facts["capacity"], skills=set(facts["skills"]),
        senior=name == lead or facts["role"] == "director", running=_running(session, {name}),
    )


def assignee_for(session: Any, name: str) -> str:
    """What to record as the assignee of a planned member: its running agent's id when there is one."""
    if name in session.state.agents:
        return name
    running = [aid for aid, a in session.state.agents.items() if a.name == name and a.status not in ENDED_AGENT]
    return running[0] if len(running) == 1 else name


def _running(session: Any, names: set[str]) -> int:
    return sum(1 for t in session.state.tasks.values()
               if t.status == TaskStatus.IN_PROGRESS and views.names_of(session, t.assignee) & names)


def _chosen_teams(session: Any, plugins: Any, sprint: Any, wanted: list[str] | None) -> dict[str, dict[str, Any]]:
    known = views.teams(session, plugins)
    chosen = {n: t for n, t in known.items() if t["origin"] == "session"}
    if not chosen:
        plugin_teams = {n: t for n, t in known.items() if t["origin"] == "plugin"}
        active = [n for n in session.active_teams if n in plugin_teams]
        chosen = {n: plugin_teams[n] for n in active} if active else plugin_teams
    if sprint is not None and any(n in chosen for n in sprint.teams):
        chosen = {n: t for n, t in chosen.items() if n in sprint.teams}
    if wanted:
        chosen = {n: t for n, t in chosen.items() if n in wanted}
    return chosen


def _people(session: Any, plugins: Any, sprint: Any, wanted: list[str] | None) -> tuple[list[TeamLoad], dict]:
    chosen = _chosen_teams(session, plugins, sprint, wanted)
    loads = {t.name: t for t in team_loads(session, views.plugin_specs(plugins, "orch_teams"),
                                           views.plugin_specs(plugins, "orch_agents"))}
    teams, people = [], {}
    for name, definition in chosen.items():
        members = [member_load(session, person, plugins, team=name, lead=definition["lead"])
                   for person in views.roster(session, definition)]
        if members:
            load = loads.get(name) or TeamLoad(name=name)
            load.max_parallel, load.skills = definition["max_parallel"], [s.lower() for s in definition["skills"]]
            teams.append(load)
            people[name] = members
    if not teams and not wanted:
        live = [(aid, a) for aid, a in session.state.agents.items() if a.status not in ENDED_AGENT]
        if live:
            members = [
                MemberLoad(name=a.name or aid, team=POOL, role=a.role,
                           capacity=agent_facts(session, aid, plugins)["capacity"],
                           running=_running(session, views.names_of(session, aid)), senior=a.role == "director")
                for aid, a in live
            ]
            pool = TeamLoad(name=POOL, by_status={TaskStatus.IN_PROGRESS: sum(m.running for m in members)})
            teams.append(pool)
            people[POOL] = members
    return teams, people


def _first(names: list[str], n: int) -> str:
    return ", ".join(names[:n]) + (f" +{len(names) - n}" if len(names) > n else "")


def _ranked(members: list[MemberLoad], wanted: Wanted, strategy: str, turn: int) -> list[MemberLoad]:
    free = [m for m in members if m.free > 0]
    if strategy == "capacity":
        key = lambda m: (m.senior, -m.free, members.index(m))  # noqa: E731
    elif strategy == "round-robin":
        key = lambda m: (m.senior, (members.index(m) - turn) % len(members))  # noqa: E731
    else:
        key = lambda m: (-skill_score(wanted, m.skills)[0], m.senior, m.load, members.index(m))  # noqa: E731
    return sorted(free, key=key)


def plan(
    session: Any,
    plugins: Any = None,
    *,
    sprint: Any = CURRENT,
    strategy: str = "skills",
    min_priority: str | None = None,
    teams: list[str] | None = None,
    limit: int | None = None,
) -> Plan:
    """What automatic assignment would do now (see the module's rules); nothing is recorded here.

    ``sprint``: the sprint whose tasks to plan (``CURRENT``: the session's
    current one; None: every task).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if sprint == CURRENT:
        sprint = session.state.sprints.get(session.current_sprint or "")
    pool = sprint_tasks(session, sprint) if sprint is not None else list(session.state.tasks.values())
    floor = None if min_priority is None else priority_rank(min_priority)
    pending = sorted((t for t in pool if t.status == TaskStatus.PENDING and not t.assignee
                      and (floor is None or priority_rank(t.priority) <= floor)
                      and (not teams or t.team in teams)), key=by_urgency)
    if limit is not None:
        pending = pending[:limit]
    found, people = _people(session, plugins, sprint, teams)
    outcome = Plan(tasks=pending, teams=found, people=people, sprint=sprint, strategy=strategy)
    if not pending:
        outcome.problem = "no pending unassigned tasks"
        return outcome
    if not found:
        outcome.problem = ("no teams or agents to assign to: activate teams first "
                           "(e.g. /orchestration:activate-team, or a session.teams event)")
        return outcome
    by_name = {t.name: t for t in found}
    turns = {t.name: 0 for t in found}
    for task in pending:
        wanted = Wanted.of(task)
        if task.team:
            team = by_name.get(task.team)
            if team is None:
                outcome.decisions.append(Decision(task, None, None,
                                                  f"its team {task.team} is not among the teams to assign to"))
                continue
            candidates = [(team, "the task's team")]
        elif strategy != "skills":
            candidates = [(t, f"most free capacity ({strategy})")
                          for t in sorted(found, key=lambda t: (-outcome.room(t), t.name))]
        else:
            scored = sorted(((_team_score(t, people[t.name], wanted), t) for t in found),
                            key=lambda item: (-item[0][0], -outcome.room(item[1]), item[1].name))
            matching = [(t, "skills " + _first(m, 3)) for (points, m), t in scored if points > 0]
            if matching:
                candidates = matching
            elif wanted.skills:
                outcome.decisions.append(Decision(task, None, None,
                                                  "no team has the skills " + ", ".join(sorted(wanted.skills))))
                continue
            else:
                candidates = [(t, "no skill match, most free capacity")
                              for t in sorted((t for _, t in scored), key=lambda t: -outcome.room(t))]
        reasons = []
        for team, why in candidates:
            if team.max_parallel is not None and team.running >= team.max_parallel:
                reasons.append(f"{team.name} at capacity ({outcome.usage(team)} in parallel)")
                continue
            ranked = _ranked(people[team.name], wanted, strategy, turns[team.name])
            if not ranked:
                reasons.append(f"every member of {team.name} is at capacity")
                continue
            member = ranked[0]
            load = f"load {member.load}→{member.load + 1} of {member.capacity}"
            outcome.decisions.append(Decision(task, member, team, f"{team.name}: {why}; {load}",
                                              [m.name for m in ranked[1:4]]))
            member.planned += 1
            team.planned += 1
            turns[team.name] = people[team.name].index(member) + 1
            break
        else:
            more = f"; +{len(reasons) - 2} more" if len(reasons) > 2 else ""
            outcome.decisions.append(Decision(task, None, None, "; ".join(reasons[:2]) + more))
    return outcome


def _team_score(team: TeamLoad, members: list[MemberLoad], wanted: Wanted) -> tuple[int, list[str]]:
    own = set(team.skills)
    theirs = set().union(*(m.skills for m in members)) if members else set()
    return skill_score(wanted, own, theirs - own)
