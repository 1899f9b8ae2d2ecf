"""orchcore inside the real Claude Code 2.1.328, against the scripted fake model.

The seven end-to-end scenarios of issue 3. In every test orchcore is wired in
the way a user does it: the real ``orch install --scope project`` writes
``.claude/settings.json`` (hooks -> ``orch hook``, ``statusLine`` -> ``orch
statusline``) and renders what plugins provide into ``.claude/``; then the real
``claude`` binary runs and starts the real ``orch`` processes itself. Test
plugins are fake installed distributions on ``PYTHONPATH`` (see
``orch_e2e.py``). The tests only look at what Claude Code did (files, the
requests the fake model received, the screen) and what ``orch`` prints.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .fake_api import rules, text, tool_use
from .harness import write_script
from .orch_e2e import OrchProject, format_events, handled

E2E_DIR = Path(__file__).parent


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


def _add_diagnostics(request: pytest.FixtureRequest, title: str, provider) -> None:
    """Use conftest's failure-report hook (its stash key lives in the conftest module)."""
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) == str(E2E_DIR / "conftest.py"):
            plugin._add_diagnostics(request, title, provider)
            return


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str],
         tmp_path: Path) -> OrchProject:
    """The test project with ``orch`` on claude's PATH, a plugin folder on PYTHONPATH and a
    private entry-point cache (``cc_env`` is changed in place, so every claude run sees it)."""
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    return project


def _bash_then(answer: str, command: str):
    """Script: the model runs one Bash command, then answers ``answer``."""
    return rules(
        (lambda r: not r.tool_results, tool_use("Bash", {"command": command,
                                                          "description": "e2e command"})),
        (lambda r: bool(r.tool_results), text(answer)),
    )


def _types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def _ended(events: list[dict]) -> bool:
    """SessionEnd reached orchcore (with orchestration off, only ``session.ended`` is recorded)."""
    return "session.ended" in _types(events)


def _ended_on(events: list[dict]) -> bool:
    """SessionEnd was handled to the end, for a session with orchestration on."""
    return _ended(events) and bool(handled(events, "SessionEnd"))


# --------------------------------------------------------------------------
# test plugins (fake installed distributions)
# --------------------------------------------------------------------------

DENY_REASON = "E2E-DENY: rm is not allowed in this project"

DENY_PLUGIN = f'''
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler


def no_rm(event, context):
    if "rm " in event.tool_input.get("command", ""):
        return HookResult.deny({DENY_REASON!r})
    return None


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="e2e-no-rm", events=["PreToolUse"], matcher="Bash", handler=no_rm)]
'''

CONTEXT_PLUGIN = '''
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler


def add_context(event, context):
    session = context.session
    return HookResult.context(
        f"CTX-FROM-PLUGIN session={session.session_id} mode={session.mode} prompt={event.prompt}")


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="e2e-context", events=["UserPromptSubmit"], handler=add_context)]
'''

STYLE_BODY = ("STYLE-FROM-PLUGIN: you are the e2e dashboard.\n"
              "Open every answer with the team's state.")

PROGRAM_PLUGIN = f'''
from orchcore.plugins import hookimpl
from orchcore.specs import ProgramSpec


@hookimpl
def orch_programs():
    return [ProgramSpec(name="e2e-dashboard", description="The e2e dashboard program",
                        output_style={STYLE_BODY!r}, mode="e2e-dashboard")]
'''

COMMAND_BODY = "State: !`orch state get mode`\n\nSession: !`orch session show --json`\n"

COMMAND_PLUGIN = f'''
from orchcore.plugins import hookimpl
from orchcore.specs import CommandSpec


@hookimpl
def orch_commands():
    return [CommandSpec(command="show-state", folder="orchestration",
                        description="Show the orchestration state of this session",
                        allowed_tools=["Bash(orch:*)"], body={COMMAND_BODY!r})]
'''

# Imports slowly (until the file named by $E2E_HOLD_UNTIL exists) in every process that needs
# the event types: the router's session creation waits for it, the status line does not.
SLOW_IMPORT_PLUGIN = '''
import os
import time

_release = os.environ.get("E2E_HOLD_UNTIL")
if _release:
    _deadline = time.monotonic() + 30
    while not os.path.exists(_release) and time.monotonic() < _deadline:
        time.sleep(0.02)

from orchcore.plugins import hookimpl
from orchcore.specs import EventType


@hookimpl
def orch_event_types():
    return [EventType(name="e2e.noted", reducer=lambda session, event: session)]
'''


