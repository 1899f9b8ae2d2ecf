"""V1 and orchcore in one project, and ``orch uninstall`` as the one command back to V1 (issue 11).

A project with V1 installed (``tests/v1_fixture.py``: V1's logging hooks in ``.claude/settings.json``,
its commands, agents, scripts and state) gets ``orch install`` with every plugin of this environment
(orch-teams renders agents named like V1's). What must hold:

* install adds orchcore's hook handlers to the same event arrays as V1's and changes nothing of V1's:
  V1's settings entries, commands, agents, scripts and data stay byte for byte; an agent orch-teams
  would render where V1 has its own is kept and reported as skipped (``--force`` replaces it, with a
  backup uninstall puts back);
* a hook event runs V1's hook and ``orch hook`` both; V1's hook runs for every session, orchcore
  orchestrates only the sessions whose flag is on;
* ``orch uninstall`` gives V1 back exactly: settings byte-identical, every V1 file as it was, V1's
  scripts and hooks still working. What stays is orchcore's own store next to V1's state
  (``ORCHCORE_STATE``: ``.claude/state/orchcore.db*``, ``gate/``, …): the user's orchcore history.

Claude Code itself is played here by running each command handler of the event from the settings
with the payload on stdin (hooks wired with ``--transport command``); tests/e2e/test_v1_parallel_e2e.py
does the same with the real binary and http hooks.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from orchcore import install
from orchcore.testing import orch_executable
from tests.v1_fixture import (
    AGENT_FILES,
    HOOKS_LOG,
    ORCHCORE_STATE,
    V1_HOOK_OUTPUT,
    claude_settings,
    make_v1_project,
    tree_hashes,
    v1_scripts,
)

ENABLED = "11111111-1111-4111-8111-111111111111"
DISABLED = "22222222-2222-4222-8222-222222222222"


pytestmark = pytest.mark.usefixtures("isolated_home")  # a throwaway HOME (tests/conftest.py): the user scope never reaches the real one


@pytest.fixture
def v1(orch_project: Path):
    """A project with V1 installed; resident runtimes its orch commands may start are stopped after."""
    paths = make_v1_project(orch_project)
    yield paths
    subprocess.run([orch_executable(), "runtime", "stop"], cwd=orch_project, capture_output=True,
                   stdin=subprocess.DEVNULL)


def orch(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``orch``, with every plugin installed in this environment, in the project."""
    result = subprocess.run([orch_executable(), *args], cwd=project, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 0, f"orch {' '.join(args)}: exit {result.returncode}: {result.stderr}"
    return result


def orch_json(project: Path, *args: str):
    return json.loads(orch(project, *args).stdout)


def payload(session_id: str, event: str, project: Path) -> dict:
    """A Claude Code hook payload of ``event``, for one Bash call where the event is about a tool."""
    data = {"session_id": session_id, "hook_event_name": event, "cwd": str(project),
            "transcript_path": str(project / f"{session_id}.jsonl"), "permission_mode": "default"}
    if event == "UserPromptSubmit":
        data["prompt"] = "show the sprint"
    if event in ("PreToolUse", "PostToolUse"):
        data.update(tool_name="Bash", tool_input={"command": "ls"}, tool_use_id="toolu_01")
    if event == "PostToolUse":
        data["tool_response"] = {"stdout": "", "stderr": "", "interrupted": False}
    return data


def fire(project: Path, event: str, session_id: str) -> list[str]:
    """Do what Claude Code does with a hook event: run every command handler the settings wire for it
    (a Bash call matches matcher "", "*" and none), the payload on stdin; the commands that ran."""
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    ran = []
    for group in settings["hooks"].get(event, []):
        if group.get("matcher", "") not in ("", "*", "Bash"):
            continue
        for handler in group["hooks"]:
            assert handler["type"] == "command", handler  # these tests wire command hooks
            result = subprocess.run(
                ["sh", "-c", handler["command"]], cwd=project, capture_output=True, text=True,
                input=json.dumps(payload(session_id, event, project)),
                env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)},
            )
            assert result.returncode == 0, f"{handler['command']}: exit {result.returncode}: {result.stderr}"
            ran.append(handler["command"])
    return ran


def is_orch_hook(command: str) -> bool:
    return install.command_kind(command) == "hook"


def v1_hooks_log(project: Path) -> list[dict]:
    path = project / HOOKS_LOG
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def event_types(project: Path, session_id: str) -> list[str]:
    return [e["type"] for e in orch_json(project, "events", "list", "--session", session_id, "--json",
                                         "--limit", "0")]


