"""The orchestration runtime inside the real Claude Code 2.1.328: delegation, capacity, messages.

A test organisation (a fake installed distribution) defines the agent
``e2e-backend`` (capacity 1) in team ``e2e-eng``; ``orch install`` renders it
into ``.claude/agents/`` so Claude Code offers it as a ``subagent_type``. The
scripted model delegates to it with the ``Agent`` tool.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .fake_api import reply, text, tool_use
from .orch_e2e import OrchProject
from .test_orchcore import _add_diagnostics

ORGANISATION = '''
from orchcore.plugins import hookimpl
from orchcore.specs import AgentSpec, TeamSpec


@hookimpl
def orch_teams():
    return [TeamSpec(name="e2e-eng", lead="e2e-backend", members=["e2e-backend"], max_parallel=4)]


@hookimpl
def orch_agents():
    return [AgentSpec(name="e2e-backend", description="Implements backend tasks for the e2e tests.",
                      prompt="You implement backend tasks.", team="e2e-eng", role="specialist",
                      tools=["Read", "Bash"], capacity=1)]
'''


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.add_plugin("orche2e-organisation", ORGANISATION)
    project.enable_by_default()
    summary = project.install()
    assert str(cc_project / ".claude" / "agents" / "e2e-backend.md") in summary["files"]["written"]
    return project


def _delegate(task_text: str, tool_id: str | None = None):
    return tool_use("Agent", {"description": task_text, "prompt": f"{task_text}: build it and report.",
                              "subagent_type": "e2e-backend", "run_in_background": False}, id=tool_id)


def test_a_delegation_appears_with_its_task_and_the_agents_messages_reach_it(fake_api, run_claude, orch):
    sid = str(uuid.uuid4())
    orch.orch("session", "create", sid, "--enable")
    orch.orch("events", "emit", "task.created", "--session", sid, "--data", json.dumps({"id": "T-7", "title": "API"}))
    orch.orch("events", "emit", "message.sent", "--session", sid, "--data", json.dumps(
        {"id": "M-1", "from": "e2e-lead", "to": "e2e-backend", "priority": "high",
         "payload": "MSG-FOR-BACKEND: use idempotency keys"}))
    fake_api.script = [_delegate("Implement T-7"), text("main done")]
    fake_api.subagent_script = [text("T-7 implemented")]

    run = run_claude("ship T-7", session_id=sid)

    assert run.text == "main done"
    (first, *_) = fake_api.subagent_requests
    assert "MSG-FOR-BACKEND: use idempotency keys" in first.system_messages_text  # the subagent got its message
    state = orch.session(sid)
    (delegation,) = state["state"]["delegations"].values()
    assert (delegation["agent_type"], delegation["team"], delegation["task"]) == ("e2e-backend", "e2e-eng", "T-7")
    assert delegation["status"] == "completed" and delegation["agent_id"] == first.agent_id
    # the Agent tool's result reports the subagent's tokens (for the agent-usage and team-usage segments)
    assert delegation["usage"]["tokens"] > 0 and delegation["usage"]["tool_uses"] == 0, delegation
    agent = state["state"]["agents"][first.agent_id]
    assert (agent["status"], agent["parent_id"], agent["last_message"]) == ("completed", "main", "T-7 implemented")
    assert state["state"]["tasks"]["T-7"]["status"] == "done"
    assert state["state"]["messages"] == []  # delivered to the subagent: out of the queue


def test_a_delegation_beyond_capacity_is_denied_and_its_subagent_never_starts(fake_api, run_claude, orch):
    sid = str(uuid.uuid4())
    orch.orch("session", "create", sid, "--enable")
    # two Agent calls in one turn: both PreToolUse fire before either subagent starts
    fake_api.script = [reply(_delegate("first job", "toolu_e2e_first"), _delegate("second job", "toolu_e2e_second")),
                       text("main done")]
    fake_api.subagent_script = [text("job done"), text("job done")]

    run = run_claude("two jobs", session_id=sid)

    assert run.text == "main done"
    started = {r.agent_id for r in fake_api.subagent_requests}
    assert len(started) == 1  # one subagent ran; the denied call never started one
    results = fake_api.main_requests[1].tool_results_text
    assert "e2e-backend already runs 1 times, its capacity (1)" in results
    state = orch.session(sid)
    statuses = {d["id"]: d["status"] for d in state["state"]["delegations"].values()}
    assert sorted(statuses.values()) == ["completed", "denied"]
