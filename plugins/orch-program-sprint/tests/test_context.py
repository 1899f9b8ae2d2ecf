"""While the sprint program is the session's mode, the model gets the live sprint at every prompt."""

from __future__ import annotations

from conftest import SID, prompt

from orch_program_sprint.board import render_context


def test_the_context_shows_the_sprint_board_assignments_blockers_and_velocity(sprint):
    lines = render_context(sprint.store.get(SID)).splitlines()

    assert lines[:3] == [
        "▶ sprint_execution · Sprint S-1 “Checkout” · day 3/10 · epic E-1 “Payments”",
        "Goal: Customers can pay by card",
        "Progress: 2/30 points (7%) · 1/8 tasks done · velocity 0.7 pts/day · needs 4.0/day over 7 days left"
        " → behind",
    ]
    assert lines[3] == "Board:"
    assert lines[4].startswith("  pending (4): T-4 !critical Fraud check (8 pts) · T-5 !high Checkout")
    assert lines[5:9] == [
        "  in progress (1): T-1 !high Payment API (5 pts) → eng-backend",
        "  blocked (1): T-2 Deploy pipeline (3 pts) → eng-frontend — waiting for cloud credentials",
        "  review (1): T-6 Checkout tests (3 pts) → qa-tester",
        "  done (1): T-3",
    ]
    assert lines[9] == "Assignments: eng-backend T-1 · eng-frontend T-2 · qa-tester T-6 · 4 pending unassigned"
    assert lines[10:12] == ["Blockers (1):", "  T-2 (eng-frontend): waiting for cloud credentials"]
    assert lines[-1].startswith("palette (type at the prompt): board · task <id>")
    assert "T-0" not in "\n".join(lines)  # the finished sprint's task is not on this board


def test_without_a_sprint_the_context_says_how_to_start_one_and_shows_the_backlog(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_bus.emit(SID, "task.created", {"id": "T-1", "title": "Payment API", "points": 5})

    text = render_context(orch_bus.store.get(SID))

    assert text.startswith("▶ sprint_execution · no sprint running (start one: /orchestration:start-sprint")
    assert "Backlog (1 tasks outside a finished sprint):" in text
    assert "  pending (1): T-1 Payment API (5 pts)" in text


def test_the_context_stays_small_with_hundreds_of_tasks(sprint):
    for n in range(500):
        status = ("pending", "in_progress", "blocked", "review", "done")[n % 5]
        sprint.emit(SID, "task.created", {"id": f"B-{n}", "title": "Backlog item " * 20, "sprint": "S-1",
                                          "status": status, "assignee": f"worker-{n}", "points": 2,
                                          "blockers": ["a long reason " * 10]})

    text = render_context(sprint.store.get(SID))

    assert len(text) < 3000
    assert "pending (104):" in text and "+100 more" in text


def test_the_router_injects_the_sprint_at_every_prompt_once_the_program_is_active(sprint, orch_cli, orch_hook):
    assert orch_hook(prompt("what's next?")).answer is None  # no program active yet

    orch_cli("program", "activate", "sprint_execution", session=SID)
    first = orch_hook(prompt("what's next?")).answer["hookSpecificOutput"]["additionalContext"]
    sprint.emit(SID, "task.completed", {"id": "T-1"})
    second = orch_hook(prompt("and now?")).answer["hookSpecificOutput"]["additionalContext"]

    assert "Program sprint_execution is active. Live state:\n▶ sprint_execution · Sprint S-1" in first
    assert "Progress: 2/30 points" in first
    assert "Progress: 7/30 points (23%) · 2/8 tasks done · velocity 2.3 pts/day" in second


def test_a_resumed_session_gets_the_sprint_at_session_start(active, orch_hook):
    answer = orch_hook({"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "SessionStart",
                        "source": "resume"}).answer

    assert "Blockers (1):" in answer["hookSpecificOutput"]["additionalContext"]


def test_board_and_velocity_without_a_sprint(orch_bus):
    from orch_program_sprint.board import board_view, velocity_view

    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_bus.emit(SID, "task.created", {"id": "T-1", "title": "Payment API", "points": 5})
    session = orch_bus.store.get(SID)

    assert board_view(session).splitlines()[1:] == ["Board:", "  pending (1):", "    T-1 Payment API (5 pts)",
                                                     "Blockers: none."]
    assert velocity_view(session) == "Velocity — no sprint running"
