"""The configuration schema: every key of ``.claude/orchcore.json`` the core reads, defined once.

``orchcore.config_schema`` names each key with its kind, default,
environment variable, description and checks; the core reads through it and
``orch config`` edits and checks the file with it. These tests keep the
schema and the core's reading in step (a key the core reads that the schema
lacks fails here, and so does a key nothing reads), then show each key's
parsing, checking, default and override.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from orchcore import config_schema, gate
from orchcore.config import Config
from orchcore.config_check import InstalledNames, problems, unknown_keys
from orchcore.config_schema import CONFIG_KEYS, ConfigKey
from orchcore.errors import ConfigError
from orchcore.plugins import OrchPluginManager

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "orchcore"
SCHEMA_MODULES = {"config_schema.py", "config_check.py"}
KEY_CONSTANTS = {name for name, value in vars(config_schema).items() if isinstance(value, ConfigKey)}


# -- the schema and the core's reading agree ------------------------------------------


def literal_key_reads(source: str) -> set[str]:
    """Dotted keys read by string: ``config.get("a.b")``, ``runtime.config.get("a.b")``, ``lookup(data, "a.b")``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function, args = node.func, node.args
        on_config = isinstance(function, ast.Attribute) and function.attr == "get" and (
            (isinstance(function.value, ast.Name) and function.value.id in ("config", "self"))
            or (isinstance(function.value, ast.Attribute) and function.value.attr == "config"))
        by_lookup = isinstance(function, (ast.Name, ast.Attribute)) and getattr(
            function, "id", getattr(function, "attr", None)) == "lookup" and len(args) > 1
        text = args[1] if by_lookup else args[0]
        if (on_config or by_lookup) and isinstance(text, ast.Constant) and isinstance(text.value, str) \
                and re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", text.value):
            found.add(text.value)
    return found


def core_sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(SRC.rglob("*.py"))
            if path.name not in SCHEMA_MODULES}


def test_the_scan_sees_a_key_read_by_name():
    source = ('x = runtime.config.get("limits.max_agents")\ny = config.get("theme.colour", "dark")\n'
              'z = lookup(data, "store.backend")\nevent.data.get("limits")\n')

    assert literal_key_reads(source) == {"limits.max_agents", "theme.colour", "store.backend"}


def test_every_key_the_core_reads_by_name_is_in_the_schema():
    unknown = {f"{path.relative_to(ROOT)}: {key}" for path, source in core_sources().items()
               for key in literal_key_reads(source) if key not in CONFIG_KEYS}

    assert not unknown, "add these keys to orchcore/config_schema.py (or read them through it)"


def test_every_config_property_reads_through_a_schema_key():
    tree = ast.parse((SRC / "config.py").read_text(encoding="utf-8"))
    config = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Config")
    properties = [f for f in config.body if isinstance(f, ast.FunctionDef)
                  and any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)]

    assert properties
    for prop in properties:
        used = {n.attr for n in ast.walk(prop) if isinstance(n, ast.Attribute)}
        assert used & KEY_CONSTANTS, f"Config.{prop.name} does not read a key of config_schema"


def test_every_key_in_the_schema_is_read_by_the_core():
    sources = "\n".join(core_sources().values())
    unread = [name for name in sorted(KEY_CONSTANTS) if not re.search(rf"\b{name}\b", sources)]

    assert not unread, "the schema defines keys nothing reads: remove them, or read them through the schema"


def test_the_keys_are_these():
    assert list(CONFIG_KEYS) == [
        "orchestration.enabled", "statusline.segments", "statusline.lines", "plugins.allow", "plugins.deny",
        "store.backend", "store.options", "store.url", "store.prefix", "limits.max_agents", "limits.max_state_kb",
        "limits.max_field_kb",
        "limits.max_sessions", "limits.max_messages", "limits.event_buffer", "sessions.expire_after_hours",
        "store.backups"]


def test_every_key_has_a_description_and_a_default_that_passes_its_own_check():
    for key in CONFIG_KEYS.values():
        assert key.help and "\n" not in key.help, key.name
        if key.default is not None:
            assert key.validate(key.default_value()) == key.default_value(), key.name


def test_every_environment_variable_of_the_schema_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = {cell for row in readme.splitlines() if row.startswith("| `")
             for cell in re.findall(r"`(ORCH_[A-Z_]+)", row.split("|")[1])}

    assert {key.env for key in CONFIG_KEYS.values() if key.env} <= table


