"""Project configuration: ``.claude/orchcore.json``.

Everything in it is optional; a missing file means defaults. A file that is
not valid JSON is an error for commands, and the hook path treats it as absent
(Claude Code must never break because of us).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from orchcore import config_schema as schema
from orchcore import jsonlimits
from orchcore.errors import ConfigError, JsonTooDeep
from orchcore.paths import config_file


@attrs.frozen
class Config:
    """The project's configuration file as read; its keys and how each is read are in ``config_schema``."""

    path: Path | None = None
    data: dict[str, Any] = attrs.field(factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        found, value = schema.lookup(self.data, dotted)
        return value if found else default

    @property
    def orchestration_enabled(self) -> bool:
        """What a new session starts with. ORCH_ENABLED is not applied here but to each event's answer
        (``gate.env_override``), so an override never becomes a session's stored flag."""
        return schema.ORCHESTRATION_ENABLED.file_value(self)

    @property
    def store_backend(self) -> str:
        return schema.STORE_BACKEND.read(self)

    @property
    def store_options(self) -> dict[str, Any]:
        return schema.STORE_OPTIONS.read(self)

    @property
    def plugins_allow(self) -> list[str]:
        return schema.PLUGINS_ALLOW.read(self)

    @property
    def plugins_deny(self) -> list[str]:
        return schema.PLUGINS_DENY.read(self)


def load_config(path: Path | None = None) -> Config:
    path = path or config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = jsonlimits.loads(text, str(path))
    except JsonTooDeep as exc:
        raise ConfigError(f"{exc}; fix or remove it") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix or remove it"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return Config(path=path, data=data)
