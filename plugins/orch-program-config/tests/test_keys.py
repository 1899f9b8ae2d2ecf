"""Keys, parsing and validation: only what orchcore reads, with the types it expects."""

from __future__ import annotations

import pytest

from orch_program_config.keys import KEYS, Installed, SettingError, check, key, parse

INSTALLED = Installed(
    segments=frozenset({"mode", "tasks", "model", "folder"}),
    plugins=frozenset({"core-events", "programs", "config-manager", "leadership-chat"}),
    builtins=frozenset({"core-events", "programs"}),
    backends=frozenset({"sqlite", "memory"}),
    itself="config-manager",
)


def value(name: str, text: str):
    spec = key(name)
    return check(spec, parse(spec, text), INSTALLED)


def test_the_project_keys_are_the_ones_the_core_reads():
    assert [k for k in KEYS if not k.startswith("session.")] == [
        "orchestration.enabled", "statusline.segments", "statusline.lines", "plugins.allow", "plugins.deny",
        "store.backend", "store.options", "store.url", "store.prefix", "limits.max_agents", "limits.max_state_kb",
        "limits.max_field_kb",
        "limits.max_sessions", "limits.max_messages", "limits.event_buffer", "sessions.expire_after_hours",
        "store.backups"]


@pytest.mark.parametrize("text, expected", [("true", True), ("ON", True), ("yes", True), ("1", True),
                                            ("false", False), ("off", False), ("no", False), ("0", False)])
def test_booleans(text, expected):
    assert value("orchestration.enabled", text) is expected


@pytest.mark.parametrize("text, expected", [
    ("mode,tasks,*", ["mode", "tasks", "*"]),
    ("mode tasks", ["mode", "tasks"]),
    ('["mode", "model"]', ["mode", "model"]),
    ("[]", []),
])
def test_segment_lists(text, expected):
    assert value("statusline.segments", text) == expected


def test_rows():
    assert value("statusline.lines", "mode,tasks;model,folder") == [["mode", "tasks"], ["model", "folder"]]
    assert value("statusline.lines", '[["mode"], ["*"]]') == [["mode"], ["*"]]


def test_objects_and_choices():
    assert value("store.options", '{"timeout_s": 5}') == {"timeout_s": 5}
    assert value("store.backend", "memory") == "memory"


@pytest.mark.parametrize("name, text, message", [
    ("orchestration.enabled", "maybe", "orchestration.enabled takes true or false (also on/off, yes/no, 1/0), "
                                       "not 'maybe'"),
    ("statusline.segments", "mode,clock", "no installed status-line segment named 'clock' "
                                          "(installed: *, folder, mode, model, tasks)"),
    ("statusline.segments", "mode,mode", "statusline.segments names mode more than once"),
    ("statusline.segments", '["mode", 3]', "statusline.segments must be a list of status-line segment names"),
    ("statusline.segments", "[mode", "is not valid JSON for statusline.segments"),
    ("statusline.lines", '[["mode"], []]', "with no empty row"),
    ("statusline.lines", "mode;clock", "statusline.lines row 2: no installed status-line segment named 'clock'"),
    ("plugins.deny", "core-events", "plugins.deny: core-events is built into orchcore; denying it switches it "
                                    "off and may stop orchcore from working; edit .claude/orchcore.json by hand"),
    ("plugins.deny", "nope", "no installed plugin named 'nope'"),
    ("plugins.deny", "config-manager", "denying config-manager would also remove `orch config` and this program"),
    ("plugins.allow", "core-events,programs,leadership-chat", "leaving out config-manager would also remove"),
    ("store.backend", "redis", "store.backend: no store backend named 'redis' (installed: memory, sqlite)"),
    ("store.options", "5", "store.options takes a JSON object"),
    ("store.options", "[1]", "store.options takes a JSON object"),
])
def test_bad_values_are_refused_with_what_is_accepted(name, text, message):
    with pytest.raises(SettingError) as caught:
        value(name, text)

    assert message in str(caught.value)


def test_values_already_parsed_are_checked_by_type():
    with pytest.raises(SettingError, match=r"takes true or false, not a string \(\"true\"\)"):
        check(key("orchestration.enabled"), "true", INSTALLED)


def test_an_unknown_key_suggests_the_closest():
    with pytest.raises(SettingError, match=r"unknown key 'orchestration.enable'; did you mean orchestration.enabled\?"):
        key("orchestration.enable")
    with pytest.raises(SettingError, match=r"unknown key 'colour' \(keys: orchestration.enabled, "):
        key("colour")


def test_allow_and_deny_lists_that_keep_orchcore_working_are_fine():
    assert value("plugins.allow", "core-events,programs,config-manager") == ["core-events", "programs",
                                                                            "config-manager"]
    assert value("plugins.deny", "leadership-chat") == ["leadership-chat"]


def test_an_allow_list_names_only_third_party_plugins_because_built_ins_always_load():
    assert value("plugins.allow", "config-manager") == ["config-manager"]
    assert "built-ins always do" in key("plugins.allow").help


def test_the_agent_limit_is_a_whole_number_above_zero():
    assert value("limits.max_agents", "5") == 5
    with pytest.raises(SettingError, match=r"limits.max_agents takes a whole number above 0, not 0"):
        value("limits.max_agents", "0")


def test_without_installed_names_only_types_are_checked():
    assert check(key("statusline.segments"), ["anything"], Installed()) == ["anything"]
