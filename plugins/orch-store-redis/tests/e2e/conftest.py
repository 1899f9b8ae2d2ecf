"""The real Claude Code against a scripted fake model, with the session store on a real Redis server.

The harness (fake Anthropic API, isolated HOME, the pinned binary, the
``orch`` project helper) is the core's ``tests/e2e``, loaded by
``orchcore.testing.load_e2e_harness`` under its own package name, so this
plugin's ``tests`` never shadows the core's. Outside a checkout of the
repository these tests are not collected. Like the core's, they are skipped
when the binary (or redis-server) is missing, and fail under CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchcore.testing import load_e2e_harness

E2E_DIR = Path(__file__).resolve().parent

if load_e2e_harness(__file__):
    from orchcore_e2e_harness.conftest import (  # the fixtures the tests use
        _add_diagnostics,
        add_diagnostics_to,
        cc_env,
        cc_home,
        cc_project,
        claude_bin,
        fake_api,
        run_claude,
    )
    from orchcore_e2e_harness.test_orchcore import orch

    from orch_store_redis.testing import start_redis_server

    def pytest_configure(config):
        config.addinivalue_line("markers", "e2e: drives the real Claude Code binary (through the core's harness)")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        report = yield
        if E2E_DIR in Path(item.path).parents:
            add_diagnostics_to(report, item)
        return report

    @pytest.fixture
    def own_redis_server(request, tmp_path):
        """A redis-server of this test's own (the test stops and restarts it), killed at the end."""
        server = start_redis_server(tmp_path / "redis")
        log = server.folder / "redis.log"
        _add_diagnostics(request, "redis-server log", lambda: log.read_text(errors="replace")[-3000:])
        yield server
        server.kill()

    __all__ = ["cc_env", "cc_home", "cc_project", "claude_bin", "fake_api", "orch", "own_redis_server", "run_claude"]
else:
    collect_ignore_glob = ["test_*.py"]