def test_a_default_is_a_fresh_copy_each_time():
    key = CONFIG_KEYS["plugins.allow"]
    key.default_value().append("changed")

    assert key.default_value() == [] and key.default == ()


# -- reading: the environment, then the file, then the default; never an error ---------------


@pytest.mark.parametrize("name, file_value, expected", [
    ("orchestration.enabled", True, True),
    ("orchestration.enabled", "yes", False),
    ("statusline.segments", ["mode", 3], ["mode", "3"]),
    ("statusline.segments", "mode", list(config_schema.DEFAULT_SEGMENTS)),
    ("statusline.lines", [["mode"], ["model"]], [["mode"], ["model"]]),
    ("statusline.lines", ["mode"], None),
    ("plugins.allow", [], []),
    ("plugins.deny", "x", []),
    ("store.backend", "memory", "memory"),
    ("store.backend", 5, "sqlite"),
    ("store.options", {"busy_timeout_s": 1}, {"busy_timeout_s": 1}),
    ("store.options", [1], {}),
    ("limits.max_agents", 3, 3),
    ("limits.max_agents", 0, 20),
    ("limits.max_agents", True, 20),
])
def test_a_file_value_of_the_wrong_type_reads_as_the_default(name, file_value, expected):
    first, _, second = name.partition(".")

    assert CONFIG_KEYS[name].read(Config(data={first: {second: file_value}}), env={}) == expected


def test_a_missing_file_or_config_reads_every_default():
    for key in CONFIG_KEYS.values():
        assert key.read(None, env={}) == key.read(Config(), env={}) == key.default_value()


@pytest.mark.parametrize("name, env, expected", [
    ("store.backend", {"ORCH_STORE": "memory"}, "memory"),
    ("store.backend", {"ORCH_STORE": ""}, "postgres"),  # empty says nothing: the file's value
    ("plugins.allow", {"ORCH_PLUGINS_ALLOW": "a, b,"}, ["a", "b"]),
    ("plugins.allow", {"ORCH_PLUGINS_ALLOW": ""}, []),  # set, even to nothing, it wins
    ("plugins.deny", {"ORCH_PLUGINS_DENY": "x"}, ["x"]),
    ("limits.max_agents", {"ORCH_MAX_AGENTS": "2"}, 2),
    ("limits.max_agents", {"ORCH_MAX_AGENTS": "many"}, 7),  # unusable: the file's value
    ("orchestration.enabled", {"ORCH_ENABLED": "off"}, False),
])
def test_an_environment_variable_wins_over_the_file_when_it_says_something_usable(name, env, expected):
    config = Config(data={"store": {"backend": "postgres"}, "plugins": {"allow": ["c"], "deny": ["y"]},
                          "limits": {"max_agents": 7}, "orchestration": {"enabled": True}})

    assert CONFIG_KEYS[name].read(config, env=env) == expected


def test_config_properties_read_the_schema_with_the_process_environment(monkeypatch):
    config = Config(data={"store": {"backend": "postgres", "options": {"a": 1}}, "plugins": {"deny": ["y"]}})
    monkeypatch.setenv("ORCH_PLUGINS_ALLOW", "z")
    monkeypatch.delenv("ORCH_STORE", raising=False)
    monkeypatch.delenv("ORCH_PLUGINS_DENY", raising=False)

    assert (config.store_backend, config.store_options, config.plugins_allow, config.plugins_deny) == (
        "postgres", {"a": 1}, ["z"], ["y"])


def test_orch_enabled_overrides_each_answer_not_what_a_new_session_stores(monkeypatch):
    monkeypatch.setenv("ORCH_ENABLED", "1")
    key = CONFIG_KEYS["orchestration.enabled"]

    assert Config(data={"orchestration": {"enabled": False}}).orchestration_enabled is False
    assert gate.env_override({key.env: "1"}) is key.read(Config(), env={key.env: "1"}) is True


# -- checking: what a person types, and whether a value fits ----------------------------


@pytest.mark.parametrize("name, text, value", [
    ("orchestration.enabled", "ON", True),
    ("orchestration.enabled", "0", False),
    ("statusline.segments", "mode, tasks *", ["mode", "tasks", "*"]),
    ("statusline.segments", '["mode"]', ["mode"]),
    ("statusline.lines", "mode,tasks;model", [["mode", "tasks"], ["model"]]),
    ("statusline.lines", "mode / model", [["mode"], ["model"]]),
    ("plugins.deny", "[]", []),
    ("store.backend", " memory ", "memory"),
    ("store.options", '{"busy_timeout_s": 5}', {"busy_timeout_s": 5}),
    ("limits.max_agents", "4", 4),
])
def test_typed_text_becomes_a_value_that_passes_the_check(name, text, value):
    key = CONFIG_KEYS[name]

    assert key.validate(key.parse(text)) == value


