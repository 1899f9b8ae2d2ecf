"""The plugin: ``store.backend = "redis"`` (its module imports nothing heavy; redis-py loads on first use)."""

from __future__ import annotations

from orchcore.api import StoreBackend, hookimpl


def _open(state_dir, options):
    from orch_store_redis.store import open_redis

    return open_redis(state_dir, options)


@hookimpl
def orch_store_backends():
    return [StoreBackend(
        name="redis", factory=_open,
        description="a Redis server shared by every machine of the team (store.url or ORCH_REDIS_URL)",
    )]
