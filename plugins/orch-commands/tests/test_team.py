"""The team pack: orch team activate | list | standup | assign-lead."""

from __future__ import annotations

import pytest


def state(orch_bus, session_id):
    return orch_bus.store.get(session_id)


def test_activate_team_adds_teams_with_their_definitions(run, orch_bus, organisation, session, session_id):
    result = run("team", "activate", "engineering", "--json")
    run("team", "activate", "teams=qa")

    s = state(orch_bus, session_id)
    assert s.active_teams == ["engineering", "qa"]
    assert s.state.teams["engineering"].max_parallel == 2
    assert result.json()["teams"]["engineering"]["lead"] == "engineering-director"

    run("team", "activate", "qa", "--replace")
    assert state(orch_bus, session_id).active_teams == ["qa"]


def test_activate_team_text_lists_leads_and_limits(run, organisation, session):
    text = run("team", "activate", "engineering", "qa").stdout

    assert text.splitlines()[0] == "Active teams: engineering, qa"
    assert "  qa: lead qa-director; 1 in parallel; members qa-director, qa-tester" in text


@pytest.mark.parametrize("args, message", [
    ([], "orch team activate: name the teams to activate (defined: engineering, qa)"),
    (["design"], "unknown team design; defined teams: engineering, qa"),
])
def test_activate_team_refuses_what_it_cannot_do(run, organisation, session, args, message):
    result = run("team", "activate", *args, ok=False)

    assert (result.exit_code, result.stderr) == (1, f"orch: error: {message}\n")


def test_without_team_definitions_names_are_taken_as_given(run, orch_bus, session, session_id):
    result = run("team", "activate", "alpha")

    assert state(orch_bus, session_id).active_teams == ["alpha"]
    assert "no team definitions are installed" in result.stderr


def test_team_list_marks_the_active_teams(run, prepared):
    assert run("team", "list").stdout.splitlines() == [
        "* engineering: lead engineering-director, 3 member(s), max parallel 2",
        "* qa: lead qa-director, 2 member(s), max parallel 1",
    ]


def test_standup_reports_each_agent_and_records_a_marker(run, orch_bus, prepared, session_id):
    report = run("team", "standup", "--json").json()

    qa = next(t for t in report["teams"] if t["team"] == "qa")
    assert qa["previous"] is None
    tester = next(a for a in qa["agents"] if a["agent"] == "qa-tester")
    assert (tester["status"], tester["current_task"], tester["current_title"]) == ("busy", "T-2", "Test plan")
    engineering = next(t for t in report["teams"] if t["team"] == "engineering")
    assert [t["id"] for t in engineering["done_since"]] == ["T-3"]
    assert [t["id"] for t in engineering["unowned"]] == ["T-1"]
    assert engineering["agents"][0]["agent"] == "engineering-director"  # the lead first

    marker = state(orch_bus, session_id).plugins["orch-commands"]["standups"]
    assert set(marker) == {"engineering", "qa"}
    assert marker["qa"]["seq"] == report["recorded"] and marker["qa"]["count"] == 1


def test_the_next_standup_reports_only_what_was_done_since(run, orch_bus, prepared, session_id):
    run("team", "standup")
    run("sprint", "assign", "T-1", "engineering-developer")
    run("sprint", "done", "T-1")

    report = run("team", "standup", "engineering", "--json").json()

    (engineering,) = report["teams"]
    assert [t["id"] for t in engineering["done_since"]] == ["T-1"]  # T-3 was reported last time
    developer = next(a for a in engineering["agents"] if a["agent"] == "engineering-developer")
    assert developer["done_since"] == ["T-1"]
    assert engineering["previous"]["count"] == 1
    assert state(orch_bus, session_id).plugins["orch-commands"]["standups"]["engineering"]["count"] == 2


def test_a_standup_can_be_looked_at_without_recording_it(run, orch_bus, prepared, session_id):
    result = run("team", "standup", "--no-record")

    assert result.stdout.rstrip().endswith("Not recorded (record=false).")
    assert "standups" not in state(orch_bus, session_id).plugins["orch-commands"]


def test_standup_text_reads_like_a_standup(run, prepared):
    text = run("team", "standup", "qa").stdout

    assert text.splitlines()[0] == "qa: lead qa-director; since the start (first stand-up)"
    assert "  qa-tester                    busy      T-2 Test plan" in text


