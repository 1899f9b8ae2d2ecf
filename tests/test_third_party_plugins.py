"""Third-party plugins, end to end: the real ``orch`` script with installed distributions.

A fake "site-packages" folder on PYTHONPATH holds what ``pip install`` would
leave there for three distributions:

* ``orchtest-broken``: entry point ``broken = broken_plugin``, a module that
  raises on import;
* ``orchtest-good``: entry point ``good`` (a team and an ``orch greet``
  sub-command) and ``good-segments`` (a status segment only).

A broken plugin is listed as such and every other command keeps working;
``ORCH_STRICT_PLUGINS=1`` turns it into a loud failure. Each plugin module
appends its name to ``$ORCHTEST_IMPORT_LOG`` when imported, so a test can see
which plugins a command imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchcore.testing import write_distribution

ORCH = Path(sys.executable).with_name("orch")

LOG_IMPORT = """
import os
if os.environ.get("ORCHTEST_IMPORT_LOG"):
    with open(os.environ["ORCHTEST_IMPORT_LOG"], "a", encoding="utf-8") as log:
        log.write(__name__ + "\\n")
"""

BROKEN_PLUGIN = LOG_IMPORT + 'raise RuntimeError("this plugin is broken on purpose")\n'

GOOD_PLUGIN = LOG_IMPORT + '''
from orchcore.plugins import hookimpl
from orchcore.specs import CliCommand, TeamSpec


@hookimpl
def orch_teams():
    return [TeamSpec(name="fake-qa", lead="qa-director", members=["qa-director", "qa-tester"], max_parallel=2)]


@hookimpl
def orch_cli_commands():
    def load():
        import typer

        app = typer.Typer()

        @app.callback()
        def greet():
            """Greetings from a third-party plugin."""

        @app.command()
        def hello(name: str = "world"):
            print(f"hello {name}")

        return app

    return [CliCommand(name="greet", help="Say hello", load=load)]
'''

SEGMENTS_PLUGIN = LOG_IMPORT + """
from orchcore.plugins import hookimpl
from orchcore.specs import StatusSegment


@hookimpl
def orch_status_segments():
    return [StatusSegment(name="clock", render=lambda ctx: "12:00")]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site-packages")
    write_distribution(site, "orchtest-broken", "0.1", {"broken": "broken_plugin"}, {"broken_plugin.py": BROKEN_PLUGIN})
    write_distribution(
        site, "orchtest-good", "1.2.3",
        {"good": "orchtest_good.plugin", "good-segments": "orchtest_good.segments"},
        {"orchtest_good/__init__.py": "", "orchtest_good/plugin.py": GOOD_PLUGIN,
         "orchtest_good/segments.py": SEGMENTS_PLUGIN},
    )
    return site


@pytest.fixture
def import_log(tmp_path: Path) -> Path:
    return tmp_path / "imports.log"


@pytest.fixture
def env(orch_env: dict[str, str], site: Path, import_log: Path) -> dict[str, str]:
    """orch_project's CLAUDE_PROJECT_DIR and ORCH_CACHE_DIR, no session, the fake site on PYTHONPATH."""
    env = dict(orch_env)
    env.pop("CLAUDE_CODE_SESSION_ID", None)
    env["PYTHONPATH"] = str(site)
    env["ORCHTEST_IMPORT_LOG"] = str(import_log)
    env["COLUMNS"] = "250"
    return env


@pytest.fixture
def orch(env: dict[str, str], orch_project: Path):
    """``orch("session", "create")`` runs the real console script; returns the CompletedProcess."""

    def run(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ORCH), *args], env={**env, **(extra_env or {})}, cwd=orch_project,
            capture_output=True, text=True, timeout=60,
        )

    return run


def imported(import_log: Path) -> list[str]:
    return import_log.read_text().split() if import_log.exists() else []


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


# -- orch plugins list ----------------------------------------------------------------


def test_plugins_list_json_shows_the_broken_plugin_with_its_error(orch):
    rows = {row["name"]: row for row in json.loads(ok(orch("plugins", "list", "--json")).stdout)}

    broken = rows["broken"]
    assert broken["status"] == "error"
    assert broken["error"] == "failed to import broken_plugin: RuntimeError: this plugin is broken on purpose"
    assert broken["distribution"] == "orchtest-broken"
    assert broken["version"] == "0.1"
    assert broken["builtin"] is False


def test_plugins_list_json_shows_the_good_plugin_active_with_its_hooks(orch, site):
    rows = {row["name"]: row for row in json.loads(ok(orch("plugins", "list", "--json")).stdout)}

    good = rows["good"]
    assert good["status"] == "active"
    assert good["error"] is None
    assert good["hooks"] == ["orch_cli_commands", "orch_teams"]
    assert good["distribution"] == "orchtest-good"
    assert good["version"] == "1.2.3"
    assert good["location"] == str(site / "orchtest_good" / "plugin.py")
    assert rows["good-segments"]["hooks"] == ["orch_status_segments"]
    for builtin in ("core-events", "store-sqlite", "store-memory"):
        assert rows[builtin]["status"] == "active"
        assert rows[builtin]["builtin"] is True


