"""The settings config_manager knows: what orchcore reads, their types, defaults and overrides.

Project keys live in ``.claude/orchcore.json`` and are exactly those the core
reads (``Config.get`` / the ``Config`` properties): a key the core does not
read is refused, so a typo never sits in the file doing nothing. Session keys
(``session.…``) change one session through the core's own events.

``parse`` turns what a person types into a value; ``check`` validates a
value against the key's type and against what is installed (segment, plugin
and store-backend names). Both raise ``SettingError`` with a message that
says what is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs

TRUE = ("true", "on", "yes", "1")
FALSE = ("false", "off", "no", "0")


class SettingError(Exception):
    """A key or value that cannot be used; the text says why and what would work."""


@attrs.frozen
class Key:
    name: str
    kind: str  # bool | names | rows | choice | object
    help: str
    default: Any = None
    env: str | None = None  # an environment variable that wins over the file
    choices: str | None = None  # segments | plugins | backends: installed names the value must come from
    scope: str = "project"  # project | session
    default_text: str | None = None

    @property
    def accepts(self) -> str:
        return {
            "bool": "true or false (also on/off, yes/no, 1/0)",
            "names": f"a list of {self.what}: comma-separated (a,b,c) or a JSON list; empty: []",
            "rows": f"rows of {self.what}: rows separated by ; and names by , (mode,tasks;model) or a JSON "
                    "list of lists",
            "choice": f"one of the installed {self.what}",
            "object": "a JSON object, e.g. {\"timeout_s\":5}",
        }[self.kind]

    @property
    def one(self) -> str:
        return {"segments": "status-line segment", "plugins": "plugin", "backends": "store backend"}.get(
            self.choices or "", "value")

    @property
    def what(self) -> str:
        return {"segments": "status-line segment names", "plugins": "plugin names",
                "backends": "store backends"}.get(self.choices or "", "values")


def _default_segments() -> list[str]:
    from orchcore.api import DEFAULT_STATUS_SEGMENTS as DEFAULT_ON

    return list(DEFAULT_ON)


PROJECT_KEYS: dict[str, Key] = {k.name: k for k in (
    Key("orchestration.enabled", "bool", "new sessions of this project start with orchestration on", False,
        env="ORCH_ENABLED"),
    Key("statusline.segments", "names", "the status line's segments, in order; * stands for every other "
        "installed segment", None, choices="segments", default_text="mode, agents, tasks, sprint, *, model, folder, "
        "git-branch"),
    Key("statusline.lines", "rows", "several status-line rows (wins over statusline.segments)", None,
        choices="segments", default_text="one row: statusline.segments"),
    Key("plugins.allow", "names", "only these plugins load (orchcore's built-ins must be listed too); "
        "empty: every plugin", [], env="ORCH_PLUGINS_ALLOW", choices="plugins"),
    Key("plugins.deny", "names", "these plugins never load", [], env="ORCH_PLUGINS_DENY", choices="plugins"),
    Key("store.backend", "choice", "where session state is stored", "sqlite", env="ORCH_STORE", choices="backends"),
    Key("store.options", "object", "options passed to the store backend", {}),
)}

SESSION_KEYS: dict[str, Key] = {k.name: k for k in (
    Key("session.orchestration", "bool", "orchestration for this session (off: orchcore answers nothing)", None,
        scope="session"),
    Key("session.segments", "names", "this session's own status line (wins over the project's rows); "
        "empty: the project's", [], choices="segments", scope="session"),
)}

KEYS: dict[str, Key] = {**PROJECT_KEYS, **SESSION_KEYS}


def key(name: str) -> Key:
    found = KEYS.get(name.strip())
    if found is None:
        from difflib import get_close_matches

        close = get_close_matches(name, list(KEYS), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise SettingError(f"unknown key {name!r}{hint} (keys: {', '.join(KEYS)})")
    return found


# -- parsing typed text ---------------------------------------------------------


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SettingError(f"{text!r} is not valid JSON for {what} ({exc.msg} at column {exc.colno})") from None


def _names(text: str) -> list[str]:
    return text.replace(",", " ").split()


def parse(spec: Key, text: str) -> Any:
    """The value ``text`` stands for, for this key (not yet checked against what is installed)."""
    text = text.strip()
    if spec.kind == "bool":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise SettingError(f"{spec.name} takes {spec.accepts}, not {text!r}")
    if spec.kind == "names":
        return _json(text, spec.name) if text.startswith("[") else _names(text)
    if spec.kind == "rows":
        if text.startswith("["):
            return _json(text, spec.name)
        return [_names(row) for row in text.replace("/", ";").split(";") if row.strip()]
    if spec.kind == "object":
        if not text.startswith("{"):
            raise SettingError(f"{spec.name} takes {spec.accepts}, not {text!r}")
        return _json(text, spec.name)
    return text


# -- checking values ------------------------------------------------------------------


@attrs.frozen
class Installed:
    """The names a value may use, from the plugin manager (empty sets: not known, not checked)."""

    segments: frozenset[str] = frozenset()
    plugins: frozenset[str] = frozenset()
    builtins: frozenset[str] = frozenset()
    backends: frozenset[str] = frozenset()
    itself: str | None = None  # the name config_manager's own plugin is registered under

    @classmethod
    def of(cls, plugins: Any) -> Installed:
        if plugins is None:
            return cls()
        import sys

        records = getattr(plugins, "records", {}) or {}
        module = sys.modules.get("orch_program_config.plugin")
        return cls(
            segments=frozenset(_safe(lambda: plugins.specs("orch_status_segments"))),
            plugins=frozenset(records),
            builtins=frozenset(n for n, r in records.items() if getattr(r, "builtin", False)),
            backends=frozenset(_safe(lambda: plugins.specs("orch_store_backends"))),
            itself=(_safe(lambda: plugins.get_name(module)) or None) if module is not None else None,
        )

    def names(self, choices: str | None) -> frozenset[str]:
        return {"segments": self.segments, "plugins": self.plugins, "backends": self.backends}.get(
            choices or "", frozenset())


def _safe(call: Callable[[], Any]) -> Any:
    try:
        return call() or {}
    except Exception:
        return {}


def _type_name(value: Any) -> str:
    return {bool: "true/false", str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(
        type(value), "a number")


def _check_names(spec: Key, names: Any, installed: Installed, where: str) -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise SettingError(f"{where} must be {spec.accepts}; got {json.dumps(names)}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SettingError(f"{where} names {', '.join(duplicates)} more than once")
    known = installed.names(spec.choices)
    if known:
        allowed = known | ({"*"} if spec.choices == "segments" else set())
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise SettingError(
                f"{where}: no installed {spec.one} named {', '.join(map(repr, unknown))} "
                f"(installed: {', '.join(sorted(allowed))})"
            )
    return list(names)


_LOCK_OUT = (
    "{what} {name} would also remove `orch config` and this program, the way back; edit "
    ".claude/orchcore.json by hand if you mean it"
)


def check(spec: Key, value: Any, installed: Installed = Installed()) -> Any:
    """``value`` when it is valid for ``spec``; else SettingError naming the key and what it accepts."""
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise SettingError(f"{spec.name} takes true or false, not {_type_name(value)} ({json.dumps(value)})")
        return value
    if spec.kind == "names":
        names = _check_names(spec, value, installed, spec.name)
        if spec.name == "plugins.deny":
            core = sorted(set(names) & installed.builtins)
            if core:
                raise SettingError(
                    f"plugins.deny: {', '.join(core)} {'is' if len(core) == 1 else 'are'} built into orchcore; "
                    "denying it would stop orchcore from working"
                )
            if installed.itself in names:
                raise SettingError(_LOCK_OUT.format(name=installed.itself, what="denying"))
        if spec.name == "plugins.allow" and names:
            missing = sorted(installed.builtins - set(names))
            if missing:
                raise SettingError(
                    f"plugins.allow keeps out every plugin it does not name, orchcore's own too: add "
                    f"{', '.join(missing)} (or use plugins.deny to keep a few out)"
                )
            if installed.itself and installed.itself not in names:
                raise SettingError(_LOCK_OUT.format(name=installed.itself, what="leaving out"))
        return names
    if spec.kind == "rows":
        if not isinstance(value, list) or not value or not all(isinstance(r, list) and r for r in value):
            raise SettingError(f"{spec.name} must be {spec.accepts}, with no empty row; got {json.dumps(value)}")
        return [_check_names(spec, row, installed, f"{spec.name} row {i}") for i, row in enumerate(value, 1)]
    if spec.kind == "choice":
        if not isinstance(value, str) or not value.strip():
            raise SettingError(f"{spec.name} takes a name, not {_type_name(value)}")
        known = installed.names(spec.choices)
        if known and value not in known:
            raise SettingError(f"{spec.name}: no {spec.one} named {value!r} (installed: {', '.join(sorted(known))})")
        return value
    if spec.kind == "object":
        if not isinstance(value, dict):
            raise SettingError(f"{spec.name} takes {spec.accepts}, not {_type_name(value)}")
        return value
    raise SettingError(f"{spec.name}: unknown kind {spec.kind}")  # pragma: no cover - a bug in KEYS


def show_value(value: Any) -> str:
    """A value as a person reads it: true, mode, tasks, [], a / b."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "-"
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        return " / ".join(", ".join(map(str, r)) for r in value)
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "[]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)
