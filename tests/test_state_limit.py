"""The state-size limit (``limits.max_state_kb``) on every path an event comes by.

The store holds it on every append, so no path can go around it: a command
is refused with one line naming the limit; a hook event's long text is cut
first (``limits.max_field_kb``), and what still does not fit is left out
without breaking Claude Code. An event that shrinks a state over its limit
is always taken, so a session can be cleaned up after the limit was lowered.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from orchcore.runtime import Runtime
from orchcore.store.base import StoreLimits
from orchcore.testing import orch_executable

SID = "5b9a5d5e-3f0e-4c7e-9a43-0d3a7f3c2b11"


@pytest.fixture
def limited(orch_project, subprocess_env):
    """A project whose sessions may hold 64 KB, with one orchestrated session."""
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"limits": {"max_state_kb": 64}}))
    runtime = Runtime(project=orch_project)
    runtime.bus.create_session(SID, orchestration_enabled=True)
    runtime.close()
    return {**subprocess_env, "CLAUDE_PROJECT_DIR": str(orch_project), "CLAUDE_CODE_SESSION_ID": SID,
            "ORCH_RUNTIME": "0"}


def orch(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([orch_executable(), *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=120)


def stored_bytes(orch_project) -> int:
    from orchcore.models import unstructure

    runtime = Runtime(project=orch_project)
    try:
        return len(json.dumps(unstructure(runtime.store.get(SID))))
    finally:
        runtime.close()


def test_the_runtime_gives_its_store_the_configured_limits(limited, orch_project):
    runtime = Runtime(project=orch_project)

    assert runtime.store.limits == StoreLimits(max_state_bytes=64 * 1024, event_buffer=1000)
    runtime.close()


def test_the_variable_wins_over_the_file(limited, orch_project, monkeypatch):
    monkeypatch.setenv("ORCH_MAX_STATE_KB", "128")

    assert Runtime(project=orch_project).store.limits.max_state_bytes == 128 * 1024


def test_state_set_up_to_the_limit_is_taken_and_past_it_refused_in_one_line(limited, orch_project):
    under = orch(limited, "state", "set", "state.metrics.notes", json.dumps("x" * 50_000))
    over = orch(limited, "state", "set", "state.metrics.more", json.dumps("y" * 20_000))

    assert under.returncode == 0, under.stderr
    assert over.returncode == 1 and len(over.stderr.strip().splitlines()) == 1
    assert "limits.max_state_kb = 64" in over.stderr and "Traceback" not in over.stderr
    assert 50_000 < stored_bytes(orch_project) <= 64 * 1024


def test_an_emitted_event_past_the_limit_is_refused_and_not_logged(limited, orch_project):
    before = json.loads(orch(limited, "events", "list", "--all", "--json").stdout)

    done = orch(limited, "events", "emit", "task.created", "--data",
                json.dumps({"id": "T-1", "description": "z" * 70_000}))

    assert done.returncode == 1 and "limits.max_state_kb = 64" in done.stderr
    assert json.loads(orch(limited, "events", "list", "--all", "--json").stdout) == before


def test_a_shrinking_event_is_taken_when_the_state_is_over_a_lowered_limit(limited, orch_project):
    assert orch(limited, "state", "set", "state.metrics.notes", json.dumps("x" * 60_000)).returncode == 0
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"limits": {"max_state_kb": 16}}))

    done = orch(limited, "state", "set", "state.metrics.notes", json.dumps("short"))

    assert done.returncode == 0, done.stderr
    assert stored_bytes(orch_project) < 16 * 1024


def test_hook_events_past_the_limit_never_break_claude_code(limited, orch_project):
    answers = []
    for n in range(4):  # each TaskCreated is cut to 32 KB; the third no longer fits in 64 KB
        payload = {"session_id": SID, "hook_event_name": "TaskCreated", "cwd": str(orch_project),
                   "transcript_path": "", "task_id": str(n), "task_subject": f"task {n}",
                   "task_description": "d" * 200_000}
        answers.append(orch(limited, "hook", stdin=json.dumps(payload)))

    assert all(a.returncode == 0 for a in answers), [a.stderr for a in answers]
    assert stored_bytes(orch_project) <= 64 * 1024
    runtime = Runtime(project=orch_project)
    tasks = runtime.store.get(SID).state.tasks
    assert list(tasks)[:1] == ["0"] and "cut by orchcore" in tasks["0"].description
    assert runtime.store.get(SID) == runtime.bus.replay(SID, from_start=True)
    runtime.close()