def test_plugins_list_table_shows_the_error(orch):
    out = ok(orch("plugins", "list")).stdout

    broken_line = next(line for line in out.splitlines() if line.startswith("broken "))
    assert "error" in broken_line
    assert "orchtest-broken" in broken_line
    assert "RuntimeError: this plugin is broken on purpose" in broken_line
    good_line = next(line for line in out.splitlines() if line.startswith("good "))
    assert "active" in good_line
    assert "built-ins (10)" in out


def test_plugins_list_filters_by_hook(orch):
    rows = json.loads(ok(orch("plugins", "list", "--json", "--hook", "teams")).stdout)

    assert "good" in [row["name"] for row in rows]  # (first-party team plugins may be installed too)
    assert all("orch_teams" in row["hooks"] for row in rows)
    assert "broken" not in [row["name"] for row in rows]


# -- everything else keeps working ------------------------------------------------------


def test_every_command_keeps_working_with_a_broken_plugin_installed(orch):
    session = json.loads(ok(orch("session", "create", "--json")).stdout)
    sid = session["session_id"]
    assert session["orchestration_enabled"] is False

    shown = json.loads(ok(orch("session", "show", "--session", sid, "--json")).stdout)
    assert shown["session_id"] == sid
    assert shown["last_seq"] == 1

    assert ok(orch("state", "get", "mode", "--session", sid)).stdout.strip() == "default"

    events = json.loads(ok(orch("events", "list", "--session", sid, "--json")).stdout)
    assert [e["type"] for e in events] == ["session.created"]


def test_session_commands_use_the_good_plugins_team_definitions(orch):
    sid = ok(orch("session", "create")).stdout.strip()

    ok(orch("session", "activate-teams", "fake-qa", "--session", sid))

    state = json.loads(ok(orch("session", "show", "--session", sid, "--json")).stdout)
    assert state["active_teams"] == ["fake-qa"]
    assert state["state"]["teams"]["fake-qa"]["members"] == ["qa-director", "qa-tester"]
    unknown = orch("session", "activate-teams", "nope", "--session", sid)
    assert unknown.returncode == 1
    assert "unknown team nope; defined teams: " in unknown.stderr and "fake-qa" in unknown.stderr


def test_the_good_plugins_sub_command_works(orch):
    assert ok(orch("greet", "hello")).stdout == "hello world\n"
    assert ok(orch("greet", "hello", "--name", "orch")).stdout == "hello orch\n"


def test_orch_help_lists_the_plugin_sub_command(orch):
    out = ok(orch("--help")).stdout

    assert "greet" in out
    assert "Say hello" in out or "Greetings" in out


# -- strict mode ---------------------------------------------------------------------------


def test_strict_plugins_make_plugins_list_fail_loudly(orch):
    result = orch("plugins", "list", extra_env={"ORCH_STRICT_PLUGINS": "1"})

    assert result.returncode != 0
    assert result.stderr.startswith("orch: error: plugin 'broken' (orchtest-broken)")
    assert "RuntimeError: this plugin is broken on purpose" in result.stderr
    assert result.stdout == ""


def test_strict_plugins_make_any_command_that_loads_plugins_fail(orch):
    result = orch("session", "create", extra_env={"ORCH_STRICT_PLUGINS": "1"})

    assert result.returncode != 0
    assert "plugin 'broken'" in result.stderr


def test_strict_plugins_name_the_broken_plugin_when_a_plugin_command_is_run(orch):
    result = orch("greet", "hello", extra_env={"ORCH_STRICT_PLUGINS": "1"})

    assert result.returncode != 0
    assert "plugin 'broken'" in result.stderr


def test_a_denied_broken_plugin_is_not_imported(orch, import_log):
    rows = {
        row["name"]: row
        for row in json.loads(ok(orch("plugins", "list", "--json", extra_env={"ORCH_PLUGINS_DENY": "broken"})).stdout)
    }

    assert rows["broken"]["status"] == "disabled"
    assert "broken_plugin" not in imported(import_log)
    assert ok(orch("plugins", "list", extra_env={"ORCH_STRICT_PLUGINS": "1", "ORCH_PLUGINS_DENY": "broken"}))


# -- commands import only what they need -------------------------------------------------


def test_orch_version_imports_no_plugin(orch, import_log):
    assert ok(orch("--version")).stdout.startswith("orch (orchcore) ")

    assert imported(import_log) == []


def test_python_m_orchcore_version_works(env, orch_project, import_log):
    result = subprocess.run(
        [sys.executable, "-m", "orchcore", "--version"], env=env, cwd=orch_project,
        capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("orch (orchcore) ")
    assert imported(import_log) == []


def test_orch_help_does_not_import_plugins_only_other_commands_need(orch, import_log):
    ok(orch("plugins", "list"))  # imports everything once: the index learns each plugin's hooks
    import_log.unlink()

    ok(orch("--help"))

    assert "orchtest_good.plugin" in imported(import_log)  # it provides `orch greet`
    assert "orchtest_good.segments" not in imported(import_log)


def test_session_commands_do_not_import_plugins_they_do_not_need(orch, import_log):
    ok(orch("plugins", "list"))
    import_log.unlink()

    sid = ok(orch("session", "create")).stdout.strip()
    ok(orch("state", "get", "mode", "--session", sid))

    assert "orchtest_good.plugin" not in imported(import_log)
    assert "orchtest_good.segments" not in imported(import_log)
    # A plugin that failed is tried again on every run: it may have been fixed.
    assert "broken_plugin" in imported(import_log)