# --------------------------------------------------------------------------
# 1. a Bash turn: the session and its events
# --------------------------------------------------------------------------


@pytest.mark.parametrize("switch", ["project-default", "ORCH_ENABLED=1"])
def test_bash_turn_records_the_session_and_its_hook_events(fake_api, run_claude, cc_project, orch,
                                                           switch):
    if switch == "project-default":
        orch.enable_by_default()  # .claude/orchcore.json: new sessions start with it on
    summary = orch.install()
    assert summary["hooks"]["added"] and summary["status_line"] == "added"
    fake_api.script = _bash_then("done", "echo hi > marker.txt")

    run = run_claude("write the marker",
                     env=None if switch == "project-default" else {"ORCH_ENABLED": "1"})

    assert run.text == "done"
    assert (cc_project / "marker.txt").read_text() == "hi\n"
    sid = run.session_id
    events = orch.wait_for_events(sid, _ended_on, "SessionEnd handled")
    session = orch.session(sid)
    assert session["session_id"] == sid
    # the environment wins over the session's own flag, which stays what the project says
    stored_flag = switch == "project-default"
    assert session["orchestration_enabled"] is stored_flag
    assert session["ended_at"] is not None
    assert session["last_seq"] == events[-1]["seq"] == len(events)

    assert events[0]["type"] == "session.created", format_events(events)
    assert events[0]["data"]["orchestration_enabled"] is stored_flag
    (started,) = [e for e in events if e["type"] == "session.started"]
    assert started["data"]["source"] == "startup"
    assert started["data"]["transcript_path"].endswith(f"/{sid}.jsonl")  # what recovery reads
    (prompt,) = handled(events, "UserPromptSubmit")
    assert prompt["prompt"] == "write the marker"
    tool_use_id = fake_api.main_requests[0].reply.blocks[0]["id"]
    (pre,) = handled(events, "PreToolUse")
    assert pre["tool_name"] == "Bash" and pre["tool_use_id"] == tool_use_id
    assert "permission" not in pre  # no handler decided anything: Claude Code's own rules apply
    (post,) = handled(events, "PostToolUse")
    assert post["tool_name"] == "Bash" and post["tool_use_id"] == tool_use_id
    assert len(handled(events, "Stop")) == 1
    # recorded in the order Claude Code fired them
    steps = [e["data"]["event"] if e["type"] == "hook.handled" else e["type"] for e in events]
    order = [steps.index(step) for step in ("session.started", "UserPromptSubmit", "PreToolUse",
                                            "PostToolUse", "Stop", "session.ended")]
    assert order == sorted(order), format_events(events)
    counts = session["state"]["metrics"]["hook_events"]
    assert {k: counts.get(k) for k in ("UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop")} == \
        {"UserPromptSubmit": 1, "PreToolUse": 1, "PostToolUse": 1, "Stop": 1}
    # the state is the fold of the log
    assert "stored state equals the replayed log" in orch.orch("events", "replay", "--session", sid,
                                                               "--check").stdout
    assert orch.flag_file(sid, enabled=stored_flag).exists()
    assert orch.hook_log() == ""
    fake_api.assert_no_errors()


@pytest.mark.parametrize("switch", ["project-default", "ORCH_ENABLED=0"])
def test_bash_turn_with_orchestration_off_records_only_the_lifecycle(fake_api, run_claude,
                                                                     cc_project, orch, switch):
    # off by default (no .claude/orchcore.json), or ORCH_ENABLED=0 over a project default of on
    stored_flag = switch != "project-default"
    if stored_flag:
        orch.enable_by_default()
    orch.install()
    fake_api.script = _bash_then("done", "echo hi > marker.txt")

    run = run_claude("write the marker", env={"ORCH_ENABLED": "0"} if stored_flag else None)

    assert run.text == "done"
    assert (cc_project / "marker.txt").read_text() == "hi\n"
    sid = run.session_id
    events = orch.wait_for_events(sid, _ended, "session.ended")
    assert _types(events) == ["session.created", "session.started", "session.ended"], \
        format_events(events)
    assert events[0]["data"]["orchestration_enabled"] is stored_flag
    assert events[1]["data"]["source"] == "startup"
    session = orch.session(sid)
    assert session["orchestration_enabled"] is stored_flag
    assert session["state"]["metrics"] == {}
    # the flag file the gate answers the session's other events from
    assert orch.flag_file(sid, enabled=stored_flag).exists()
    assert not orch.flag_file(sid, enabled=not stored_flag).exists()
    assert orch.hook_log() == ""
    fake_api.assert_no_errors()