def v1_files(project: Path) -> dict[str, str]:
    """V1's tree by hash: everything but what orchcore keeps of its own and what V1's hooks logged."""
    return tree_hashes(project, exclude=ORCHCORE_STATE + V1_HOOK_OUTPUT)


def folders(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_dir()}


def run_script(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["python3", *args], cwd=project, capture_output=True, text=True, check=True)


# -- orch install in a V1 project ---------------------------------------------------------------------


def test_install_puts_orchcores_handlers_next_to_v1s_in_the_same_event_arrays(v1):
    project = v1["root"]
    before = json.loads(v1["settings"].read_text())

    orch(project, "install", "--transport", "command", "--no-mcp")  # orch mcp's rule: tests/test_install_mcp.py

    after = json.loads(v1["settings"].read_text())
    assert after["permissions"] == before["permissions"]
    for event, groups in before["hooks"].items():
        assert after["hooks"][event][: len(groups)] == groups  # V1's entries first, as they were
        added = [h["command"] for g in after["hooks"][event][len(groups):] for h in g["hooks"]]
        assert len(added) == 1 and is_orch_hook(added[0]), added
    assert set(after["hooks"]) > set(before["hooks"])  # the events V1 does not use are orchcore's alone


def test_install_keeps_every_v1_file_and_skips_the_agents_v1_has_its_own_of(v1):
    project = v1["root"]
    v1_before = tree_hashes(project)

    summary = orch_json(project, "install", "--json")

    skipped = {Path(s["path"]).name: s["reason"] for s in summary["files"]["skipped"]}
    clashes = {f"{name}.md" for name in AGENT_FILES} & skipped.keys()
    assert clashes == {"engineering-lead.md", "qa-director.md"}  # orch-teams has agents of those names
    assert all(skipped[name].startswith("not written by orch install") for name in clashes)
    written = {Path(p).relative_to(project).as_posix() for p in summary["files"]["written"]}
    assert not written & v1_before.keys()  # no V1 file written over
    now = tree_hashes(project)
    changed = {rel for rel, digest in v1_before.items() if now.get(rel) != digest}
    assert changed == {".claude/settings.json"}  # the one file install merges into, V1's entries kept


def test_install_force_replaces_v1s_agent_and_uninstall_puts_it_back(v1):
    project = v1["root"]
    lead = v1["agents"] / "engineering-lead.md"
    original = lead.read_bytes()

    summary = orch_json(project, "install", "--force", "--json")
    assert str(lead) in summary["files"]["updated"]
    assert lead.read_bytes() != original
    assert lead.with_name(lead.name + ".orchcore-backup").read_bytes() == original

    summary = orch_json(project, "uninstall", "--json")
    assert str(lead) in summary["files"]["restored"]
    assert lead.read_bytes() == original
    assert not lead.with_name(lead.name + ".orchcore-backup").exists()


# -- both at work -------------------------------------------------------------------------------------


def test_a_hook_event_runs_v1s_hook_and_orch_hook_and_the_session_flag_decides_what_orchcore_does(v1):
    project = v1["root"]
    orch(project, "install", "--transport", "command")
    orch(project, "session", "create", ENABLED, "--enable")
    orch(project, "session", "create", DISABLED)

    events = ("UserPromptSubmit", "PreToolUse", "PostToolUse")
    for session_id in (ENABLED, DISABLED):
        for event in events:
            ran = fire(project, event, session_id)
            assert [is_orch_hook(c) for c in ran] == [False] * len(v1_scripts(event)) + [True], ran

    # V1's hooks ran for every session, whatever orchcore's flag says
    logged = [(line["session_id"], line["hook"], line["script"]) for line in v1_hooks_log(project)]
    assert logged == [(s, e, script) for s in (ENABLED, DISABLED) for e in events for script in v1_scripts(e)]
    for session_id in (ENABLED, DISABLED):
        record = json.loads((v1["sessions"] / f"{session_id}.json").read_text())
        assert record == {"session_id": session_id, "prompts": ["show the sprint"], "agent_name": None}
    # orchcore handled the enabled session's events and only noted the other one's
    assert event_types(project, ENABLED) == ["session.created"] + ["hook.handled"] * 3
    assert event_types(project, DISABLED) == ["session.created"]


