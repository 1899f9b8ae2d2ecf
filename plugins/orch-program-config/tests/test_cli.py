"""`orch config show|get|set|unset|validate` (and teams, agents, segments, plugins, workflows) from a terminal."""

from __future__ import annotations

import pytest

from conftest import SID


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def test_show_lists_every_key_with_value_and_source(plugin, orch_cli, config):
    config.write({"store": {"backend": "sqlite"}})

    data = ok(orch_cli("config", "show", "--json")).json()

    assert data["path"] == str(config.path) and data["exists"] is True
    settings = {s["key"]: s for s in data["settings"]}
    assert settings["store.backend"] == {"key": "store.backend", "value": "sqlite", "source": "project",
                                         "in_file": True, "file_value": "sqlite"}
    assert settings["orchestration.enabled"]["source"] == "default"
    assert "session.orchestration" not in settings  # no session given
    assert ok(orch_cli("config", "show")).stdout.splitlines()[1].split() == ["key", "value", "from"]


def test_get_prints_the_effective_value_for_scripts(plugin, orch_cli, config):
    config.write({"statusline": {"segments": ["mode", "tasks"]}})

    assert ok(orch_cli("config", "get", "statusline.segments")).stdout == "mode, tasks\n"
    assert ok(orch_cli("config", "get", "orchestration.enabled", "--json")).json() == {
        "key": "orchestration.enabled", "value": False, "source": "default", "in_file": False}
    env = ok(orch_cli("config", "get", "orchestration.enabled", "--json", env={"ORCH_ENABLED": "1"})).json()
    assert (env["value"], env["source"]) == (True, "env ORCH_ENABLED")


def test_set_and_unset(plugin, orch_cli, config):
    changed = ok(orch_cli("config", "set", "statusline.segments", "mode", "tasks", "*", "--json")).json()
    assert changed == {"key": "statusline.segments", "value": ["mode", "tasks", "*"], "changed": True, "old": None,
                       "path": str(config.path)}
    ok(orch_cli("config", "set", "statusline.lines", "mode,tasks;model,folder"))
    ok(orch_cli("config", "set", "store.options", '{"busy_timeout_ms": 5000}'))
    assert config.read() == {"statusline": {"segments": ["mode", "tasks", "*"],
                                            "lines": [["mode", "tasks"], ["model", "folder"]]},
                             "store": {"options": {"busy_timeout_ms": 5000}}}

    assert ok(orch_cli("config", "unset", "statusline.segments")).stdout.startswith("statusline.segments unset")
    assert ok(orch_cli("config", "unset", "statusline.lines")).stdout.startswith("statusline.lines unset")
    assert config.read() == {"store": {"options": {"busy_timeout_ms": 5000}}}


def test_a_change_is_recorded_in_the_session_when_there_is_one(session, orch_cli, config):
    ok(orch_cli("config", "set", "orchestration.enabled", "true", session=SID))
    ok(orch_cli("config", "set", "orchestration.enabled", "false"))  # no session: only the file changes

    events = session.store.events(SID, types=["config_manager.changed"])
    assert [(e.source, e.data) for e in events] == [
        ("cli", {"key": "orchestration.enabled", "new": True, "scope": "project"})]
    assert config.read() == {"orchestration": {"enabled": False}}


def test_session_keys_need_a_session(session, orch_cli):
    result = orch_cli("config", "set", "session.segments", "mode")
    assert result.exit_code == 1
    assert result.stderr == ("orch: error: session.segments is a setting of a session: pass --session ID or run "
                             "inside Claude Code\n")

    ok(orch_cli("config", "set", "session.segments", "mode,tasks", "--session", SID))
    assert session.store.get(SID).runtime_config.status_line.segments == ["mode", "tasks"]
    assert ok(orch_cli("config", "get", "session.segments", session=SID)).stdout == "mode, tasks\n"


@pytest.mark.parametrize("args, error", [
    (("set", "orchestration.enabled", "perhaps"), "orchestration.enabled takes true or false"),
    (("set", "statusline.segment", "mode"), "unknown key 'statusline.segment'; did you mean statusline.segments?"),
    (("set", "plugins.deny", "core-events"), "core-events is built into orchcore"),
    (("set", "store.backend", "redis"), "no store backend named 'redis' (installed: memory, sqlite)"),
    (("set", "store.options", "{bad json}"), "is not valid JSON for store.options"),
    (("unset", "nonsense"), "unknown key 'nonsense'"),
    (("get", "nonsense"), "unknown key 'nonsense'"),
])
def test_invalid_input_is_a_one_line_error_and_the_file_is_untouched(plugin, orch_cli, config, args, error):
    config.write({"orchestration": {"enabled": True}}, indent=4)
    before = config.text()

    result = orch_cli("config", *args)

    assert result.exit_code == 1
    assert result.stderr.startswith("orch: error: ") and error in result.stderr and result.stderr.count("\n") == 1
    assert config.text() == before


