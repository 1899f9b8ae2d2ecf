"""The workflow pack: orch sprint start | add-task | assign | done | delegate | review | complete."""

from __future__ import annotations

import pytest

OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"


def state(orch_bus, session_id):
    return orch_bus.store.get(session_id)


def types(orch_bus, session_id):
    return [e.type for e in orch_bus.store.events(session_id)]


# -- start -------------------------------------------------------------------


def test_start_sprint_creates_the_sprint_its_epic_and_activates_its_teams(run, orch_bus, organisation, session, session_id):
    result = run("sprint", "start", "Auth sprint", "epic=auth", "days=10", "teams=engineering,qa", "--json")

    s = state(orch_bus, session_id)
    assert s.current_sprint == "auth-sprint" and s.current_epic == "auth"
    sprint = s.state.sprints["auth-sprint"]
    assert (sprint.name, sprint.epic, sprint.teams, sprint.duration_days, sprint.status) == (
        "Auth sprint", "auth", ["engineering", "qa"], 10, "active")
    assert s.active_teams == ["engineering", "qa"]
    assert s.state.teams["qa"].lead == "qa-director"  # the installed definition came along
    assert s.state.epics["auth"].title == "auth"
    assert types(orch_bus, session_id)[-3:] == ["epic.created", "session.teams", "sprint.started"]
    out = result.json()
    assert out["epic_created"] is True and out["sprint"]["id"] == "auth-sprint" and len(out["events"]) == 3


def test_the_flag_spelling_from_a_terminal_does_the_same(run, orch_bus, organisation, session, session_id):
    run("sprint", "start", "--name", "Auth sprint", "--epic", "auth", "--days", "10", "--teams", "engineering,qa")

    sprint = state(orch_bus, session_id).state.sprints["auth-sprint"]
    assert (sprint.epic, sprint.duration_days, sprint.teams) == ("auth", 10, ["engineering", "qa"])


def test_an_existing_epic_is_found_by_id_or_title_and_not_created_again(run, orch_bus, organisation, session, session_id):
    orch_bus.emit(session_id, "epic.created", {"id": "E-7", "title": "Payments rework"})

    result = run("sprint", "start", "epic=payments rework", "--json")

    assert result.json()["epic_created"] is False
    assert state(orch_bus, session_id).state.sprints["sprint-1"].epic == "E-7"
    assert types(orch_bus, session_id).count("epic.created") == 1


def test_defaults_name_the_sprint_and_give_it_two_weeks(run, orch_bus, organisation, session, session_id):
    run("sprint", "start")

    sprint = state(orch_bus, session_id).state.sprints["sprint-1"]
    assert (sprint.name, sprint.duration_days, sprint.epic, sprint.teams) == ("Sprint 1", 14, None, [])


def test_inside_claude_code_a_session_not_seen_yet_is_created(run, orch_bus, organisation, session_id):
    """Where hooks are not wired, the slash command still works: CLAUDE_CODE_SESSION_ID names the session."""
    run("sprint", "start", "days=3")

    assert state(orch_bus, session_id).current_sprint == "sprint-1"


def test_a_session_named_with_session_must_exist(orch_cli, packs):
    result = orch_cli("sprint", "start", "--session", OTHER)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"orch: error: no session {OTHER}")


def test_a_second_sprint_needs_the_first_completed_or_replace(run, orch_bus, organisation, session, session_id):
    run("sprint", "start", "One")

    refused = run("sprint", "start", "Two", ok=False)
    assert refused.exit_code == 1
    assert refused.stderr == ("orch: error: sprint one (One) is still active, day 1; complete it first "
                              "(orch sprint complete) or pass --replace\n")

    run("sprint", "start", "Two", "--replace")
    s = state(orch_bus, session_id)
    assert s.current_sprint == "two" and s.state.sprints["one"].status == "completed"


