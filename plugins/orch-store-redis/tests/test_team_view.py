"""One team, two machines, one server: what each machine's ``orch`` sees of the other's work.

Two project folders stand for two people's clones of one project, both
configured for the same server and prefix. Everything here goes through
``orch`` processes, as people and Claude Code's hooks run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from orchcore.testing import orch_executable

LEAD_SESSION = "5d0c3f3e-9a53-4f0e-8c55-1f2d5c7e9a01"  # the lead's Claude Code session on the laptop
QA_SESSION = "a1e7b2c4-0d6f-4b8a-9e3c-7f5d2a1b0c93"  # a QA session on the desktop


@pytest.fixture
def machines(tmp_path, redis_server, redis_prefix):
    """Two clones of the project ("laptop", "desktop") on one server and prefix."""
    folders = []
    for name in ("laptop", "desktop"):
        project = tmp_path / name / "shop"
        (project / ".claude").mkdir(parents=True)
        (project / ".claude" / "orchcore.json").write_text(json.dumps({
            "orchestration": {"enabled": True},
            "store": {"backend": "redis", "url": redis_server.url, "prefix": redis_prefix},
        }))
        folders.append(project)
    return folders


def env_of(project, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCH_", "CLAUDE_"))}
    env.update(CLAUDE_PROJECT_DIR=str(project), ORCH_RUNTIME="0", ORCH_CACHE_DIR=str(project.parent / "cache"))
    env.update(extra)
    return env


def orch(project, *args: str, **extra) -> subprocess.CompletedProcess:
    done = subprocess.run([orch_executable(), *args], capture_output=True, text=True, env=env_of(project, **extra),
                          cwd=project, timeout=120)
    assert done.returncode == 0, f"orch {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def hook(project, payload: dict, **extra) -> dict | None:
    payload = {"cwd": str(project), "transcript_path": str(project / "t.jsonl"), **payload}
    done = subprocess.run([orch_executable(), "hook"], input=json.dumps(payload), capture_output=True, text=True,
                          env=env_of(project, **extra), cwd=project, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def agent_call(session: str, subagent_type: str) -> dict:
    return {"session_id": session, "hook_event_name": "PreToolUse", "tool_name": "Agent",
            "tool_use_id": f"toolu_{uuid.uuid4().hex[:16]}",
            "tool_input": {"description": "work", "prompt": "do the work", "subagent_type": subagent_type}}


def test_both_machines_list_and_show_every_session_of_the_team(machines):
    laptop, desktop = machines
    hook(laptop, {"session_id": LEAD_SESSION, "hook_event_name": "SessionStart", "source": "startup"})
    hook(desktop, {"session_id": QA_SESSION, "hook_event_name": "SessionStart", "source": "startup"})

    for project in machines:
        listed = json.loads(orch(project, "session", "list", "--json").stdout)
        assert {s["session_id"] for s in listed} == {LEAD_SESSION, QA_SESSION}
        frame = json.loads(orch(project, "dashboard", "--all", "--json").stdout)
        assert {board["session_id"] for board in frame["sessions"]} == {LEAD_SESSION, QA_SESSION}


def test_tasks_assignments_and_messages_made_on_one_machine_are_there_on_the_other(machines):
    laptop, desktop = machines
    hook(laptop, {"session_id": LEAD_SESSION, "hook_event_name": "SessionStart", "source": "startup"})
    orch(laptop, "sprint", "add-task", "title=Fix the checkout total", "sprint=none", "--session", LEAD_SESSION)
    orch(laptop, "msg", "send", "qa", "please test the checkout", "--session", LEAD_SESSION)

    orch(desktop, "sprint", "assign", "task=T-1", "agent=qa-tester", "--session", LEAD_SESSION)
    received = json.loads(orch(desktop, "msg", "receive", "--as", "qa", "--session", LEAD_SESSION, "--json").stdout)

    assert [m["payload"] for m in received] == ["please test the checkout"]
    tasks = json.loads(orch(laptop, "sprint", "tasks", "--session", LEAD_SESSION, "--json").stdout)["tasks"]
    assert [(t["title"], t["assignee"], t["status"]) for t in tasks] == [
        ("Fix the checkout total", "qa-tester", "in_progress")]
    # Taken on the desktop: gone from the laptop's queue too.
    assert json.loads(orch(laptop, "msg", "receive", "--as", "qa", "--session", LEAD_SESSION, "--json").stdout) == []


def test_a_delegation_on_one_machine_sees_the_agents_another_machine_started(machines):
    laptop, desktop = machines
    limit = {"ORCH_MAX_AGENTS": "2"}
    hook(laptop, {"session_id": LEAD_SESSION, "hook_event_name": "SessionStart", "source": "startup"}, **limit)
    assert hook(laptop, agent_call(LEAD_SESSION, "general-purpose"), **limit) is None
    assert hook(laptop, agent_call(LEAD_SESSION, "general-purpose"), **limit) is None

    third = hook(desktop, agent_call(LEAD_SESSION, "general-purpose"), **limit)

    assert third["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "already runs 2 agents" in third["hookSpecificOutput"]["permissionDecisionReason"]


def test_machines_racing_for_the_last_slots_get_exactly_that_many(machines):
    laptop, desktop = machines
    limit = {"ORCH_MAX_AGENTS": "3"}
    hook(laptop, {"session_id": LEAD_SESSION, "hook_event_name": "SessionStart", "source": "startup"}, **limit)

    def call(n: int) -> dict | None:
        return hook(machines[n % 2], agent_call(LEAD_SESSION, "general-purpose"), **limit)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(call, range(8)))

    allowed = [a for a in answers if a is None]
    denied = [a for a in answers if a and a["hookSpecificOutput"]["permissionDecision"] == "deny"]
    assert (len(allowed), len(denied)) == (3, 5)  # four processes per machine; three slots in all
