"""Resumed and forked sessions with the real Claude Code (docs/sessions.md).

A session creates a task and starts it through the Bash tool (`orch events
emit`, which finds the session by $CLAUDE_CODE_SESSION_ID); `claude --resume`
goes on in the same orchcore session, with its task; `claude --resume
--fork-session` is a new session, linked to its parent once its transcript
is written, with the parent's task carried over and named as held by both.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from .fake_api import rules, text, tool_use
from .orch_e2e import OrchProject

TASK = {"id": "T-1", "title": "login page"}


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    from .conftest import _add_diagnostics

    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.enable_by_default()
    # Command hooks: every event is its own `orch hook`, with no resident runtime to wait for.
    project.orch_json("install", "--scope", "project", "--transport", "command", "--json")
    return project


def bash_then(command: str, answer: str):
    return rules(
        (lambda r: not r.tool_results, tool_use("Bash", {"command": command, "description": "e2e"})),
        (lambda r: bool(r.tool_results), text(answer)),
    )


def emit(event_type: str, data: dict) -> str:
    return f"orch events emit {event_type} -d {shlex.quote(json.dumps(data))}"


def ended(events: list[dict]) -> bool:
    return any(e["type"] == "session.ended" for e in events)


def test_a_resume_goes_on_and_a_fork_is_linked_with_the_parents_task(fake_api, run_claude, orch):
    fake_api.script = bash_then(
        emit("task.created", TASK) + " && " + emit("task.updated", {"id": "T-1", "status": "in_progress"}),
        "task started")
    first = run_claude("start the login task")
    parent = first.session_id
    orch.wait_for_events(parent, ended, "the first run's SessionEnd")
    assert orch.session(parent)["state"]["tasks"]["T-1"]["status"] == "in_progress"

    # resume: the same id, the same orchcore session, revived
    fake_api.script = bash_then("orch state get state.tasks.T-1.status", "still in progress")
    resumed = run_claude("how is it going", extra_args=["--resume", parent])
    assert resumed.session_id == parent
    events = orch.wait_for_events(parent, lambda ev: sum(e["type"] == "session.ended" for e in ev) == 2,
                                  "the resumed run's SessionEnd")
    started = [e["data"] for e in events if e["type"] == "session.started"]
    assert [s["source"] for s in started] == ["startup", "resume"]
    assert started[1]["revived"] == "ended"
    assert "in_progress" in fake_api.main_requests[-1].tool_results_text  # the model saw the task's state

    # fork: a new id; linked to the parent once the copy is written, with the task carried over
    fake_api.script = bash_then("echo forked", "forked")
    fork = run_claude("try another way", extra_args=["--resume", parent, "--fork-session"])
    assert fork.session_id != parent
    events = orch.wait_for_events(fork.session_id, ended, "the fork's SessionEnd")
    started = [e["data"] for e in events if e["type"] == "session.started"]
    assert [s["source"] for s in started] == ["fork"]
    linked = [e["data"] for e in events if e["type"] == "session.linked"]
    assert linked[0] == {"how": "fork", "parent": None, "pending": True}
    assert linked[-1]["parent"] == parent and linked[-1]["shared"] == ["T-1"]
    session = orch.session(fork.session_id)
    assert session["plugins"]["lineage"]["parent"] == parent
    assert session["state"]["tasks"]["T-1"]["status"] == "in_progress"
    assert session["orchestration_enabled"] is True
    # the parent is as it was, and merging the fork back imports nothing new
    assert "lineage" not in orch.session(parent)["plugins"]
    merged = orch.orch_json("session", "merge", fork.session_id, parent, "--json")
    assert merged["imported"] == {} and merged["conflicts"] == []
