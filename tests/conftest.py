"""Core tests use the same fixtures plugin authors get from ``orchcore.testing``."""

import os
import shutil
import subprocess
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


def ok(result):
    """An ``orch_cli`` result that succeeded without a traceback (the install tests' check of every run)."""
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.fixture
def isolated_home(tmp_path, monkeypatch) -> Path:
    """A throwaway HOME and CLAUDE_CONFIG_DIR: the user scope (``orch install --scope user``) writes there.

    The newest Claude Code is named too, so what install wires never depends on the ``claude`` on PATH.
    """
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(home / "claude-config"))
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.332")
    return home


@pytest.fixture
def python() -> str:
    return sys.executable


def mount_small_disk(folder: Path, size: str) -> Path:
    """``folder`` (made empty) as a tmpfs of ``size`` (``4m``, ``32k``): a real disk to fill. Skips the test
    where mounting is not possible (not root, no mount); unmount with ``unmount_small_disk``."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    ).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): no real full disk to write to")
    return folder


def unmount_small_disk(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], check=True)


def fill_disk(folder: Path) -> Path:
    """Write zeros into ``folder``'s file ``filler`` until the disk is full; the file, to remove for room."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # no space left on device: that was the point
    finally:
        os.close(fd)
    return filler