# --------------------------------------------------------------------------
# 2. a plugin's PreToolUse handler denies a Bash command
# --------------------------------------------------------------------------


@pytest.mark.exercises_hook("orch_hook_handlers")
def test_plugin_denies_a_bash_command_and_claude_code_does_not_run_it(fake_api, run_claude,
                                                                      cc_project, orch):
    orch.add_plugin("orche2e-deny", DENY_PLUGIN)
    orch.enable_by_default()
    orch.install()
    keep = cc_project / "keep.txt"
    keep.write_text("precious\n")
    fake_api.script = _bash_then("could not delete it", "rm -f keep.txt")

    run = run_claude("delete keep.txt")

    assert run.text == "could not delete it"
    assert keep.read_text() == "precious\n"  # the command never ran
    first, second = fake_api.wait_for_main_requests(2)
    (result,) = second.tool_results
    assert result["tool_use_id"] == first.reply.blocks[0]["id"]
    assert result.get("is_error") is True
    assert DENY_REASON in second.tool_result_text(result)
    events = orch.wait_for_events(run.session_id, _ended_on, "SessionEnd handled")
    (pre,) = handled(events, "PreToolUse")
    assert pre["tool_name"] == "Bash"
    assert pre["permission"] == "deny"
    assert pre["handlers"]["e2e-no-rm"]["ok"] is True
    assert handled(events, "PostToolUse") == []  # nothing ran, so nothing finished
    fake_api.assert_no_errors()


# --------------------------------------------------------------------------
# 3. a UserPromptSubmit handler's additional context reaches the model
# --------------------------------------------------------------------------


@pytest.mark.exercises_hook("orch_hook_handlers")
def test_prompt_submit_context_from_a_plugin_reaches_the_model(fake_api, run_claude, orch):
    orch.add_plugin("orche2e-context", CONTEXT_PLUGIN)
    orch.enable_by_default()
    orch.install()
    fake_api.script = [text("ok")]

    run = run_claude("what is going on")

    (request,) = fake_api.main_requests
    expected = f"CTX-FROM-PLUGIN session={run.session_id} mode=default prompt=what is going on"
    (where,) = request.locate(expected)
    assert where.endswith(":system"), where  # 2.1.328: a role "system" message, see README
    # the router heads each part with the handler that wrote it
    assert f"UserPromptSubmit hook additional context: [e2e-context]\n{expected}" in \
        request.system_messages_text
    assert "what is going on" in request.last_user_text
    events = orch.wait_for_events(run.session_id, _ended_on, "SessionEnd handled")
    (prompt,) = handled(events, "UserPromptSubmit")
    assert prompt["handlers"]["e2e-context"]["ok"] is True
    fake_api.assert_no_errors()


# --------------------------------------------------------------------------
# 4. a program's output style, rendered by orch install, reaches the model
# --------------------------------------------------------------------------


@pytest.mark.exercises_hook("orch_programs")
def test_output_style_rendered_by_install_reaches_the_model(fake_api, run_claude, cc_project, orch):
    orch.add_plugin("orche2e-program", PROGRAM_PLUGIN)
    summary = orch.install()
    style = cc_project / ".claude" / "output-styles" / "e2e-dashboard.md"
    assert str(style) in summary["files"]["written"]
    assert style.read_text() == ("---\nname: e2e-dashboard\ndescription: The e2e dashboard program\n"
                                 f"---\n\n{STYLE_BODY}\n")
    (cc_project / ".claude" / "settings.local.json").write_text(
        json.dumps({"outputStyle": "e2e-dashboard"}, indent=2) + "\n")
    fake_api.script = [text("styled")]

    run_claude("hello")

    (request,) = fake_api.main_requests
    (where,) = request.locate("STYLE-FROM-PLUGIN")
    assert where.endswith(":system"), where
    assert f"# Output Style: e2e-dashboard\n{STYLE_BODY}" in request.system_messages_text
    assert 'according to your "Output Style"' in request.system_text
    fake_api.assert_no_errors()


