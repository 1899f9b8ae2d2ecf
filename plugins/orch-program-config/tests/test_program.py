"""The program as orchcore sees it: listed, activated, rendered by `orch install`, found when installed."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import SID

from orchcore.testing import orch_executable, write_distribution

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "orch-program-config"


def test_program_list_shows_it(session, orch_cli):
    orch_cli("program", "activate", "config_manager", session=SID)

    program = {p["name"]: p for p in orch_cli("program", "list", "--json", session=SID).json()}["config_manager"]

    assert (program["icon"], program["mode"], program["active"]) == ("⚙", "config_manager", True)
    assert program["palette"] == ["show", "set", "unset", "validate", "teams", "agents", "segments", "plugins",
                                  "workflows"]


def test_the_status_line_shows_the_gear(active, orch_statusline):
    assert orch_statusline(SID).startswith("⚙ config_manager │ ")


def test_install_writes_the_output_style(plugin, orch_cli, orch_project):
    result = orch_cli("install", "--json")
    assert result.exit_code == 0, result.stderr

    style = (orch_project / ".claude" / "output-styles" / "config_manager.md").read_text(encoding="utf-8")
    assert style.startswith("---\nname: config_manager\ndescription: View and change teams, agents, workflows and "
                            "settings through validated commands\n---\n\nYou are the **configuration manager**")
    assert "Never write `.claude/orchcore.json` with an editor" in style


def test_the_entry_point_names_the_plugin_module():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert meta["project"]["name"] == DISTRIBUTION
    assert meta["project"]["entry-points"]["orchcore"] == {"config-manager": "orch_program_config.plugin"}


def _installed() -> bool:
    try:
        importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _orch(env, *args):
    return subprocess.run([orch_executable(), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(_installed(), reason="the real distribution is installed; test_pip_installed covers it")
def test_an_installed_distribution_is_found_and_its_cli_group_works(orch_env, tmp_path, orch_project):
    site = tmp_path / "site"
    info = write_distribution(site, DISTRIBUTION, "0.1.0", {"config-manager": "orch_program_config.plugin"}, {})
    env = {**orch_env, "PYTHONPATH": f"{site}:{ROOT / 'src'}", "ORCH_NO_INDEX": "1"}

    plugins = {p["name"]: p for p in json.loads(_orch(env, "plugins", "list", "--json").stdout)}
    assert plugins["config-manager"]["distribution"] == DISTRIBUTION
    assert "config_manager" in [p["name"] for p in json.loads(_orch(env, "program", "list", "--json").stdout)]
    result = _orch(env, "config", "set", "orchestration.enabled", "true")
    assert result.returncode == 0, result.stderr
    assert json.loads((orch_project / ".claude" / "orchcore.json").read_text()) == {"orchestration": {"enabled": True}}

    for path in sorted(info.iterdir()):
        path.unlink()
    info.rmdir()  # "uninstalled"
    assert "config_manager" not in [p["name"] for p in json.loads(_orch(env, "program", "list", "--json").stdout)]


@pytest.mark.skipif(not _installed(), reason=f"{DISTRIBUTION} is not pip-installed in this environment")
def test_pip_installed(orch_env):
    env = {**orch_env, "ORCH_NO_INDEX": "1"}

    programs = {p["name"]: p for p in json.loads(_orch(env, "program", "list", "--json").stdout)}
    assert programs["config_manager"]["distribution"] == DISTRIBUTION
    assert _orch(env, "config", "show", "--json").returncode == 0
