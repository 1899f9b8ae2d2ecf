"""Redis down, hung or restarted: hooks still answer in time, nothing is lost, and the user is told once.

Real faults on the real server: SIGTERM (stopped, then started again on the
same port and data), SIGSTOP (a server that accepts nothing and answers
nothing, as on a lost network). Each hook event is its own ``orch hook``
process routing in-process, the strictest case: no resident runtime keeps a
connection or remembers the outage for it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from orchcore.api import StoreError
from orchcore.testing import orch_executable

from orch_store_redis import outage
from orch_store_redis.store import COMMAND_TIMEOUT_S, RedisStore
from orch_store_redis.testing import start_redis_server

HOOK_BUDGET_S = 30  # what `orch install` gives a command hook (Claude Code's timeout for it)
NOTICE = "not being saved"


@pytest.fixture
def server(tmp_path):
    """A server of this test's own: these tests stop it."""
    started = start_redis_server(tmp_path / "redis")
    yield started
    if started.process is not None:
        os.kill(started.process.pid, signal.SIGCONT)
    started.kill()


@pytest.fixture
def project(orch_project, server, redis_prefix):
    (orch_project / ".claude" / "orchcore.json").write_text(
        json.dumps({"store": {"backend": "redis", "url": server.url, "prefix": redis_prefix}}))
    return orch_project


@pytest.fixture
def env(project) -> dict[str, str]:
    return {**os.environ, "ORCH_RUNTIME": "0", "ORCH_ENABLED": "1"}


def tool_call(project, env, session_id: str, n: int) -> tuple[subprocess.CompletedProcess, float]:
    payload = {"session_id": session_id, "hook_event_name": "PreToolUse", "cwd": str(project),
               "tool_name": "Bash", "tool_input": {"command": f"echo {n}"}, "tool_use_id": f"toolu_{n:04d}"}
    started = time.monotonic()
    done = subprocess.run([orch_executable(), "hook"], input=json.dumps(payload), capture_output=True, text=True,
                          env=env, cwd=project, timeout=HOOK_BUDGET_S)
    return done, time.monotonic() - started


def recorded_calls(server, prefix: str, session_id: str) -> list[str]:
    store = RedisStore(server.url, prefix, "/nonexistent")
    return [e.data["tool_use_id"] for e in store.events(session_id, types=["hook.handled"])
            if e.data.get("event") == "PreToolUse"]


def test_a_stopped_server_is_told_once_and_every_event_is_applied_once_when_it_is_back(
    project, env, server, redis_prefix, session_id
):
    tool_call(project, env, session_id, 0)
    server.stop()
    answers = [tool_call(project, env, session_id, n)[0] for n in range(1, 6)]
    server.start()
    time.sleep(outage.RETRY_AFTER_S)  # right after a failure every event fails fast; past that, the server is tried
    after = [tool_call(project, env, session_id, n)[0] for n in range(6, 9)]

    assert all(a.returncode == 0 for a in answers + after), [a.stderr for a in answers + after]
    told = [a for a in answers if NOTICE in a.stdout]
    assert len(told) == 1 and told[0] is answers[0]  # once per session, at the first event that failed
    assert NOTICE not in "".join(a.stdout for a in after)
    assert recorded_calls(server, redis_prefix, session_id) == [f"toolu_{n:04d}" for n in range(9)]  # in order, once
    assert not (project / ".claude" / "state" / "journal").exists()  # drained, and the folder tidied away


def test_a_hung_server_costs_one_bounded_wait_then_events_go_to_the_journal_at_once(
    project, env, server, redis_prefix, session_id
):
    tool_call(project, env, session_id, 0)
    os.kill(server.process.pid, signal.SIGSTOP)  # accepts connections (the kernel does), answers nothing
    try:
        timed = [tool_call(project, env, session_id, n) for n in range(1, 4)]
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    time.sleep(outage.RETRY_AFTER_S)  # past the fail-fast window: the next event tries the server again
    tool_call(project, env, session_id, 4)

    for done, seconds in timed:
        assert done.returncode == 0, done.stderr
        assert seconds < HOOK_BUDGET_S
    first, rest = timed[0][1], [s for _, s in timed[1:]]
    assert first >= COMMAND_TIMEOUT_S * 0.9  # the first waited for the command timeout, no longer
    assert max(rest) < first  # the rest did not wait for it again
    assert recorded_calls(server, redis_prefix, session_id) == [f"toolu_{n:04d}" for n in range(5)]


def test_a_restarted_server_is_reconnected_without_losing_the_event_that_found_out(
    project, server, redis_prefix, session_id
):
    store = RedisStore(server.url, redis_prefix, str(project / ".claude" / "state"))
    store.append(session_id, "session.created", {}, "test", lambda s, e: s, create=True)
    server.stop()
    server.start()  # the store's pooled connection is now dead

    event, _ = store.append(session_id, "note", {}, "test", lambda s, e: s)

    assert event.seq == 2
    assert [e.seq for e in store.events(session_id)] == [1, 2]


def test_orch_doctor_says_the_server_is_unreachable_and_applies_the_kept_events_once_it_is_back(
    project, env, server, redis_prefix, session_id
):
    tool_call(project, env, session_id, 0)
    server.stop()
    tool_call(project, env, session_id, 1)
    down = subprocess.run([orch_executable(), "doctor"], capture_output=True, text=True, env=env, cwd=project,
                          timeout=120)
    server.start()
    up = subprocess.run([orch_executable(), "doctor"], capture_output=True, text=True, env=env, cwd=project,
                        timeout=120)

    assert "unreachable" in down.stdout and "1 hook event(s) kept" in down.stdout, down.stdout
    assert "server persistence: AOF on" in up.stdout, up.stdout
    assert "1 hook event(s) kept while the store failed were applied now" in up.stdout, up.stdout
    assert recorded_calls(server, redis_prefix, session_id) == ["toolu_0000", "toolu_0001"]


def test_the_fail_fast_second_is_about_one_server_and_keeps_no_password(orch_project, redis_server, redis_prefix):
    state = str(orch_project / ".claude" / "state")
    down = RedisStore("redis://:s3cret@127.0.0.1:1/0", redis_prefix, state)
    with pytest.raises(StoreError, match="unreachable"):
        down.has_session("any")
    marker = (orch_project / ".claude" / "state" / outage.MARKER).read_text()
    assert "s3cret" not in marker and "127.0.0.1:1" in marker

    # The configuration now names a server that answers: it is tried at once.
    assert RedisStore(redis_server.url, redis_prefix, state).has_session("any") is False
    # Another store of the server that failed, within the second, fails without trying.
    again = RedisStore("redis://:s3cret@127.0.0.1:1/0", redis_prefix, state)
    with pytest.raises(StoreError, match="unreachable"):
        again.has_session("any")
