"""orchcore.domain: the one vocabulary of tasks, sprints, team load and assignment, and its decisions.

Each test states one rule as the programs and commands now share it; where
the copies it replaced disagreed, the test names the decision.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from orchcore import clock
from orchcore.domain import assignment
from orchcore.domain.load import NO_TEAM, team_loads
from orchcore.domain.sprints import percent, sprint_day, sprint_progress, sprint_tasks
from orchcore.domain.teams import team_definitions
from orchcore.domain.vocabulary import (
    ATTENTION_ORDER,
    FLOW_ORDER,
    OPEN_TASK,
    PRIORITIES,
    Priority,
    TaskStatus,
    by_urgency,
    priority_rank,
    status_rank,
)
from orchcore.models import Agent, Event, Session, SessionState, Sprint, Task, Team
from orchcore.specs import AgentSpec, TeamSpec

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def ts(days: float = 0) -> str:
    return (START + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def session_with(*tasks: Task, sprints=(), agents=(), teams=(), active=()) -> Session:
    return Session(
        session_id="8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee",
        active_teams=list(active),
        state=SessionState(tasks={t.id: t for t in tasks}, sprints={s.id: s for s in sprints},
                           agents={a.id: a for a in agents}, teams={t.name: t for t in teams}),
    )


def sprint(**fields) -> Sprint:
    return Sprint(**{"id": "S-1", "status": "active", "started_at": ts(), "duration_days": 10, **fields})


# -- the vocabulary ---------------------------------------------------------------


def test_a_status_is_its_string_so_stored_state_and_json_keep_plain_words():
    assert TaskStatus.DONE == "done" and "in_progress" in OPEN_TASK
    assert json.dumps({TaskStatus.BLOCKED: [TaskStatus.DONE]}) == '{"blocked": ["done"]}'
    assert f"status {TaskStatus.IN_PROGRESS}" == "status in_progress"


def test_priorities_run_from_most_urgent_and_unknown_ones_rank_last():
    assert PRIORITIES == ("critical", "high", "normal", "low")
    assert [priority_rank(p) for p in ("critical", "low", "urgent", None)] == [0, 3, 4, 4]


def test_work_flows_pending_to_cancelled_but_attention_goes_to_blocked_first():
    """Decision: orch dashboard put in-progress first, the programs blocked first; blocked first won."""
    assert FLOW_ORDER == ("pending", "in_progress", "blocked", "review", "done", "cancelled")
    assert ATTENTION_ORDER[:2] == ("blocked", "in_progress")
    assert status_rank("archived") == len(ATTENTION_ORDER)  # unknown statuses last


def test_tasks_are_ordered_by_priority_then_age_then_id():
    late_critical = Task(id="T-3", priority=Priority.CRITICAL, created_at=ts(2))
    old_normal, young_normal = Task(id="T-2", created_at=ts(0)), Task(id="T-1", created_at=ts(1))

    assert sorted([young_normal, old_normal, late_critical], key=by_urgency) == [late_critical, old_normal, young_normal]


# -- the clock ----------------------------------------------------------------------


def test_orch_now_pins_the_clock_that_answers_questions_about_today(monkeypatch):
    """Decision: one clock, orchcore.clock.now(); ORCH_NOW replaces the pack's own ORCH_COMMANDS_NOW."""
    monkeypatch.setenv("ORCH_NOW", ts(4))
    assert clock.now() == START + timedelta(days=4)
    assert sprint_day(sprint()) == 5
    assert clock.now_iso() != ts(4)  # what is recorded keeps the real time


def test_a_timestamp_that_cannot_be_read_is_none_and_one_without_zone_is_utc():
    assert clock.read_iso("not a time") is None and clock.read_iso(None) is None
    assert clock.read_iso("2026-03-02T09:00:00") == START


# -- the sprint's day and tasks ----------------------------------------------------


def test_day_one_is_the_first_24_hours_of_a_sprint():
    s = sprint()
    assert [sprint_day(s, START + timedelta(hours=h)) for h in (0, 23, 24, 24 * 9 + 1)] == [1, 1, 2, 10]


def test_an_ended_sprint_stays_on_the_day_it_ended_and_a_clock_behind_the_start_says_day_one():
    assert sprint_day(sprint(ended_at=ts(6.5)), now=START + timedelta(days=30)) == 7
    assert sprint_day(sprint(), now=START - timedelta(days=2)) == 1


