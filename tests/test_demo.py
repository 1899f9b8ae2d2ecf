"""`orch demo`: a recorded multi-agent sprint, replayed through real `orch hook` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchcore import demo
from orchcore.protocol import EVENTS

ORCH = str(Path(sys.executable).with_name("orch"))


def test_the_recording_is_in_claude_codes_payload_format():
    for step in demo.steps("8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", Path("/tmp/p")):
        assert set(step) <= {"hook", "orch", "program"} and len(step) == 1
        if "hook" in step:
            payload = step["hook"]
            assert payload["hook_event_name"] in EVENTS
            assert list(payload)[:3] == ["session_id", "transcript_path", "cwd"]  # Claude Code's order
            if payload["hook_event_name"] in ("SubagentStart", "SubagentStop"):
                assert payload["agent_id"] and payload["agent_type"]


def test_orch_demo_shows_a_populated_dashboard(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "ORCH_"))}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([ORCH, "demo", "--json"], env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    (session,) = data["sessions"]
    assert data["replayed"]["hook events"] >= 20
    assert session["sprint"]["name"] == "Checkout v2" and session["epic"] == "E-12"
    agents = {a["name"]: a for a in session["agents"]}
    assert {"engineering-director", "engineering-backend", "qa-director", "qa-automation"} <= set(agents)
    by_id = {a["id"]: a for a in session["agents"]}
    assert by_id[agents["engineering-backend"]["parent"]]["name"] == "engineering-director"  # nested delegation
    assert by_id[agents["qa-automation"]["parent"]]["name"] == "qa-director"
    assert agents["engineering-director"]["status"] == "busy"
    assert {"in_progress", "blocked", "pending", "done"} <= set(session["tasks"])
    # (the handoff to team qa was delivered to qa-automation when it started; the bug report waits)
    assert session["messages"]["queued"] == 1 and session["messages"]["top"][0]["priority"] == "critical"
    assert Path(data["project"]).is_relative_to(tmp_path)


def test_orch_demo_prints_the_dashboard_and_the_status_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "ORCH_"))}
    env.update(TMPDIR=str(tmp_path), NO_COLOR="1", COLUMNS="200")
    done = subprocess.run([ORCH, "demo"], env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    assert "sprint Checkout v2 (active)" in done.stdout
    assert "status line" in done.stdout and "agents 1/4" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
