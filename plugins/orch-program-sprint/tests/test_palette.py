"""The palette: board, task, assign, block, unblock, done, velocity, typed at the prompt, answered without the model."""

from __future__ import annotations

import pytest
from conftest import BACKEND, SID, prompt


def blocked(orch_hook, text: str) -> str:
    """The text Claude Code shows the user: the reason the prompt was blocked (no model request)."""
    result = orch_hook(prompt(text))
    assert result.exit_code == 0, result.stderr
    assert result.answer["decision"] == "block", result.answer
    return result.answer["reason"]


def task(bus, task_id: str):
    return bus.store.get(SID).state.tasks[task_id]


def new_events(bus, before: int) -> list:
    """Task and agent events recorded since ``before`` (the router's own bookkeeping left out)."""
    events = bus.store.events(SID)
    return [(e.type, e.data) for e in events if e.seq > before and e.type.startswith(("task.", "agent."))]


def last_seq(bus) -> int:
    return bus.store.events(SID)[-1].seq


def test_board_shows_every_column_one_task_a_line(active, orch_hook):
    lines = blocked(orch_hook, "board").splitlines()

    assert lines[0] == "▶ sprint_execution · Sprint S-1 “Checkout” · day 3/10 · epic E-1 “Payments”"
    assert lines[3:10] == [
        "Board:",
        "  pending (4):",
        "    T-4 !critical Fraud check (8 pts)",
        "    T-5 !high Checkout end-to-end suite (3 pts)",
        "    T-8 Recommendation ranking (5 pts)",
        "    T-7 !low Receipt e-mails (1 pt)",
        "  in progress (1):",
    ]
    assert "  done (1): T-3" in lines and "  T-2 (eng-frontend): waiting for cloud credentials" in lines


def test_task_shows_a_tasks_details(active, orch_hook):
    assert blocked(orch_hook, "task t-5").splitlines()[:4] == [
        "T-5 — Checkout end-to-end suite",
        "  status pending · priority high · 3 points",
        "  assignee unassigned · skills testing",
        "  sprint S-1 “Checkout” · epic E-1 “Payments”",
    ]


def test_assign_records_the_assignment(active, orch_hook):
    assert blocked(orch_hook, "assign T-4 eng-backend") == "T-4 “Fraud check” → eng-backend · status in_progress"
    assert (task(active, "T-4").assignee, task(active, "T-4").status) == (BACKEND, "in_progress")


def test_auto_assign_uses_capacity_and_skills_and_explains_itself(active, orch_hook):
    before = last_seq(active)

    lines = blocked(orch_hook, "auto-assign").splitlines()

    assert lines == [
        "auto-assign (sprint S-1): 2 of 4 pending tasks assigned",
        # engineering runs 1 of 2; eng-backend is full, eng-frontend's task is blocked: it is free
        "  T-4 !critical Fraud check (8 pts) → eng-frontend — engineering: skills api, python; load 0→1 of 1",
        "  T-5 !high Checkout end-to-end suite (3 pts) → qa-tester — qa: skills testing; load 0→1 of 1",
        "Left pending:",
        "  T-8 Recommendation ranking (5 pts) — no team has the skills ml",
        "  T-7 !low Receipt e-mails (1 pt) — engineering at capacity (2/2 in parallel); "
        "qa at capacity (1/1 in parallel)",
        "Teams now: engineering 2/2 · qa 1/1",
        "(load = tasks in progress; capacity: team max_parallel, agent capacity or 1; "
        "skills from the task's skills and title)",
    ]
    assert new_events(active, before) == [
        ("task.assigned", {"id": "T-4", "assignee": "eng-frontend"}),
        ("task.assigned", {"id": "T-5", "assignee": "qa-tester"}),
    ]
    assert blocked(orch_hook, "auto-assign").startswith("auto-assign (sprint S-1): 0 of 2 pending tasks assigned")


def test_auto_assign_with_nothing_pending_says_so(active, orch_hook):
    for task_id in ("T-4", "T-5", "T-7", "T-8"):
        active.emit(SID, "task.completed", {"id": task_id})

    assert blocked(orch_hook, "auto-assign") == "auto-assign (sprint S-1): no pending unassigned tasks; nothing assigned"


def test_block_records_the_status_and_the_reason(active, orch_hook):
    reply = blocked(orch_hook, "block T-1 waiting for the payment provider's sandbox keys")

    assert reply == "T-1 “Payment API” blocked (in_progress before): waiting for the payment provider's sandbox keys"
    assert (task(active, "T-1").status, task(active, "T-1").blockers) == (
        "blocked", ["waiting for the payment provider's sandbox keys"])