def test_a_sprint_that_has_not_started_has_no_day():
    """Decision: None, not day 1 (the orch-commands copy said 1), so no pace is computed for it."""
    assert sprint_day(sprint(started_at=None)) is None
    assert sprint_day(sprint(started_at="garbage")) is None


def test_a_sprints_tasks_are_the_listed_and_the_naming_ones_in_the_sessions_order():
    """Decision: the copies put listed tasks first or naming tasks first; now the order they were created."""
    s = session_with(Task(id="T-1", sprint="S-1"), Task(id="T-2"), Task(id="T-3", sprint="S-1"),
                     sprints=[sprint(tasks=["T-3", "T-2", "T-404"])])

    assert [t.id for t in sprint_tasks(s, s.state.sprints["S-1"])] == ["T-1", "T-2", "T-3"]


# -- progress and velocity ------------------------------------------------------------


def progress_on(day: int, *tasks: Task, **fields):
    s = session_with(*tasks, sprints=[sprint(**fields)])
    return sprint_progress(s, s.state.sprints["S-1"], now=START + timedelta(days=day - 1, hours=1))


def test_progress_counts_tasks_and_points_but_not_cancelled_ones():
    info = progress_on(5, Task(id="T-1", sprint="S-1", points=3, status="done"),
                       Task(id="T-2", sprint="S-1", points=5), Task(id="T-3", sprint="S-1"),
                       Task(id="T-4", sprint="S-1", points=8, status="cancelled"))

    assert (info.tasks, info.done_tasks, info.points, info.done_points, info.unestimated) == (3, 1, 8, 3, 1)
    assert (info.day, info.days_left, info.remaining) == (5, 5, 5)


def test_velocity_is_points_per_sprint_day_with_today_counted():
    info = progress_on(5, Task(id="T-1", sprint="S-1", points=1, status="done"), Task(id="T-2", sprint="S-1", points=7))

    assert info.velocity == 0.2  # 1 point in 5 days
    assert info.needed == 1.4  # 7 points over the 5 days after today
    assert info.on_track is False


def test_velocity_is_zero_once_the_sprint_runs_and_none_before_it_has_a_day():
    """Decision: the copies said 0.0 and None; 0.0 is a measured pace, None is no pace at all."""
    assert progress_on(3, Task(id="T-1", sprint="S-1", points=2)).velocity == 0.0
    assert progress_on(3, Task(id="T-1", sprint="S-1", points=2), started_at=None).velocity is None


def test_with_no_day_left_no_pace_is_needed_and_the_sprint_is_behind():
    """Decision: one copy asked for all remaining points in a day, the other for nothing; now None and behind."""
    last_day = progress_on(10, Task(id="T-1", sprint="S-1", points=4))
    over = progress_on(12, Task(id="T-1", sprint="S-1", points=4))

    assert (last_day.days_left, last_day.needed, last_day.on_track) == (0, None, False)
    assert (over.days_left, over.needed, over.on_track) == (0, None, False)


def test_nothing_remaining_needs_no_pace_and_is_on_track_with_or_without_a_deadline():
    done = Task(id="T-1", sprint="S-1", points=4, status="done")

    assert (progress_on(10, done).needed, progress_on(10, done).on_track) == (0.0, True)
    assert (progress_on(3, done, duration_days=None).needed, progress_on(3, done, duration_days=None).on_track) == (
        0.0, True)


def test_without_a_deadline_there_is_no_pace_to_need_and_no_verdict():
    info = progress_on(3, Task(id="T-1", sprint="S-1", points=4), duration_days=None)

    assert (info.days_left, info.needed, info.on_track) == (None, None, None)


def test_the_first_day_with_nothing_done_is_too_early_to_judge():
    assert progress_on(1, Task(id="T-1", sprint="S-1", points=4)).on_track is None
    assert progress_on(2, Task(id="T-1", sprint="S-1", points=4)).on_track is False


def test_the_finish_day_is_computed_in_whole_numbers():
    info = progress_on(3, Task(id="T-1", sprint="S-1", points=2, status="done"),
                       Task(id="T-2", sprint="S-1", points=28))

    assert info.finish_day == 45  # 30 points at 2 per 3 days (a float division said 46)


def test_percentages_round_to_the_nearest_but_say_100_only_when_all_is_done():
    """Decision: tasks were rounded down, points to the nearest; one rule for both."""
    assert (percent(2, 30), percent(1, 4), percent(299, 300), percent(3, 3)) == (7, 25, 99, 100)


