"""Checking a configuration file: its values against the schema and what is installed, and keys nothing reads.

For ``orch config validate`` and the notes after a change, never the hook
path (which reads leniently, through ``config_schema``). The names a value
may use (segments, plugins, store backends) come from the plugin manager;
when they are not known, only the types are checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from orchcore.config_schema import CONFIG_KEYS, PLUGINS_DENY, lookup
from orchcore.errors import ConfigError


@attrs.frozen
class InstalledNames:
    """The names a value may use, from the plugin manager (an empty set: not known, so not checked)."""

    segments: frozenset[str] = frozenset()
    plugins: frozenset[str] = frozenset()
    backends: frozenset[str] = frozenset()

    @classmethod
    def of(cls, plugins: Any) -> InstalledNames:
        if plugins is None:
            return cls()
        return cls(
            segments=frozenset(_safe(lambda: plugins.specs("orch_status_segments"))),
            plugins=frozenset(getattr(plugins, "records", {}) or {}),
            backends=frozenset(_safe(lambda: plugins.specs("orch_store_backends"))),
        )

    def names(self, choices: str | None) -> frozenset[str]:
        return {"segments": self.segments, "plugins": self.plugins, "backends": self.backends}.get(
            choices or "", frozenset())


def _safe(call: Callable[[], Any]) -> Any:
    """A broken plugin must not stop a config check: its names are then simply not known."""
    try:
        return call() or {}
    except Exception:
        return {}


def problems(data: dict[str, Any], installed: InstalledNames | None = None) -> list[str]:
    """Everything wrong with a configuration file's values, one line each (an empty list: valid)."""
    installed = InstalledNames() if installed is None else installed
    found = []
    for key in CONFIG_KEYS.values():
        present, value = lookup(data, key.name)
        if not present:
            continue
        names = installed
        if key is PLUGINS_DENY:
            names = attrs.evolve(installed, plugins=frozenset())  # denying a plugin not installed is harmless
        try:
            key.validate(value, names)
        except ConfigError as exc:
            found.append(str(exc))
    for parent in dict.fromkeys(name.split(".")[0] for name in CONFIG_KEYS):
        if parent in data and not isinstance(data[parent], dict):
            inside = ", ".join(k for k in CONFIG_KEYS if k.startswith(parent + "."))
            found.append(f"{parent} must be an object holding {inside}")
    return found


def unknown_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys in a configuration file that the core does not read (they do nothing)."""
    found = []
    for name, value in data.items():
        dotted = f"{prefix}{name}"
        if dotted in CONFIG_KEYS:
            continue
        if isinstance(value, dict) and value and any(k.startswith(dotted + ".") for k in CONFIG_KEYS):
            found.extend(unknown_keys(value, dotted + "."))
        else:
            found.append(dotted)
    return found
