"""The real Claude Code against a scripted fake model, through the core's end-to-end harness.

The harness (fake Anthropic API, isolated HOME, the pinned binary) lives in the
orchcore repository's ``tests/e2e``; it is loaded from there under its own
package name, so this plugin's ``tests`` never shadows the core's. Outside a
checkout of the repository these tests are not collected. Like the core's,
they are skipped when the binary cannot be installed, and fail under CI.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[4] / "tests" / "e2e"
PACKAGE = "orchcore_e2e_harness"


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
        cc_env,
        cc_home,
        cc_project,
        claude_bin,
        fake_api,
        run_claude,
    )

    __all__ = ["cc_env", "cc_home", "cc_project", "claude_bin", "fake_api", "run_claude"]
else:
    collect_ignore_glob = ["test_*.py"]
