"""``orchcore.testing``: a test sees the same environment in every shell it is run from."""

from __future__ import annotations

import os
import re
from pathlib import Path

from orchcore.testing import _ISOLATED_ENV

ROOT = Path(__file__).resolve().parents[1]


def variables_read(*folders: Path) -> set[str]:
    """Every ``ORCH_*`` variable named as a string in the code (``"ORCH_NOW"``, ``env="ORCH_STORE"``)."""
    found = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            found.update(re.findall(r"""["'](ORCH_[A-Z][A-Z0-9_]*)["']""", path.read_text(encoding="utf-8")))
    return found


def test_every_orch_variable_the_code_reads_is_cleared_for_each_test():
    read = variables_read(ROOT / "src" / "orchcore", *(ROOT / "plugins").glob("*/src"))

    assert "ORCH_NOW" in read and "ORCH_STORE" in read  # the scan finds them
    assert sorted(read - set(_ISOLATED_ENV)) == []


def test_a_variable_from_the_developers_shell_does_not_reach_the_test(orch_project):
    assert "ORCH_NOW" not in os.environ  # a clock pinned in the shell would change every date the test sees


def test_project_runtime_is_the_runtime_orch_builds_in_that_project(tmp_path):
    from orchcore.testing import project_runtime

    project = tmp_path / "shop"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "orchcore.json").write_text('{"store": {"backend": "memory"}}')
    runtime = project_runtime(project)
    try:
        assert runtime.project == project
        assert runtime.store.name == "memory"  # the store the project's config names
        assert {"sqlite", "memory"} <= set(runtime.plugins.collect("orch_store_backends"))  # installed plugins
    finally:
        runtime.close()
