"""Fixtures: the plugin registered on a fresh plugin manager, and a realistic session to look at."""

from __future__ import annotations

import pytest

from orchcore.api import AgentSpec, TeamSpec, hookimpl

import orch_program_leadership.plugin as leadership_plugin

SID = "3f0c2a8e-5d1b-4c7e-9a61-2b7d8e4f1c90"


class Organisation:
    """Installed team and agent definitions, as a teams plugin would provide them."""

    @hookimpl
    def orch_teams(self):
        return [
            TeamSpec(name="engineering", lead="eng-director", members=["eng-director", "eng-backend", "eng-frontend"],
                     max_parallel=2, skills=["python", "web"]),
            TeamSpec(name="qa", lead="qa-director", members=["qa-director", "qa-tester"], max_parallel=2),
            TeamSpec(name="product", lead="product-director", members=["product-director"]),
            TeamSpec(name="devops", lead="devops-director", members=["devops-director", "devops-sre"]),
        ]

    @hookimpl
    def orch_agents(self):
        return [
            AgentSpec(name="eng-director", description="Leads engineering", team="engineering", role="director"),
            AgentSpec(name="eng-backend", description="Backend work", team="engineering"),
            AgentSpec(name="qa-director", description="Leads QA", team="qa", role="director"),
            AgentSpec(name="chief-of-staff", description="Runs the agenda", team="product", role="director"),
        ]


@pytest.fixture
def sid() -> str:
    return SID


@pytest.fixture
def plugin(register_plugin):
    register_plugin(leadership_plugin, name="leadership-chat")
    return leadership_plugin


@pytest.fixture
def org(register_plugin):
    register_plugin(Organisation(), name="test-organisation")


@pytest.fixture
def session(orch_bus, plugin):
    """An orchestrated session (no program active yet)."""
    orch_bus.create_session(SID, orchestration_enabled=True)
    return orch_bus


def build_company(bus, sid: str = SID) -> None:
    """Three teams at work: agents of each, tasks in every state, a blocked one, points."""
    emit = bus.emit
    emit(sid, "session.teams", {"teams": ["engineering", "qa", "product"], "definitions": {
        "engineering": {"lead": "eng-director", "members": ["eng-director", "eng-backend", "eng-frontend"],
                        "max_parallel": 1},
        "qa": {"lead": "qa-director", "members": ["qa-director", "qa-tester"], "max_parallel": 2},
        "product": {"lead": "product-director", "members": ["product-director"]},
    }})
    for agent in [
        {"id": "a-eng-dir", "agent_type": "eng-director", "team": "engineering", "role": "director", "status": "busy"},
        {"id": "a-backend", "agent_type": "eng-backend", "team": "engineering", "status": "busy"},
        {"id": "a-frontend", "agent_type": "eng-frontend", "team": "engineering", "status": "busy"},
        {"id": "a-qa-dir", "agent_type": "qa-director", "team": "qa", "role": "director", "status": "idle"},
        {"id": "a-tester", "agent_type": "qa-tester", "status": "idle"},  # team found through the definition
    ]:
        emit(sid, "agent.upserted", agent)
    for task in [
        {"id": "T-1", "title": "Payment API", "team": "engineering", "points": 5},
        {"id": "T-2", "title": "Checkout page", "team": "engineering", "points": 3},
        {"id": "T-3", "title": "Refund flow", "team": "engineering", "points": 8},
        {"id": "T-4", "title": "Load test", "team": "engineering", "points": 2},
        {"id": "T-5", "title": "Regression suite", "team": "qa", "points": 3},
        {"id": "T-6", "title": "Exploratory testing", "team": "qa"},
        {"id": "T-7", "title": "Pricing page copy", "team": "product"},
        {"id": "T-8", "title": "Untriaged bug"},
    ]:
        emit(sid, "task.created", task)
    emit(sid, "task.assigned", {"id": "T-1", "assignee": "a-backend"})
    emit(sid, "task.completed", {"id": "T-1"})
    emit(sid, "task.assigned", {"id": "T-2", "assignee": "a-frontend"})
    emit(sid, "task.assigned", {"id": "T-3", "assignee": "a-backend"})
    emit(sid, "task.updated", {"id": "T-4", "status": "blocked", "blockers": ["T-3"]})
    emit(sid, "task.assigned", {"id": "T-5", "assignee": "a-tester"})
    emit(sid, "task.completed", {"id": "T-5"})


@pytest.fixture
def company(session):
    build_company(session)
    return session


def prompt(text: str, sid: str = SID) -> dict:
    return {"session_id": sid, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
            "prompt": text}


@pytest.fixture
def active(company, orch_cli):
    """The company session with leadership_chat as its program."""
    result = orch_cli("program", "activate", "leadership_chat", session=SID)
    assert result.exit_code == 0, result.stderr
    return company


@pytest.fixture
def palette(active, orch_hook):
    """``palette("teams")`` -> the text Claude Code shows for a blocked prompt (fails if not answered)."""

    def run(text: str) -> str:
        answer = orch_hook(prompt(text)).answer
        assert answer is not None and answer.get("decision") == "block", f"{text!r} was not answered: {answer}"
        return answer["reason"]

    return run
