"""The palette: short commands typed at the prompt, answered by orchcore without a model request."""

from __future__ import annotations

import pytest
from conftest import BACKEND, SID, prompt


def answer(orch_hook, text: str) -> dict:
    result = orch_hook(prompt(text))
    assert result.exit_code == 0, result.stderr
    return result.answer


def blocked(orch_hook, text: str) -> str:
    """The text Claude Code shows the user: the reason the prompt was blocked (no model request)."""
    reply = answer(orch_hook, text)
    assert reply["decision"] == "block", reply
    return reply["reason"]


def test_status_is_the_one_screen_summary(active, orch_hook):
    reason = blocked(orch_hook, "status")

    assert reason.startswith("▦ all-team_dashboard · session 8e82f7c6\nSprint S-1 “Checkout” · day 1/10")
    assert "Tasks (6): 1 blocked" in reason and "Messages queued (2)" in reason and "Metrics:" in reason


def test_team_shows_its_agents_their_status_and_tasks(active, orch_hook):
    reason = blocked(orch_hook, "team engineering")

    assert reason.splitlines() == [
        "Team engineering — lead eng-director · max 2 in parallel · skills api, backend, frontend, python",
        "Agents (3):",
        "  eng-director  active       (lead)",
        "  eng-backend   busy          T-1 [in_progress]",
        "  eng-frontend  not started   T-2 [blocked]",
        "Tasks (3): 1 blocked · 1 in_progress · 1 done",
        "  T-2 [blocked] Deploy pipeline (3 pts) → eng-frontend — waiting for cloud credentials",
        "  T-1 [in_progress] !high Payment API (5 pts) → eng-backend",
    ]


def test_team_names_are_matched_without_case(active, orch_hook):
    assert blocked(orch_hook, "team QA").startswith("Team qa — lead qa-director")


def test_an_unknown_team_is_an_answer_naming_the_teams(active, orch_hook):
    assert blocked(orch_hook, "team ops") == (
        "no team 'ops' (teams: engineering, qa)\n"
        "(meant for the model? a prompt that starts with another word goes to it)")


def test_task_shows_a_tasks_details(active, orch_hook):
    reason = blocked(orch_hook, "task T-2")

    assert reason.splitlines()[:5] == [
        "T-2 — Deploy pipeline",
        "  status blocked · priority normal · 3 points",
        "  assignee eng-frontend · team engineering",
        "  sprint S-1 “Checkout” · epic E-1 “Payments”",
        "  blockers: waiting for cloud credentials",
    ]


def test_an_unknown_task_is_an_answer_naming_the_tasks(active, orch_hook):
    assert blocked(orch_hook, "task T-99") == "no task 'T-99' in this session (tasks: T-1, T-2, T-3, T-4, T-5, T-6)"


def test_assign_records_the_assignment_and_says_what_changed(active, orch_hook):
    reason = blocked(orch_hook, "assign T-4 eng-backend")

    assert reason == "T-4 “Fraud check” → eng-backend · status in_progress"
    state = active.store.get(SID)
    task = state.state.tasks["T-4"]
    # eng-backend is a running subagent: the task goes to its id, and the agent is marked busy on it
    assert (task.assignee, task.status) == (BACKEND, "in_progress")
    assert (state.state.agents[BACKEND].status, state.state.agents[BACKEND].current_task) == ("busy", "T-4")
    assigned = [e for e in active.store.events(SID) if e.type == "task.assigned"][-1]
    assert (assigned.data, assigned.source) == ({"id": "T-4", "assignee": BACKEND}, "handler:program-palette")


def test_assign_to_a_team_member_who_has_not_started_yet(active, orch_hook):
    assert blocked(orch_hook, "assign T-5 qa-director") == "T-5 “Receipt e-mails” → qa-director · status in_progress"
    assert active.store.get(SID).state.tasks["T-5"].assignee == "qa-director"


def test_reassigning_says_who_had_it(active, orch_hook):
    assert blocked(orch_hook, "assign T-2 eng-backend") == (
        "T-2 “Deploy pipeline” → eng-backend (was eng-frontend) · status blocked")


@pytest.mark.parametrize(("text", "reply"), [
    ("assign T-99 eng-backend", "no task 'T-99' in this session (tasks: T-1, T-2, T-3, T-4, T-5, T-6)"),
    ("assign T-4 bob", "no agent 'bob' in this session "
                       "(agents: eng-director, eng-backend, qa-tester, eng-frontend, qa-director)"),
    ("assign T-4 eng-backnd", "no agent 'eng-backnd' in this session (did you mean eng-backend?)"),
    ("assign T-3 eng-backend", "T-3 is done; reopen it before assigning it"),
    ("assign T-1 eng-backend", "T-1 is already assigned to eng-backend"),
])
def test_assign_errors_are_answers_and_change_nothing(active, orch_hook, text, reply):
    before = active.store.events(SID)[-1].seq

    assert blocked(orch_hook, text) == reply
    # no task or agent changed (the router's own bookkeeping aside)
    changes = [e.type for e in active.store.events(SID) if e.seq > before]
    assert [t for t in changes if t.startswith(("task.", "agent."))] == []


def test_help_lists_the_palette(active, orch_hook):
    reason = blocked(orch_hook, "help")

    assert reason.splitlines()[0] == "all-team_dashboard commands (typed at the prompt, answered without the model):"
    for usage in ("status", "team <name>", "task <id>", "assign <task> <agent>"):
        assert f"  {usage} " in reason


@pytest.mark.parametrize("text", [
    "status of the build is red, can you look?",
    "team",
    "task",
    "assign T-4",
    "assign T-4 to eng-backend please",
    "please assign T-4 eng-backend",
    "what is the status",
    "status\nand also the tasks",
])
def test_natural_prompts_go_to_the_model_with_the_snapshot(active, orch_hook, text):
    reply = answer(orch_hook, text)

    assert "decision" not in reply
    assert "Live state:" in reply["hookSpecificOutput"]["additionalContext"]


def test_the_palette_answers_only_while_the_dashboard_is_active(dashboard, orch_hook, orch_cli):
    assert orch_hook(prompt("status")).answer is None

    orch_cli("program", "activate", "all-team_dashboard", session=SID)
    assert answer(orch_hook, "status")["decision"] == "block"

    orch_cli("program", "deactivate", session=SID)
    assert orch_hook(prompt("status")).answer is None
