"""The configuration schema: every key of ``.claude/orchcore.json`` the core reads, defined once.

A ``ConfigKey`` holds a key's dotted name, its kind (the type, and how typed
text or an environment variable becomes a value), its default, the variable
that overrides it, a one-line description and its validation. The core reads
its settings through these (``Config``'s properties, the status line's
layout, the delegation limit) and ``orch config`` edits and checks the file
with them, so what the file may hold and what the core does with it cannot
drift apart; ``tests/test_config_schema.py`` fails when the core reads a key
that is not defined here.

Reading never raises, because the hook path reads: a variable set to
something usable wins, then a file value of the right type, then the
default. Checking is strict, for commands: ``parse`` turns what a person
types into a value and ``validate`` says whether a value fits the key (and,
given what is installed, whether the names in it exist); both raise
ConfigError with one line that says what would be accepted. Checking a
whole file against what is installed is ``config_check``'s job.

Plugins add no keys of their own: none reads one from this file yet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from orchcore import jsonlimits
from orchcore.errors import ConfigError, JsonTooDeep
from orchcore.gate import word_bool

KINDS = ("bool", "names", "rows", "choice", "object", "count", "text")
CHOICES = ("segments", "plugins", "backends")  # what is installed that a value's names must come from
DEFAULT_SEGMENTS = ("mode", "agents", "tasks", "sprint", "*", "model", "folder", "git-branch")

_ONE = {"segments": "status-line segment", "plugins": "plugin", "backends": "store backend"}
_MANY = {"segments": "status-line segment names", "plugins": "plugin names", "backends": "store backends"}


def _frozen(value: Any) -> Any:
    """A default that no caller can change in place (``default_value()`` hands out copies)."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    return value


