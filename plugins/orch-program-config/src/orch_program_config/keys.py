"""The settings config_manager shows and changes: the core's configuration keys, and a session's own.

Project keys are the core's schema (``orchcore.api.CONFIG_KEYS``: every key
the core reads, with its type, default, environment variable and checks), so
a key the core does not read is refused and a typo never sits in the file
doing nothing. Session keys (``session.…``) change one session through the
core's own events; they take the same kinds of value, so they are
``ConfigKey`` values too.

``check`` is the schema's validation plus what this program refuses to do
when it changes the file: lock you out of it (deny config_manager, or leave
it out of an allow list) or switch off one of orchcore's built-ins (deny one
by hand if you mean it). ``orch config validate`` checks the file against the
schema alone.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from orchcore.api import CONFIG_KEYS, ConfigError, ConfigKey, InstalledNames

SettingError = ConfigError  # the core's: one line that says what is wrong and what would work

PROJECT_KEYS = CONFIG_KEYS

SESSION_KEYS: dict[str, ConfigKey] = {k.name: k for k in (
    ConfigKey("session.orchestration", "bool", "orchestration for this session (off: orchcore answers nothing)"),
    ConfigKey("session.segments", "names", "this session's own status line (wins over the project's rows); "
              "empty: the project's", [], choices="segments"),
)}

KEYS: dict[str, ConfigKey] = {**PROJECT_KEYS, **SESSION_KEYS}


def is_session_key(spec: ConfigKey) -> bool:
    return spec.name in SESSION_KEYS


def key(name: str) -> ConfigKey:
    found = KEYS.get(name.strip())
    if found is None:
        from difflib import get_close_matches

        close = get_close_matches(name, list(KEYS), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise SettingError(f"unknown key {name!r}{hint} (keys: {', '.join(KEYS)})")
    return found


def parse(spec: ConfigKey, text: str) -> Any:
    """The value ``text`` stands for, for this key (not yet checked against what is installed)."""
    return spec.parse(text)


@attrs.frozen
class Installed(InstalledNames):
    """What is installed, and what this program must not let a change switch off."""

    builtins: frozenset[str] = frozenset()
    itself: str | None = None  # the name config_manager's own plugin is registered under

    @classmethod
    def of(cls, plugins: Any) -> Installed:
        if plugins is None:
            return cls()
        import sys

        found = InstalledNames.of(plugins)
        records = getattr(plugins, "records", {}) or {}
        module = sys.modules.get("orch_program_config.plugin")
        try:
            itself = (plugins.get_name(module) or None) if module is not None else None
        except Exception:
            itself = None
        return cls(segments=found.segments, plugins=found.plugins, backends=found.backends,
                   builtins=frozenset(n for n, r in records.items() if getattr(r, "builtin", False)), itself=itself)


_LOCK_OUT = (
    "{what} {name} would also remove `orch config` and this program, the way back; edit "
    ".claude/orchcore.json by hand if you mean it"
)


def check(spec: ConfigKey, value: Any, installed: Installed = Installed()) -> Any:
    """``value`` when it is valid for ``spec`` and safe to write; else SettingError naming the key and why."""
    value = spec.validate(value, installed)
    if spec.name == "plugins.deny":
        core = sorted(set(value) & installed.builtins)
        if core:
            one = len(core) == 1
            raise SettingError(
                f"plugins.deny: {', '.join(core)} {'is' if one else 'are'} built into orchcore; denying "
                f"{'it' if one else 'them'} switches {'it' if one else 'them'} off and may stop orchcore from "
                "working; edit .claude/orchcore.json by hand if you mean it"
            )
        if installed.itself in value:
            raise SettingError(_LOCK_OUT.format(name=installed.itself, what="denying"))
    if spec.name == "plugins.allow" and value and installed.itself and installed.itself not in value:
        raise SettingError(_LOCK_OUT.format(name=installed.itself, what="leaving out"))
    return value


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
