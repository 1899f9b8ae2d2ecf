"""The real Claude Code against a scripted fake model, through orchcore's end-to-end harness.

The harness (fake Anthropic API, isolated HOME, the pinned binary) lives in
the orchcore repository's ``tests/e2e``; ``load_e2e_harness`` loads it from
there under its own package name. Outside a checkout of the repository (a
copy of this example elsewhere) these tests are not collected. Like the
core's, they are skipped when the binary cannot be installed, and fail under CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchcore.testing import load_e2e_harness

E2E_DIR = Path(__file__).resolve().parent

if load_e2e_harness(__file__):
    from orchcore_e2e_harness.conftest import (  # the fixtures the tests use
        add_diagnostics_to,
        cc_env,
        cc_home,
        cc_project,
        claude_bin,
        fake_api,
        run_claude,
    )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        """A failing test's report gets what the harness collected (fake API log, the claude run)."""
        report = yield
        if E2E_DIR in Path(item.path).parents:
            add_diagnostics_to(report, item)
        return report

    __all__ = ["cc_env", "cc_home", "cc_project", "claude_bin", "fake_api", "run_claude"]
else:
    collect_ignore_glob = ["test_*.py"]
