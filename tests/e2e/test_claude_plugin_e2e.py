"""orchcore as a native plugin of the real Claude Code 2.1.328: validated, installed from a marketplace, recording.

The real ``orch export claude-plugin --marketplace`` writes a local
marketplace; the real ``claude plugin validate``, ``claude plugin marketplace
add`` and ``claude plugin install`` take it into the test's isolated HOME.
The project never runs ``orch install`` (its ``.claude/`` holds no settings),
so whatever orchcore records comes through the plugin's hooks; its slash
command (a test plugin's, exported with the rest) finds orch through the
plugin's ``bin/`` with no orch on the PATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from .fake_api import text
from .orch_e2e import ORCH_BIN_DIR, OrchProject, handled
from .test_orchcore import COMMAND_PLUGIN, _add_diagnostics, _bash_then, _ended_on

MARKETPLACE = "orchcore-local"


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.add_plugin("orche2e-command", COMMAND_PLUGIN)
    # no orch on Claude Code's PATH: the plugin must bring its own
    cc_env["PATH"] = os.pathsep.join(p for p in cc_env["PATH"].split(os.pathsep) if p != str(ORCH_BIN_DIR))
    return project


def claude(claude_bin: Path, env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(claude_bin), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"claude {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def validate(claude_bin: Path, env: dict[str, str], folder: Path) -> dict:
    """``claude plugin validate --json``: its report (exit 0 when it passes, warnings or not)."""
    return json.loads(claude(claude_bin, env, folder.parent, "plugin", "validate", str(folder), "--json").stdout)


@pytest.mark.exercises_hook("orch_commands")
def test_the_exported_plugin_validates_installs_and_records_a_run_in_a_project_without_orch_install(
        fake_api, run_claude, claude_bin, cc_project, cc_env, orch, tmp_path):
    market = tmp_path / "marketplace"
    exported = orch.orch_json("export", "claude-plugin", str(market), "--marketplace", "--json")
    assert exported["install"] == f"orchcore@{MARKETPLACE}"
    plugin = market / "plugins" / "orchcore"

    for folder in (plugin, market):
        report = validate(claude_bin, cc_env, folder)
        checked = [report["manifest"], *report["contents"]]
        assert report["success"] is True and [e for part in checked for e in part["errors"]] == []
        warnings = [w["message"] for part in checked for w in part["warnings"]]
        # an event newer than this Claude Code is ignored by it, with a warning; nothing else is warned about
        assert [w for w in warnings if "unknown hook event" not in w] == [], warnings
    provides = validate(claude_bin, cc_env, plugin)["provides"]
    assert {hook["event"] for hook in provides["hooks"]} <= set(exported["hooks"])
    assert {hook["command"] for hook in provides["hooks"]} == {exported["hook_command"]}
    assert "orchcore:orchestration:show-state" in [c if isinstance(c, str) else c.get("name")
                                                   for c in provides["commands"]]

    claude(claude_bin, cc_env, tmp_path, "plugin", "marketplace", "add", str(market))
    claude(claude_bin, cc_env, tmp_path, "plugin", "install", f"orchcore@{MARKETPLACE}")
    listed = claude(claude_bin, cc_env, tmp_path, "plugin", "list").stdout
    assert f"orchcore@{MARKETPLACE}" in listed
    assert not (cc_project / ".claude" / "settings.json").exists()  # nothing of orch install here
    doctor = {c["name"]: c for c in json.loads(orch.orch("doctor", "--json", check=False).stdout)["checks"]}
    found = doctor[f"claude plugin orchcore@{MARKETPLACE}"]
    assert found["status"] == "ok", found  # found where Claude Code put it
    assert doctor["wiring"] == {"name": "wiring", "status": "ok",
                                "detail": f"wired in the Claude Code plugin orchcore@{MARKETPLACE}"}
    orch.enable_by_default()  # .claude/orchcore.json: orchestration on for new sessions

    fake_api.script = _bash_then("done", "echo hi > marker.txt")
    run = run_claude("write the marker")

    assert run.text == "done" and (cc_project / "marker.txt").read_text() == "hi\n"
    events = orch.wait_for_events(run.session_id, _ended_on, "SessionEnd handled")
    assert orch.session(run.session_id)["orchestration_enabled"] is True
    (pre,) = handled(events, "PreToolUse")
    assert pre["tool_name"] == "Bash" and pre["tool_use_id"] == fake_api.main_requests[0].reply.blocks[0]["id"]
    assert handled(events, "UserPromptSubmit")[0]["prompt"] == "write the marker"
    assert len(handled(events, "PostToolUse")) == len(handled(events, "Stop")) == 1  # each event once
    assert orch.hook_log() == ""

    sid = str(uuid.uuid4())
    orch.orch("session", "create", sid, "--enable", "--mode", "sprint_execution")
    fake_api.script = [text("shown")]
    run = run_claude("/orchcore:orchestration:show-state", session_id=sid, permission_mode=None)

    assert run.text == "shown"
    expanded = fake_api.main_requests[-1].messages_text
    assert "State: sprint_execution" in expanded and "!`orch" not in expanded  # orch ran, from the plugin's bin/
    fake_api.assert_no_errors()
