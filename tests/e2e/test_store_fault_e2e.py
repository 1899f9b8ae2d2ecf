"""The real Claude Code keeps working when orchcore's store fails mid-session, and the user is told once.

The model's first Bash command makes ``.claude/state`` read-only (``chattr +i``
as root, ``chmod`` otherwise), the way a backup tool or a mistaken ``chmod``
would; Claude Code goes on with two more tool calls and finishes the ``-p``
run. orchcore keeps the hook events it could not store in the per-user
journal, says so once (the hook's ``systemMessage``), and once the folder is
writable again the next event applies them: every tool call is recorded once.
Command hooks with the resident runtime off: each event is its own ``orch
hook`` process, so each meets the read-only folder as it opens the store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .fake_api import rules, text, tool_use
from .orch_e2e import OrchProject, handled
from .test_orchcore import orch  # noqa: F401 - the fixture

NOTICE = "orchestration state is not being saved"


def _lock(folder: Path) -> str:
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: no read-only folder root cannot bypass")
        return f"chattr +i {folder}"
    return f"chmod 555 {folder}"


def _unlock(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=False)
    else:
        folder.chmod(0o755)


def _calls(*commands: str):
    """Script: the model runs each Bash command in turn (one per request), then answers DONE."""
    def nth(n: int):
        return lambda r: len(r.all_tool_results) == n

    steps = [(nth(i), tool_use("Bash", {"command": c, "description": f"step {i}"})) for i, c in enumerate(commands)]
    return rules(*steps, (lambda r: len(r.all_tool_results) >= len(commands), text("DONE")))


def test_a_store_made_read_only_mid_session_is_told_once_and_loses_nothing(
    orch: OrchProject, fake_api, run_claude, cc_env, tmp_path
):
    orch.orch("install", "--scope", "project", "--transport", "command")
    orch.enable_by_default()
    cc_env["ORCH_RUNTIME"] = "0"
    cc_env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    state = orch.project / ".claude" / "state"
    state.mkdir(parents=True, exist_ok=True)
    fake_api.script = _calls(_lock(state), "echo second", "echo third")
    try:
        run = run_claude("break the store, then go on", output_format="stream-json")
    finally:
        _unlock(state)

    assert run.text == "DONE"
    shown = run.stdout.count(NOTICE)
    assert shown == 1, run.stdout[-3000:]
    session = orch.track(run.session_id)
    orch.orch("doctor", check=False)  # applies what was kept, now that the folder is writable
    events = orch.events(session)
    calls = [h["tool_use_id"] for h in handled(events, "PreToolUse")]
    assert len(calls) == 3 and len(set(calls)) == 3  # each tool call once
    assert sorted(h["tool_use_id"] for h in handled(events, "PostToolUse")) == sorted(calls)
    assert any(h.get("recovered") for h in handled(events, "PostToolUse"))  # kept, then applied
    assert not list((tmp_path / "xdg-state").rglob("*.jsonl"))  # nothing left in the journal
