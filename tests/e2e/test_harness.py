"""The e2e harness itself, proven against the real Claude Code binary (no orchcore).

Each test runs one short conversation against the scripted fake API and checks
what the binary did (files, hook payloads) and what it sent to the "model".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .fake_api import rules, text, tool_use
from .harness import (
    hook_settings,
    merge_settings,
    read_env_dumps,
    read_jsonl,
    recording_hook,
    write_json,
)

pytestmark = pytest.mark.e2e


def test_bash_tool_call_runs_and_its_output_reaches_the_model(fake_api, run_claude, cc_project):
    fake_api.script = rules(
        (lambda r: not r.tool_results,
         tool_use("Bash", {"command": "echo hello > marker.txt && cat marker.txt",
                           "description": "write the marker"})),
        (lambda r: bool(r.tool_results), text("done")),
    )

    run = run_claude("write the marker file")

    assert run.text == "done"
    assert run.result["session_id"] == run.session_id
    assert (cc_project / "marker.txt").read_text() == "hello\n"
    first, second = fake_api.wait_for_main_requests(2)
    assert "write the marker file" in first.last_user_text
    assert "Bash" in first.tool_names
    (result,) = second.tool_results
    assert result["tool_use_id"] == first.reply.blocks[0]["id"]
    assert result.get("is_error") is not True
    assert "hello" in second.tool_result_text(result)
    assert len(fake_api.main_requests) == 2
    fake_api.assert_no_errors()


def test_pretooluse_command_hook_receives_the_payload(fake_api, run_claude, cc_project, tmp_path):
    hook = recording_hook(tmp_path / "hooks", "pretool")
    write_json(cc_project / ".claude" / "settings.json",
               hook_settings("PreToolUse", hook, matcher="Bash"))
    fake_api.script = [tool_use("Bash", {"command": "echo from-bash"}), text("done")]

    run = run_claude("run something")

    (payload,) = read_jsonl(tmp_path / "hooks" / "pretool.jsonl")
    assert payload["hook_event_name"] == "PreToolUse"
    assert payload["tool_name"] == "Bash"
    assert payload["tool_input"]["command"] == "echo from-bash"
    assert payload["tool_use_id"] == fake_api.main_requests[0].reply.blocks[0]["id"]
    assert payload["session_id"] == run.session_id
    assert Path(payload["cwd"]).resolve() == cc_project
    assert payload["permission_mode"] == "bypassPermissions"
    (env,) = read_env_dumps(tmp_path / "hooks" / "pretool.env")
    assert Path(env["CLAUDE_PROJECT_DIR"]).resolve() == cc_project
    assert env["CLAUDE_CODE_SESSION_ID"] == run.session_id
    assert env["CLAUDECODE"] == "1"
    assert "from-bash" in fake_api.main_requests[1].tool_results_text
    fake_api.assert_no_errors()


def test_session_start_and_prompt_submit_context_reach_the_model(fake_api, run_claude,
                                                                  cc_project, tmp_path):
    hooks = tmp_path / "hooks"
    start = recording_hook(hooks, "session-start", stdout=json.dumps({"hookSpecificOutput": {
        "hookEventName": "SessionStart", "additionalContext": "STARTUP-MARKER"}}))
    submit = recording_hook(hooks, "prompt-submit", stdout=json.dumps({"hookSpecificOutput": {
        "hookEventName": "UserPromptSubmit", "additionalContext": "CTX-MARKER"}}))
    write_json(cc_project / ".claude" / "settings.json", merge_settings(
        hook_settings("SessionStart", start), hook_settings("UserPromptSubmit", submit)))
    fake_api.script = [text("ok")]

    run_claude("hello there")

    (request,) = fake_api.main_requests
    # 2.1.328: both go into a role "system" message of `messages` (not the top-level
    # system prompt), as "<Event> hook additional context: <text>" lines
    assert request.locate("CTX-MARKER") == request.locate("STARTUP-MARKER")
    (where,) = request.locate("CTX-MARKER")
    assert where.endswith(":system"), where
    assert "UserPromptSubmit hook additional context: CTX-MARKER" in request.system_messages_text
    assert "SessionStart hook additional context: STARTUP-MARKER" in request.system_messages_text
    (submitted,) = read_jsonl(hooks / "prompt-submit.jsonl")
    assert submitted["prompt"] == "hello there"
    assert submitted["hook_event_name"] == "UserPromptSubmit"
    (started,) = read_jsonl(hooks / "session-start.jsonl")
    assert started["hook_event_name"] == "SessionStart"
    assert started["source"] == "startup"
    assert read_env_dumps(hooks / "session-start.env")[0].get("CLAUDE_ENV_FILE")
    assert "CLAUDE_ENV_FILE" not in read_env_dumps(hooks / "prompt-submit.env")[0]
    fake_api.assert_no_errors()


def test_prompt_submit_block_makes_no_model_request(fake_api, run_claude, cc_project, tmp_path):
    block = recording_hook(tmp_path / "hooks", "block", stdout=json.dumps(
        {"decision": "block", "reason": "BLOCK-REASON-MARKER"}))
    write_json(cc_project / ".claude" / "settings.json", hook_settings("UserPromptSubmit", block))
    fake_api.script = [text("must not be asked")]

    run = run_claude("please do the blocked thing")

    assert fake_api.main_requests == []
    assert run.result["num_turns"] == 0
    assert run.result["is_error"] is False
    assert run.text == ("UserPromptSubmit operation blocked by hook:\nBLOCK-REASON-MARKER\n\n"
                        "Original prompt: please do the blocked thing")


def test_output_style_text_reaches_the_model(fake_api, run_claude, cc_project):
    style = cc_project / ".claude" / "output-styles" / "x.md"
    style.parent.mkdir(parents=True)
    style.write_text("---\nname: x\ndescription: e2e style\n---\n\n"
                     "STYLE-MARKER: answer in the e2e style.\n")
    write_json(cc_project / ".claude" / "settings.json", {"outputStyle": "x"})
    fake_api.script = [text("styled")]

    run_claude("hello")

    (request,) = fake_api.main_requests
    # 2.1.328 (-p): not in the top-level system prompt but in the role "system" message
    # of `messages` that carries the dynamic sections (environment, model, ...)
    (where,) = request.locate("STYLE-MARKER")
    assert where.endswith(":system"), where
    assert "# Output Style: x\nSTYLE-MARKER: answer in the e2e style." in request.system_messages_text
    assert 'according to your "Output Style"' in request.system_text
    fake_api.assert_no_errors()


def test_slash_command_bash_injection_reaches_the_model(fake_api, run_claude, cc_project):
    command = cc_project / ".claude" / "commands" / "orchestration" / "probe.md"
    command.parent.mkdir(parents=True)
    command.write_text("---\ndescription: e2e probe\nallowed-tools: Bash(echo:*)\n---\n\n"
                       "Probe state: !`echo PROBE-OUTPUT`\n")
    fake_api.script = [text("probed")]

    run = run_claude("/orchestration:probe", permission_mode=None)

    assert run.text == "probed"
    (request,) = fake_api.main_requests
    first_user = request.messages[0]
    assert first_user["role"] == "user"
    texts = [b.get("text", "") for b in first_user["content"]]
    assert any("<command-name>/orchestration:probe</command-name>" in t for t in texts)
    assert "Probe state: PROBE-OUTPUT\n" in texts
    assert "!`echo" not in request.messages_text
    fake_api.assert_no_errors()


def test_status_line_shows_in_interactive_mode(fake_api, claude_tmux, cc_project, tmp_path):
    status = recording_hook(tmp_path / "hooks", "statusline", stdout="STATUS-MARKER")
    write_json(cc_project / ".claude" / "settings.json",
               {"statusLine": {"type": "command", "command": str(status)}})
    fake_api.script = [text("INTERACTIVE-ANSWER")]

    tui = claude_tmux()
    tui.wait_for("STATUS-MARKER", timeout=30)
    tui.send_line("say something")
    tui.wait_for("INTERACTIVE-ANSWER", timeout=30)

    (request,) = fake_api.main_requests
    assert "say something" in request.last_user_text
    payloads = read_jsonl(tmp_path / "hooks" / "statusline.jsonl")
    assert payloads, "the status line command never ran"
    assert Path(payloads[0]["workspace"]["project_dir"]).resolve() == cc_project
    assert "hook_event_name" not in payloads[0]


def test_prompt_submit_block_is_shown_in_interactive_mode(fake_api, claude_tmux, cc_project,
                                                          tmp_path):
    gate = tmp_path / "hooks" / "gate.sh"
    gate.parent.mkdir()
    gate.write_text("#!/bin/sh\npayload=$(cat)\ncase \"$payload\" in\n"
                    "  *blockme*) echo '{\"decision\":\"block\",\"reason\":\"BLOCK-REASON-MARKER\"}' ;;\n"
                    "esac\n")
    gate.chmod(0o755)
    write_json(cc_project / ".claude" / "settings.json",
               hook_settings("UserPromptSubmit", gate))
    fake_api.script = [text("ALLOWED-ANSWER")]

    tui = claude_tmux()
    tui.send_line("blockme now")
    screen = tui.wait_for("BLOCK-REASON-MARKER", timeout=30)
    assert "UserPromptSubmit operation blocked by hook:" in screen
    assert "Original prompt: blockme now" in screen
    assert fake_api.main_requests == []
    # the blocked prompt is put back into the input box; clear it and go on
    tui.clear_input()
    tui.send_line("harmless prompt")
    tui.wait_for("ALLOWED-ANSWER", timeout=30)
    (request,) = fake_api.main_requests
    assert "harmless prompt" in request.last_user_text
    assert "blockme" not in request.messages_text


def test_subagent_requests_are_told_apart_from_the_main_agent(fake_api, run_claude, tmp_path):
    hooks = tmp_path / "hooks"
    record = recording_hook(hooks, "events")
    fake_api.script = [
        tool_use("Agent", {"description": "check things", "prompt": "SUBAGENT-MARKER do the check",
                           "subagent_type": "general-purpose", "run_in_background": False}),
        text("main done"),
    ]
    fake_api.subagent_script = [tool_use("Bash", {"command": "echo sub-bash"}), text("sub done")]

    # hooks from --settings (the "flag" layer), output as stream-json
    run = run_claude("delegate", output_format="stream-json", settings=merge_settings(
        hook_settings("SubagentStart", record), hook_settings("PreToolUse", record, matcher="*")))

    assert run.text == "main done"
    assert [m["type"] for m in run.result][0] == "system"
    main, sub = fake_api.main_requests, fake_api.subagent_requests
    assert len(main) == 2 and len(sub) == 2
    assert all(r.agent_id is None for r in main)
    agent_id = sub[0].agent_id
    assert agent_id and sub[1].agent_id == agent_id
    assert "SUBAGENT-MARKER do the check" in sub[0].last_user_text
    assert "sub-bash" in sub[1].tool_results_text
    assert "sub done" in main[1].tool_results_text
    events = read_jsonl(hooks / "events.jsonl")
    (started,) = [e for e in events if e["hook_event_name"] == "SubagentStart"]
    assert started["agent_id"] == agent_id
    assert started["agent_type"] == "general-purpose"
    tools = {e["tool_name"]: e for e in events if e["hook_event_name"] == "PreToolUse"}
    assert "agent_id" not in tools["Agent"]
    assert tools["Bash"]["agent_id"] == agent_id
    fake_api.assert_no_errors()
