"""Fixtures: the four packs registered on orchcore's test plugin manager, and sessions to run them on.

The fixtures of ``orchcore.testing`` (orch_project, orch_cli, register_plugin,
orch_bus …) come with orchcore. The packs are registered by hand here, so
these tests need no installed distribution.
"""

from __future__ import annotations

import importlib

import pytest

from orch_commands import PACKS
from orchcore.api import AgentSpec, ProgramSpec, TeamSpec, hookimpl

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"


class DemoOrganisation:
    """Two teams, with leads, members, skills and limits, and one program."""

    @hookimpl
    def orch_teams(self):
        return [
            TeamSpec(name="engineering", lead="engineering-director",
                     members=["engineering-director", "engineering-developer", "engineering-frontend"],
                     max_parallel=2, skills=["python", "api"]),
            TeamSpec(name="qa", lead="qa-director", members=["qa-director", "qa-tester"], max_parallel=1),
        ]

    @hookimpl
    def orch_agents(self):
        return [
            AgentSpec(name="engineering-director", description="Leads engineering", team="engineering",
                      role="director", skills=["architecture"], capacity=2),
            AgentSpec(name="engineering-developer", description="Backend work", team="engineering",
                      skills=["python", "api", "database"], capacity=1),
            AgentSpec(name="engineering-frontend", description="Frontend work", team="engineering",
                      skills=["react", "css", "login"], capacity=1),
            AgentSpec(name="qa-director", description="Leads QA", team="qa", role="director"),
            AgentSpec(name="qa-tester", description="Tests", team="qa", skills=["testing"], capacity=1),
        ]

    @hookimpl
    def orch_programs(self):
        return [ProgramSpec(name="sprint_execution", description="Runs the sprint", output_style="Run the sprint.")]


@pytest.fixture
def session_id() -> str:
    return SESSION


@pytest.fixture
def packs(register_plugin):
    """The four packs, registered under their entry-point names."""
    for name, module in PACKS.items():
        register_plugin(importlib.import_module(module), name=name)
    return PACKS


@pytest.fixture
def organisation(register_plugin, packs):
    register_plugin(DemoOrganisation(), name="demo-organisation")


@pytest.fixture
def session(orch_bus, packs, session_id):
    """An empty session with orchestration on."""
    orch_bus.create_session(session_id, orchestration_enabled=True)
    return session_id


@pytest.fixture
def run(orch_cli, packs, session_id):
    """``run("sprint", "start", "days=5")`` -> CliResult, inside the session as Claude Code runs commands
    (CLAUDE_CODE_SESSION_ID set); ``ok=False`` for a run that may fail."""

    def invoke(*args: str, ok: bool = True, **kwargs):
        result = orch_cli(*args, session=kwargs.pop("session", session_id), **kwargs)
        if ok:
            assert result.exit_code == 0, f"orch {' '.join(args)}: {result.stderr}{result.stdout}"
        return result

    return invoke


@pytest.fixture
def prepared(orch_bus, organisation, session_id):
    """A session in mid-sprint, as Claude Code's hooks and earlier commands would have left it.

    Event 1 created it; checkpoint ``before-sprint`` marks event 1; two teams
    are active; sprint ``s1`` runs with three tasks (one pending, one in
    progress, one done); one subagent is live; the router recorded two hook events.
    """
    from orchcore.api import team_definitions

    emit = lambda type, data: orch_bus.emit(session_id, type, data, source="test")  # noqa: E731
    orch_bus.create_session(session_id, orchestration_enabled=True)
    emit("checkpoint.created", {"name": "before-sprint", "seq": 1})
    teams = ["engineering", "qa"]
    definitions = team_definitions(orch_bus.plugins.specs("orch_teams"), teams)
    emit("session.teams", {"teams": teams, "definitions": definitions})
    emit("epic.created", {"id": "auth", "title": "Authentication"})
    emit("sprint.started", {"id": "s1", "name": "Sprint 1", "epic": "auth", "teams": teams, "duration_days": 10})
    emit("task.created", {"id": "T-1", "title": "Login API", "team": "engineering", "priority": "high",
                          "points": 3, "sprint": "s1"})
    emit("task.created", {"id": "T-2", "title": "Test plan", "team": "qa", "points": 2, "sprint": "s1"})
    emit("task.created", {"id": "T-3", "title": "Schema", "team": "engineering", "points": 1, "sprint": "s1"})
    emit("task.assigned", {"id": "T-2", "assignee": "qa-tester"})
    emit("task.completed", {"id": "T-3"})
    emit("agent.upserted", {"id": "a1b2", "agent_type": "qa-tester", "team": "qa", "status": "active",
                            "current_task": "T-2"})
    for ms in (1.5, 4.0):
        emit("hook.handled", {"event": "PreToolUse", "handlers": {"program-context": {"ms": ms, "ok": True}}})
    return session_id
