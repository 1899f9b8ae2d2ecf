"""The real Claude Code against a scripted fake model, with the session store on a real Redis server.

The harness (fake Anthropic API, isolated HOME, the pinned binary, the
``orch`` project helper) lives in the orchcore repository's ``tests/e2e``; it
is loaded from there under its own package name, as orch-commands does, so
this plugin's ``tests`` never shadows the core's. Outside a checkout of the
repository these tests are not collected. Like the core's, they are skipped
when the binary (or redis-server) is missing, and fail under CI.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[4] / "tests" / "e2e"
PACKAGE = "orchcore_e2e_harness"
E2E_DIR = Path(__file__).resolve().parent


def _load_harness() -> bool:
    if PACKAGE in sys.modules:
        return True
    if not (HARNESS / "conftest.py").is_file():
        return False
    spec = importlib.util.spec_from_file_location(PACKAGE, HARNESS / "__init__.py",
                                                  submodule_search_locations=[str(HARNESS)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return True


if _load_harness():
    from orchcore_e2e_harness.conftest import (  # the fixtures the tests use
        _DIAGNOSTICS,
        _add_diagnostics,
        cc_env,
        cc_home,
        cc_project,
        claude_bin,
        fake_api,
        run_claude,
    )
    from orchcore_e2e_harness.orch_e2e import OrchProject

    from orch_store_redis.testing import start_redis_server

    def pytest_configure(config):
        config.addinivalue_line("markers", "e2e: drives the real Claude Code binary (through the core's harness)")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        """A failing test's report gets what the harness collected (fake API log, claude run, orch side)."""
        report = yield
        if report.failed and E2E_DIR in Path(item.path).parents:
            for title, provider in item.stash.get(_DIAGNOSTICS, []):
                try:
                    text = provider()
                except Exception as exc:  # diagnostics must never hide the real failure
                    text = f"(could not collect: {exc!r})"
                if text:
                    report.sections.append((title, text))
        return report

    @pytest.fixture
    def orch(request, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
        """The test project with the real ``orch`` on claude's PATH (the core's fixture, reporting here)."""
        project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
        _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
        return project

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
