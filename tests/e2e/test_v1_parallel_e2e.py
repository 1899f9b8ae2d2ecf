"""V1 and orchcore side by side in the real Claude Code, and ``orch uninstall`` back to V1 (issue 11).

The project has V1 installed (``tests/v1_fixture.py``: V1's logging hooks in ``.claude/settings.json``,
its commands with `` !`python3 .claude/scripts/…` `` lines, agents, scripts and state); then the real
``orch install --scope project`` wires orchcore next to it (http hooks to the resident runtime, the
rest as commands). Claude Code runs both: V1's hooks for every session, orchcore's recording only
for a session whose orchestration is on. After ``orch uninstall`` the settings are V1's again byte
for byte and a run fires V1's hooks only.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.v1_fixture import HOOKS_LOG, ORCHCORE_STATE, V1_HOOK_OUTPUT, make_v1_project, tree_hashes

from .fake_api import rules, text, tool_use
from .orch_e2e import OrchProject, handled


KEPT = ORCHCORE_STATE + V1_HOOK_OUTPUT + (".git/",)  # left out of "V1's files are as they were"


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    from .conftest import _add_diagnostics

    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    _add_diagnostics(request, "V1's hook log", lambda: _read(cc_project / HOOKS_LOG))
    return project


@pytest.fixture
def v1(cc_project: Path) -> dict:
    return make_v1_project(cc_project)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "(none)"


def one_bash_call(command: str, answer: str):
    return rules(
        (lambda r: not r.tool_results, tool_use("Bash", {"command": command, "description": "e2e"})),
        (lambda r: bool(r.tool_results), text(answer)),
    )


def v1_logged(project: Path, session_id: str, timeout: float = 15) -> list[tuple[str, str | None]]:
    """The V1 hook scripts that logged one session, (script, tool), sorted (Claude Code runs an event's
    hooks in parallel), once its Stop hook has logged."""
    deadline = time.monotonic() + timeout
    while True:
        path = project / HOOKS_LOG
        lines = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
        mine = sorted((x["script"], x["tool_name"]) for x in lines if x["session_id"] == session_id)
        if ("stop", None) in mine or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def ended(events: list[dict]) -> bool:
    return any(e["type"] == "session.ended" for e in events)


# What V1's hooks log for a -p run with one Bash call: both SessionStart scripts, the prompt, both
# PostToolUse scripts, Stop.
V1_ONE_BASH_CALL = sorted([
    ("session_start", None), ("orchestration_session_init", None), ("user_prompt_submit", None),
    ("pre_tool_use", "Bash"), ("post_tool_use", "Bash"), ("orchestration_handler", "Bash"), ("stop", None),
])


def test_claude_runs_v1s_hooks_and_orchcores_and_after_uninstall_v1s_only(fake_api, run_claude, orch, v1):
    project = orch.project
    settings_before = v1["settings"].read_bytes()
    v1_before = tree_hashes(project, exclude=KEPT)
    summary = orch.install()
    assert summary["transport"] == "http"
    kept = {Path(s["path"]).name for s in summary["files"]["skipped"]}
    assert {"engineering-lead.md", "qa-director.md"} <= kept  # V1's agents, not replaced by orch-teams'

    # a session with orchestration on: V1's hooks log it, orchcore records it
    on = str(uuid.uuid4())
    orch.orch("session", "create", on, "--enable")
    fake_api.script = one_bash_call("echo side-by-side", "done")
    assert run_claude("show the sprint", session_id=on).text == "done"
    assert v1_logged(project, on) == V1_ONE_BASH_CALL
    assert json.loads((v1["sessions"] / f"{on}.json").read_text())["prompts"] == ["show the sprint"]
    events = orch.wait_for_events(on, lambda ev: ended(ev) and bool(handled(ev, "PostToolUse")),
                                  "PostToolUse handled and SessionEnd")
    assert handled(events, "PreToolUse") and handled(events, "UserPromptSubmit")

    # a session with orchestration off (the default): V1's hooks still run, orchcore handles nothing
    off = str(uuid.uuid4())
    fake_api.script = one_bash_call("echo v1-only", "done")
    run_claude("show the sprint again", session_id=off)
    assert v1_logged(project, off) == V1_ONE_BASH_CALL
    events = orch.wait_for_events(off, ended, "SessionEnd of the session with orchestration off")
    assert orch.session(off)["orchestration_enabled"] is False
    assert not [e for e in events if e["type"] == "hook.handled"]

    # one command back: V1's settings byte for byte, every V1 file as it was, V1's hooks alone
    orch.uninstall()
    assert v1["settings"].read_bytes() == settings_before
    assert tree_hashes(project, exclude=KEPT) == v1_before
    back = str(uuid.uuid4())
    fake_api.script = one_bash_call("echo back-to-v1", "done")
    run_claude("and once more", session_id=back)
    assert v1_logged(project, back) == V1_ONE_BASH_CALL
    assert orch.session_or_none(back) is None  # no orchcore hook ran for it
    assert v1["settings"].read_bytes() == settings_before
    fake_api.assert_no_errors()


def test_a_v1_slash_command_runs_its_script_with_orchcore_installed(fake_api, run_claude, orch, v1):
    orch.install()
    fake_api.script = [text("summarised")]

    # the default permission mode: the command's allowed-tools let its python3 line run
    run = run_claude("/orchestrate:sprint-status", permission_mode=None)

    assert run.text == "summarised"
    (request,) = fake_api.main_requests
    assert "<command-name>/orchestrate:sprint-status</command-name>" in request.messages_text
    assert "V1 orchestration summary" in request.messages_text
    assert "tasks: blocked=2, completed=3, in_progress=2, pending=3" in request.messages_text
    assert "sprint sprint-1: active completed_points=5" in request.messages_text
    assert "!`python3" not in request.messages_text
    assert ("user_prompt_submit", None) in v1_logged(orch.project, run.session_id)
    fake_api.assert_no_errors()


def test_in_local_scope_orchcore_runs_beside_v1_without_touching_v1s_settings(fake_api, run_claude, orch, v1):
    settings_before = v1["settings"].read_bytes()
    orch.install(scope="local")  # orchcore in the git-ignored settings.local.json, V1's settings.json as it is
    assert v1["settings"].read_bytes() == settings_before

    on = str(uuid.uuid4())
    orch.orch("session", "create", on, "--enable")
    fake_api.script = one_bash_call("echo local", "done")
    run_claude("show the sprint", session_id=on)

    assert v1_logged(orch.project, on) == V1_ONE_BASH_CALL  # Claude Code runs the hooks of both files
    events = orch.wait_for_events(on, lambda ev: ended(ev) and bool(handled(ev, "PostToolUse")),
                                  "PostToolUse handled and SessionEnd")
    assert handled(events, "PreToolUse")
    orch.uninstall(scope="local")
    assert v1["settings"].read_bytes() == settings_before
    assert not (orch.project / ".claude" / "settings.local.json").exists()
    fake_api.assert_no_errors()