@pytest.mark.parametrize("name, value, message", [
    ("orchestration.enabled", "true", 'orchestration.enabled takes true or false, not a string ("true")'),
    ("statusline.segments", ["mode", ""], "statusline.segments must be a list of status-line segment names"),
    ("statusline.segments", ["mode", "mode"], "statusline.segments names mode more than once"),
    ("statusline.lines", [["mode"], []], "statusline.lines must be rows of status-line segment names"),
    ("plugins.allow", "a,b", "plugins.allow must be a list of plugin names"),
    ("store.backend", "", "store.backend takes a name, not a string"),
    ("store.options", [], "store.options takes a JSON object"),
    ("limits.max_agents", 0, "limits.max_agents takes a whole number above 0, not 0"),
    ("limits.max_agents", "3", 'limits.max_agents takes a whole number above 0, not "3"'),
])
def test_a_value_that_does_not_fit_is_one_line_saying_what_would(name, value, message):
    with pytest.raises(ConfigError) as caught:
        CONFIG_KEYS[name].validate(value)

    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


@pytest.mark.parametrize("name, text, message", [
    ("orchestration.enabled", "maybe", "orchestration.enabled takes true or false (also on/off, yes/no, 1/0), "
                                       "not 'maybe'"),
    ("statusline.segments", "[mode", "'[mode' is not valid JSON for statusline.segments"),
    ("store.options", "5", "store.options takes a JSON object"),
    ("limits.max_agents", "many", "limits.max_agents takes a whole number above 0, not 'many'"),
])
def test_text_that_cannot_be_read_says_what_is_accepted(name, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        CONFIG_KEYS[name].parse(text)


INSTALLED = InstalledNames(segments=frozenset({"mode", "model"}), plugins=frozenset({"core-events", "extra"}),
                           backends=frozenset({"sqlite", "memory"}))


def test_names_are_checked_against_what_is_installed_when_it_is_known():
    assert CONFIG_KEYS["statusline.segments"].validate(["mode", "*"], INSTALLED) == ["mode", "*"]
    with pytest.raises(ConfigError, match=r"statusline.lines row 2: no installed status-line segment named 'clock' "
                                          r"\(installed: \*, mode, model\)"):
        CONFIG_KEYS["statusline.lines"].validate([["mode"], ["clock"]], INSTALLED)
    with pytest.raises(ConfigError, match=r"store.backend: no store backend named 'redis' \(installed: memory, "):
        CONFIG_KEYS["store.backend"].validate("redis", INSTALLED)
    assert CONFIG_KEYS["store.backend"].validate("redis") == "redis"  # nothing known: only the type


def test_an_allow_list_need_not_name_the_built_ins_because_they_always_load():
    assert CONFIG_KEYS["plugins.allow"].validate(["extra"], INSTALLED) == ["extra"]
    assert "built-ins always do" in CONFIG_KEYS["plugins.allow"].help
    manager = OrchPluginManager(allow=["extra"])
    assert not manager.blocked("core-events", builtin=True) and manager.blocked("other")


def test_denying_a_built_in_by_name_is_valid_because_that_is_how_it_is_switched_off():
    assert problems({"plugins": {"deny": ["core-events"]}}, INSTALLED) == []
    assert OrchPluginManager(deny=["core-events"]).blocked("core-events", builtin=True)


# -- checking a whole file ------------------------------------------------------------


def test_a_file_is_checked_key_by_key_and_denying_what_is_not_installed_is_harmless():
    data = {"orchestration": {"enabled": "yes"}, "plugins": {"allow": ["nope"], "deny": ["gone"]}, "store": 5}

    assert problems(data, INSTALLED) == [
        'orchestration.enabled takes true or false, not a string ("yes")',
        "plugins.allow: no installed plugin named 'nope' (installed: core-events, extra)",
        "store must be an object holding store.backend, store.options, store.url, store.prefix, store.backups",
    ]


def test_keys_the_core_does_not_read_are_listed_with_their_dotted_names():
    data = {"store": {"backend": "sqlite", "colour": 1}, "theme": {"dark": True}, "limits": {"max_agents": 2}}

    assert unknown_keys(data) == ["store.colour", "theme"]