def test_blocking_a_blocked_task_adds_a_blocker(active, orch_hook):
    reply = blocked(orch_hook, "block T-2 security review")

    assert reply == "T-2 “Deploy pipeline” is still blocked; blockers now: waiting for cloud credentials; security review"
    assert task(active, "T-2").blockers == ["waiting for cloud credentials", "security review"]


def test_unblock_puts_the_task_back_where_it_was(active, orch_hook):
    blocked(orch_hook, "block T-4 needs a decision")
    assert task(active, "T-4").status == "blocked"

    reply = blocked(orch_hook, "unblock T-4")

    assert reply == "T-4 “Fraud check” unblocked → pending (cleared: needs a decision)"
    assert (task(active, "T-4").status, task(active, "T-4").blockers) == ("pending", [])


def test_unblock_a_task_blocked_elsewhere_goes_to_in_progress_when_assigned(active, orch_hook):
    assert blocked(orch_hook, "unblock T-2") == (
        "T-2 “Deploy pipeline” unblocked → in_progress (cleared: waiting for cloud credentials)")
    assert task(active, "T-2").status == "in_progress"


def test_done_completes_the_task_and_shows_the_sprints_progress(active, orch_hook):
    reply = blocked(orch_hook, "done T-1")

    assert reply == "T-1 “Payment API” done (5 points) · sprint S-1: 7/30 points, 2/8 tasks done"
    state = active.store.get(SID).state
    assert state.tasks["T-1"].status == "done"
    assert (state.agents[BACKEND].status, state.agents[BACKEND].current_task) == ("idle", None)


def test_velocity_compares_the_pace_with_what_is_needed(active, orch_hook):
    assert blocked(orch_hook, "velocity").splitlines() == [
        "Velocity — Sprint S-1 “Checkout”, day 3/10",
        "  done 2 of 30 points, 1 of 8 tasks",
        "  velocity 0.7 points/day (2 points in 3 days)",
        "  needs 4.0/day over 7 days left → behind",
        "  at this pace the last point lands on day 45 (after the sprint ends)",
        "Finished sprints:",
        "  Sprint S-0 “Foundations”: 10 points in 5 days = 2.0/day",
        "  average 2.0 points/day",
    ]


@pytest.mark.parametrize(("text", "reply"), [
    ("task T-99", "no task 'T-99' in this session (tasks: T-0, T-1, T-2, T-3, T-4, T-5, T-6, T-7, … (1 more))"),
    ("assign T-4 bob", "no agent 'bob' in this session "
                       "(agents: eng-backend, qa-tester, eng-director, eng-frontend, qa-director)"),
    ("assign T-3 qa-tester", "T-3 is done; reopen it before assigning it"),
    ("block T-3 flaky", "T-3 is done; a finished task cannot be blocked"),
    ("block T-2 waiting for cloud credentials", "T-2 is already blocked by: waiting for cloud credentials"),
    ("unblock T-1", "T-1 is not blocked (status in_progress)"),
    ("done T-3", "T-3 is already done"),
    ("done T-99", "no task 'T-99' in this session (tasks: T-0, T-1, T-2, T-3, T-4, T-5, T-6, T-7, … (1 more))"),
])
def test_mistakes_are_answers_and_change_nothing(active, orch_hook, text, reply):
    before = last_seq(active)

    assert blocked(orch_hook, text) == reply
    assert new_events(active, before) == []


def test_help_lists_the_palette(active, orch_hook):
    reason = blocked(orch_hook, "help")

    assert reason.splitlines()[0] == "sprint_execution commands (typed at the prompt, answered without the model):"
    for usage in ("board", "task <id>", "assign <task> <agent>", "auto-assign", "block <task> <reason…>",
                  "unblock <task>", "done <task>", "velocity"):
        assert f"  {usage} " in reason


@pytest.mark.parametrize("text", [
    "board meeting notes: summarise them",
    "done",
    "done with the refactor, now run the tests",
    "block",
    "block T-1",
    "unblock everything please",
    "auto-assign the pending tasks",
    "velocity looks low, why?",
    "task",
    "assign T-4",
    "what is on the board?",
])
def test_natural_prompts_go_to_the_model_with_the_sprint(active, orch_hook, text):
    answer = orch_hook(prompt(text)).answer

    assert "decision" not in answer
    assert "Live state:" in answer["hookSpecificOutput"]["additionalContext"]


def test_a_sentence_that_fits_block_is_answered_with_a_way_to_reach_the_model(active, orch_hook):
    # The router cannot tell "block the deploy until QA signs off" from a command: it has a task
    # word and a reason. The answer says so, and nothing is recorded.
    before = last_seq(active)

    assert blocked(orch_hook, "block the deploy until QA signs off") == (
        "no task 'the' in this session (tasks: T-0, T-1, T-2, T-3, T-4, T-5, T-6, T-7, … (1 more))\n"
        "(meant for the model? a prompt that starts with another word goes to it)")
    assert new_events(active, before) == []
