"""Claude Code 2.1.332's ``PreSkillShellCommand``: the router answers it, ``orch install`` wires it where it is known.

2.1.332 fires ``PreSkillShellCommand`` before a skill's inline `` !`cmd` ``
runs, and reads its answer like PreToolUse's. 2.1.328 skips the unknown event
in settings, but shows a "Settings Warning" dialog at every interactive start
(seen), so install wires it only for a Claude Code that knows it: the version
``ORCH_CLAUDE_VERSION`` names, else the ``claude`` on PATH reports, else (none
found) every event. The real binaries are driven in tests/e2e/test_newest_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchcore import install
from orchcore.install.events import version_tuple, wired_events
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler
from tests.conftest import ok

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
NEW = "PreSkillShellCommand"

pytestmark = pytest.mark.usefixtures("isolated_home")


def skill_shell_command(command: str = "echo PROBE-MARKER argx") -> dict:
    """The payload 2.1.332 sends (captured from a project skill run as ``/probe argx``)."""
    return {
        "session_id": SESSION, "transcript_path": f"/home/dev/.claude/projects/-w/{SESSION}.jsonl",
        "cwd": "/home/dev/webapp", "prompt_id": "0cd68d24-f6d3-4ce7-9e08-c4e8100dc9f2",
        "permission_mode": "bypassPermissions", "effort": {"level": "medium"}, "hook_event_name": NEW,
        "tool_name": "Bash", "tool_input": {"command": command},
        "tool_use_id": "6647f993-4834-45fe-8721-b5e61e42be06:inner:preamble-0", "command_name": "probe",
        "command_source": "projectSettings", "invoked_by": "user",
    }


def fake_claude(folder: Path, version_line: str) -> Path:
    """A ``claude`` on PATH that reports ``version_line`` for ``--version``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "claude"
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    script.chmod(0o755)
    return folder


def wired(project: Path) -> dict:
    return json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))["hooks"]


@pytest.fixture
def no_claude(monkeypatch, tmp_path):
    """No ``ORCH_CLAUDE_VERSION`` and no ``claude`` on PATH."""
    monkeypatch.delenv("ORCH_CLAUDE_VERSION", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-claude-here"))


# -- which events, for which Claude Code ------------------------------------------------------


def test_the_newest_event_is_wired_for_2_1_332_and_later_but_not_for_2_1_328():
    assert NEW in wired_events("2.1.332") and NEW in wired_events("2.2.0")
    assert NEW not in wired_events("2.1.328")
    assert wired_events("2.1.328") == tuple(e for e in install.WIRED_EVENTS if e != NEW)


def test_with_no_known_version_every_event_is_wired():
    assert wired_events(None) == wired_events("not a version") == install.WIRED_EVENTS


def test_a_version_is_read_out_of_what_claude_prints():
    assert version_tuple("2.1.332 (Claude Code)") == (2, 1, 332)
    assert version_tuple("Claude Code") is None


def test_install_for_2_1_332_posts_the_skill_shell_command_to_the_runtime(orch_cli, orch_project, monkeypatch):
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.332")

    ok(orch_cli("install"))

    handlers = [h for group in wired(orch_project)[NEW] for h in group["hooks"]]
    assert wired(orch_project)[NEW][0]["matcher"] == "*"
    assert [h["type"] for h in handlers] == ["http"]
    assert NEW in install.HTTP_EVENTS


def test_install_for_2_1_328_leaves_the_event_out_and_says_so(orch_cli, orch_project, monkeypatch):
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.328")

    out = ok(orch_cli("install")).stdout.splitlines()

    assert NEW not in wired(orch_project)
    assert "PreToolUse" in wired(orch_project)
    assert f"  hooks added: all {len(install.WIRED_EVENTS) - 1} events" in out
    assert f"  not wired, unknown to Claude Code 2.1.328: {NEW}" in out


def test_installing_again_for_an_older_claude_code_takes_the_event_out_and_a_newer_one_puts_it_back(
        orch_cli, orch_project, monkeypatch):
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.332")
    ok(orch_cli("install"))

    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.328")
    assert NEW in ok(orch_cli("install", "--json")).json()["hooks"]["removed"]
    assert NEW not in wired(orch_project)

    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.332")
    assert ok(orch_cli("install", "--json")).json()["hooks"]["added"] == [NEW]


def test_install_asks_the_claude_on_path_for_its_version(orch_cli, orch_project, monkeypatch, tmp_path):
    monkeypatch.delenv("ORCH_CLAUDE_VERSION", raising=False)
    monkeypatch.setenv("PATH", str(fake_claude(tmp_path / "bin", "2.1.328 (Claude Code)")))

    ok(orch_cli("install"))

    assert NEW not in wired(orch_project)


@pytest.mark.usefixtures("no_claude")
def test_install_with_no_claude_code_found_wires_every_event(orch_cli, orch_project):
    ok(orch_cli("install"))

    assert list(wired(orch_project)) == list(install.WIRED_EVENTS)


def test_a_malformed_version_variable_is_a_one_line_error(orch_cli, monkeypatch):
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "newest")

    result = orch_cli("install")

    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert result.stderr == "orch: error: ORCH_CLAUDE_VERSION='newest' is not a Claude Code version like 2.1.332\n"


def test_doctor_does_not_ask_for_the_event_a_2_1_328_does_not_know(orch_cli, monkeypatch):
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.328")
    ok(orch_cli("install"))

    found = {c["name"]: c for c in orch_cli("doctor", "--json").json()["checks"]}

    assert found["settings (project)"]["status"] == "ok", found["settings (project)"]
    assert f"{len(install.WIRED_EVENTS) - 1} events wired" in found["settings (project)"]["detail"]


# -- the router ---------------------------------------------------------------------------


class ShellGuard:
    """Denies a skill's shell commands that push, and tries to rewrite the others."""

    @hookimpl
    def orch_hook_handlers(self):
        def guard(event, context):
            if "push" in event.tool_input.get("command", ""):
                return HookResult.deny(f"/{event.get('command_name')} may not push")
            return HookResult(permission="allow", updated_input={"command": "true"})

        return [HookHandler(name="shell_guard", events=[NEW], handler=guard, matcher="Bash")]


@pytest.fixture
def guarded(orch_bus, register_plugin):
    orch_bus.create_session(SESSION, orchestration_enabled=True)
    register_plugin(ShellGuard())


@pytest.mark.usefixtures("guarded")
def test_a_handler_denies_a_skills_shell_command_and_the_event_is_recorded(orch_hook, orch_bus):
    run = orch_hook(skill_shell_command("git push origin main"))

    assert run.exit_code == 0
    assert run.answer == {"hookSpecificOutput": {
        "hookEventName": NEW, "permissionDecision": "deny", "permissionDecisionReason": "/probe may not push"}}
    handled = orch_bus.store.events(SESSION, types=["hook.handled"])[-1]
    assert handled.data["event"] == NEW and handled.data["tool_name"] == "Bash"
    assert handled.data["permission"] == "deny"


@pytest.mark.usefixtures("guarded")
def test_a_rewritten_command_is_not_sent_back_since_any_updated_input_stops_it(orch_hook):
    run = orch_hook(skill_shell_command("ls"))

    assert run.answer == {"hookSpecificOutput": {"hookEventName": NEW, "permissionDecision": "allow"}}


@pytest.mark.usefixtures("guarded")
def test_the_same_skill_shell_command_is_recorded_once(orch_hook, orch_bus):
    orch_hook(skill_shell_command("ls"))
    orch_hook(skill_shell_command("ls"))

    assert len(orch_bus.store.events(SESSION, types=["hook.handled"])) == 1
