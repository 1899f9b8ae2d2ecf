"""The warm worker: later hook events of an orchestrated session are answered by a warm process.

These tests run the real `orch` script, as Claude Code does, with a test
plugin installed (a fake distribution on PYTHONPATH) whose handler records
the process id that ran it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orchcore import worker
from orchcore.testing import write_distribution

ORCH = str(Path(sys.executable).with_name("orch"))
SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"

PID_PLUGIN = '''
import os
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler


def whoami(event, context):
    return HookResult.context(f"pid={os.getpid()}")


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="whoami", events=["UserPromptSubmit"], handler=whoami)]
'''


@pytest.fixture
def env(orch_project, tmp_path):
    site = tmp_path / "site"
    write_distribution(site, "orchtest-whoami", "1.0", {"whoami": "orchtest_whoami"},
                       {"orchtest_whoami.py": PID_PLUGIN})
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_CODE")}
    environ.update(
        PYTHONPATH=str(site),
        CLAUDE_PROJECT_DIR=str(orch_project),
        TMPDIR=str(tmp_path / "tmp"),  # a private socket folder for this test
        ORCH_WORKER_IDLE_S="30",
    )
    (tmp_path / "tmp").mkdir()
    subprocess.run([ORCH, "session", "create", SID, "--enable"], env=environ, check=True, capture_output=True)
    yield environ
    stop_worker(environ)


def prompt() -> bytes:
    return json.dumps({"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
                       "prompt": "hello"}).encode()


def hook(environ: dict[str, str], data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ORCH, "hook"], input=data or prompt(), env=environ, capture_output=True, timeout=60)


def answered_pid(done: subprocess.CompletedProcess) -> int:
    assert done.returncode == 0, done.stderr
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    return int(context.split("pid=")[1])


def wait_for_worker(environ: dict[str, str], timeout: float = 30) -> str:
    path = worker.socket_path(environ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and not os.path.exists(path + ".starting"):
            return path
        time.sleep(0.05)
    raise AssertionError(f"no worker listening at {path}")


def worker_pid(environ: dict[str, str]) -> int | None:
    found = subprocess.run(["pgrep", "-f", f"orchcore.worker {worker.socket_path(environ)}"],
                           capture_output=True, text=True)
    pids = [int(p) for p in found.stdout.split()]
    return pids[0] if pids else None


def stop_worker(environ: dict[str, str]) -> None:
    pid = worker_pid(environ)
    if pid:
        os.kill(pid, signal.SIGTERM)


def test_the_first_event_starts_a_worker_and_later_events_are_answered_by_it(env):
    first = hook(env)
    wait_for_worker(env)

    second, third = hook(env), hook(env)

    in_process = answered_pid(first)
    assert answered_pid(second) == answered_pid(third) == worker_pid(env)
    assert in_process != worker_pid(env)


def test_the_worker_answers_exactly_what_the_router_answers_in_process(env):
    hook(env)
    wait_for_worker(env)
    warm = hook(env)
    cold = hook({**env, "ORCH_WORKER": "0"})

    warm_answer, cold_answer = json.loads(warm.stdout), json.loads(cold.stdout)
    for answer in (warm_answer, cold_answer):
        answer["hookSpecificOutput"]["additionalContext"] = "pid=…"
    assert warm_answer == cold_answer
    assert warm.returncode == cold.returncode == 0


def test_ORCH_WORKER_0_never_starts_a_worker(env):
    environ = {**env, "ORCH_WORKER": "0"}
    for _ in range(3):
        assert hook(environ).returncode == 0

    assert not os.path.exists(worker.socket_path(environ))
    assert worker_pid(environ) is None


def test_sessions_with_orchestration_off_never_start_a_worker(env):
    off = "7a214c65-635e-4f7c-ac74-130030d59d09"
    subprocess.run([ORCH, "session", "create", off], env=env, check=True, capture_output=True)
    data = prompt().replace(SID.encode(), off.encode())

    for _ in range(3):
        done = hook(env, data)
        assert done.returncode == 0 and done.stdout == b""

    assert worker_pid(env) is None


def test_a_changed_plugin_file_makes_the_worker_step_down_and_the_event_is_still_answered(env, tmp_path):
    hook(env)
    wait_for_worker(env)
    old = worker_pid(env)
    plugin_file = tmp_path / "site" / "orchtest_whoami.py"
    stamp = plugin_file.stat().st_mtime + 5
    os.utime(plugin_file, (stamp, stamp))

    done = hook(env)

    assert answered_pid(done) != old  # answered in-process, with the new code
    deadline = time.monotonic() + 10
    while worker_pid(env) == old and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker_pid(env) != old


def test_a_killed_worker_is_replaced_and_no_event_is_lost(env):
    hook(env)
    wait_for_worker(env)
    os.kill(worker_pid(env), signal.SIGKILL)
    time.sleep(0.2)

    after = [hook(env) for _ in range(3)]
    wait_for_worker(env)

    assert all(done.returncode == 0 and json.loads(done.stdout) for done in after)
    events = subprocess.run([ORCH, "events", "list", "--session", SID, "--type", "hook.handled", "--json",
                             "--limit", "0"], env=env, capture_output=True, text=True, check=True)
    assert len(json.loads(events.stdout)) == 4


def test_a_socket_folder_open_to_other_users_is_not_trusted(env):
    hook(env)
    path = wait_for_worker(env)
    os.chmod(os.path.dirname(path), 0o777)
    try:
        done = hook(env)
        assert answered_pid(done) != worker_pid(env)  # routed in-process instead
    finally:
        os.chmod(os.path.dirname(path), 0o700)


def test_parallel_events_through_the_worker_are_all_answered_and_recorded(env):
    hook(env)
    wait_for_worker(env)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: hook(env), range(16)))

    assert all(done.returncode == 0 for done in results)
    assert {answered_pid(done) for done in results} == {worker_pid(env)}
    events = subprocess.run([ORCH, "events", "list", "--session", SID, "--type", "hook.handled", "--json",
                             "--limit", "0"], env=env, capture_output=True, text=True, check=True)
    assert len(json.loads(events.stdout)) == 17


def test_the_worker_exits_when_idle(env):
    environ = {**env, "ORCH_WORKER_IDLE_S": "1"}
    hook(environ)
    wait_for_worker(environ)

    deadline = time.monotonic() + 15
    while worker_pid(environ) is not None and time.monotonic() < deadline:
        time.sleep(0.2)

    assert worker_pid(environ) is None
    assert not os.path.exists(worker.socket_path(environ))


def test_requests_and_replies_round_trip():
    request = worker._request("hook", b'{"a": 1}', {"CLAUDE_PROJECT_DIR": "/p", "ORCH_ENABLED": "1", "HOME": "/h"})

    kind, env, data = worker._parse_request(request)

    assert (kind, env, data) == ("hook", {"CLAUDE_PROJECT_DIR": "/p", "ORCH_ENABLED": "1"}, b'{"a": 1}')
    assert worker._parse_reply(b"2\n3\nabcreason") == (2, b"abc", b"reason")
    assert worker._parse_reply(worker.STALE) is None
    assert worker._parse_reply(b"") is None
    assert worker._request("hook", b"{}", {"ORCH_X": "two\nlines"}) is None


def test_the_socket_is_keyed_by_project_and_settings_but_not_by_per_event_switches():
    base = {"CLAUDE_PROJECT_DIR": "/p", "TMPDIR": "/tmp"}

    assert worker.socket_path(base) == worker.socket_path({**base, "ORCH_ENABLED": "1"})
    assert worker.socket_path(base) != worker.socket_path({**base, "CLAUDE_PROJECT_DIR": "/q"})
    assert worker.socket_path(base) != worker.socket_path({**base, "ORCH_PLUGINS_DENY": "x"})
    assert len(worker.socket_path(base).encode()) < 100
