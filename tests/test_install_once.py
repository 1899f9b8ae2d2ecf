"""Install once, use everywhere: `bash scripts/install-user.sh` puts orchcore and its first-party plugins in one
pipx environment, and `orch install` in any project then wires Claude Code to it, no venv activated.

Run as a new user on a fresh machine would: a HOME, PIPX_HOME and PIPX_BIN_DIR of their own (the script
bootstraps pipx into that HOME), the Python the dev venv was made from on PATH and never the dev venv. orch is
then run with pipx's bin folder and the system's on PATH, and the hook command the settings hold with the
system's alone, through `sh -c`, as Claude Code runs it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())
CLOCK = ROOT / "examples" / "orch-segment-clock"
SESSION = "5b0f0c3e-6a59-4d3c-9a51-2f6f0f3f2e11"
SYSTEM_PATH = "/usr/bin:/bin"
# What the machine needs to reach its package index; everything else of this process's environment stays out.
PASSED_ON = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
             "SSL_CERT_FILE", "TMPDIR")


def _distribution(folder: Path) -> str:
    return tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]


@attrs.frozen
class User:
    """A user's own HOME and pipx folders, and how to run commands as that user."""

    home: Path
    pipx_home: Path
    bin_dir: Path

    def env(self, path: str, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key.startswith(PASSED_ON)}
        # pip keeps this machine's cache and settings (a new HOME would hide them); what it installs is decided afresh.
        env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
        settings = [p for p in (Path.home() / ".config" / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf")
                    if p.is_file()]
        if settings:
            env.setdefault("PIP_CONFIG_FILE", str(settings[0]))
        return {**env, "HOME": str(self.home), "PATH": path, "PIPX_HOME": str(self.pipx_home),
                "PIPX_BIN_DIR": str(self.bin_dir), "PIPX_MAN_DIR": str(self.home / "man"),
                "ORCH_RUNTIME_IDLE_S": "5", "ORCH_RUNTIME_LINGER_S": "5", **extra}

    def install_script(self) -> subprocess.CompletedProcess[str]:
        """README's "Install for all your projects" command, with the base Python and the system on PATH."""
        done = subprocess.run(["bash", "scripts/install-user.sh"], cwd=ROOT, capture_output=True, text=True,
                              timeout=1500, env=self.env(f"{Path(sys.base_prefix) / 'bin'}:{SYSTEM_PATH}"))
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def orch(self, cwd: Path, *args: str) -> str:
        path = f"{self.bin_dir}:{SYSTEM_PATH}"
        assert shutil.which("orch", path=path) == str(self.bin_dir / "orch")
        done = subprocess.run(["orch", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                              env=self.env(path))
        assert done.returncode == 0, done.stderr
        return done.stdout

    def plugins(self) -> dict[str, dict]:
        return {row["name"]: row for row in json.loads(self.orch(self.home, "plugins", "list", "--json"))}


@pytest.fixture(scope="module")
def user(tmp_path_factory) -> User:
    folder = tmp_path_factory.mktemp("user")
    user = User(home=folder / "home", pipx_home=folder / "pipx", bin_dir=folder / "bin")
    user.home.mkdir()
    user.install_script()
    return user


@pytest.fixture
def project(user, tmp_path):
    folder = tmp_path / "some-project"
    folder.mkdir()
    yield folder
    subprocess.run([str(user.bin_dir / "orch"), "runtime", "stop"], cwd=folder, capture_output=True, timeout=60,
                   env=user.env(SYSTEM_PATH))


def test_the_installed_orch_is_on_the_users_path_and_not_in_the_dev_venv(user):
    version = user.orch(user.home, "--version")

    assert version.startswith("orch (orchcore) ")
    assert (user.bin_dir / "orch").resolve().is_relative_to(user.pipx_home.resolve())


def test_every_first_party_plugin_is_installed_and_active(user):
    installed = user.plugins()
    distributions = {row["distribution"] for row in installed.values()}

    assert {"orchcore", *map(_distribution, PLUGINS)} <= distributions
    assert all(row["status"] == "active" for row in installed.values()), installed


def test_orch_install_in_another_project_wires_the_pipx_environment(user, project):
    user.orch(project, "install")

    settings = json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))
    commands = [handler["command"] for groups in settings["hooks"].values() for group in groups
                for handler in group["hooks"] if handler["type"] == "command"]
    server = json.loads((project / ".mcp.json").read_text(encoding="utf-8"))["mcpServers"]["orchcore"]
    python = str(user.pipx_home / "venvs" / "orchcore" / "bin" / "python")

    assert commands and {shlex.split(c)[0] for c in [*commands, settings["statusLine"]["command"]]} == {python}
    assert server["command"] == python
    assert str(ROOT) not in json.dumps([settings, server])


def test_a_hook_event_through_the_written_command_is_recorded_without_orch_on_path(user, project):
    user.orch(project, "install")
    settings = json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))
    command = settings["hooks"]["SessionStart"][0]["hooks"][0]["command"]
    # Claude Code gives hook commands the env of the settings (the runtime's secret is in the local ones).
    secret = json.loads((project / ".claude" / "settings.local.json").read_text(encoding="utf-8"))["env"]
    event = {"session_id": SESSION, "hook_event_name": "SessionStart", "source": "startup", "cwd": str(project),
             "transcript_path": str(project / "transcript.jsonl")}

    done = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(event), cwd=project, capture_output=True,
                          text=True, timeout=120, env=user.env(SYSTEM_PATH, CLAUDE_PROJECT_DIR=str(project), **secret))

    assert done.returncode == 0, done.stderr
    sessions = json.loads(user.orch(project, "session", "list", "--json"))
    assert [s["session_id"] for s in sessions] == [SESSION]


def test_the_written_status_line_runs_without_orch_on_path(user, project):
    user.orch(project, "install")
    command = json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))["statusLine"]["command"]
    status = {"session_id": SESSION, "cwd": str(project), "model": {"display_name": "Opus"}}

    done = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(status), cwd=project, capture_output=True,
                          text=True, timeout=60, env=user.env(SYSTEM_PATH, CLAUDE_PROJECT_DIR=str(project),
                                                              NO_COLOR="1"))

    assert done.returncode == 0 and "Opus" in done.stdout, done.stderr


def test_a_plugin_injected_later_is_used_and_stays_through_a_second_run_of_the_script(user):
    # pipx where the script found or bootstrapped it: the user's ~/.local/bin, or the Python's own bin folder
    pipx_path = f"{user.home / '.local' / 'bin'}:{Path(sys.base_prefix) / 'bin'}:{SYSTEM_PATH}"
    injected = subprocess.run(["pipx", "inject", "orchcore", str(CLOCK)], capture_output=True, text=True,
                              timeout=600, env=user.env(pipx_path))
    assert injected.returncode == 0, injected.stderr
    assert user.plugins()["segment-clock"]["status"] == "active"

    user.install_script()

    after = user.plugins()
    assert after["segment-clock"]["status"] == "active"
    assert {"orchcore", *map(_distribution, PLUGINS)} <= {row["distribution"] for row in after.values()}
