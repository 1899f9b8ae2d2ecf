"""Core tests use the same fixtures plugin authors get from ``orchcore.testing``."""

import os
import sys
from pathlib import Path

import pytest

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
OTHER_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"


@pytest.fixture
def subprocess_env(orch_project: Path) -> dict[str, str]:
    """Environment for a child process that must see the test's project and caches."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def python() -> str:
    return sys.executable
