"""/orchestration:* commands in the real Claude Code 2.1.328, wired by the real `orch install`.

One session goes through the packs the way a user would: orchestration on
with a team, a sprint started, the model adding a task (allowed by the
command's allowed-tools in the default permission mode), a checkpoint, a
rollback, and bad input that never reaches the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from orch_commands import PACKS
from orchcore.testing import orch_executable, write_distribution
from orchcore_e2e_harness.fake_api import rules, text, tool_use

pytestmark = pytest.mark.e2e
SRC = Path(__file__).resolve().parents[2] / "src"
ORGANISATION = '''
from orchcore.api import TeamSpec, hookimpl


@hookimpl
def orch_teams():
    return [TeamSpec(name="e2e-alpha", lead="e2e-alpha-lead", members=["e2e-alpha-lead", "e2e-alpha-dev"],
                     max_parallel=2)]
'''


class Orch:
    """The test project's `orch`: the packs and a one-team organisation installed as distributions."""

    def __init__(self, project: Path, env: dict[str, str], scratch: Path):
        site = scratch / "site-packages"
        write_distribution(site, "orch-commands", "0.1.0", PACKS, {})
        write_distribution(site, "e2e-organisation", "0.1", {"e2e-organisation": "e2e_organisation"},
                           {"e2e_organisation.py": ORGANISATION})
        env["PATH"] = os.pathsep.join([str(Path(orch_executable()).parent), env.get("PATH", os.defpath)])
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(SRC)])
        env["ORCH_CACHE_DIR"] = str(scratch / "orch-cache")
        env["ORCH_RUNTIME_IDLE_S"] = env["ORCH_RUNTIME_LINGER_S"] = "5"
        self.project, self.env = project, env

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(self.env, CLAUDE_PROJECT_DIR=str(self.project))
        env.pop("CLAUDE_CODE_SESSION_ID", None)
        return subprocess.run([orch_executable(), *args], cwd=self.project, env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    def json(self, *args: str):
        result = self(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def orch(cc_project, cc_env, tmp_path) -> Orch:
    return Orch(cc_project, cc_env, tmp_path / "orch")


def expanded(request) -> str:
    """The text of the expanded slash command: the last user message of the turn's first request."""
    return request.last_user_text


def test_a_session_driven_by_the_orchestration_commands(fake_api, run_claude, cc_project, orch):
    summary = orch.json("install")
    written = {Path(p).name for p in summary["files"]["written"] if "/commands/orchestration/" in p}
    assert {"start-sprint.md", "checkpoint-state.md", "rollback.md"} <= written
    sid = str(uuid.uuid4())

    # 1. a new session: orchestration on, with a team (the session is the one Claude Code names)
    fake_api.script = [text("enabled")]
    run_claude("/orchestration:enable-orchestration e2e-alpha", session_id=sid, permission_mode=None)
    shown = expanded(fake_api.main_requests[-1])
    assert f"Session {sid}: orchestration on" in shown and "!`orch" not in shown
    state = orch.json("session", "show", "--session", sid)
    assert state["orchestration_enabled"] is True and state["active_teams"] == ["e2e-alpha"]

    # 2. start a sprint; the model then adds a task, which the command's allowed-tools permit
    fake_api.script = rules(
        (lambda r: not r.tool_results,
         tool_use("Bash", {"command": 'orch sprint add-task "Login form" team=e2e-alpha points=3',
                           "description": "add a task"})),
        (lambda r: True, text("sprint started")),
    )
    resume = ("--resume", sid)
    run = run_claude("/orchestration:start-sprint Auth sprint epic=auth days=10 teams=e2e-alpha",
                     permission_mode=None, extra_args=resume)
    assert run.text == "sprint started"
    first = fake_api.main_requests[-2]
    assert 'Sprint auth-sprint "Auth sprint" started: day 1 of 10' in expanded(first)
    assert "T-1 added to sprint auth-sprint: Login form" in fake_api.main_requests[-1].tool_results_text
    state = orch.json("session", "show", "--session", sid)
    assert state["current_sprint"] == "auth-sprint" and state["current_epic"] == "auth"
    assert state["state"]["tasks"]["T-1"]["sprint"] == "auth-sprint"

    # 3. checkpoint, more work, rollback: the task added after the checkpoint is gone, the log kept
    fake_api.script = [text("checkpointed")]
    run_claude("/orchestration:checkpoint-state before-work", permission_mode=None, extra_args=resume)
    assert orch("sprint", "add-task", "Extra", "--session", sid).returncode == 0
    fake_api.script = [text("rolled back")]
    run_claude("/orchestration:rollback checkpoint=before-work", permission_mode=None, extra_args=resume)
    assert "Rolled back to checkpoint before-work" in fake_api.main_requests[-1].messages_text
    state = orch.json("session", "show", "--session", sid)
    assert sorted(state["state"]["tasks"]) == ["T-1"]
    check = orch("events", "replay", "--check", "--session", sid)
    assert check.returncode == 0, check.stderr

    # 4. bad input: orch's one-line error is shown to the user, and no request reaches the model
    before = len(fake_api.main_requests)
    run = run_claude("/orchestration:start-sprint days=soon", permission_mode=None, extra_args=resume)
    assert len(fake_api.main_requests) == before
    assert "orch: error: " in run.result["result"] and "days must be a number of days" in run.result["result"]
