"""A realistic orchestrated session for the dashboard's tests, built only through events."""

from __future__ import annotations

import pytest

import orch_program_dashboard.plugin as dashboard_plugin

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
BACKEND = "a381af95d01b45698"  # a Claude Code subagent id

TEAMS = {
    "engineering": {"lead": "eng-director", "members": ["eng-director", "eng-backend", "eng-frontend"],
                    "max_parallel": 2, "skills": ["api", "backend", "frontend", "python"]},
    "qa": {"lead": "qa-director", "members": ["qa-director", "qa-tester"], "max_parallel": 1,
           "skills": ["testing", "qa"]},
}


def build_session(bus, session_id: str = SID) -> None:
    """A sprint under way: two teams, agents at work, tasks in every state, messages, metrics."""
    bus.create_session(session_id, orchestration_enabled=True)
    emit = lambda type, data: bus.emit(session_id, type, data)  # noqa: E731
    emit("session.teams", {"teams": ["engineering", "qa"], "definitions": TEAMS})
    emit("agent.upserted", {"id": "eng-director", "name": "eng-director", "team": "engineering",
                            "role": "director", "status": "active"})
    emit("agent.upserted", {"id": BACKEND, "name": "eng-backend", "agent_type": "eng-backend",
                            "team": "engineering", "status": "active"})
    emit("agent.upserted", {"id": "qa-tester", "name": "qa-tester", "team": "qa", "status": "idle"})
    emit("epic.created", {"id": "E-1", "title": "Payments"})
    emit("sprint.started", {"id": "S-1", "name": "Checkout", "epic": "E-1", "duration_days": 10,
                            "teams": ["engineering", "qa"], "goal": "Customers can pay by card"})
    tasks = [
        ("T-1", "Payment API", "high", 5, "engineering"),
        ("T-2", "Deploy pipeline", "normal", 3, "engineering"),
        ("T-3", "Card form", "normal", 2, "engineering"),
        ("T-4", "Fraud check", "critical", 8, None),
        ("T-5", "Receipt e-mails", "low", 1, None),
        ("T-6", "Checkout tests", "normal", 3, "qa"),
    ]
    for task_id, title, priority, points, team in tasks:
        emit("task.created", {"id": task_id, "title": title, "priority": priority, "points": points,
                              "team": team, "sprint": "S-1", "epic": "E-1"})
    emit("task.assigned", {"id": "T-1", "assignee": BACKEND})
    emit("task.assigned", {"id": "T-2", "assignee": "eng-frontend"})
    emit("task.updated", {"id": "T-2", "status": "blocked", "blockers": ["waiting for cloud credentials"]})
    emit("task.assigned", {"id": "T-3", "assignee": "eng-frontend"})
    emit("task.completed", {"id": "T-3"})
    emit("task.assigned", {"id": "T-6", "assignee": "qa-tester"})
    emit("task.updated", {"id": "T-6", "status": "review"})
    emit("message.sent", {"id": "M-1", "from": "qa-director", "to": "eng-director", "type": "bug",
                          "priority": "critical", "payload": {"subject": "Checkout crashes on submit"}})
    emit("message.sent", {"id": "M-2", "from": "eng-director", "to": "qa", "type": "note",
                          "priority": "normal", "payload": "Staging is back up"})
    emit("message.sent", {"id": "M-3", "from": "eng-backend", "to": "eng-director", "priority": "high",
                          "payload": "Need a decision on the retry policy"})
    emit("message.delivered", {"ids": ["M-2"]})
    emit("metric.recorded", {"name": "tests_passed", "value": 124, "op": "set"})
    emit("metric.recorded", {"name": "coverage", "value": 0.87, "op": "set"})


@pytest.fixture
def dashboard(orch_bus, register_plugin):
    """The dashboard plugin registered, and the realistic session stored."""
    register_plugin(dashboard_plugin, name="all-team_dashboard")
    build_session(orch_bus)
    return orch_bus


@pytest.fixture
def active(dashboard, orch_cli):
    """The realistic session with the dashboard activated, as `orch program activate` does it."""
    result = orch_cli("program", "activate", "all-team_dashboard", session=SID)
    assert result.exit_code == 0, result.stderr
    return dashboard


def prompt(text: str, session_id: str = SID) -> dict:
    return {"session_id": session_id, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
            "prompt": text}