@attrs.frozen
class ConfigKey:
    """One key of the project configuration: what it holds, its default, what overrides it, what it is for."""

    name: str  # dotted: "store.backend" is {"store": {"backend": …}}
    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))
    help: str
    default: Any = attrs.field(default=None, converter=_frozen)
    env: str | None = None  # an environment variable that wins over the file
    choices: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.in_(CHOICES)))
    default_text: str | None = None  # how the default reads when it is not a value (statusline.lines)

    @property
    def accepts(self) -> str:
        """What the key takes, in words, for error messages and help."""
        what = _MANY.get(self.choices or "", "values")
        return {
            "bool": "true or false (also on/off, yes/no, 1/0)",
            "names": f"a list of {what}: comma-separated (a,b,c) or a JSON list; empty: []",
            "rows": f"rows of {what}: rows separated by ; and names by , (mode,tasks;model) or a JSON list of lists",
            "choice": f"one of the installed {what}",
            "object": 'a JSON object, e.g. {"timeout_s":5}',
            "count": "a whole number above 0",
            "text": "one line of text",
        }[self.kind]

    def default_value(self) -> Any:
        """The default, as a fresh list or dict the caller may change."""
        if isinstance(self.default, tuple):
            return list(self.default)
        if isinstance(self.default, Mapping):
            return dict(self.default)
        return self.default

    # -- reading (the hook path: never raises) ----------------------------------

    def env_value(self, env: Mapping[str, str]) -> Any:
        """The value the key's environment variable gives; None when it is not set or says nothing usable."""
        if self.env is None or self.env not in env:
            return None
        text = env[self.env]
        if self.kind == "bool":
            return word_bool(text)
        if self.kind == "names":  # set, even to nothing: the variable wins (an empty list)
            return [n.strip() for n in text.split(",") if n.strip()]
        if self.kind == "count":
            return _positive(text)
        return text or None

    def file_value(self, config: Any) -> Any:
        """The value in ``config`` (a ``Config``, or None) when it has the right type; else the default."""
        found = _usable(self.kind, config.get(self.name) if config is not None else None)
        return self.default_value() if found is None else found

    def read(self, config: Any, env: Mapping[str, str] | None = None) -> Any:
        """The value the core uses: the environment's, else the file's, else the default."""
        found = self.env_value(os.environ if env is None else env)
        return self.file_value(config) if found is None else found

    # -- checking (commands: a clear error) -------------------------------------

    def parse(self, text: str) -> Any:
        """The value typed ``text`` stands for (``validate`` then says whether it fits)."""
        text = text.strip()
        if self.kind == "bool":
            value = word_bool(text)
            if value is None:
                raise ConfigError(f"{self.name} takes {self.accepts}, not {text!r}")
            return value
        if self.kind == "names":
            return self._json(text) if text.startswith("[") else _words(text)
        if self.kind == "rows":
            if text.startswith("["):
                return self._json(text)
            return [_words(row) for row in text.replace("/", ";").split(";") if row.strip()]
        if self.kind == "object":
            if not text.startswith("{"):
                raise ConfigError(f"{self.name} takes {self.accepts}, not {text!r}")
            return self._json(text)
        if self.kind == "count":
            try:
                return int(text)
            except ValueError:
                raise ConfigError(f"{self.name} takes {self.accepts}, not {text!r}") from None
        return text

    def _json(self, text: str) -> Any:
        try:
            return jsonlimits.loads(text, f"the value for {self.name}")
        except JsonTooDeep as exc:
            raise ConfigError(str(exc)) from None
        except ValueError as exc:
            raise ConfigError(f"{text!r} is not valid JSON for {self.name} ({exc.msg} at column {exc.colno})") from None

    def validate(self, value: Any, installed: Any = None) -> Any:
        """``value`` when it fits the key; else ConfigError saying why.

        Names are checked against ``installed`` (a ``config_check.InstalledNames``) when given.
        """
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{self.name} takes true or false, not {_type_name(value)} ({json.dumps(value)})")
        elif self.kind == "names":
            self._check_names(value, installed, self.name)
        elif self.kind == "rows":
            if not isinstance(value, list) or not value or not all(isinstance(r, list) and r for r in value):
                raise ConfigError(f"{self.name} must be {self.accepts}, with no empty row; got {json.dumps(value)}")
            for number, row in enumerate(value, 1):
                self._check_names(row, installed, f"{self.name} row {number}")
        elif self.kind == "choice":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{self.name} takes a name, not {_type_name(value)}")
            known = _known(installed, self.choices)
            if known and value not in known:
                raise ConfigError(f"{self.name}: no {_ONE[self.choices]} named {value!r} "
                                  f"(installed: {', '.join(sorted(known))})")
        elif self.kind == "object":
            if not isinstance(value, dict):
                raise ConfigError(f"{self.name} takes {self.accepts}, not {_type_name(value)}")
        elif self.kind == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{self.name} takes {self.accepts}, not {json.dumps(value)}")
        elif self.kind == "text":
            if not isinstance(value, str) or not value.strip() or "\n" in value:
                raise ConfigError(f"{self.name} takes {self.accepts}, not {_type_name(value)}")
        return value

    def _check_names(self, names: Any, installed: Any, where: str) -> None:
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(f"{where} must be {self.accepts}; got {json.dumps(names)}")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigError(f"{where} names {', '.join(repeated)} more than once")
        known = _known(installed, self.choices)
        if known:
            allowed = known | ({"*"} if self.choices == "segments" else set())
            unknown = [n for n in names if n not in allowed]
            if unknown:
                raise ConfigError(f"{where}: no installed {_ONE[self.choices]} named {', '.join(map(repr, unknown))} "
                                  f"(installed: {', '.join(sorted(allowed))})")


def _known(installed: Any, choices: str | None) -> frozenset[str]:
    return installed.names(choices) if installed is not None and choices else frozenset()


def _words(text: str) -> list[str]:
    return text.replace(",", " ").split()


def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _usable(kind: str, value: Any) -> Any:
    """A file value as the core reads it when its type is right (names as strings); None when it is not."""
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "names":
        return [str(n) for n in value] if isinstance(value, list) else None
    if kind == "rows":
        rows = isinstance(value, list) and value and all(isinstance(r, list) for r in value)
        return [[str(n) for n in r] for r in value] if rows else None
    if kind == "choice":
        return value if isinstance(value, str) and value else None
    if kind == "object":
        return value if isinstance(value, dict) else None
    if kind == "text":
        return value.strip() if isinstance(value, str) and value.strip() else None
    return _positive(value)


