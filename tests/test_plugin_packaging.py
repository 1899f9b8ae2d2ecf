"""Each first-party plugin is a real distribution: `pip install` adds it to `orch`, `pip uninstall` removes it.

Checked in a fresh virtual environment that holds orchcore alone, so what is
seen is the plugin's own packaging and entry points, not the editable
installs of the development environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())


def _entry_points(plugin: Path) -> list[str]:
    import tomllib

    data = tomllib.loads((plugin / "pyproject.toml").read_text(encoding="utf-8"))
    return sorted(data["project"]["entry-points"]["orchcore"])


def _is_program(plugin: Path) -> bool:
    return any("def orch_programs(" in p.read_text(encoding="utf-8") for p in (plugin / "src").rglob("*.py"))


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fresh-venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(ROOT)], check=True, timeout=600)
    return folder


def orch(venv: Path, *args: str) -> object:
    done = subprocess.run([str(venv / "bin" / "orch"), *args], capture_output=True, text=True, timeout=120,
                          cwd=venv)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("plugin", PLUGINS, ids=[p.name for p in PLUGINS])
def test_pip_install_adds_the_plugin_and_pip_uninstall_removes_it(venv, plugin):
    python = str(venv / "bin" / "python")
    name = next(line.split("=", 1)[1].strip().strip('"') for line in
                (plugin / "pyproject.toml").read_text().splitlines() if line.startswith("name"))
    expected = _entry_points(plugin)

    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(plugin)], check=True, timeout=600)
    installed = {row["name"]: row for row in orch(venv, "plugins", "list", "--json")}
    programs = {row["name"] for row in orch(venv, "program", "list", "--json")}

    subprocess.run([python, "-m", "pip", "uninstall", "--quiet", "--yes", name], check=True, timeout=600)
    after = {row["name"] for row in orch(venv, "plugins", "list", "--json")}
    programs_after = {row["name"] for row in orch(venv, "program", "list", "--json")}

    for entry in expected:
        assert installed[entry]["status"] == "active", installed[entry]
        assert installed[entry]["distribution"] == name
        assert entry not in after
    if _is_program(plugin):
        assert programs - programs_after, "its program appears in `orch program list` and goes with it"


def test_the_installed_orch_imports_nothing_before_orchcore_whatever_pip_wrote_it(venv):
    """pip 23.2 (this venv's own) would write a launcher that imports ``re``; orch is a script of its own."""
    done = subprocess.run([str(venv / "bin" / "python"), "-X", "importtime", str(venv / "bin" / "orch"), "--version"],
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0 and done.stdout.startswith("orch (orchcore) ")
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "orchcore.entry" in imported
    assert not imported & {"re", "typer", "rich", "attrs", "pluggy", "json"}, sorted(imported)


def test_the_wiring_of_an_installed_orchcore_starts_its_python_without_site(venv, tmp_path):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    summary = orch_in(venv, project, "install", "--dry-run", "--json")
    python = str(venv / "bin" / "python")

    assert summary["hook_command"].startswith(f"{python} -S -P -c ")
    status = subprocess.run(["/bin/sh", "-c", summary["hook_command"].removesuffix(" hook") + " statusline"],
                            input=json.dumps({"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee",
                                              "cwd": str(project), "model": {"display_name": "Opus"}}),
                            capture_output=True, text=True, timeout=60, cwd=project,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"})
    assert status.returncode == 0 and "Opus" in status.stdout, status.stderr


def orch_in(venv: Path, cwd: Path, *args: str) -> object:
    done = subprocess.run([str(venv / "bin" / "orch"), *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "ORCH_RUNTIME": "0"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
