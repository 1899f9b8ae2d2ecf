"""A session with work waiting for review, built only through events, and the review program registered."""

from __future__ import annotations

import pytest

import orch_program_review.plugin as review_plugin


def build_session(bus, session_id: str) -> None:
    """Two tasks in review (T-1 sent first), one still in progress, one done."""
    bus.create_session(session_id, orchestration_enabled=True)
    emit = lambda type, data: bus.emit(session_id, type, data)  # noqa: E731
    for task_id, title, points in [("T-1", "Payment API", 5), ("T-2", "Deploy pipeline", 3),
                                   ("T-3", "Card form", 2), ("T-4", "Receipt e-mails", 1)]:
        emit("task.created", {"id": task_id, "title": title, "points": points})
    emit("task.assigned", {"id": "T-1", "assignee": "eng-backend"})
    emit("task.assigned", {"id": "T-2", "assignee": "eng-ops"})
    emit("task.assigned", {"id": "T-3", "assignee": "eng-frontend"})
    emit("task.updated", {"id": "T-1", "status": "review"})
    emit("task.updated", {"id": "T-2", "status": "review"})
    emit("task.completed", {"id": "T-4"})


@pytest.fixture
def review(orch_bus, register_plugin, session_id):
    """The review plugin registered (as its entry point would), and the session stored."""
    register_plugin(review_plugin, name="review")
    build_session(orch_bus, session_id)
    return orch_bus


@pytest.fixture
def active(review, orch_cli, session_id):
    """The session with the review program activated, as `orch program activate review` does it."""
    result = orch_cli("program", "activate", "review", session=session_id)
    assert result.exit_code == 0, result.stderr
    return review


@pytest.fixture
def prompt(orch_hook, session_id):
    """``prompt(text)``: Claude Code's UserPromptSubmit for ``text``, through the router; its answer."""

    def send(text: str) -> dict | None:
        result = orch_hook({"session_id": session_id, "transcript_path": "", "cwd": ".",
                            "hook_event_name": "UserPromptSubmit", "prompt": text})
        assert result.exit_code == 0, result.stderr
        return result.answer

    return send


@pytest.fixture
def palette(prompt):
    """``palette(text)``: what the user is shown for a palette command (the reason its prompt was blocked)."""

    def answer(text: str) -> str:
        reply = prompt(text)
        assert reply is not None and reply.get("decision") == "block", reply
        return reply["reason"]

    return answer
