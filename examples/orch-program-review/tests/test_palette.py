"""The palette: short commands typed at the prompt, answered by orchcore without a model request."""

from __future__ import annotations

import pytest


def recorded(bus, session_id, *types):
    return [(e.type, e.data, e.source) for e in bus.store.events(session_id) if e.type in types]


def test_queue_lists_the_tasks_waiting_for_review(active, palette):
    reason = palette("queue")

    assert reason.splitlines()[0] == "Review queue (2, longest waiting first):"
    assert reason.splitlines()[1].startswith("  T-1 Payment API (5 pts) → eng-backend")


def test_approve_records_the_verdict_and_completes_the_task(active, palette, session_id):
    assert palette("approve T-1") == "T-1 “Payment API” approved · status done"

    assert active.store.get(session_id).state.tasks["T-1"].status == "done"
    assert recorded(active, session_id, "review.verdict", "task.completed")[-2:] == [
        ("review.verdict", {"task": "T-1", "verdict": "approved"}, "handler:program-palette"),
        ("task.completed", {"id": "T-1"}, "handler:program-palette"),
    ]


def test_changes_sends_the_task_back_to_its_author_with_the_note(active, palette, session_id):
    reason = palette("changes t-2 the rollback step has no test")

    assert reason == "T-2 “Deploy pipeline” sent back to eng-ops: “the rollback step has no test”"
    state = active.store.get(session_id)
    assert state.state.tasks["T-2"].status == "in_progress"
    assert state.plugins["review"]["verdicts"][-1]["note"] == "the rollback step has no test"
    assert palette("queue").startswith("Review queue (1,")


def test_a_task_that_is_not_in_review_is_an_answer_and_records_nothing(active, palette, session_id):
    before = len(active.store.events(session_id))

    assert palette("approve T-3") == "T-3 is in_progress, not in review; `queue` lists the tasks waiting for review"
    assert palette("approve T-99") == "no task 'T-99' in this session (tasks: T-1, T-2, T-3, T-4)"
    assert [e.type for e in active.store.events(session_id)[before:]] == ["hook.handled", "hook.handled"]


@pytest.mark.parametrize("sentence", ["approve it", "changes to the parser look fine", "approve T-1 and T-2 please"])
def test_sentences_that_start_like_a_command_go_to_the_model(active, prompt, sentence):
    assert prompt(sentence)["hookSpecificOutput"]["additionalContext"].startswith("[program-context]")


def test_task_shows_a_tasks_details(active, palette):
    assert palette("task T-1").splitlines()[:2] == [
        "T-1 — Payment API", "  status review · priority normal · 5 points"]


def test_help_lists_the_palette(active, palette):
    lines = palette("help").splitlines()

    assert lines[0] == "review commands (typed at the prompt, answered without the model):"
    assert [line.split()[0] for line in lines[1:]] == ["queue", "approve", "changes", "task"]


def test_the_palette_is_off_while_another_program_runs(review, prompt):
    assert prompt("queue") is None  # goes to the model as any prompt
