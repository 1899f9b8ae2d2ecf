"""What a plugin's end-to-end conftest takes from this harness, in one import.

A first-party plugin (or an example) in this repository writes, in its
``tests/e2e/conftest.py``::

    from orchcore.testing import load_e2e_harness

    if load_e2e_harness(__file__):
        from orchcore_e2e_harness.for_plugins import *  # noqa: F403 - the fixtures and the report hook
    else:
        collect_ignore_glob = ["test_*.py"]  # outside a checkout of orchcore

and gets the fixtures (``claude_bin``, ``fake_api``, ``cc_project``,
``cc_home``, ``cc_env``, ``run_claude``, ``orch``), the ``e2e`` marker, and
the failure diagnostics (fake API log, the claude run, the orch side) in its
reports. A conftest's hooks serve its own folder only, which is why the
report hook is here to be imported rather than only in this folder's conftest.
"""

from __future__ import annotations

import pytest

from .conftest import (
    _add_diagnostics,
    add_diagnostics_to,
    cc_env,
    cc_home,
    cc_project,
    claude_bin,
    fake_api,
    run_claude,
)
from .test_orchcore import orch


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: drives the real Claude Code binary (through orchcore's harness)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    add_diagnostics_to(report, item)
    return report


__all__ = ["_add_diagnostics", "cc_env", "cc_home", "cc_project", "claude_bin", "fake_api", "orch",
           "pytest_configure", "pytest_runtest_makereport", "run_claude"]