def test_a_broken_file_is_refused_not_repaired(plugin, orch_cli, config):
    config.path.write_text("{\n  \"store\": {\"backend\": \"sqlite\"\n", encoding="utf-8")

    result = orch_cli("config", "set", "orchestration.enabled", "true")

    assert result.exit_code == 1
    assert "is not valid JSON (line 3, column 1" in result.stderr and "nothing was changed" in result.stderr
    assert config.text() == "{\n  \"store\": {\"backend\": \"sqlite\"\n"
    validate = orch_cli("config", "validate", "--json")
    assert validate.exit_code == 1 and validate.json()["ok"] is False


def test_the_store_backend_changes_only_with_force(plugin, orch_cli, config):
    refused = orch_cli("config", "set", "store.backend", "memory")
    assert refused.exit_code == 1 and "memory keeps nothing between processes" in refused.stderr
    assert config.text() is None

    ok(orch_cli("config", "set", "store.backend", "memory", "--force"))
    assert config.read() == {"store": {"backend": "memory"}}
    refused = orch_cli("config", "unset", "store.backend")
    assert refused.exit_code == 1 and "every session stored in memory would no longer be seen" in refused.stderr
    ok(orch_cli("config", "unset", "store.backend", "--force"))
    assert config.read() == {}


def test_validate(plugin, orch_cli, config):
    assert ok(orch_cli("config", "validate")).stdout.startswith(f"{config.path} does not exist")

    config.write({"orchestration": {"enabled": "yes"}, "statusline": {"segments": ["mode", "clock"]},
                  "plugins": {"deny": ["not-installed"]}, "theme": "dark"})
    result = orch_cli("config", "validate", "--json")

    assert result.exit_code == 1
    data = result.json()
    assert data["ok"] is False and data["unknown_keys"] == ["theme"]
    assert data["problems"] == [
        'orchestration.enabled takes true or false, not a string ("yes")',
        "statusline.segments: no installed status-line segment named 'clock' (installed: *, agent-usage, agents, "
        "context, cost, duration, five-hour, folder, git-branch, lines, mode, model, seven-day, sprint, tasks, "
        "team-usage)",
    ]
    config.write({"orchestration": {"enabled": True}})
    assert ok(orch_cli("config", "validate")).stdout.startswith(f"✓ {config.path} is valid")


def test_teams_agents_segments_plugins_workflows_as_json(session, orch_cli):
    session.emit(SID, "session.teams", {"teams": ["qa"]})

    teams = ok(orch_cli("config", "teams", "--json", session=SID)).json()
    assert [(t["team"], t["active"], t["max_parallel"]) for t in teams] == [("engineering", False, 3), ("qa", True, 2)]
    agents = ok(orch_cli("config", "agents", "engineering", "--json")).json()
    assert [(a["agent"], a["role"], a["model"]) for a in agents] == [("eng-director", "director", "opus"),
                                                                      ("eng-backend", "worker", None)]
    segments = {s["segment"]: s["shown"] for s in ok(orch_cli("config", "segments", "--json")).json()}
    assert segments["mode"] == "row 1"
    plugins = {p["plugin"]: p for p in ok(orch_cli("config", "plugins", "--json")).json()}
    assert plugins["core-events"]["builtin"] is True and plugins["config-manager"]["status"] == "active"
    workflows = ok(orch_cli("config", "workflows", "--json")).json()
    assert {"kind": "command", "name": "/orchestration:start-sprint", "description": "Start a sprint"} in workflows

    result = orch_cli("config", "agents", "marketing")
    assert result.exit_code == 1 and "no team 'marketing' (teams: engineering, qa)" in result.stderr


def test_the_group_shows_in_help(plugin, orch_cli):
    assert "config" in ok(orch_cli("--help")).stdout
    help_text = ok(orch_cli("config", "--help")).stdout
    for command in ("show", "get", "set", "unset", "validate"):
        assert command in help_text


def test_a_value_nested_too_deep_is_one_line_and_the_file_is_untouched(plugin, orch_project, orch_env, config):
    import subprocess

    from orchcore.testing import orch_executable

    config.write({"orchestration": {"enabled": True}})
    before = config.path.read_text(encoding="utf-8")

    done = subprocess.run([orch_executable(), "config", "set", "plugins.allow", "[" * 1000 + "]" * 1000],
                          env={**orch_env, "ORCH_RUNTIME": "0"}, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "orch: error: the value for plugins.allow nests deeper than orchcore's limit of 100 levels of JSON"
    ]
    assert config.path.read_text(encoding="utf-8") == before
