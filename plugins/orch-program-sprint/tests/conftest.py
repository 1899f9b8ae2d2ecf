"""A sprint under way, for the sprint program's tests, built only through events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import orch_program_sprint.plugin as sprint_plugin

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
BACKEND = "a381af95d01b45698"  # a Claude Code subagent id

TEAMS = {
    "engineering": {"lead": "eng-director", "members": ["eng-director", "eng-backend", "eng-frontend"],
                    "max_parallel": 2, "skills": ["api", "backend", "frontend", "python"]},
    "qa": {"lead": "qa-director", "members": ["qa-director", "qa-tester"], "max_parallel": 1,
           "skills": ["testing", "qa"]},
}


def days_ago(days: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).isoformat().replace("+00:00", "Z")


def build_session(bus, session_id: str = SID) -> None:
    """Sprint S-1 on day 3 of 10 after a finished sprint S-0; tasks in every column."""
    bus.create_session(session_id, orchestration_enabled=True)
    emit = lambda type, data: bus.emit(session_id, type, data)  # noqa: E731
    emit("session.teams", {"teams": ["engineering", "qa"], "definitions": TEAMS})
    emit("agent.upserted", {"id": BACKEND, "name": "eng-backend", "agent_type": "eng-backend",
                            "team": "engineering", "status": "active"})
    emit("agent.upserted", {"id": "qa-tester", "name": "qa-tester", "team": "qa", "status": "idle"})
    emit("epic.created", {"id": "E-1", "title": "Payments"})
    # the previous sprint: 10 points in 5 days
    emit("sprint.started", {"id": "S-0", "name": "Foundations", "epic": "E-1", "duration_days": 5})
    emit("task.created", {"id": "T-0", "title": "Project skeleton", "points": 10, "sprint": "S-0"})
    emit("task.completed", {"id": "T-0"})
    emit("sprint.completed", {"id": "S-0"})
    emit("state.set", {"path": "state.sprints.S-0.started_at", "value": days_ago(8.5)})
    emit("state.set", {"path": "state.sprints.S-0.ended_at", "value": days_ago(4)})
    # this sprint: day 3 of 10
    emit("sprint.started", {"id": "S-1", "name": "Checkout", "epic": "E-1", "duration_days": 10,
                            "teams": ["engineering", "qa"], "goal": "Customers can pay by card"})
    emit("state.set", {"path": "state.sprints.S-1.started_at", "value": days_ago(2.5)})
    tasks = [
        ("T-1", "Payment API", "high", 5, "engineering", None),
        ("T-2", "Deploy pipeline", "normal", 3, "engineering", None),
        ("T-3", "Card form", "normal", 2, "engineering", None),
        ("T-4", "Fraud check", "critical", 8, None, ["python", "api"]),
        ("T-5", "Checkout end-to-end suite", "high", 3, None, ["testing"]),
        ("T-6", "Checkout tests", "normal", 3, "qa", None),
        ("T-7", "Receipt e-mails", "low", 1, None, None),
        ("T-8", "Recommendation ranking", "normal", 5, None, ["ml"]),
    ]
    for task_id, title, priority, points, team, skills in tasks:
        data = {"id": task_id, "title": title, "priority": priority, "points": points, "team": team,
                "sprint": "S-1", "epic": "E-1"}
        if skills:
            data["skills"] = skills
        emit("task.created", data)
    emit("task.assigned", {"id": "T-1", "assignee": BACKEND})
    emit("task.assigned", {"id": "T-2", "assignee": "eng-frontend"})
    emit("task.updated", {"id": "T-2", "status": "blocked", "blockers": ["waiting for cloud credentials"]})
    emit("task.assigned", {"id": "T-3", "assignee": "eng-frontend"})
    emit("task.completed", {"id": "T-3"})
    emit("task.assigned", {"id": "T-6", "assignee": "qa-tester"})
    emit("task.updated", {"id": "T-6", "status": "review"})


@pytest.fixture
def sprint(orch_bus, register_plugin):
    """The sprint program registered, and the sprint under way stored."""
    register_plugin(sprint_plugin, name="sprint_execution")
    build_session(orch_bus)
    return orch_bus


@pytest.fixture
def active(sprint, orch_cli):
    """The sprint under way with the program activated, as `orch program activate` does it."""
    result = orch_cli("program", "activate", "sprint_execution", session=SID)
    assert result.exit_code == 0, result.stderr
    return sprint


def prompt(text: str, session_id: str = SID) -> dict:
    return {"session_id": session_id, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
            "prompt": text}
