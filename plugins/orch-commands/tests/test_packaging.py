"""The distribution: one entry point per pack, light modules, found by a real `orch` once installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from orch_commands import PACKS
from orchcore.testing import orch_executable, write_distribution

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def test_pyproject_declares_one_entry_point_per_pack():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert project["project"]["name"] == "orch-commands"
    assert any(dep.startswith("orchcore") for dep in project["project"]["dependencies"])
    assert project["project"]["entry-points"]["orchcore"] == PACKS


def test_pack_modules_import_nothing_heavy():
    """orchcore imports a plugin module whenever it needs one of its hooks: typer and rich wait for the CLI."""
    code = ("import sys\n"
            f"import {', '.join(PACKS.values())}\n"
            "heavy = sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules)\n"
            "mine = sorted(m for m in sys.modules if m.startswith('orch_commands.') and m.endswith('_cli'))\n"
            "print(heavy + mine)\n")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """What `pip install plugins/orch-commands` leaves behind: the entry points (the code stays in src/)."""
    site = tmp_path / "site"
    write_distribution(site, "orch-commands", "0.1.0", PACKS, {})
    return site


@pytest.fixture
def orch(orch_env, site):
    env = dict(orch_env, PYTHONPATH=os.pathsep.join([str(site), str(SRC)]), COLUMNS="200")
    env.pop("CLAUDE_CODE_SESSION_ID", None)

    def run(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([orch_executable(), *args], env={**env, **(extra or {})}, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    return run


def test_installed_the_packs_show_in_orch_plugins_list(orch):
    result = orch("plugins", "list", "--json")

    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout) if row.get("distribution") == "orch-commands"}
    assert set(rows) == set(PACKS)
    for name, row in rows.items():
        assert row["status"] == "active", row
        assert "orch_commands" in row["hooks"] and "orch_cli_commands" in row["hooks"]
    assert "orch_event_types" in rows["commands-team"]["hooks"]
    # checkpoint.created and state.restored are the core's now (orchcore.builtin.lifecycle_events)
    assert "orch_event_types" not in rows["commands-debug"]["hooks"] + rows["commands-state"]["hooks"]


def test_installed_the_commands_are_orch_sub_commands(orch):
    listing = orch("--help")
    assert all(group in listing.stdout for group in ("sprint", "team", "orchestration", "checkpoint", "debug",
                                                     "rollback"))

    session = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
    assert orch("session", "create", session).returncode == 0
    started = orch("sprint", "start", "Auth sprint", "days=5", "--session", session, "--json")
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["sprint"]["id"] == "auth-sprint"
    rolled = orch("rollback", "--to", "1", "--session", session)
    assert rolled.returncode == 0, rolled.stderr
    assert orch("events", "replay", "--check", "--session", session).returncode == 0


def installed_in_this_environment() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("orch-commands")
    except PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(installed_in_this_environment(),
                    reason="orch-commands is installed in this environment too, so removing the test's copy "
                           "cannot make it disappear (pip uninstall orch-commands to run this test)")
def test_uninstalled_they_are_gone(orch, site):
    for info in site.glob("orch_commands-*.dist-info"):
        for path in info.iterdir():
            path.unlink()
        info.rmdir()

    names = {row["name"] for row in json.loads(orch("plugins", "list", "--json").stdout)}
    assert not names & set(PACKS)
    gone = orch("sprint", "review")
    assert gone.returncode != 0 and "No such command 'sprint'" in gone.stderr


def test_one_pack_can_be_denied_and_the_others_keep_working(orch):
    deny = {"ORCH_PLUGINS_DENY": "commands-debug"}

    assert "No such command 'debug'" in orch("debug", "state", extra=deny).stderr
    assert orch("sprint", "--help", extra=deny).returncode == 0