# --------------------------------------------------------------------------
# 5. a slash command's !`orch …` lines show the session's state to the model
# --------------------------------------------------------------------------


@pytest.mark.exercises_hook("orch_commands")
def test_slash_command_shows_the_session_state_to_the_model(fake_api, run_claude, cc_project, orch):
    orch.add_plugin("orche2e-command", COMMAND_PLUGIN)
    orch.enable_by_default()
    summary = orch.install()
    command = cc_project / ".claude" / "commands" / "orchestration" / "show-state.md"
    assert str(command) in summary["files"]["written"]
    assert command.read_text() == (
        "---\ndescription: Show the orchestration state of this session\n"
        f"allowed-tools: Bash(orch:*)\n---\n\n{COMMAND_BODY}")
    sid = str(uuid.uuid4())
    orch.orch("session", "create", sid, "--enable", "--mode", "sprint_execution")
    fake_api.script = [text("shown")]

    # the default permission mode: the command's allowed-tools must let `orch` run
    run = run_claude("/orchestration:show-state", session_id=sid, permission_mode=None)

    assert run.text == "shown"
    (request,) = fake_api.main_requests
    texts = [b.get("text", "") for b in request.messages[0]["content"]]
    assert any("<command-name>/orchestration:show-state</command-name>" in t for t in texts)
    (expanded,) = [t for t in texts if t.startswith("State: ")]
    assert expanded.startswith("State: sprint_execution\n\nSession: {"), expanded
    shown = json.loads(expanded.split("Session: ", 1)[1])
    assert shown["session_id"] == sid  # orch found the session through CLAUDE_CODE_SESSION_ID
    assert shown["mode"] == "sprint_execution"
    assert shown["orchestration_enabled"] is True
    # the hooks that ran before the expansion are already in the state the model sees
    assert shown["state"]["metrics"]["hook_events"].get("SessionStart") == 1
    assert "!`orch" not in request.messages_text
    events = orch.wait_for_events(sid, _ended_on, "SessionEnd handled")
    assert [e["data"]["source"] for e in events if e["type"] == "session.started"] == ["startup"]
    assert events[0]["source"] == "cli"  # created by `orch session create`, kept by the hooks
    fake_api.assert_no_errors()


# --------------------------------------------------------------------------
# 6. the status line in interactive mode
# --------------------------------------------------------------------------


def _status_row(screen: str) -> str | None:
    """The status line under the input box: the last row with orchcore's separator."""
    rows = [line.strip() for line in screen.splitlines() if " │ " in line]
    return rows[-1] if rows else None


@pytest.mark.exercises_hook("orch_status_segments")
def test_status_line_shows_orchcore_segments_in_interactive_mode(fake_api, claude_tmux, orch):
    orch.enable_by_default()
    summary = orch.install()
    assert summary["status_line"] == "added"
    fake_api.script = [text("FIRST-ANSWER"), text("SECOND-ANSWER")]
    sid = str(uuid.uuid4())

    tui = claude_tmux(["--session-id", sid], env={"NO_COLOR": "1"})
    assert orch.wait_for_session(sid)["orchestration_enabled"] is True
    # Claude Code re-renders the status line once the turn is done. (The very first render can
    # race the SessionStart hook that creates the session: see the test below.)
    tui.send_line("first prompt")
    tui.wait_for("FIRST-ANSWER", timeout=30)
    screen = tui.wait_for(lambda s: "agents 0/0" in (_status_row(s) or ""), timeout=15)
    row = _status_row(screen)
    assert row.startswith("○ default │ agents 0/0 │ tasks 0 pending · 0 active │ "), row
    assert " │ project │ " in row  # then the plain segments: model, folder, git branch
    # the usage segments read the binary's own status-line input: its cost, and the context once a turn is done
    # (no rate limits: Claude Code sends them to Claude.ai plans only, not to an API key)
    row = _status_row(tui.wait_for(lambda s: " │ ctx " in (_status_row(s) or ""), timeout=15))
    assert " │ $" in row and "5h " not in row, row

    # the status line follows the session's state as it changes
    orch.orch("session", "set-mode", "sprint_execution", "--session", sid)
    orch.orch("events", "emit", "agent.upserted", "--session", sid,
              "--data", json.dumps({"id": "qa-1", "status": "active"}))
    tui.send_line("second prompt")
    tui.wait_for("SECOND-ANSWER", timeout=30)
    # (a re-render may come between the two commands: wait for the row with both changes)
    # (the icon is the program's when a program with that mode is installed, ○ otherwise)
    expected = " sprint_execution │ agents 1/1 │ tasks 0 pending · 0 active │ "
    tui.wait_for(lambda s: expected in (_status_row(s) or ""), timeout=15)
    assert "\x1b[" not in tui.capture()  # NO_COLOR (capture-pane drops escapes anyway)