def _type_name(value: Any) -> str:
    return {bool: "true/false", str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(
        type(value), "a number")


ORCHESTRATION_ENABLED = ConfigKey(
    "orchestration.enabled", "bool", "new sessions of this project start with orchestration on", False,
    env="ORCH_ENABLED")
STATUSLINE_SEGMENTS = ConfigKey(
    "statusline.segments", "names", "the status line's segments, in order; * stands for every other installed "
    "segment", DEFAULT_SEGMENTS, choices="segments")
STATUSLINE_LINES = ConfigKey(
    "statusline.lines", "rows", "several status-line rows (wins over statusline.segments)", None,
    choices="segments", default_text="one row: statusline.segments")
PLUGINS_ALLOW = ConfigKey(
    "plugins.allow", "names", "only these third-party plugins load (orchcore's built-ins always do, unless "
    "denied); empty: every plugin", [], env="ORCH_PLUGINS_ALLOW", choices="plugins")
PLUGINS_DENY = ConfigKey(
    "plugins.deny", "names", "these plugins never load (built-ins too: denying one by name switches it off)", [],
    env="ORCH_PLUGINS_DENY", choices="plugins")
STORE_BACKEND = ConfigKey(
    "store.backend", "choice", "where session state is stored", "sqlite", env="ORCH_STORE", choices="backends")
STORE_OPTIONS = ConfigKey("store.options", "object", "options passed to the store backend", {})
STORE_URL = ConfigKey(
    "store.url", "text", "the server of a networked store backend (redis://host:6379/0, rediss:// for TLS); "
    "a backend may read its own variable too (the Redis one: ORCH_REDIS_URL)", None, env="ORCH_STORE_URL",
    default_text="none: a local backend needs none")
STORE_PREFIX = ConfigKey(
    "store.prefix", "text", "what a networked store puts before its keys, so several projects share one server; "
    "every machine of one project must use the same", None, env="ORCH_STORE_PREFIX",
    default_text="orchcore:<the project folder's name>")
MAX_AGENTS = ConfigKey(
    "limits.max_agents", "count", "agents a session may run at once (a team's max_parallel and an agent's "
    "capacity limit further)", 20, env="ORCH_MAX_AGENTS")

MAX_STATE_KB = ConfigKey(
    "limits.max_state_kb", "count", "the most a session's state may hold, in KB (an event that would grow it past "
    "this is refused; large text fields from hook events are truncated first)", 1024, env="ORCH_MAX_STATE_KB")
MAX_FIELD_KB = ConfigKey(
    "limits.max_field_kb", "count", "the longest text field (a description, a last message) a hook event keeps, "
    "in KB; longer ones are cut with a marker", 32, env="ORCH_MAX_FIELD_KB")
MAX_SESSIONS = ConfigKey(
    "limits.max_sessions", "count", "orchestrated sessions a project may have active at once (archived and "
    "ended ones do not count)", 10, env="ORCH_MAX_SESSIONS")
MAX_MESSAGES = ConfigKey(
    "limits.max_messages", "count", "queued messages a session may hold (delivered ones leave the queue)", 100,
    env="ORCH_MAX_MESSAGES")
EVENT_BUFFER = ConfigKey(
    "limits.event_buffer", "count", "events a session keeps in its live log; older ones are compacted into a "
    "snapshot and archived (never deleted)", 1000, env="ORCH_EVENT_BUFFER")
EXPIRE_AFTER_HOURS = ConfigKey(
    "sessions.expire_after_hours", "count", "a session with no activity for this many hours is archived "
    "(read-only, listed with --all, revived by its next event)", 24, env="ORCH_EXPIRE_AFTER_HOURS")
BACKUPS_KEEP = ConfigKey(
    "store.backups", "count", "online backups of the state database kept in .claude/state/backups/ (oldest "
    "removed first)", 5, env="ORCH_BACKUPS")

CONFIG_KEYS: Mapping[str, ConfigKey] = MappingProxyType({k.name: k for k in (
    ORCHESTRATION_ENABLED, STATUSLINE_SEGMENTS, STATUSLINE_LINES, PLUGINS_ALLOW, PLUGINS_DENY, STORE_BACKEND,
    STORE_OPTIONS, STORE_URL, STORE_PREFIX, MAX_AGENTS, MAX_STATE_KB, MAX_FIELD_KB, MAX_SESSIONS, MAX_MESSAGES, EVENT_BUFFER,
    EXPIRE_AFTER_HOURS, BACKUPS_KEEP,
)})


def lookup(data: Any, dotted: str) -> tuple[bool, Any]:
    """(found, value) at a dotted key of a configuration's data."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node
