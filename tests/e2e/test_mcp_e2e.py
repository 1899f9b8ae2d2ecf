"""orchcore's MCP tools (``orch mcp``) driven by the real Claude Code 2.1.328 and the scripted model.

Claude Code starts ``orch mcp`` as the stdio server ``orchcore`` (from
``--mcp-config``, or from the ``.mcp.json`` that ``orch install`` writes and
enables) with its own ``CLAUDE_CODE_SESSION_ID``, and *defers* its
tools: the system prompt lists ``mcp__orchcore__*`` by name, and the model
loads their schemas with ``ToolSearch`` before calling them. A test
organisation defines the agent type ``qa-tester``; ``orch install`` renders it
and wires the hooks, so a delegation to it receives its queued messages at
``SubagentStart``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .claude_binary import running_at_least
from .fake_api import text, tool_search, tool_use
from .orch_e2e import ORCH, OrchProject
from .test_orchcore import _add_diagnostics

ORGANISATION = '''
from orchcore.plugins import hookimpl
from orchcore.specs import AgentSpec, TeamSpec


@hookimpl
def orch_teams():
    return [TeamSpec(name="e2e-qa", lead="qa-tester", members=["qa-tester"], max_parallel=2)]


@hookimpl
def orch_agents():
    return [AgentSpec(name="qa-tester", description="Tests features end to end for the e2e tests.",
                      prompt="You test features.", team="e2e-qa", role="specialist", tools=["Read"], capacity=2)]
'''

TOOLS = ("task_create", "task_assign", "msg_send")


def mcp(name: str) -> str:
    return f"mcp__orchcore__{name}"


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.add_plugin("orche2e-qa-organisation", ORGANISATION)
    project.enable_by_default()
    summary = project.install()
    assert str(cc_project / ".claude" / "agents" / "qa-tester.md") in summary["files"]["written"]
    return project


@pytest.fixture
def mcp_config(tmp_path: Path) -> Path:
    """``--mcp-config``: Claude Code runs the real ``orch mcp`` as the server ``orchcore``."""
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"orchcore": {"type": "stdio", "command": str(ORCH), "args": ["mcp"]}}}))
    return path


def test_from_mcp_config_the_model_plans_through_mcp_tools_and_a_delegation_receives_the_message(
        fake_api, run_claude, orch, mcp_config):
    _plan_qa_work_through_mcp(fake_api, run_claude, orch, extra_args=[
        "--mcp-config", str(mcp_config), "--strict-mcp-config", "--allowedTools", "mcp__orchcore__*,Agent"])


def test_orch_install_wires_the_server_so_its_tools_run_without_flags_or_prompts(fake_api, run_claude, orch):
    servers = json.loads((orch.project / ".mcp.json").read_text())["mcpServers"]
    assert servers["orchcore"]["args"][-1] == "mcp"
    settings = json.loads((orch.project / ".claude" / "settings.json").read_text())
    assert "orchcore" in settings["enabledMcpjsonServers"] and "mcp__orchcore__*" in settings["permissions"]["allow"]
    _plan_qa_work_through_mcp(fake_api, run_claude, orch, extra_args=[])


def _plan_qa_work_through_mcp(fake_api, run_claude, orch: OrchProject, extra_args: list[str]) -> None:
    """The scenario of issue 12's "Done when", in default permission mode (nothing bypassed)."""
    orch.env["ORCH_MAX_MESSAGES"] = "1"  # Claude Code passes it on to orch mcp: a second message is refused
    sid = str(uuid.uuid4())
    ids = {step: f"toolu_e2e_{step}_{uuid.uuid4().hex[:8]}" for step in ("create", "assign", "send", "bad", "full")}
    fake_api.script = [
        tool_search(*(mcp(t) for t in TOOLS)),
        tool_use(mcp("task_create"), {"title": "Check the login page", "priority": "high"}, id=ids["create"]),
        tool_use(mcp("task_assign"), {"id": "T-1", "agent": "qa-tester"}, id=ids["assign"]),
        tool_use(mcp("msg_send"), {"to": "qa-tester", "text": "MCP-MSG: test login with 2FA", "priority": "high"},
                 id=ids["send"]),
        tool_use(mcp("task_assign"), {"id": "T-404", "agent": "qa-tester"}, id=ids["bad"]),
        tool_use(mcp("msg_send"), {"to": "qa-tester", "text": "MCP-MSG: one too many"}, id=ids["full"]),
        tool_use("Agent", {"description": "Test T-1", "prompt": "Test T-1 and report.", "subagent_type": "qa-tester",
                           "run_in_background": False}),
        text("main done"),
    ]
    fake_api.subagent_script = [text("T-1 tested")]

    run = run_claude("plan the QA work", session_id=sid, permission_mode=None, extra_args=extra_args)

    assert run.text == "main done"
    fake_api.assert_no_errors()
    first, loaded, created, assigned, sent, bad, full, *_ = fake_api.main_requests
    # the tools are deferred: not sent with the first request, their schemas loaded by ToolSearch
    assert not {mcp(t) for t in TOOLS} & set(first.tool_names)
    if not running_at_least("2.1.332"):  # 2.1.332 sends the first request before the server's tools are listed
        assert all(mcp(t) in first.system_messages_text for t in TOOLS), {mcp(t): first.locate(mcp(t)) for t in TOOLS}
    assert loaded.tool_results_text.splitlines() == [mcp(t) for t in TOOLS]
    assert {mcp(t) for t in TOOLS} <= set(loaded.tool_names)
    # what the model saw of each call
    assert created.tool_results_text == "T-1 created: Check the login page [high]"
    assert assigned.tool_results_text.startswith("T-1 assigned to qa-tester")
    assert "queued for qa-tester (high)" in sent.tool_results_text
    (refused,) = bad.tool_results
    assert refused["is_error"] is True and "no task 'T-404' in this session" in bad.tool_results_text
    (refused,) = full.tool_results
    assert refused["is_error"] is True and "the message queue is full" in full.tool_results_text
    # the delegation to the agent type got the message at SubagentStart
    (subagent, *_) = fake_api.subagent_requests
    assert "MCP-MSG: test login with 2FA" in subagent.system_messages_text
    assert "one too many" not in subagent.all_text

    # the session the server wrote to is Claude Code's own
    assert run.result["session_id"] == sid and first.session_id == sid
    assert [s["session_id"] for s in orch.orch_json("session", "list", "--json")] == [sid]  # no session of its own
    events = orch.events(sid)
    by_mcp = [e for e in events if e["source"] == "mcp"]
    assert [(e["type"], e["data"]["mcp"]["tool"]) for e in by_mcp if "mcp" in e["data"]] == [
        ("task.created", "task_create"), ("task.assigned", "task_assign"), ("message.sent", "msg_send")]
    # each event carries the model's tool_use id (Claude Code's _meta["claudecode/toolUseId"])
    assert [e["data"]["mcp"]["tool_use_id"] for e in by_mcp if "mcp" in e["data"]] == [
        ids["create"], ids["assign"], ids["send"]]
    # the refused calls changed nothing: no event mentions them
    assert not [e for e in events if "T-404" in json.dumps(e["data"]) or "one too many" in json.dumps(e["data"])]
    tasks = json.loads(orch.orch("state", "get", "state.tasks", "--session", sid, "--json").stdout)
    assert list(tasks) == ["T-1"]
    # assigned to qa-tester through MCP, then run (and completed) by the subagent of that type
    assert tasks["T-1"]["title"] == "Check the login page"
    assert (tasks["T-1"]["assignee"], tasks["T-1"]["status"]) == (subagent.agent_id, "done")
    sent_event = next(e for e in by_mcp if e["type"] == "message.sent")
    assert (sent_event["data"]["to"], sent_event["data"]["payload"]) == ("qa-tester", "MCP-MSG: test login with 2FA")
    assert orch.session(sid)["state"]["messages"] == []  # delivered to the subagent: out of the queue