def test_status_line_shows_segments_before_session_start_has_created_the_session(
        fake_api, claude_tmux, orch, tmp_path):
    # A plugin whose import is slow (here: held until we release it) delays the SessionStart
    # hook's session creation, which makes the race certain; without it, 1 of 9 plain starts
    # showed the same thing here (the first status line rendered before the session existed).
    orch.add_plugin("orche2e-slow-import", SLOW_IMPORT_PLUGIN)
    orch.enable_by_default()
    orch.install()  # E2E_HOLD_UNTIL is not set here: install imports the plugin at once
    release = tmp_path / "release-session-start"
    sid = str(uuid.uuid4())

    tui = claude_tmux(["--session-id", sid], env={"NO_COLOR": "1", "E2E_HOLD_UNTIL": str(release)})
    # the status line must not wait for hooks: it shows while SessionStart is still held
    first = _status_row(tui.wait_for(lambda s: _status_row(s) is not None, timeout=30))
    existed = orch.session_or_none(sid) is not None
    release.touch()
    assert orch.wait_for_session(sid)["orchestration_enabled"] is True
    try:
        tui.wait_for(lambda s: "agents 0/0" in (_status_row(s) or ""), timeout=4)
    except AssertionError:
        raise AssertionError(
            f"the status line never showed orchcore's segments for the new session; first row "
            f"{first!r} (session in the store then: {existed}), now {_status_row(tui.capture())!r}"
        ) from None


# --------------------------------------------------------------------------
# 7. install, run, uninstall: a settings file with other hooks comes back byte for byte
# --------------------------------------------------------------------------


def test_install_keeps_other_hooks_working_and_uninstall_restores_settings_bytes(
        fake_api, run_claude, cc_project, orch, tmp_path):
    other_log = tmp_path / "other-hook.jsonl"
    other = write_script(tmp_path / "hooks" / "other.sh",
                         f"cat >> '{other_log}'\necho >> '{other_log}'\n")
    settings = cc_project / ".claude" / "settings.json"
    original = json.dumps({
        "x-team-note": "a key orchcore does not know",
        "env": {"E2E_CUSTOM": "custom-value"},
        "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": str(other), "timeout": 10}]}]},
        "permissions": {"allow": ["Bash(echo:*)"]},
    }, indent=4) + "\n"
    settings.write_text(original)
    orch.enable_by_default()

    summary = orch.install()
    assert summary["hooks"]["added"] and summary["backup"]
    installed = json.loads(settings.read_text())
    assert installed["x-team-note"] == "a key orchcore does not know"
    assert installed["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == str(other)
    assert settings.read_text().startswith('{\n    "x-team-note"')  # its 4-space layout kept
    assert orch.install()["changed"] is False  # a second install changes nothing

    fake_api.script = _bash_then("done", "echo $E2E_CUSTOM > marker.txt")
    run = run_claude("write the marker")

    assert run.text == "done"
    assert (cc_project / "marker.txt").read_text() == "custom-value\n"  # the settings' env applied
    (payload,) = [json.loads(line) for line in other_log.read_text().splitlines() if line.strip()]
    assert payload["hook_event_name"] == "PreToolUse"
    assert payload["tool_input"]["command"] == "echo $E2E_CUSTOM > marker.txt"
    events = orch.wait_for_events(run.session_id, _ended_on, "SessionEnd handled")
    (pre,) = handled(events, "PreToolUse")
    assert pre["tool_name"] == "Bash"
    assert handled(events, "Stop")

    summary = orch.uninstall()
    assert summary["changed"] is True
    assert settings.read_text() == original
    assert settings.read_bytes() == original.encode()
    assert not (cc_project / ".claude" / "orchcore-manifest.json").exists()
    assert summary["backups_removed"] == [str(settings) + ".orchcore-backup"]
    assert not (cc_project / ".claude" / "settings.json.orchcore-backup").exists()  # no copy of our hooks left
    fake_api.assert_no_errors()
