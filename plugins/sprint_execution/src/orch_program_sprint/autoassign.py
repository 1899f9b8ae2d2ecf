"""``auto-assign``: hand pending tasks to team members by capacity and skills, and say why.

The rules, in the order they apply (the answer ends with a one-line
summary of them, so a user can predict the next run):

1. Tasks: the current sprint's pending, unassigned tasks (every such task
   when no sprint runs), most urgent first (priority, then age).
2. Teams: the session's team definitions (``state.teams``, from
   ``session.teams`` events), else the teams installed plugins define,
   narrowed to the session's active teams and then to the sprint's teams
   when those are named. Without any team, the session's live agents form
   one pool.
3. A task with a ``team`` goes to that team. Otherwise each team scores by
   how well its skills (and, less, its members' skills) match the task's
   ``skills`` (weighted double) and the words of its title and description,
   compared as stemmed terms (``regression-testing`` matches "tests").
   The best-scoring teams are tried in order; a task that matches no team
   goes to the team with the most free capacity, unless it asks for skills
   nobody has (then it stays pending).
4. Load is the number of tasks a member has in progress. A team takes at
   most ``max_parallel`` tasks in progress; a member at most its
   capacity (from its agent definition, else 1). Within a team, the member
   whose skills match best wins, then workers and specialists before
   directors and the lead, then the least loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orch_program_sprint import views as v

POOL = "(session agents)"


@dataclass
class Member:
    name: str
    capacity: int
    load: int
    skills: set[str]
    senior: bool  # a director or the team's lead: assigned last

    @property
    def free(self) -> int:
        return self.capacity - self.load


@dataclass
class Team:
    name: str
    skills: set[str]
    max_parallel: int | None
    load: int
    members: list[Member] = field(default_factory=list)

    @property
    def free(self) -> int:
        member_room = sum(max(m.free, 0) for m in self.members)
        if self.max_parallel is None:
            return member_room
        return min(self.max_parallel - self.load, member_room)

    def usage(self) -> str:
        limit = self.max_parallel if self.max_parallel is not None else sum(m.capacity for m in self.members)
        return f"{self.load}/{limit}"


@dataclass
class Outcome:
    assigned: list[tuple[Any, Member, Team, str]] = field(default_factory=list)  # task, member, team, why
    left: list[tuple[Any, str]] = field(default_factory=list)  # task, why not
    teams: list[Team] = field(default_factory=list)
    scope: str = ""
    problem: str | None = None


def _in_progress(session: Any, names: set[str]) -> int:
    return sum(
        1 for t in session.state.tasks.values()
        if t.status == "in_progress" and v.names_of(session, t.assignee) & names
    )


def build_teams(session: Any, plugins: Any = None) -> list[Team]:
    known = v.teams(session, plugins)
    chosen = {n: t for n, t in known.items() if t["origin"] == "session"}
    if not chosen:
        plugin_teams = {n: t for n, t in known.items() if t["origin"] == "plugin"}
        active = [n for n in session.active_teams if n in plugin_teams]
        chosen = {n: plugin_teams[n] for n in active} if active else plugin_teams
    sprint = v.current_sprint(session)
    if sprint is not None and any(n in chosen for n in sprint.teams):
        chosen = {n: t for n, t in chosen.items() if n in sprint.teams}
    teams = []
    for name, definition in chosen.items():
        people = [p for p in v.roster(session, definition)]
        members = []
        for person in people:
            facts = v.agent_facts(session, person, plugins)
            members.append(Member(
                name=person,
                capacity=facts["capacity"],
                load=_in_progress(session, {person}),
                skills=set(facts["skills"]),
                senior=person == definition["lead"] or facts["role"] == "director",
            ))
        if not members:
            continue
        load = sum(
            1 for t in v.team_tasks(session, definition) if t.status == "in_progress"
        )
        teams.append(Team(
            name=name,
            skills={s.lower() for s in definition["skills"]},
            max_parallel=definition["max_parallel"],
            load=load,
            members=members,
        ))
    if not teams:
        live = [(aid, a) for aid, a in session.state.agents.items() if a.status not in v.ENDED_AGENT]
        if live:
            members = [
                Member(name=a.name or aid, capacity=v.agent_facts(session, aid, plugins)["capacity"],
                       load=_in_progress(session, v.names_of(session, aid)), skills=set(), senior=a.role == "director")
                for aid, a in live
            ]
            teams.append(Team(name=POOL, skills=set(), max_parallel=None,
                              load=sum(m.load for m in members), members=members))
    return teams


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
    return {stem(w) for w in v.words(text) if w not in STOP_WORDS}


@dataclass
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


def score(team: Team, wanted: Wanted) -> tuple[int, list[str]]:
    members = set().union(*(m.skills for m in team.members)) if team.members else set()
    return skill_score(wanted, team.skills, members - team.skills)


def pick_member(team: Team, wanted: Wanted) -> Member | None:
    free = [m for m in team.members if m.free > 0]
    if not free:
        return None
    return sorted(free, key=lambda m: (-skill_score(wanted, m.skills)[0], m.senior, m.load,
                                       team.members.index(m)))[0]


def _first(names: list[str], n: int) -> str:
    return ", ".join(names[:n]) + (f" +{len(names) - n}" if len(names) > n else "")


def plan(session: Any, plugins: Any = None) -> Outcome:
    """What auto-assign would do now; nothing is recorded here."""
    sprint = v.current_sprint(session)
    tasks = v.sprint_tasks(session, sprint) if sprint is not None else list(session.state.tasks.values())
    pending = sorted((t for t in tasks if t.status == "pending" and not t.assignee), key=v.task_sort_key)
    outcome = Outcome(scope=f"sprint {sprint.id}" if sprint is not None else "all tasks, no sprint running")
    outcome.teams = teams = build_teams(session, plugins)
    if not pending:
        outcome.problem = "no pending unassigned tasks"
        return outcome
    if not teams:
        outcome.problem = ("no teams or agents to assign to: activate teams first "
                           "(e.g. /orchestration:activate-team, or a session.teams event)")
        return outcome
    by_name = {t.name: t for t in teams}
    for task in pending:
        wanted = Wanted.of(task)
        if task.team:
            team = by_name.get(task.team)
            if team is None:
                outcome.left.append((task, f"its team {task.team} is not among the teams to assign to"))
                continue
            candidates = [(team, "the task's team")]
        else:
            scored = sorted(((score(t, wanted), t) for t in teams),
                            key=lambda item: (-item[0][0], -item[1].free, item[1].name))
            matching = [(t, "skills " + _first(m, 3)) for (points, m), t in scored if points > 0]
            if matching:
                candidates = matching
            elif wanted.skills:
                outcome.left.append((task, "no team has the skills " + ", ".join(sorted(wanted.skills))))
                continue
            else:
                candidates = [(t, "no skill match, most free capacity") for _, t in scored]
                candidates.sort(key=lambda item: -item[0].free)
        reasons = []
        for team, why in candidates:
            if team.max_parallel is not None and team.load >= team.max_parallel:
                reasons.append(f"{team.name} at capacity ({team.usage()} in parallel)")
                continue
            member = pick_member(team, wanted)
            if member is None:
                reasons.append(f"every member of {team.name} is at capacity")
                continue
            load = f"load {member.load}→{member.load + 1} of {member.capacity}"
            outcome.assigned.append((task, member, team, f"{team.name}: {why}; {load}"))
            member.load += 1
            team.load += 1
            break
        else:
            more = f"; +{len(reasons) - 2} more" if len(reasons) > 2 else ""
            outcome.left.append((task, "; ".join(reasons[:2]) + more))
    return outcome


SHOWN = 12  # lines per list in the answer; the rest is counted


def explain(session: Any, outcome: Outcome) -> list[str]:

    if outcome.problem:
        return [f"auto-assign ({outcome.scope}): {outcome.problem}; nothing assigned"]
    total = len(outcome.assigned) + len(outcome.left)
    lines = [f"auto-assign ({outcome.scope}): {len(outcome.assigned)} of {v.count(total, 'pending task')} assigned"]
    for task, member, _team, why in outcome.assigned[:SHOWN]:
        lines.append(f"  {v.task_line(session, task, width=36)} → {member.name} — {why}")
    if len(outcome.assigned) > SHOWN:
        lines.append(f"  … and {len(outcome.assigned) - SHOWN} more assigned")
    if outcome.left:
        lines.append("Left pending:")
        lines.extend(f"  {v.task_line(session, task, width=36)} — {why}" for task, why in outcome.left[:SHOWN])
        rest = outcome.left[SHOWN:]
        if rest:
            reasons: dict[str, int] = {}
            for _task, why in rest:
                reasons[why] = reasons.get(why, 0) + 1
            common = max(reasons, key=reasons.__getitem__)
            lines.append(f"  … and {len(rest)} more ({reasons[common]} of them: {v.clip(common, 80)})")
    lines.append("Teams now: " + " · ".join(f"{t.name} {t.usage()}" for t in outcome.teams))
    lines.append("(load = tasks in progress; capacity: team max_parallel, agent capacity or 1; "
                 "skills from the task's skills and title)")
    return lines
