"""``orch mcp``: the model changes orchestration state through MCP tools, checked like the CLI.

Most tests call the tools in-process through the SDK's client and the real
server code (the ``orch_mcp`` fixture); one starts ``orch mcp`` as Claude Code
does and talks to it over stdio.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from orchcore import mcp_tools
from orchcore.api import McpTool, OrchError, hookimpl


def test_the_built_in_tools_are_listed_by_name(orch_mcp):
    names = [tool["name"] for tool in orch_mcp.tools()]

    assert names == ["board", "task_create", "task_update", "task_assign", "task_close", "sprint_start",
                     "sprint_end", "blocker", "msg_send", "msg_receive", "decision", "checkpoint"]


def test_the_built_in_tool_list_stays_under_2000_tokens(orch_plugin_manager):
    """Names, descriptions and schemas as JSON, tokens counted as characters / 4 (README, "MCP tools")."""
    size = mcp_tools.tools_size(mcp_tools.tools(orch_plugin_manager))

    assert size["tools"] == 12
    assert size["tokens"] < 2000


def test_a_created_task_is_on_the_board_and_in_the_log_with_source_mcp(orch_mcp, orch_runtime, session_id):
    made = orch_mcp.call("task_create", {"title": "Write the login form", "priority": "high"},
                         session=session_id, tool_use_id="toolu_01")

    assert made == mcp_tools_call("T-1 created: Write the login form [high]")
    assert "T-1 !high Write the login form" in orch_mcp.call("board", session=session_id).text
    event = orch_runtime.store.events(session_id, types=["task.created"])[0]
    assert event.source == "mcp"
    assert event.data["mcp"] == {"tool": "task_create", "tool_use_id": "toolu_01"}


def mcp_tools_call(text, is_error=False):
    from orchcore.testing import McpCall

    return McpCall(text, is_error)


def test_assign_update_block_and_close_a_task(orch_mcp, orch_runtime, session_id):
    orch_mcp.call("task_create", {"title": "API"}, session=session_id)
    orch_mcp.call("task_create", {"title": "UI"}, session=session_id)

    assert orch_mcp.call("task_assign", {"id": "T-1", "agent": "engineering-developer"},
                         session=session_id).text == "T-1 assigned to engineering-developer (in_progress)"
    assert not orch_mcp.call("task_update", {"id": "t-2", "points": 3}, session=session_id).is_error
    assert orch_mcp.call("blocker", {"id": "T-2", "reason": "needs the API", "blocked_by": ["T-1"]},
                         session=session_id).text == "T-2 blocked: needs the API"
    assert orch_mcp.call("task_close", {"id": "T-1"}, session=session_id).text == "T-1 done"

    tasks = orch_runtime.store.get(session_id).state.tasks
    assert (tasks["T-1"].status, tasks["T-2"].status, tasks["T-2"].blockers, tasks["T-2"].points) == \
        ("done", "blocked", ["T-1"], 3)


def test_sprints_decisions_and_checkpoints(orch_mcp, orch_runtime, session_id):
    assert orch_mcp.call("sprint_start", {"name": "Auth", "days": 10}, session=session_id).text == \
        'sprint sprint-1 "Auth" started (10 days)'
    assert orch_mcp.call("task_create", {"title": "login"}, session=session_id).text.endswith("in sprint sprint-1")
    assert orch_mcp.call("sprint_start", {}, session=session_id).is_error  # one active sprint at a time
    assert orch_mcp.call("decision", {"text": "JWT, not sessions", "rationale": "stateless"},
                         session=session_id).text == "D-1 recorded: JWT, not sessions"
    assert orch_mcp.call("checkpoint", {"name": "before-ui"}, session=session_id).text.startswith(
        "checkpoint before-ui after event")
    assert orch_mcp.call("sprint_end", {}, session=session_id).text == "sprint sprint-1 completed"

    state = orch_mcp.read_state(session_id)
    assert state["state"]["decisions"][0]["rationale"] == "stateless"
    assert state["state"]["sprints"]["sprint-1"]["status"] == "completed"


def test_a_message_to_an_agent_type_reaches_its_next_delegation(orch_mcp, orch_hook, orch_cli, session_id):
    orch_cli("session", "create", session_id, "--enable")
    sent = orch_mcp.call("msg_send", {"to": "qa-tester", "text": "retest T-1", "priority": "high"},
                         session=session_id)
    assert not sent.is_error and sent.text.endswith("queued for qa-tester (high)")

    answer = orch_hook({"session_id": session_id, "hook_event_name": "SubagentStart", "cwd": ".",
                        "agent_id": "a1", "agent_type": "qa-tester"}).answer

    assert "retest T-1" in answer["hookSpecificOutput"]["additionalContext"]
    assert orch_mcp.call("msg_receive", {"as": "qa-tester"}, session=session_id).text == "no messages for qa-tester"


def test_msg_receive_takes_what_waits_most_urgent_first(orch_mcp, session_id):
    orch_mcp.call("msg_send", {"to": "main", "text": "fyi"}, session=session_id)
    orch_mcp.call("msg_send", {"to": "all", "text": "stop", "priority": "critical", "from": "lead"},
                  session=session_id)

    lines = orch_mcp.call("msg_receive", {}, session=session_id).text.splitlines()

    assert [line.split("] ", 1)[1] for line in lines] == ["lead -> all: stop", "main -> main: fyi"]


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("task_assign", {"id": "T-9", "agent": "x"}, "no task 'T-9' in this session (tasks: T-1)"),
    ("task_create", {"title": "x", "priority": "urgent"}, "priority must be one of critical, high, normal, low"),
    ("msg_send", {"to": "qa", "text": "hi", "priority": "asap"}, "--priority must be one of"),
    ("task_create", {}, "title is required"),
    ("task_close", {"id": "T-1", "status": "maybe"}, "status must be done or cancelled"),
    ("nope", {}, "unknown tool 'nope'"),
])
def test_a_bad_call_is_a_one_line_tool_error_and_changes_nothing(orch_mcp, orch_runtime, session_id,
                                                                 tool, arguments, message):
    orch_mcp.call("task_create", {"title": "only task"}, session=session_id)
    before = len(orch_runtime.store.events(session_id))

    result = orch_mcp.call(tool, arguments, session=session_id)

    assert result.is_error and result.text.startswith(message) and "\n" not in result.text
    assert len(orch_runtime.store.events(session_id)) == before


def test_a_full_queue_is_a_tool_error_naming_the_limit(orch_mcp, orch_runtime, session_id, monkeypatch):
    monkeypatch.setenv("ORCH_MAX_MESSAGES", "1")
    orch_runtime.__dict__.pop("config", None)
    assert not orch_mcp.call("msg_send", {"to": "qa", "text": "one"}, session=session_id).is_error

    refused = orch_mcp.call("msg_send", {"to": "qa", "text": "two"}, session=session_id)

    assert refused.is_error and "limits.max_messages" in refused.text
    assert len(orch_runtime.store.get(session_id).state.messages) == 1


def test_an_archived_session_is_read_only_for_tools_too(orch_mcp, orch_runtime, session_id):
    orch_mcp.call("task_create", {"title": "x"}, session=session_id)
    orch_runtime.bus.emit(session_id, "session.archived", {"reason": "idle"}, source="test")

    refused = orch_mcp.call("task_create", {"title": "y"}, session=session_id)

    assert refused.is_error and "archived" in refused.text


def test_without_a_session_the_tools_are_listed_and_a_call_says_why_not(orch_mcp):
    assert len(orch_mcp.tools()) == 12
    result = orch_mcp.call("board")
    assert result.is_error and "CLAUDE_CODE_SESSION_ID" in result.text


# -- plugins add tools ---------------------------------------------------------


def _praise(arguments, context):
    task = context.session.state.tasks.get(arguments.get("task", ""))
    if task is None:
        raise OrchError(f"no task {arguments.get('task')!r} in this session")
    context.emit("task.updated", {"id": task.id, "praised": True})
    return {"praised": task.id}


class StandupTools:
    @hookimpl
    def orch_mcp_tools(self):
        return [McpTool(name="standup_praise", description="Praise a task's work.",
                        input_schema={"type": "object", "properties": {"task": {"type": "string"}},
                                      "required": ["task"]},
                        call=_praise, program="standup")]


@pytest.mark.exercises_hook("orch_mcp_tools")
def test_a_plugins_tool_is_listed_and_works_through_the_server(orch_mcp, register_plugin, orch_runtime, session_id):
    register_plugin(StandupTools(), name="standup-tools")
    orch_mcp.call("task_create", {"title": "ship it"}, session=session_id)

    assert "standup_praise" in [tool["name"] for tool in orch_mcp.tools()]
    assert json.loads(orch_mcp.call("standup_praise", {"task": "T-1"}, session=session_id).text) == {"praised": "T-1"}
    assert orch_runtime.store.get(session_id).state.tasks["T-1"].extra["praised"] is True
    assert orch_mcp.call("standup_praise", {"task": "T-7"}, session=session_id) == \
        mcp_tools_call("no task 'T-7' in this session", True)


def test_a_programs_tool_carries_the_programs_name():
    with pytest.raises(ValueError, match="must be named leadership_"):
        McpTool(name="decide", description="", input_schema={"type": "object"}, call=_praise, program="leadership")


def test_a_plugin_cannot_take_a_built_in_tools_name(orch_mcp, register_plugin, orch_plugin_manager):
    class Squatter:
        @hookimpl
        def orch_mcp_tools(self):
            return [McpTool(name="board", description="mine", input_schema={"type": "object"}, call=_praise)]

    register_plugin(Squatter(), name="squatter")

    assert [t["description"] for t in orch_mcp.tools() if t["name"] == "board"][0].startswith("The session's board")
    assert "built-in tool" in orch_plugin_manager.records["squatter"].error


# -- over stdio, as Claude Code runs it ------------------------------------------


def test_a_round_trip_over_stdio_with_the_sdk_client(orch_project: Path, session_id):
    import tempfile

    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = {**os.environ, "CLAUDE_CODE_SESSION_ID": session_id, "CLAUDE_PROJECT_DIR": str(orch_project)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "orchcore", "mcp"], env=env,
                                   cwd=str(orch_project))

    async def main(errors):
        # The server's stderr goes to a real file: pytest's captured sys.stderr has no file descriptor to hand on.
        async with stdio_client(params, errlog=errors) as (read, write), ClientSession(read, write) as client:
            started = await client.initialize()
            names = [t.name for t in (await client.list_tools()).tools]
            made = await client.call_tool("task_create", {"title": "over stdio"})
            board = await client.call_tool("board", {})
            bad = await client.call_tool("task_close", {"id": "T-404"})
            return started.server_info.name, names, made, board, bad

    with tempfile.TemporaryFile("w+") as errors:
        server, names, made, board, bad = anyio.run(main, errors)

    assert server == "orchcore" and "task_create" in names
    assert made.content[0].text == "T-1 created: over stdio [normal]" and not made.is_error
    assert "T-1 over stdio" in board.content[0].text
    assert bad.is_error and bad.content[0].text == "no task 'T-404' in this session (tasks: T-1)"


def test_orch_mcp_runs_in_its_own_process_never_forked_from_the_resident_runtime():
    """It lives as long as the Claude Code session, on its own stdio: a runtime's restart must not end it."""
    from orchcore.resident import forkserver

    assert not forkserver.forked(["mcp"]) and not forkserver.forked(["mcp", "--session", "x"])