def test_progress_can_count_a_change_before_it_is_recorded():
    s = session_with(Task(id="T-1", sprint="S-1", points=3), sprints=[sprint()])

    after = sprint_progress(s, s.state.sprints["S-1"], statuses={"T-1": TaskStatus.DONE})

    assert (after.done_points, after.done_tasks) == (3, 1)


# -- team definitions -----------------------------------------------------------------


QA = TeamSpec(name="qa", description="Quality", lead="qa-lead", members=["qa-tester"], max_parallel=1,
              skills=["testing"])


def test_a_teams_definition_is_what_session_teams_records_of_its_spec():
    definitions = team_definitions({"engineering": ENGINEERING, "qa": QA}, ["qa", "design"])

    assert definitions == {"qa": {"description": "Quality", "lead": "qa-lead", "members": ["qa-tester"],
                                  "max_parallel": 1, "skills": ["testing"]}}  # design: not defined, left out
    assert list(team_definitions({"engineering": ENGINEERING, "qa": QA})) == ["engineering", "qa"]
    assert team_definitions({}, ["qa"]) == {}


def test_a_recorded_definition_becomes_the_sessions_team_as_the_spec_says():
    from orchcore.builtin.core_events import session_teams

    event = Event(seq=1, session_id="8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", ts=ts(), type="session.teams",
                  source="test", data={"teams": ["qa"], "definitions": team_definitions({"qa": QA}, ["qa"])})
    team = session_teams(session_with(), event).state.teams["qa"]

    assert (team.name, team.description, team.lead, team.members, team.max_parallel, team.skills) == (
        "qa", QA.description, QA.lead, list(QA.members), QA.max_parallel, list(QA.skills))


# -- team load ------------------------------------------------------------------------


def test_a_teams_load_counts_its_people_and_work_and_its_room():
    s = session_with(
        Task(id="T-1", team="qa", status="in_progress", assignee="a1"),
        Task(id="T-2", assignee="a1"),  # no team: its assignee's
        Task(id="T-3"),
        agents=[Agent(id="a1", agent_type="qa-tester", team="qa", status="busy"),
                Agent(id="a2", agent_type="qa-tester", team="qa", status="completed")],
        teams=[Team(name="qa", lead="qa-lead", members=["qa-tester"], max_parallel=2)], active=["qa"],
    )

    qa, loose = team_loads(s)

    assert (qa.name, qa.lead, qa.members, qa.agents, qa.busy) == ("qa", "qa-lead", ["qa-tester", "qa-lead"], ["a1"], 1)
    assert (qa.tasks, qa.open, qa.in_progress, qa.running, qa.free) == (2, 2, 1, 1, 1)
    assert (loose.name, loose.tasks) == (NO_TEAM, 1)


def test_running_work_is_tasks_in_progress_not_in_review():
    """Decision: one copy counted review and busy agents as running; a review waits on a reviewer."""
    s = session_with(Task(id="T-1", team="qa", status="review"),
                     teams=[Team(name="qa", max_parallel=1)])

    assert team_loads(s)[0].free == 1


# -- automatic assignment -------------------------------------------------------------


class Plugins:
    """Installed definitions, as a plugin manager's ``specs`` gives them."""

    def __init__(self, teams=(), agents=()):
        self.found = {"orch_teams": {t.name: t for t in teams}, "orch_agents": {a.name: a for a in agents}}

    def specs(self, hook):
        return self.found[hook]


ENGINEERING = TeamSpec(name="engineering", lead="eng-director", members=["eng-director", "eng-dev", "eng-web"],
                       max_parallel=2, skills=["python", "api"])
AGENTS = [AgentSpec(name="eng-director", description="", role="director", capacity=2),
          AgentSpec(name="eng-dev", description="", skills=["python", "database"]),
          AgentSpec(name="eng-web", description="", skills=["react", "css"])]


def pending(*titles_and_extra) -> list[Task]:
    return [Task(id=f"T-{n}", title=title, created_at=ts(n), extra=dict(extra), sprint="S-1")
            for n, (title, extra) in enumerate(titles_and_extra, 1)]


def test_the_skills_strategy_gives_each_task_the_best_matching_member():
    s = session_with(*pending(("Login form", {"skills": ["react"]}), ("Python migration", {})),
                     sprints=[sprint()], active=["engineering"])

    plan = assignment.plan(s, Plugins([ENGINEERING], AGENTS))

    assert [(d.task.id, d.member.name) for d in plan.assigned] == [("T-1", "eng-web"), ("T-2", "eng-dev")]
    assert plan.assigned[0].why == "engineering: skills react; load 0→1 of 1"


