"""The real Claude Code against a scripted fake model, with the session store on a real Redis server.

The harness (fake Anthropic API, isolated HOME, the pinned binary, the
``orch`` project helper) is the core's ``tests/e2e``, loaded by
``orchcore.testing.load_e2e_harness`` under its own package name, so this
plugin's ``tests`` never shadows the core's. Outside a checkout of the
repository these tests are not collected. Like the core's, they are skipped
when the binary (or redis-server) is missing, and fail under CI.
"""

from __future__ import annotations

import pytest

from orchcore.testing import load_e2e_harness

if load_e2e_harness(__file__):
    from orchcore_e2e_harness.for_plugins import *  # noqa: F403 - the fixtures and the report hook
    from orchcore_e2e_harness.for_plugins import _add_diagnostics

    from orch_store_redis.testing import start_redis_server

    @pytest.fixture
    def own_redis_server(request, tmp_path):
        """A redis-server of this test's own (the test stops and restarts it), killed at the end."""
        server = start_redis_server(tmp_path / "redis")
        log = server.folder / "redis.log"
        _add_diagnostics(request, "redis-server log", lambda: log.read_text(errors="replace")[-3000:])
        yield server
        server.kill()
else:
    collect_ignore_glob = ["test_*.py"]