def test_standup_without_active_teams_says_what_to_do(run, session):
    assert run("team", "standup").stdout.startswith("No team is active in this session")


def test_assign_lead_records_the_lead_and_the_previous_one(run, orch_bus, prepared, session_id):
    result = run("team", "assign-lead", "qa", "qa-tester", "--json").json()

    assert (result["lead"], result["previous"]) == ("qa-tester", "qa-director")
    assert state(orch_bus, session_id).state.teams["qa"].lead == "qa-tester"
    event = orch_bus.store.events(session_id, types=["team.lead_assigned"])[-1]
    assert event.data == {"team": "qa", "lead": "qa-tester", "previous": "qa-director"}


def test_a_forced_lead_from_outside_joins_the_team(run, orch_bus, prepared, session_id):
    run("team", "assign-lead", "team=qa", "agent=guest-reviewer", "--force")

    team = state(orch_bus, session_id).state.teams["qa"]
    assert team.lead == "guest-reviewer" and "guest-reviewer" in team.members


@pytest.mark.parametrize("args, message", [
    (["qa"], "give a team and an agent"),
    (["qa", "engineering-developer"], "'engineering-developer' is not an agent of team qa (qa-director, qa-tester); "
                                      "pass --force to make it lead anyway"),
    (["design", "x"], "no team 'design' (defined: engineering, qa)"),
])
def test_assign_lead_refuses_unknown_teams_and_agents(run, prepared, args, message):
    result = run("team", "assign-lead", *args, ok=False)

    assert result.exit_code == 1
    assert result.stderr.startswith("orch: error: ") and message in result.stderr and result.stderr.count("\n") == 1


def test_assign_lead_needs_the_team_active(run, organisation, session):
    result = run("team", "assign-lead", "qa", "qa-tester", ok=False)

    assert result.stderr == ("orch: error: team qa is not active in this session; "
                             "activate it first (orch team activate qa)\n")


# -- handoff (what V1's team/handoff did) ----------------------------------


def test_handoff_moves_the_task_to_the_team_and_queues_its_context(run, orch_bus, prepared, session_id):
    result = run("team", "handoff", "T-2", "engineering", "note=the test plan needs the API", "--json").json()

    s = state(orch_bus, session_id)
    task = s.state.tasks["T-2"]
    assert (task.team, task.assignee, task.status) == ("engineering", None, "pending")
    assert s.state.agents["a1b2"].current_task is None  # qa-tester's agent no longer holds it
    message = s.state.messages[-1]
    assert (message.recipient, message.type, message.priority) == ("engineering", "handoff", "normal")
    assert message.payload == 'handoff of T-2 "Test plan" from qa (@qa-tester) (was in_progress): the test plan needs the API'
    assert message.extra["handoff"]["from_assignee"] == "qa-tester"
    assert result["previous"] == {"team": "qa", "assignee": "qa-tester", "status": "in_progress"}


def test_handoff_to_an_agent_assigns_it_and_addresses_the_message_to_it(run, orch_bus, prepared, session_id):
    text = run("team", "handoff", "T-1", "qa", "agent=qa-tester", "priority=critical").stdout

    s = state(orch_bus, session_id)
    assert (s.state.tasks["T-1"].team, s.state.tasks["T-1"].assignee) == ("qa", "qa-tester")
    assert (s.state.messages[-1].recipient, s.state.messages[-1].priority) == ("qa-tester", "critical")
    assert text.splitlines()[0] == "T-1 handed over from engineering to qa (in_progress, @qa-tester): Login API"


@pytest.mark.parametrize("args, message", [
    (["T-9", "qa"], "no task 'T-9' in this session (tasks: T-1, T-2, T-3)"),
    (["T-3", "qa"], "task T-3 is done; there is nothing to hand over"),
    (["T-2", "qa"], "task T-2 is already team qa's"),
    (["T-1", "design"], "unknown team design; defined teams: engineering, qa"),
    (["T-1"], "orch team handoff: give a task and the team taking it (orch team handoff T-1 qa note=...)"),
])
def test_handoff_refuses_what_it_cannot_do_and_changes_nothing(run, orch_bus, prepared, session_id, args, message):
    before = len(orch_bus.store.events(session_id))

    result = run("team", "handoff", *args, ok=False)

    assert (result.exit_code, result.stderr) == (1, f"orch: error: {message}\n")
    assert len(orch_bus.store.events(session_id)) == before
