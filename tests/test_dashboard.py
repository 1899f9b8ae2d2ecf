"""`orch dashboard`: one frame of what a session's orchestration is doing, and frames as it changes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchcore.dashboard import TOP_TASKS, snapshot

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
ORCH = str(Path(sys.executable).with_name("orch"))


@pytest.fixture
def busy_session(orch_bus):
    bus = orch_bus
    bus.create_session(SID, orchestration_enabled=True, mode="sprint_execution")
    bus.emit(SID, "session.teams", {"teams": ["engineering", "qa"], "definitions": {
        "engineering": {"lead": "engineering-director", "members": ["engineering-director", "engineering-backend"],
                        "max_parallel": 3},
    }})
    bus.emit(SID, "sprint.started", {"id": "S-1", "name": "Sprint 1", "epic": "E-1", "duration_days": 10})
    bus.emit(SID, "agent.upserted", {"id": "a1", "name": "engineering-backend", "team": "engineering",
                                     "status": "busy"})
    bus.emit(SID, "agent.upserted", {"id": "a2", "name": "qa-automation", "team": "qa", "status": "blocked"})
    for n in range(12):
        bus.emit(SID, "task.created", {"id": f"T-{n}", "title": f"task {n}", "priority": "high" if n < 2 else "low"})
    bus.emit(SID, "task.assigned", {"id": "T-0", "assignee": "a1"})
    bus.emit(SID, "task.completed", {"id": "T-11"})
    bus.emit(SID, "message.sent", {"id": "M-1", "from": "engineering-director", "to": "qa", "priority": "critical",
                                   "payload": "release blocker"})
    bus.emit(SID, "message.sent", {"id": "M-2", "from": "pm", "to": "engineering", "priority": "low",
                                   "payload": "nice to have"})
    bus.emit(SID, "metric.recorded", {"name": "velocity", "value": 4, "op": "set"})
    return bus


def test_a_frame_holds_teams_agents_tasks_messages_metrics_and_events(busy_session, orch_cli):
    result = orch_cli("dashboard", "--once", "--session", SID)

    assert result.exit_code == 0, result.stderr
    frame = result.stdout
    for expected in ("mode sprint_execution", "sprint Sprint 1 (active)", "● engineering", "engineering-director",
                     "engineering-backend", "blocked", "in_progress", "pending", "done", "messages (2 queued)",
                     "critical", "release blocker", "velocity=4", "latest events", "metric.recorded"):
        assert expected in frame, expected


def test_the_json_frame_is_bounded_and_ordered(busy_session, orch_cli):
    data = orch_cli("dashboard", "--json", "--session", SID).json()

    snap = data["sessions"][0]
    assert list(snap["tasks"]) == ["in_progress", "pending", "done"]
    assert snap["tasks"]["pending"]["count"] == 10
    assert len(snap["tasks"]["pending"]["top"]) == TOP_TASKS
    assert snap["tasks"]["pending"]["top"][0]["priority"] == "high"  # most urgent first
    assert [m["priority"] for m in snap["messages"]["top"]] == ["critical", "low"]
    assert [a["status"] for a in snap["agents"]][0] == "busy"  # working agents first
    assert snap["teams"][0] == {"name": "engineering", "active": True, "lead": "engineering-director",
                                "members": 2, "max_parallel": 3, "busy": 1}


def test_without_a_session_every_live_session_is_shown(busy_session, orch_cli):
    other = "7a214c65-635e-4f7c-ac74-130030d59d09"
    busy_session.create_session(other)
    busy_session.create_session("11111111-2222-4333-8444-555555555555")
    busy_session.emit("11111111-2222-4333-8444-555555555555", "session.ended", {"reason": "logout"})

    data = orch_cli("dashboard", "--json").json()

    assert {s["session_id"] for s in data["sessions"]} == {SID, other}


def test_a_snapshot_of_500_tasks_and_100_messages_stays_small(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    state = orch_bus.store.get(SID)
    from orchcore.models import Message, Task

    for n in range(500):
        state.state.tasks[f"T-{n}"] = Task(id=f"T-{n}", status=["pending", "in_progress", "done"][n % 3])
    state.state.messages = [Message(id=f"M-{n}") for n in range(100)]

    snap = snapshot(state, [], 0)

    assert sum(group["count"] for group in snap["tasks"].values()) == 500
    assert all(len(group["top"]) <= TOP_TASKS for group in snap["tasks"].values())
    assert snap["messages"]["queued"] == 100 and len(snap["messages"]["top"]) == 10


def test_an_unknown_session_is_a_one_line_error(orch_cli):
    result = orch_cli("dashboard", "--once", "--session", SID)

    assert result.exit_code == 1 and result.stderr.startswith("orch: error: no session")


def test_the_live_view_shows_a_new_frame_when_another_process_emits(orch_project, busy_session):
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(orch_project), "COLUMNS": "200"}
    env.pop("CLAUDE_CODE_SESSION_ID", None)
    watcher = subprocess.Popen([ORCH, "dashboard", "--session", SID, "--interval", "0.1", "--timeout", "5"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the first frame is out
        subprocess.run([ORCH, "events", "emit", "task.created", "--session", SID,
                        "-d", json.dumps({"id": "T-LIVE", "title": "appeared while watching", "priority": "critical"})],
                       env=env, check=True, capture_output=True)
        out, err = watcher.communicate(timeout=30)
    finally:
        watcher.kill()

    assert watcher.returncode == 0, err
    frames = re.split(r"─+ \d\d:\d\d:\d\d ─+", out)
    assert len(frames) >= 2
    assert "mode sprint_execution" in frames[0] and "T-LIVE" not in frames[0]  # the frame before the change
    assert "T-LIVE" in frames[-1]  # and a new frame once another process emitted
