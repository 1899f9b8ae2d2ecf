"""``orch export claude-plugin DIR``: orchcore as a native Claude Code plugin.

The plugin holds what ``orch install --transport command`` puts into a
project (the same hook entries, rendered files and MCP server), so these
tests compare the export with a real install in the same project. The real
Claude Code's view of it (validate, install, a recorded run) is in
``tests/e2e/test_claude_plugin_e2e.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from orchcore import __version__, install
from tests.conftest import ok
from tests.test_install import provides  # noqa: F401 - a fixture: a plugin with a style, a command, an agent
from tests.test_install import AGENT, COMMAND, STYLE, assert_one_line_error, read_json, settings_path, tree

pytestmark = pytest.mark.usefixtures("isolated_home", "provides")


@pytest.fixture
def exported(orch_cli, tmp_path) -> Path:
    folder = tmp_path / "plugin"
    ok(orch_cli("export", "claude-plugin", str(folder)))
    return folder


def test_the_plugin_hooks_are_the_entries_orch_install_with_command_hooks_writes(orch_cli, orch_project, exported):
    ok(orch_cli("install", "--transport", "command", "--no-mcp"))
    installed = read_json(settings_path(orch_project))

    hooks = read_json(exported / "hooks" / "hooks.json")
    assert hooks["hooks"] == installed["hooks"]
    assert list(hooks["hooks"]) == list(install.WIRED_EVENTS)
    (entry,) = hooks["hooks"]["PreToolUse"]
    assert entry["hooks"] == [{"type": "command", "command": f"{install.orch_launcher()} hook", "timeout": 30}]


def test_commands_agents_and_output_styles_are_the_files_orch_install_renders(orch_cli, orch_project, exported):
    ok(orch_cli("install"))
    rendered = tree(orch_project / ".claude")
    for relative in (STYLE, COMMAND, AGENT):
        assert (exported / relative).read_bytes() == rendered[relative]


def test_the_mcp_server_is_the_one_project_install_writes(orch_cli, orch_project, exported):
    ok(orch_cli("install"))
    assert read_json(exported / ".mcp.json") == read_json(orch_project / ".mcp.json")


def test_the_manifest_names_the_plugin_and_its_version(orch_cli, tmp_path, exported):
    manifest = read_json(exported / ".claude-plugin" / "plugin.json")
    assert manifest["name"] == "orchcore" and manifest["version"] == __version__
    assert manifest["description"] and manifest["license"] == "MIT" and manifest["author"]["name"]

    ok(orch_cli("export", "claude-plugin", str(tmp_path / "team"), "--name", "team-orch"))
    assert read_json(tmp_path / "team" / ".claude-plugin" / "plugin.json")["name"] == "team-orch"


def test_the_plugins_bin_orch_starts_the_orch_it_was_exported_from(exported):
    wrapper = exported / "bin" / "orch"
    assert os.access(wrapper, os.X_OK)
    done = subprocess.run([str(wrapper), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"orch (orchcore) {__version__}", done.stderr


def test_the_export_prints_the_status_line_to_add_since_a_plugin_cannot_set_it(orch_cli, orch_project, tmp_path):
    result = ok(orch_cli("export", "claude-plugin", str(tmp_path / "plugin")))
    ok(orch_cli("install"))
    wanted = {"statusLine": read_json(settings_path(orch_project))["statusLine"]}
    assert json.dumps(wanted) in result.stdout and "~/.claude/settings.json" in result.stdout
    assert json.dumps(wanted) in (tmp_path / "plugin" / "README.md").read_text()

    summary = ok(orch_cli("export", "claude-plugin", str(tmp_path / "again"), "--json")).json()
    assert summary["status_line"] == wanted


def test_marketplace_holds_the_plugin_under_plugins_and_says_how_to_install_it(orch_cli, tmp_path):
    market = tmp_path / "market"
    summary = ok(orch_cli("export", "claude-plugin", str(market), "--marketplace", "--json")).json()

    catalogue = read_json(market / ".claude-plugin" / "marketplace.json")
    assert catalogue["name"] == "orchcore-local" and catalogue["owner"]["name"]
    (listed,) = catalogue["plugins"]
    assert listed["name"] == "orchcore" and listed["source"] == "./plugins/orchcore"
    assert read_json(market / "plugins" / "orchcore" / ".claude-plugin" / "plugin.json")["name"] == "orchcore"
    assert (market / "plugins" / "orchcore" / COMMAND).is_file()
    assert summary["install"] == "orchcore@orchcore-local"
    assert summary["plugin_dir"] == str(market / "plugins" / "orchcore")
    assert summary["commands"] == 1 and summary["agents"] == 1 and summary["output-styles"] == 1


def test_a_folder_that_is_not_empty_is_refused_and_left_as_it_was(orch_cli, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")

    assert_one_line_error(orch_cli("export", "claude-plugin", str(folder)), "is not empty", "--force")
    assert_one_line_error(orch_cli("export", "claude-plugin", str(folder), "--force"), "not an earlier export")
    assert tree(folder) == {"notes.txt": b"keep me"}


def test_force_replaces_an_earlier_export_whole(orch_cli, exported):
    stale = exported / "commands" / "orchestration" / "gone.md"
    stale.write_text("a command no plugin provides any more")

    ok(orch_cli("export", "claude-plugin", str(exported), "--force"))
    assert not stale.exists() and (exported / COMMAND).is_file()
    assert [p.name for p in exported.parent.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_name_claude_code_cannot_namespace_and_a_file_as_dir_are_one_line_errors(orch_cli, tmp_path):
    assert_one_line_error(orch_cli("export", "claude-plugin", str(tmp_path / "p"), "--name", "Orch Core"),
                          "'Orch Core'", "lower-case")
    assert not (tmp_path / "p").exists()
    file = tmp_path / "file"
    file.write_text("")
    assert_one_line_error(orch_cli("export", "claude-plugin", str(file)), "is a file")


def installed_in_claude_code(folder: Path, plugin: str = "orchcore@orchcore-local") -> None:
    """What `claude plugin install` leaves behind (2.1.328): the plugin enabled in the user's settings, and
    where its copy is in plugins/installed_plugins.json."""
    config = Path(os.environ["CLAUDE_CONFIG_DIR"])
    (config / "plugins").mkdir(parents=True, exist_ok=True)
    settings = config / "settings.json"
    data = read_json(settings) if settings.exists() else {}
    data.setdefault("enabledPlugins", {})[plugin] = True
    settings.write_text(json.dumps(data, indent=2))
    (config / "plugins" / "installed_plugins.json").write_text(json.dumps({"version": 2, "plugins": {
        plugin: [{"scope": "user", "installPath": str(folder), "version": __version__}]}}))


def doctor_checks(orch_cli) -> dict[str, dict]:
    return {c["name"]: c for c in orch_cli("doctor", "--json").json()["checks"]}


def test_doctor_sees_orchcore_wired_through_the_installed_plugin(orch_cli, exported):
    installed_in_claude_code(exported)

    found = doctor_checks(orch_cli)

    plugin = found["claude plugin orchcore@orchcore-local"]
    assert plugin["status"] == "ok" and "events wired" in plugin["detail"], plugin
    assert found["wiring"]["status"] == "ok"
    assert found["wiring"]["detail"] == "wired in the Claude Code plugin orchcore@orchcore-local"


def test_doctor_warns_when_the_plugin_and_orch_install_both_route_every_event(orch_cli, exported):
    installed_in_claude_code(exported)
    ok(orch_cli("install", "--transport", "command", "--no-mcp"))

    wiring = doctor_checks(orch_cli)["wiring"]

    assert wiring["status"] == "warn"
    assert "project settings and the Claude Code plugin orchcore@orchcore-local" in wiring["detail"]
    assert "keep one" in wiring["detail"]


def test_doctor_fails_a_plugin_whose_orch_is_gone(orch_cli, exported, tmp_path):
    hooks = exported / "hooks" / "hooks.json"
    data = read_json(hooks)
    for groups in data["hooks"].values():
        for group in groups:
            for handler in group["hooks"]:
                handler["command"] = "/nowhere/bin/orch hook"
    hooks.write_text(json.dumps(data))
    installed_in_claude_code(exported)

    plugin = doctor_checks(orch_cli)["claude plugin orchcore@orchcore-local"]

    assert plugin["status"] == "fail"
    assert "/nowhere/bin/orch does not exist" in plugin["detail"] and "re-export it" in plugin["detail"]


def test_doctor_ignores_enabled_plugins_that_route_nothing_to_orch(orch_cli, tmp_path):
    other = tmp_path / "other-plugin"
    (other / "hooks").mkdir(parents=True)
    (other / "hooks" / "hooks.json").write_text(json.dumps({"hooks": {"Stop": [{"hooks": [
        {"type": "command", "command": "echo done"}]}]}}))
    installed_in_claude_code(other, "formatter@tools")

    found = doctor_checks(orch_cli)

    assert "claude plugin formatter@tools" not in found
    assert found["wiring"]["status"] == "fail"


def test_an_older_claude_code_does_not_make_the_plugins_newer_events_a_warning(orch_cli, exported, monkeypatch):
    installed_in_claude_code(exported)
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", "2.1.328")  # it skips PreSkillShellCommand, which the plugin wires

    assert doctor_checks(orch_cli)["claude plugin orchcore@orchcore-local"]["status"] == "ok"