def test_v1s_scripts_and_commands_work_unchanged_while_orchcore_is_installed(v1):
    project = v1["root"]
    summary_before = run_script(project, ".claude/scripts/state_manager.py", "summary").stdout

    orch(project, "install")

    assert run_script(project, ".claude/scripts/state_manager.py", "summary").stdout == summary_before
    status = run_script(project, ".claude/scripts/state_manager.py", "get", "tasks.task-3.status").stdout
    assert json.loads(status) == "in_progress"
    command = (v1["commands"] / "orchestrate" / "sprint-status.md").read_text()
    (line,) = [ln for ln in command.splitlines() if ln.startswith("!`")]
    shown = subprocess.run(shlex.split(line[2:-1]), cwd=project, capture_output=True, text=True, check=True)
    assert shown.stdout == summary_before  # the command's !`…` line gives what V1 gave


# -- one command back ---------------------------------------------------------------------------------


def test_uninstall_after_use_gives_v1_back_exactly(v1):
    project = v1["root"]
    settings_before = v1["settings"].read_bytes()
    v1_before, folders_before = v1_files(project), folders(project)
    summary_before = run_script(project, ".claude/scripts/state_manager.py", "summary").stdout

    orch(project, "install", "--transport", "command")
    orch(project, "session", "create", ENABLED, "--enable")
    for event in ("UserPromptSubmit", "PreToolUse", "PostToolUse"):
        fire(project, event, ENABLED)
    orch(project, "events", "emit", "task.created", "-d", json.dumps({"id": "T-1", "title": "login"}),
         "--session", ENABLED)
    orch(project, "session", "disable", "--session", ENABLED)
    assert "task.created" in event_types(project, ENABLED)

    orch(project, "uninstall")

    assert v1["settings"].read_bytes() == settings_before
    assert v1_files(project) == v1_before  # every V1 file byte for byte, nothing of orchcore's left over
    left = set(tree_hashes(project)) - set(v1_before)
    assert left and all(rel.startswith(ORCHCORE_STATE + V1_HOOK_OUTPUT) for rel in left), left
    assert {rel for rel in left if rel.startswith(ORCHCORE_STATE)} >= {".claude/state/orchcore.db"}
    new_folders = {f + "/" for f in folders(project) - folders_before}
    assert all(f.startswith(ORCHCORE_STATE + V1_HOOK_OUTPUT) for f in new_folders), new_folders
    # V1 works as before: its scripts answer the same, its hooks are the only ones Claude Code runs
    assert run_script(project, ".claude/scripts/state_manager.py", "summary").stdout == summary_before
    logged = len(v1_hooks_log(project))
    assert not any(is_orch_hook(c) for c in fire(project, "PostToolUse", DISABLED))
    assert [line["script"] for line in v1_hooks_log(project)[logged:]] == v1_scripts("PostToolUse")


def test_orchcores_history_stays_after_uninstall_and_a_new_install_finds_it(v1):
    project = v1["root"]
    orch(project, "install", "--transport", "command")
    orch(project, "session", "create", ENABLED, "--enable")
    orch(project, "events", "emit", "task.created", "-d", json.dumps({"id": "T-1"}), "--session", ENABLED)
    orch(project, "uninstall")

    assert (project / ".claude" / "state" / "orchcore.db").exists()
    assert "task.created" in event_types(project, ENABLED)
    settings_before = v1["settings"].read_bytes()
    orch(project, "install", "--transport", "command")
    orch(project, "uninstall")
    assert v1["settings"].read_bytes() == settings_before


def test_the_users_own_local_settings_come_back_byte_for_byte(v1):
    project = v1["root"]
    local = project / ".claude" / "settings.local.json"
    local.write_bytes(b'{\r\n    "permissions": {"allow": ["Bash(npm test)"]},\r\n    "env": {"V1_DEBUG": "1"}\r\n}')
    before = local.read_bytes()

    orch(project, "install")  # the http hooks' secret goes into this file
    assert "ORCH_HOOK_TOKEN" in json.loads(local.read_text())["env"]
    orch(project, "uninstall")

    assert local.read_bytes() == before
    assert not local.with_name(local.name + ".orchcore-backup").exists()


def test_a_v1_hook_added_while_both_run_stays_after_uninstall(v1):
    project = v1["root"]
    orch(project, "install", "--transport", "command")
    settings = json.loads(v1["settings"].read_text())
    added = {"matcher": "Write", "hooks": [{"type": "command", "command": "python3 .claude/hooks/pre_tool_use.py"}]}
    settings["hooks"]["PreToolUse"].append(added)  # V1 (or its user) wires one more hook meanwhile
    v1["settings"].write_text(json.dumps(settings, indent=2) + "\n")

    orch(project, "uninstall")

    expected = claude_settings()
    expected["hooks"]["PreToolUse"].append(added)
    assert v1["settings"].read_text() == json.dumps(expected, indent=2) + "\n"  # V1's layout, orchcore's gone
