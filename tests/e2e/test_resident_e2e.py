"""The resident runtime inside the real Claude Code 2.1.328: http hooks, kill -9, and nothing lost.

``orch install`` wires the project as users get it: http hooks to the
project's runtime for every event Claude Code can post, commands for the
rest. The scripted model makes a series of Bash calls; one of its steps kills
the runtime with SIGKILL while the session goes on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from .fake_api import text, tool_use
from .orch_e2e import OrchProject
from .test_orchcore import _add_diagnostics


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.enable_by_default()
    summary = project.install()
    assert summary["transport"] == "http"
    yield project
    for pid in runtime_processes(project):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def runtime_status(project: OrchProject) -> dict | None:
    done = subprocess.run([sys.executable, "-c", "import json, os; from orchcore.resident import client; "
                           "print(json.dumps(client.status(os.environ)))"], env=project.orch_env(),
                          capture_output=True, text=True, timeout=30)
    return json.loads(done.stdout)


def runtime_processes(project: OrchProject) -> list[int]:
    done = subprocess.run([sys.executable, "-c", "import os; from orchcore.resident import client; "
                           "print(client.socket_path(os.environ))"], env=project.orch_env(),
                          capture_output=True, text=True, timeout=30)
    found = subprocess.run(["pgrep", "-f", f"orchcore.resident {done.stdout.strip()}"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def bash_calls(count: int, marker: str = "call") -> list:
    return [tool_use("Bash", {"command": f"echo {marker}-{n}"}) for n in range(count)]


def tool_use_ids(fake_api) -> list[str]:
    """Every tool call the model made, in order, from the requests Claude Code sent back."""
    ids = []
    for request in fake_api.main_requests:
        for block in request.tool_results:
            ids.append(block["tool_use_id"])
    return ids


def per_tool_call(events: list[dict]) -> Counter:
    return Counter((e["data"]["event"], e["data"].get("tool_use_id"))
                   for e in events if e["type"] == "hook.handled"
                   and e["data"]["event"] in ("PreToolUse", "PostToolUse", "PostToolUseFailure"))


def batches(events: list[dict]) -> int:
    return sum(1 for e in events if e["type"] == "hook.handled" and e["data"]["event"] == "PostToolBatch")


def complete(ids: list[str]):
    def check(events: list[dict]) -> bool:
        counted = per_tool_call(events)
        return all(counted[("PreToolUse", i)] >= 1 and counted[("PostToolUse", i)] >= 1 for i in ids) \
            and batches(events) >= len(ids)
    return check


def test_a_session_of_tool_calls_is_recorded_through_the_http_hooks(fake_api, run_claude, orch):
    settings = json.loads((orch.project / ".claude" / "settings.json").read_text())
    assert settings["hooks"]["PreToolUse"][0]["hooks"][0]["type"] == "http"
    sid = str(uuid.uuid4())
    fake_api.script = [*bash_calls(6), text("done")]

    run = run_claude("make six calls", session_id=sid)

    assert run.text == "done"
    ids = tool_use_ids(fake_api)
    assert len(ids) == 6
    events = orch.wait_for_events(sid, complete(ids), "every tool call recorded")
    counted = per_tool_call(events)
    assert all(counted[("PreToolUse", i)] == counted[("PostToolUse", i)] == 1 for i in ids)
    assert batches(events) == 6
    assert not [e for e in events if e["data"].get("recovered")]  # all of it arrived live
    posted = run.debug_text().count("HTTP hook POST to http://127.0.0.1:")
    assert posted >= 3 * 6  # Claude Code posted them: no process per event
    assert "orch hook" not in json.dumps(settings["hooks"]["PreToolUse"])


def test_killing_the_runtime_mid_session_loses_no_tool_calls_events_and_breaks_nothing(fake_api, run_claude, orch):
    sid = str(uuid.uuid4())
    killed = []

    def kill_the_runtime(request):
        status = runtime_status(orch)
        killed.append(status["pid"])
        os.kill(status["pid"], signal.SIGKILL)
        return tool_use("Bash", {"command": "echo right-after-the-kill"})

    fake_api.script = [*bash_calls(2, "before"), kill_the_runtime, *bash_calls(3, "after"), text("done")]

    run = run_claude("make six calls; the runtime dies in the middle", session_id=sid)

    assert run.text == "done" and run.returncode == 0
    assert len(killed) == 1
    refused = run.debug_text().count("ECONNREFUSED")
    ids = tool_use_ids(fake_api)
    assert len(ids) == 6
    events = orch.wait_for_events(sid, complete(ids), "every tool call's events, live or recovered", timeout=60)
    counted = per_tool_call(events)
    assert all(counted[("PreToolUse", i)] == counted[("PostToolUse", i)] == 1 for i in ids), counted
    assert batches(events) == 6
    keys = Counter(json.dumps([e["data"]["event"], e["data"].get("tool_use_id"), e["data"].get("agent_id")])
                   for e in events if e["type"] == "hook.handled" and e["data"]["event"] != "PostToolBatch")
    assert max(keys.values()) == 1  # nothing twice
    recovered = [e["data"] for e in events if e["data"].get("recovered")]
    assert refused > 0 and recovered  # what Claude Code could not post came back from the transcript
    for data in recovered:
        assert data["event"] in ("PreToolUse", "PostToolUse", "PostToolBatch", "UserPromptSubmit", "Stop")
        assert data["occurred_at"]
    assert runtime_status(orch)["pid"] != killed[0]  # the supervisor started a new one


def test_the_session_goes_on_at_full_speed_while_no_runtime_answers(fake_api, run_claude, orch):
    """Refused connections cost Claude Code nothing: no hook waits for its timeout."""
    sid = str(uuid.uuid4())
    family = []

    def kill_everything(request):
        family.extend(runtime_processes(orch))
        for pid in family:
            os.kill(pid, signal.SIGKILL)
        return tool_use("Bash", {"command": "echo alone"})

    fake_api.script = [kill_everything, *bash_calls(4, "alone"), text("done")]

    started = time.monotonic()
    run = run_claude("work while nobody listens", session_id=sid)
    took = time.monotonic() - started

    assert run.text == "done" and family
    assert run.debug_text().count("ECONNREFUSED") >= 3 * 5
    assert took < 10.0 * 3  # one timed-out hook would cost 10 s; 15 refused posts cost none of that
    assert runtime_processes(orch) == []
    # The next command in the project starts the runtime, which catches the session up.
    orch.orch("session", "list")
    ids = tool_use_ids(fake_api)
    events = orch.wait_for_events(sid, complete(ids), "the session caught up after the runtime came back",
                                  timeout=60)
    assert all(per_tool_call(events)[("PreToolUse", i)] == 1 for i in ids)
    assert {e["data"]["event"] for e in events if e["data"].get("recovered")} >= {"PreToolUse", "PostToolUse",
                                                                                   "PostToolBatch", "Stop"}
