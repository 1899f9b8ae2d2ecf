"""The review program inside the real Claude Code: installed as a distribution, wired by the real `orch install`.

The model (scripted) tries to write a file while the review runs and gets
the refusal as its tool result; the user's ``approve`` is answered without
a model request and recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from orchcore.testing import orch_executable, write_distribution
from orchcore_e2e_harness.fake_api import text, tool_use

pytestmark = pytest.mark.e2e
SRC = Path(__file__).resolve().parents[2] / "src"


class Orch:
    """The test project's `orch`, with this example installed (its entry point; the source from src/)."""

    def __init__(self, project: Path, env: dict[str, str], scratch: Path):
        site = scratch / "site-packages"
        write_distribution(site, "orch-program-review", "0.1.0", {"review": "orch_program_review.plugin"}, {})
        env["PATH"] = os.pathsep.join([str(Path(orch_executable()).parent), env.get("PATH", os.defpath)])
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(SRC)])
        env["ORCH_CACHE_DIR"] = str(scratch / "orch-cache")
        env["ORCH_RUNTIME_IDLE_S"] = env["ORCH_RUNTIME_LINGER_S"] = "5"
        self.project, self.env = project, env

    def __call__(self, *args: str) -> str:
        env = dict(self.env, CLAUDE_PROJECT_DIR=str(self.project))
        env.pop("CLAUDE_CODE_SESSION_ID", None)
        result = subprocess.run([orch_executable(), *args], cwd=self.project, env=env, capture_output=True,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"orch {' '.join(args)}: {result.stderr}"
        return result.stdout

    def session_in_review(self) -> str:
        """A new session, orchestration on, T-1 waiting for review, the review program active."""
        sid = str(uuid.uuid4())
        self("session", "create", sid, "--enable")
        self("events", "emit", "task.created", "--session", sid, "--data", '{"id": "T-1", "title": "Payment API"}')
        self("events", "emit", "task.updated", "--session", sid, "--data", '{"id": "T-1", "status": "review"}')
        self("program", "activate", "review", "--session", sid)
        return sid


@pytest.fixture
def orch(cc_project, cc_env, tmp_path) -> Orch:
    orch = Orch(cc_project, cc_env, tmp_path / "orch")
    orch("install")
    return orch


def test_the_model_sees_the_queue_and_cannot_edit_while_reviewing(fake_api, run_claude, cc_project, orch):
    sid = orch.session_in_review()
    target = cc_project / "payment.py"
    fake_api.script = [tool_use("Write", {"file_path": str(target), "content": "retry = 3\n"}), text("REVIEWED")]

    run = run_claude("review T-1", session_id=sid)

    assert "REVIEWED" in run.text
    first, second = fake_api.main_requests[:2]
    assert "Program review is active. Live state:\nReview queue (1, longest waiting first):\n  T-1 Payment API" in (
        first.system_messages_text)
    assert not target.exists()
    (result,) = second.tool_results
    assert "the review program is read-only: Write of" in json.dumps(result)


def test_approve_at_the_prompt_is_answered_without_the_model_and_recorded(fake_api, run_claude, orch):
    sid = orch.session_in_review()
    fake_api.script = [text("the model should not be asked")]

    run = run_claude("approve T-1", session_id=sid)

    assert fake_api.main_requests == []
    assert "T-1 “Payment API” approved · status done" in run.text
    state = json.loads(orch("session", "show", "--session", sid, "--json"))
    assert state["state"]["tasks"]["T-1"]["status"] == "done"
    assert state["plugins"]["review"]["verdicts"][0]["verdict"] == "approved"
