"""While the review program runs, the model gets the review queue at every prompt."""

from __future__ import annotations

from orch_program_review.queue import render_context


def test_the_context_lists_the_queue_longest_waiting_first_and_names_the_palette(review, session_id):
    lines = render_context(review.store.get(session_id)).splitlines()

    assert lines[0] == "Review queue (2, longest waiting first):"
    assert lines[1].startswith("  T-1 Payment API (5 pts) → eng-backend · sent for review ")
    assert lines[2].startswith("  T-2 Deploy pipeline (3 pts) → eng-ops · sent for review ")
    assert lines[-1] == ("Palette (typed at the prompt, answered without you): "
                         "queue · approve <task> · changes <task> <note> · task <id> · help")
    assert "T-3" not in "\n".join(lines)  # in progress: not the reviewer's yet


def test_a_task_sent_back_shows_the_note_until_it_returns_to_review(review, session_id):
    review.emit(session_id, "review.verdict", {"task": "T-1", "verdict": "changes", "note": "retry on 503"})
    _, session = review.emit(session_id, "task.updated", {"id": "T-1", "status": "in_progress"})

    text = render_context(session)
    assert "Review queue (1, longest waiting first):" in text
    assert "Sent back to their authors (1):\n  T-1 Payment API (5 pts) → eng-backend: “retry on 503” (" in text

    _, session = review.emit(session_id, "task.updated", {"id": "T-1", "status": "review"})
    text = render_context(session)
    assert "Sent back" not in text
    assert ("T-1 Payment API (5 pts) → eng-backend · sent for review just now"
            " · round 2, last asked: “retry on 503”") in text


def test_approved_tasks_are_listed_once(review, session_id):
    review.emit(session_id, "review.verdict", {"task": "T-2", "verdict": "approved"})
    _, session = review.emit(session_id, "task.completed", {"id": "T-2"})

    assert "Approved in this session: T-2." in render_context(session)


def test_an_empty_queue_is_one_line_and_the_palette(orch_bus, session_id):
    session = orch_bus.create_session(session_id, orchestration_enabled=True)

    assert render_context(session).splitlines()[0] == "The review queue is empty: no task is in review."
    assert len(render_context(session).splitlines()) == 2


def test_the_model_gets_the_queue_with_every_prompt_while_the_program_is_active(review, orch_cli, prompt,
                                                                              session_id):
    assert prompt("what next?") is None  # another mode: the program adds nothing

    orch_cli("program", "activate", "review", session=session_id)
    context = prompt("what next?")["hookSpecificOutput"]["additionalContext"]

    assert context.startswith("[program-context]\nProgram review is active. Live state:\n"
                              "Review queue (2, longest waiting first):\n  T-1 Payment API")
