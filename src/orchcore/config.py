"""Project configuration: ``.claude/orchcore.json``.

Everything in it is optional; a missing file means defaults. A file that is
not valid JSON is an error for commands, and the hook path treats it as absent
(Claude Code must never break because of us).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from orchcore.errors import ConfigError
from orchcore.paths import config_file


@attrs.frozen
class Config:
    path: Path | None = None
    data: dict[str, Any] = attrs.field(factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def store_backend(self) -> str:
        return os.environ.get("ORCH_STORE") or self.get("store.backend", "sqlite")

    @property
    def store_options(self) -> dict[str, Any]:
        options = self.get("store.options", {})
        return options if isinstance(options, dict) else {}

    @property
    def plugins_allow(self) -> list[str]:
        return _names(os.environ.get("ORCH_PLUGINS_ALLOW"), self.get("plugins.allow"))

    @property
    def plugins_deny(self) -> list[str]:
        return _names(os.environ.get("ORCH_PLUGINS_DENY"), self.get("plugins.deny"))


def _names(env: str | None, configured: Any) -> list[str]:
    if env is not None:
        return [n.strip() for n in env.split(",") if n.strip()]
    if isinstance(configured, list):
        return [str(n) for n in configured]
    return []


def load_config(path: Path | None = None) -> Config:
    path = path or config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix or remove it"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return Config(path=path, data=data)
