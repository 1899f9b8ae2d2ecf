"""``store.backend = "redis"``: how a project chooses the server, and what the hook path does with it.

These run ``orch`` as Claude Code runs it, a process per command, against the
real server: the plugin is found through its entry point, the config names
the server, the gate answers an off session without the network, and the
resident runtime keeps one connection for all the events it routes.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pytest

from orchcore.testing import project_runtime
from orchcore.testing import installed_plugin_manager, orch_executable

from orch_store_redis.store import RedisStore, redact


def configure(project, **store) -> None:
    (project / ".claude" / "orchcore.json").write_text(json.dumps({"store": {"backend": "redis", **store}}))


def hook(project, env, event: str = "PreToolUse", session: str | None = None, **fields) -> subprocess.CompletedProcess:
    payload = {"session_id": session or str(uuid.uuid4()), "hook_event_name": event, "cwd": str(project),
               "transcript_path": str(project / "t.jsonl"), **fields}
    if event == "PreToolUse":
        payload.setdefault("tool_name", "Bash")
        payload.setdefault("tool_input", {"command": "ls"})
        payload.setdefault("tool_use_id", f"toolu_{uuid.uuid4().hex[:12]}")
    return subprocess.run([orch_executable(), "hook"], input=json.dumps(payload), capture_output=True, text=True,
                          env=env, cwd=project, timeout=60)


@pytest.fixture
def env(orch_project) -> dict[str, str]:
    """Each event its own ``orch hook`` process that routes in-process (no resident runtime)."""
    return {**os.environ, "ORCH_RUNTIME": "0", "ORCH_ENABLED": "1"}


def test_the_plugin_is_found_through_its_entry_point_as_the_redis_backend():
    manager = installed_plugin_manager()
    backends = manager.collect("orch_store_backends")
    assert "redis" in backends
    assert backends["redis"].plugin == "redis-store"


def test_a_project_that_names_the_server_in_its_config_stores_hook_events_there(
    orch_project, env, redis_server, redis_prefix, session_id
):
    configure(orch_project, url=redis_server.url, prefix=redis_prefix)

    done = hook(orch_project, env, session=session_id)

    assert done.returncode == 0, done.stderr
    store = RedisStore(redis_server.url, redis_prefix, str(orch_project / ".claude" / "state"))
    try:
        assert [e.type for e in store.events(session_id)][-1] == "hook.handled"
    finally:
        store.close()
    runtime = project_runtime(orch_project)
    try:
        assert isinstance(runtime.store, RedisStore)
        assert runtime.store.prefix == redis_prefix
    finally:
        runtime.close()


def test_orch_redis_url_wins_over_the_config(orch_project, env, redis_server, redis_prefix, session_id):
    configure(orch_project, url="redis://127.0.0.1:1/0", prefix=redis_prefix)  # nothing listens on port 1

    done = hook(orch_project, {**env, "ORCH_REDIS_URL": redis_server.url}, session=session_id)

    assert done.returncode == 0 and "not being saved" not in done.stdout, done.stdout
    assert RedisStore(redis_server.url, redis_prefix, "/nonexistent").has_session(session_id)


def test_the_prefix_defaults_to_the_project_folder_and_keeps_projects_apart(
    tmp_path, monkeypatch, redis_server, session_id
):
    stores = []
    for name in ("shop", "blog"):
        project = tmp_path / name
        (project / ".claude").mkdir(parents=True)
        configure(project, url=redis_server.url)
        runtime = project_runtime(project)
        stores.append(runtime)
        runtime.bus.create_session(session_id)  # the same id in both: still two sessions
    try:
        assert [r.store.prefix for r in stores] == ["orchcore:shop", "orchcore:blog"]
        for runtime in stores:
            assert [i.session_id for i in runtime.store.sessions()] == [session_id]
            assert runtime.store.remove_session(session_id)
        assert not stores[1].store.has_session(session_id)
    finally:
        for runtime in stores:
            runtime.close()


@pytest.mark.parametrize("runtime", ["in-process", "resident"])
def test_an_off_sessions_events_are_answered_by_the_gate_without_the_network(
    orch_project, env, redis_server, redis_prefix, session_id, tmp_path, runtime
):
    configure(orch_project, url=redis_server.url, prefix=redis_prefix)
    off = {**env, "ORCH_ENABLED": ""}
    if runtime == "resident":  # orch hook hands the event to the resident runtime, which must ask the gate too
        off.pop("ORCH_RUNTIME")
    first = hook(orch_project, off, session=session_id)  # the router records it and writes the flag file
    assert first.returncode == 0, first.stderr
    assert (orch_project / ".claude" / "state" / "gate" / f"{session_id}.off").exists()
    seen = RedisStore(redis_server.url, redis_prefix, "/nonexistent").sessions()[0].last_seq

    configure(orch_project, url="redis://127.0.0.1:1/0", prefix=redis_prefix)  # no server there at all
    for _ in range(3):
        done = hook(orch_project, off, session=session_id)
        assert done.returncode == 0 and done.stdout == ""

    assert not list((orch_project / ".claude" / "state").glob("journal/*"))  # nothing failed: nothing was kept
    assert not list((tmp_path / "xdg-state").rglob("*.jsonl"))
    assert RedisStore(redis_server.url, redis_prefix, "/nonexistent").sessions()[0].last_seq == seen
    subprocess.run([orch_executable(), "runtime", "stop"], env=off, cwd=orch_project, capture_output=True, timeout=30)


def settled(read, quiet_s: float = 0.5, limit_s: float = 15.0):
    """What ``read()`` gives once it stops changing: the runtime warms its spare processes in the background."""
    deadline = time.monotonic() + limit_s
    current = read()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        again = read()
        if again == current:
            break
        current = again
    return current


def test_the_resident_runtime_routes_every_event_over_one_kept_connection(
    orch_project, redis_server, redis_prefix, session_id
):
    configure(orch_project, url=redis_server.url, prefix=redis_prefix)
    env = {**os.environ, "ORCH_ENABLED": "1", "ORCH_RUNTIME_IDLE_S": "30"}
    env.pop("ORCH_RUNTIME", None)
    import redis

    server = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        for _ in range(10):
            assert hook(orch_project, env, session=session_id).returncode == 0
        ours = lambda: {c["id"] for c in server.client_list() if c.get("name") == "orchcore"}  # noqa: E731
        before = settled(ours)  # the runtime's spare process opens its own once its warm-up gets there
        for _ in range(10):
            assert hook(orch_project, env, session=session_id).returncode == 0
        after = ours()
        handled = [e for e in RedisStore(redis_server.url, redis_prefix, "/nonexistent").events(session_id)
                   if e.type == "hook.handled"]
        assert len(handled) == 20
        assert before and after == before  # the same connections: no new one per event
    finally:
        subprocess.run([orch_executable(), "runtime", "stop"], env=env, cwd=orch_project, capture_output=True,
                       timeout=30)
        server.close()


def test_a_password_in_the_url_never_appears_in_messages():
    assert redact("redis://app:s3cret@cache.internal:6380/2") == "redis://app:***@cache.internal:6380/2"
    assert redact("rediss://:s3cret@cache.internal/0") == "rediss://:***@cache.internal/0"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    store = RedisStore("redis://:s3cret@127.0.0.1:1/0", "p", "/nonexistent")
    assert "s3cret" not in store.location
