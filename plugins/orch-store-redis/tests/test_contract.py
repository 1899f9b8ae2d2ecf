"""The Redis store keeps the same contract as the memory and SQLite stores: orchcore's suite, unchanged."""

from __future__ import annotations

import pytest

from orchcore.testing import StoreContract


class TestRedisStore(StoreContract):
    @pytest.fixture
    def store(self, redis_store):
        return redis_store

    @pytest.fixture
    def reopen(self, open_redis_store):
        """A new connection on the same server and prefix: what another process or machine opens."""
        return open_redis_store
