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
DISTRIBUTION = "orch-program-leadership"


def test_program_list_shows_it_with_its_icon_and_palette(session, orch_cli):
    before = {p["name"]: p for p in orch_cli("program", "list", "--json", session=SID).json()}
    orch_cli("program", "activate", "leadership_chat", session=SID)
    after = {p["name"]: p for p in orch_cli("program", "list", "--json", session=SID).json()}

    program = before["leadership_chat"]
    assert (program["icon"], program["mode"], program["active"]) == ("◆", "leadership_chat", False)
    assert program["palette"] == ["threads", "thread", "new-thread", "post", "close-thread", "decisions", "decide",
                                  "allocate", "teams", "perf"]
    assert after["leadership_chat"]["active"] is True
    state = session.store.get(SID)
    assert (state.mode, state.runtime_config.output_style) == ("leadership_chat", "leadership_chat")


def test_install_writes_the_output_style(plugin, orch_cli, orch_project):
    result = orch_cli("install", "--json")
    assert result.exit_code == 0, result.stderr

    style = (orch_project / ".claude" / "output-styles" / "leadership_chat.md").read_text(encoding="utf-8")
    front, body = style.split("---\n")[1], style.split("---\n", 2)[2]
    assert front.splitlines() == [
        "name: leadership_chat",
        "description: \"Chair a leadership meeting of director agents: threads, a decision log, team performance "
        "and resource allocation\"",
    ]
    assert body.lstrip().startswith("You chair a **leadership meeting** of director agents")
    assert "orch leadership decide <owner> <decision>" in body
    assert str(orch_project / ".claude" / "output-styles" / "leadership_chat.md") in result.json()["files"]["written"]


def test_the_entry_point_names_the_plugin_module():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert meta["project"]["name"] == DISTRIBUTION
    assert "orchcore>=0.1" in meta["project"]["dependencies"]
    assert meta["project"]["entry-points"]["orchcore"] == {"leadership-chat": "orch_program_leadership.plugin"}


def _installed() -> bool:
    try:
        importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _orch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([orch_executable(), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(_installed(), reason="the real distribution is installed; test_pip_installed covers it")
def test_an_installed_distribution_is_found_through_its_entry_point(orch_env, tmp_path):
    """What `pip install` leaves behind (a .dist-info with the entry point) is all orch needs to find it."""
    site = tmp_path / "site"
    info = write_distribution(site, DISTRIBUTION, "0.1.0", {"leadership-chat": "orch_program_leadership.plugin"}, {})
    env = {**orch_env, "PYTHONPATH": f"{site}:{ROOT / 'src'}", "ORCH_NO_INDEX": "1"}

    plugins = {p["name"]: p for p in json.loads(_orch(env, "plugins", "list", "--json").stdout)}
    programs = [p["name"] for p in json.loads(_orch(env, "program", "list", "--json").stdout)]
    assert plugins["leadership-chat"]["distribution"] == DISTRIBUTION
    assert plugins["leadership-chat"]["status"] in ("active", "not loaded")
    assert "leadership_chat" in programs

    for path in sorted(info.iterdir()):
        path.unlink()
    info.rmdir()  # "uninstalled"
    assert "leadership_chat" not in [p["name"] for p in json.loads(_orch(env, "program", "list", "--json").stdout)]


@pytest.mark.skipif(not _installed(), reason=f"{DISTRIBUTION} is not pip-installed in this environment")
def test_pip_installed(orch_env):
    env = {**orch_env, "ORCH_NO_INDEX": "1"}

    programs = {p["name"]: p for p in json.loads(_orch(env, "program", "list", "--json").stdout)}
    assert programs["leadership_chat"]["distribution"] == DISTRIBUTION
    assert "leadership" in _orch(env, "--help").stdout