def test_directors_get_work_last_and_a_teams_parallel_limit_holds():
    s = session_with(*pending(("A", {}), ("B", {}), ("C", {})), sprints=[sprint()], active=["engineering"])

    plan = assignment.plan(s, Plugins([ENGINEERING], AGENTS), strategy="capacity")

    assert [d.member.name for d in plan.assigned] == ["eng-dev", "eng-web"]  # not eng-director
    assert plan.left[0].why == "engineering at capacity (2/2 in parallel)"
    assert plan.teams[0].free == 0


def test_round_robin_takes_members_in_turn():
    team = TeamSpec(name="ops", members=["o1", "o2"])
    agents = [AgentSpec(name="o1", description="", capacity=5), AgentSpec(name="o2", description="", capacity=5)]
    s = session_with(*pending(("A", {}), ("B", {}), ("C", {})), sprints=[sprint()], active=["ops"])

    plan = assignment.plan(s, Plugins([team], agents), strategy="round-robin")

    assert [d.member.name for d in plan.assigned] == ["o1", "o2", "o1"]


def test_priority_team_and_limit_narrow_the_tasks():
    tasks = pending(("Low", {}), ("High", {}), ("Critical", {}))
    tasks[0].priority, tasks[1].priority, tasks[2].priority = "low", "high", "critical"
    s = session_with(*tasks, sprints=[sprint()], active=["engineering"])

    plan = assignment.plan(s, Plugins([ENGINEERING], AGENTS), min_priority="high", limit=1)

    assert [t.id for t in plan.tasks] == ["T-3"]


def test_a_task_asking_for_skills_nobody_has_stays_pending():
    s = session_with(*pending(("Onboarding screens", {"skills": ["ux"]})), sprints=[sprint()], active=["engineering"])

    plan = assignment.plan(s, Plugins([ENGINEERING], AGENTS))

    assert plan.left[0].why == "no team has the skills ux"


def test_without_teams_or_agents_the_plan_says_what_to_do():
    s = session_with(*pending(("A", {})), sprints=[sprint()])

    assert assignment.plan(s).problem.startswith("no teams or agents to assign to")


def test_a_members_load_falls_back_to_its_session_agents_capacity_and_skills():
    """Decision: the orch roster read only the agent definition's capacity and kept the skills' case.

    The domain's rule holds for every roster: definition, else the session
    agent's ``extra`` (the agent of that id, name or, as Claude Code starts
    them, type), lower-cased; running work is what answers to the name.
    """
    s = session_with(Task(id="T-1", status="in_progress", assignee="a7f3"), Task(id="T-2", assignee="a7f3"),
                     agents=[Agent(id="a7f3", agent_type="ml", team="data", status="busy",
                                   extra={"capacity": 3, "skills": ["PyTorch", "SQL"]})])

    member = assignment.member_load(s, "ml", team="data", lead="ml")

    assert (member.capacity, member.skills, member.running, member.free) == (3, {"pytorch", "sql"}, 1, 2)
    assert (member.team, member.senior) == ("data", True)  # it leads the team
    defined = assignment.member_load(s, "ml", Plugins(agents=[AgentSpec(name="ml", description="", capacity=1)]))
    assert (defined.capacity, defined.free) == (1, 0)  # the definition wins over the session agent


def test_a_bad_capacity_in_a_session_agent_counts_as_one():
    s = session_with(agents=[Agent(id="x", name="x", extra={"capacity": True})],)

    assert assignment.member_load(s, "x").capacity == 1


def test_skills_match_as_stemmed_terms():
    assert assignment.terms("Fix the flaky tests") == {"fix", "flaky", "test"}
    assert assignment.terms("regression-testing") == {"regression", "test"}
    assert assignment.terms("debugging UX of access") == {"debug", "ux", "access"}


def test_an_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="strategy must be one of capacity, skills, round-robin"):
        assignment.plan(session_with(), strategy="random")


# -- the hook path ----------------------------------------------------------------------


def test_the_domain_imports_neither_typer_nor_rich():
    import subprocess
    import sys

    code = ("import sys, orchcore.domain.assignment, orchcore.domain.sprints, orchcore.domain.load, "
            "orchcore.domain.teams, orchcore.palette_commands; print(sorted(m for m in ('typer', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "[]"
