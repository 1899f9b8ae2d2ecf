"""The newest Claude Code's hook event, ``PreSkillShellCommand`` (2.1.332), with the real binary.

2.1.332 fires it before a skill's inline `` !`cmd` `` runs and reads the answer
like PreToolUse's. ``orch install`` wires it (an http hook to the resident
runtime) for a Claude Code that knows it, asking the ``claude`` on PATH; the
pinned 2.1.328 would skip the unknown event and show a "Settings Warning"
dialog at every interactive start, so for it the event is left out.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .claude_binary import CLAUDE_CODE_VERSION, running_at_least
from .fake_api import text
from .orch_e2e import OrchProject, handled
from .test_orchcore import _add_diagnostics

NEW = "PreSkillShellCommand"
needs_2_1_332 = pytest.mark.skipif(
    not running_at_least("2.1.332"),
    reason=f"Claude Code {CLAUDE_CODE_VERSION} has no PreSkillShellCommand (added in 2.1.332; "
           "ORCH_E2E_CLAUDE_VERSION=2.1.332 runs it)")

GUARD = '''
from orchcore.api import HookHandler, HookResult, hookimpl


def guard(event, context):
    if "FORBIDDEN" in event.tool_input.get("command", ""):
        return HookResult.deny(f"/{event.get('command_name')} may not run that here")
    return None


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="skill_shell_guard", events=["PreSkillShellCommand"], handler=guard, matcher="Bash")]
'''


def write_skill(project: Path, name: str, line: str) -> None:
    folder = project / ".claude" / "skills" / name
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: an e2e skill\nallowed-tools: Bash(echo:*)\n---\n{line}\n")


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.add_plugin("orche2e-skill-guard", GUARD)
    project.enable_by_default()
    project.install()
    write_skill(cc_project, "board", "Board: !`echo SKILL-MARKER $ARGUMENTS`")
    write_skill(cc_project, "risky", "Risky: !`echo FORBIDDEN-MARKER`")
    return project


@needs_2_1_332
def test_a_skills_inline_command_is_recorded_by_orchcore_and_its_output_reaches_the_model(fake_api, run_claude, orch):
    fake_api.script = [text("board seen")]
    sid = str(uuid.uuid4())

    run = run_claude("/board sprint-7", session_id=sid)

    assert run.text == "board seen"
    (request,) = fake_api.main_requests
    assert "Board: SKILL-MARKER sprint-7" in request.messages_text  # the command ran, orchcore let it
    events = orch.wait_for_events(sid, lambda e: bool(handled(e, NEW)), f"{NEW} handled")
    (skill,) = handled(events, NEW)
    assert skill["tool_name"] == "Bash" and skill["handlers"]["skill_shell_guard"]["ok"] is True
    settings = json.loads((orch.project / ".claude" / "settings.json").read_text())
    assert [h["type"] for group in settings["hooks"][NEW] for h in group["hooks"]] == ["http"]


@needs_2_1_332
def test_a_handlers_denial_keeps_a_skills_command_from_running(fake_api, run_claude, orch):
    fake_api.script = [text("risky seen")]
    sid = str(uuid.uuid4())

    run = run_claude("/risky", session_id=sid)

    sent = "\n".join(r.messages_text for r in fake_api.main_requests)
    assert run.text == "risky seen"
    # what the model got in place of the command's output: orchcore's reason
    assert "Risky: [not run: blocked by hook: /risky may not run that here]" in sent
    assert "FORBIDDEN-MARKER" not in sent  # neither run nor shown
    events = orch.wait_for_events(sid, lambda e: bool(handled(e, NEW)), f"{NEW} handled")
    (skill,) = handled(events, NEW)
    assert skill["permission"] == "deny"


@pytest.mark.skipif(running_at_least("2.1.332"), reason="only a Claude Code without PreSkillShellCommand")
def test_install_leaves_the_event_out_for_a_claude_code_that_does_not_know_it(fake_api, run_claude, orch):
    fake_api.script = [text("done")]

    run = run_claude("hello")

    settings = json.loads((orch.project / ".claude" / "settings.json").read_text())
    assert NEW not in settings["hooks"] and "PreToolUse" in settings["hooks"]
    assert "Unknown hook event" not in run.debug_text()  # no settings warning (a dialog in interactive mode)
