"""Fixtures for orch-store-redis: one real redis-server for the whole run, a fresh key prefix per test.

orchcore's own fixtures (orch_project, orch_runtime, ...) come from orchcore.testing.
"""

from __future__ import annotations

import uuid

import pytest

from orch_store_redis import plugin
from orch_store_redis.store import RedisStore
from orch_store_redis.testing import start_redis_server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A private redis-server on 127.0.0.1 (a free port, its own folder), stopped after the run."""
    server = start_redis_server(tmp_path_factory.mktemp("redis"))
    yield server
    server.kill()


@pytest.fixture
def redis_prefix() -> str:
    """Keys of this test only: tests share the server, never each other's sessions."""
    return f"test:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def open_redis_store(redis_server, redis_prefix, orch_project):
    """Open stores on the test's prefix (each a new connection); all are closed at the end."""
    opened: list[RedisStore] = []

    def open_store(**options) -> RedisStore:
        store = RedisStore(redis_server.url, redis_prefix, str(orch_project / ".claude" / "state"), **options)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def redis_store(open_redis_store) -> RedisStore:
    return open_redis_store()


@pytest.fixture
def redis_backend(register_plugin):
    """The plugin registered in the test's plugin manager, as its entry point would register it."""
    register_plugin(plugin, name="redis-store")
    return plugin