@pytest.mark.parametrize("args, message", [
    (["days=0"], "a sprint lasts 1 to 365 days, not 0"),
    (["days=soon"], "days must be a number of days (10, 10d, 2w), not 'soon'"),
    (["teams=engineering,marketing"], "unknown team marketing; defined teams: engineering, qa"),
    (["colour=red"], "orch sprint start: unknown argument 'colour'"),
    (["--colour", "red"], "orch sprint start: unknown option --colour"),
    (["epic=!!!"], "cannot make an epic id from '!!!'"),
])
def test_bad_input_is_a_one_line_error_and_changes_nothing(run, orch_bus, organisation, session, session_id, args, message):
    before = types(orch_bus, session_id)

    result = run("sprint", "start", *args, ok=False)

    assert result.exit_code == 1
    assert result.stderr.startswith("orch: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert types(orch_bus, session_id) == before


def test_no_session_at_all_is_a_one_line_error(orch_cli, packs):
    result = orch_cli("sprint", "review")

    assert result.exit_code == 1
    assert result.stderr == ("orch: error: no session given: pass --session ID, or run inside Claude Code "
                             "(it sets CLAUDE_CODE_SESSION_ID)\n")


# -- tasks -------------------------------------------------------------------


def test_add_task_files_it_in_the_current_sprint(run, orch_bus, prepared, session_id):
    result = run("sprint", "add-task", "Password reset", "team=engineering", "points=2", "priority=critical",
                 "skills=python,api", "--json")

    task = state(orch_bus, session_id).state.tasks["T-4"]
    assert (task.title, task.sprint, task.epic, task.team, task.points, task.priority) == (
        "Password reset", "s1", "auth", "engineering", 2, "critical")
    assert task.extra["skills"] == ["python", "api"]
    assert "T-4" in state(orch_bus, session_id).state.sprints["s1"].tasks
    assert result.json()["task"]["id"] == "T-4"


def test_a_task_blocked_by_another_starts_blocked(run, orch_bus, prepared, session_id):
    run("sprint", "add-task", "Deploy", "--blocked-by", "T-1")

    task = state(orch_bus, session_id).state.tasks["T-4"]
    assert (task.status, task.blockers) == ("blocked", ["T-1"])


def test_assign_and_done_move_a_task_along(run, orch_bus, prepared, session_id):
    run("sprint", "assign", "T-1", "engineering-developer")
    assert state(orch_bus, session_id).state.tasks["T-1"].status == "in_progress"

    run("sprint", "done", "T-1")
    task = state(orch_bus, session_id).state.tasks["T-1"]
    assert (task.status, task.assignee) == ("done", "engineering-developer")


def test_assign_says_the_load_against_capacity_and_warns_past_it(run, prepared):
    within = run("sprint", "assign", "T-1", "engineering-developer")
    past = run("sprint", "assign", "T-1", "qa-tester", "--json")

    assert within.stdout.splitlines()[1] == "  capacity: engineering-developer runs 1 of 1; team engineering: 1/2 in progress"
    assert within.stderr == ""
    assert past.json()["capacity"] == {"agent": "qa-tester", "running": 2, "capacity": 1, "over": ["qa-tester"],
                                       "team": {"name": "qa", "running": 1, "max_parallel": 1}}
    assert past.stderr == "orch: qa-tester is over capacity now; orch sprint delegate shows who has room\n"


@pytest.mark.parametrize("args, message", [
    (["sprint", "assign", "T-9", "qa-tester"], "no task 'T-9' in this session (tasks: T-1, T-2, T-3)"),
    (["sprint", "assign", "T-3", "qa-tester"], "task T-3 is done; it cannot be assigned"),
    (["sprint", "assign", "T-1"], "give a task and an agent"),
    (["sprint", "done"], "give the ids of the tasks that are done"),
    (["sprint", "add-task", "team=engineering"], "give the task a title"),
    (["sprint", "add-task", "X", "priority=urgent"], "priority must be one of critical, high, normal, low"),
    (["sprint", "add-task", "X", "points=many"], "points must be a whole number, not 'many'"),
    (["sprint", "add-task", "X", "blocked-by=T-42"], "no task T-42 in this session to block it"),
    (["sprint", "review", "s9"], "no sprint 's9' in this session (sprints: s1)"),
    (["sprint", "delegate", "strategy=random"], "strategy must be one of capacity, skills, round-robin"),
])
def test_bad_task_commands_are_one_line_errors(run, prepared, args, message):
    result = run(*args, ok=False)

    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1


# -- review ------------------------------------------------------------------


def test_review_shows_board_progress_blockers_and_velocity(run, orch_bus, prepared, session_id, monkeypatch):
    run("sprint", "add-task", "Deploy", "points=2", "--blocked-by", "T-1")
    sprint = state(orch_bus, session_id).state.sprints["s1"]
    # four days later: day 5 of 10
    from datetime import timedelta

    from orchcore.api import parse_iso

    later = (parse_iso(sprint.started_at) + timedelta(days=4, hours=1)).isoformat()
    monkeypatch.setenv("ORCH_NOW", later)

    report = run("sprint", "review", "--json").json()

    assert report["day"] == 5 and report["days_left"] == 5
    assert report["progress"] == {"tasks": 4, "done_tasks": 1, "percent": 25, "points": 8, "done_points": 1}
    assert report["velocity"] == 0.2  # 1 point in 5 days
    assert report["needed_velocity"] == 1.4  # 7 points in 5 days
    assert report["on_track"] is False
    assert [t["id"] for t in report["board"]["pending"]] == ["T-1"]
    assert [t["id"] for t in report["board"]["in_progress"]] == ["T-2"]
    assert [t["id"] for t in report["board"]["done"]] == ["T-3"]
    assert report["blockers"] == [{"task": "T-4", "title": "Deploy", "status": "blocked", "assignee": None,
                                   "blocked_by": [{"id": "T-1", "status": "pending"}]}]

    text = run("sprint", "review").stdout
    assert "day 5 of 10, 5 day(s) left" in text
    assert "Progress: 1/4 tasks done (25%), 1/8 points" in text
    assert "Velocity: 0.2 points/day; 1.4 points/day needed for the rest (behind)" in text
    assert "T-4 Deploy (blocked): blocked by T-1 (pending)" in text


def test_review_without_a_sprint_says_how_to_start_one(run, session):
    result = run("sprint", "review")

    assert result.stdout.startswith("No current sprint in this session (sprints: none).")


def test_complete_reports_the_final_numbers(run, orch_bus, prepared, session_id):
    result = run("sprint", "complete", "--json").json()

    assert result["sprint"]["status"] == "completed"
    assert result["progress"]["done_points"] == 1
    assert state(orch_bus, session_id).current_sprint is None
    assert "already completed" in run("sprint", "complete", "s1", ok=False).stderr


# -- delegate ----------------------------------------------------------------


def test_delegate_suggests_free_agents_of_each_tasks_team(run, orch_bus, prepared, session_id):
    run("sprint", "add-task", "Regression suite", "team=qa", "points=3")

    plan = run("sprint", "delegate", "--json").json()

    by_task = {entry["task"]["id"]: entry for entry in plan["tasks"]}
    assert list(by_task) == ["T-1", "T-4"]  # most urgent first; T-2 is in progress, T-3 done
    assert by_task["T-1"]["suggested"]["agent"] in ("engineering-developer", "engineering-frontend")
    assert by_task["T-1"]["suggested"]["team"] == "engineering"
    # qa allows one agent at a time and qa-tester is running T-2: nobody is free
    assert by_task["T-4"]["suggested"] is None
    assert by_task["T-4"]["reason"] == "qa at capacity (1/1 in parallel)"
    assert plan["agents"]["qa-tester"]["status"] == "busy" and plan["agents"]["qa-tester"]["current_task"] == "T-2"
    # nothing was assigned
    assert state(orch_bus, session_id).state.tasks["T-1"].assignee is None


def test_the_skills_strategy_matches_task_words_with_agent_skills(run, prepared):
    run("sprint", "add-task", "Login page layout", "team=engineering", "skills=react,css")

    plan = run("sprint", "delegate", "strategy=skills", "--json").json()

    by_task = {entry["task"]["id"]: entry["suggested"]["agent"] for entry in plan["tasks"]}
    assert by_task["T-4"] == "engineering-frontend"  # react, css, login
    assert by_task["T-1"] == "engineering-developer"  # "Login API": api; the frontend is taken


def test_suggestions_never_exceed_a_teams_parallel_limit(run, prepared):
    for title in ("A", "B", "C"):
        run("sprint", "add-task", title, "team=engineering")

    plan = run("sprint", "delegate", "strategy=round-robin", "--json").json()

    suggested = [e["suggested"]["agent"] for e in plan["tasks"] if e["suggested"]]
    assert len(suggested) == 2  # engineering: max 2 in parallel
    assert len(set(suggested)) == 2  # in turn
    assert plan["teams"]["engineering"]["free"] == 0


def test_priority_and_team_filter_the_tasks(run, prepared):
    run("sprint", "add-task", "Low thing", "team=engineering", "priority=low")

    high = run("sprint", "delegate", "priority=high", "--json").json()
    assert [e["task"]["id"] for e in high["tasks"]] == ["T-1"]
    qa_only = run("sprint", "delegate", "team=qa", "--json").json()
    assert qa_only["tasks"] == []


def test_the_roster_and_the_planner_agree_on_who_has_room(run, orch_bus, session, session_id):
    """A session agent's capacity comes from ``extra["capacity"]``, its skills (mixed case) from ``extra["skills"]``.

    The roster used to read only agent definitions (capacity 1: no room)
    and keep the skills' case; it is the planner's ``member_load`` now.
    """
    from orch_commands import roster
    from orchcore.api import plan_assignments

    emit = lambda type, data: orch_bus.emit(session_id, type, data, source="test")  # noqa: E731
    emit("session.teams", {"teams": ["data"], "definitions": {
        "data": {"members": ["ml-engineer", "analyst"], "skills": ["Analytics"]}}})
    emit("agent.upserted", {"id": "a7f3", "agent_type": "ml-engineer", "team": "data", "status": "active",
                            "capacity": 2, "skills": ["PyTorch", "SQL"]})  # unknown keys: the agent's extra
    for task_id, assignee in (("T-1", "a7f3"), ("T-2", "analyst")):
        emit("task.created", {"id": task_id, "title": f"Running {task_id}", "team": "data"})
        emit("task.assigned", {"id": task_id, "assignee": assignee})
    emit("task.created", {"id": "T-3", "title": "Train the ranking model", "team": "data", "skills": ["pytorch"]})

    members, _ = roster.build(orch_bus.plugins, orch_bus.store.get(session_id))
    planned = plan_assignments(orch_bus.store.get(session_id), orch_bus.plugins)
    people = {m.name: m for m in planned.people["data"]}
    for name in ("ml-engineer", "analyst"):
        mine, theirs = members[name], people[name]
        assert (mine.capacity, mine.running, mine.skills) == (theirs.capacity, theirs.running, theirs.skills)
    assert (members["ml-engineer"].capacity, members["ml-engineer"].running) == (2, 1)
    assert members["ml-engineer"].skills == {"pytorch", "sql"}
    assert members["analyst"].skills == set()  # its own skills, not its team's
    assert [d.member.name for d in planned.assigned] == ["ml-engineer"]

    plan = run("sprint", "delegate", "strategy=skills", "--json").json()
    agents = plan["agents"]
    assert {n for n, a in agents.items() if a["free"] > 0} == {"ml-engineer"}
    assert agents["ml-engineer"]["skills"] == ["pytorch", "sql"] and agents["ml-engineer"]["live_agents"] == ["a7f3"]
    assert [(e["task"]["id"], e["suggested"]["agent"]) for e in plan["tasks"]] == [("T-3", "ml-engineer")]


def test_delegate_text_names_task_agent_and_capacity(run, prepared):
    text = run("sprint", "delegate").stdout

    assert text.startswith("Pending tasks in sprint s1: 1 (strategy capacity)")
    assert "  T-1 Login API [high, 3 pts, team engineering]" in text
    assert "    -> engineering-" in text
    assert "  qa: 1/1; lead qa-director" in text


# -- every task, and an epic's plan (what V1's state/tasks and orchestrate/epic-plan showed) --


def test_tasks_lists_every_task_with_its_dependencies_both_ways(run, prepared):
    run("sprint", "add-task", "Docs", "team=qa", "sprint=none", "blocked-by=T-1")

    text = run("sprint", "tasks").stdout

    assert text.splitlines()[0] == "4 of 4 task(s)"
    assert "  pending     T-1 Login API [high, 3 pts, team engineering] (sprint s1)\n      blocks T-4" in text
    assert "  blocked     T-4 Docs [normal, team qa] (backlog)\n      waits for T-1 (pending)" in text
    assert "T-2 Test plan [normal, 2 pts, team qa] @qa-tester (sprint s1)" in text


def test_tasks_filters_by_status_team_sprint_and_assignee(run, prepared):
    run("sprint", "add-task", "Docs", "team=qa", "sprint=none")

    def ids(*args):
        return [t["id"] for t in run("sprint", "tasks", *args, "--json").json()["tasks"]]

    assert ids("done") == ["T-3"]
    assert ids("pending,in_progress", "team=engineering") == ["T-1"]
    assert ids("sprint=none") == ["T-4"]
    assert ids("assignee=qa-tester") == ["T-2"]


def test_tasks_refuses_an_unknown_status(run, prepared):
    result = run("sprint", "tasks", "finished", ok=False)

    assert result.stderr.startswith("orch: error: unknown task status finished; statuses: pending, in_progress")


def test_epic_shows_its_tasks_per_sprint_and_team_and_what_is_not_allocated(run, prepared):
    run("sprint", "add-task", "Password reset", "epic=auth", "sprint=none")

    result = run("sprint", "epic", "--json").json()
    text = run("sprint", "epic", "auth").stdout

    assert [p["sprint"] for p in result["plan"]] == ["s1", None]
    assert sorted(result["plan"][0]["teams"]) == ["engineering", "qa"]
    assert result["plan"][0]["teams"]["engineering"]["points"] == 4
    assert result["summary"] | {"no_team": None} == {
        "tasks": 4, "done": 1, "points": 6, "done_points": 1,
        "no_sprint": ["T-4"], "no_team": None, "unassigned": ["T-1", "T-4"]}
    assert text.splitlines()[0] == 'Epic auth "Authentication" (open): 1/4 tasks done, 1/6 points'
    assert "  open and not in a sprint: T-4" in text


def test_epic_without_one_is_a_one_line_error(run, organisation, session):
    result = run("sprint", "epic", ok=False)

    assert result.stderr.startswith("orch: error: no current epic in this session")
    assert result.stderr.count("\n") == 1
