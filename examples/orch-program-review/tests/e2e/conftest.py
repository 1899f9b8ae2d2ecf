"""The real Claude Code against a scripted fake model, through orchcore's end-to-end harness.

The harness (fake Anthropic API, isolated HOME, the pinned binary) lives in
the orchcore repository's ``tests/e2e``; ``load_e2e_harness`` loads it from
there under its own package name. Outside a checkout of the repository (a
copy of this example elsewhere) these tests are not collected. Like the
core's, they are skipped when the binary cannot be installed, and fail under CI.
"""

from __future__ import annotations

from orchcore.testing import load_e2e_harness

if load_e2e_harness(__file__):
    from orchcore_e2e_harness.for_plugins import *  # noqa: F403 - the fixtures and the report hook
else:
    collect_ignore_glob = ["test_*.py"]
