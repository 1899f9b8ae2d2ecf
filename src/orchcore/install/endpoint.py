"""Where the project's http hooks post, and the secret they carry.

The secret (``ORCH_HOOK_TOKEN``) lives in ``.claude/settings.local.json``
under ``env``: never committed, and Claude Code fills the header from it.
The resident runtime reads the same settings to know its port and the
secret it must be shown (``http_endpoint``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import attrs

from orchcore.errors import OrchError
from orchcore.install.changes import read_text
from orchcore.install.scopes import settings_file
from orchcore.install.settings import json_type, parse_settings
from orchcore.install.wiring import TOKEN_VAR, wired_port


def add_token(data: dict[str, Any], path: Path, record: dict[str, Any]) -> None:
    """Put the project's secret into ``env`` unless one is there; ``record`` notes what was created."""
    env = data.get("env")
    if env is None:
        env = data["env"] = {}
        record["created_env"] = True
    elif not isinstance(env, dict):
        raise OrchError(f'"env" in {path} must be an object, not {json_type(env)}; the file was not changed')
    if isinstance(env.get(TOKEN_VAR), str) and env[TOKEN_VAR]:
        return
    env[TOKEN_VAR] = secrets.token_urlsafe(32)
    record["created_token"] = True


def remove_token(data: dict[str, Any], record: dict[str, Any]) -> None:
    """Take out what ``add_token`` put in, and nothing else."""
    env = data.get("env")
    if not isinstance(env, dict):
        return
    if record.get("created_token"):
        env.pop(TOKEN_VAR, None)
    if not env and record.get("created_env"):
        del data["env"]


@attrs.frozen
class Endpoint:
    """Where the project's http hooks post, and the secret they carry (what the resident runtime serves)."""

    port: int
    token: str | None


def http_endpoint(project: Path, env: Any) -> Endpoint | None:
    """The project's http hook wiring as Claude Code will see it: local settings over project settings.

    The secret is read the way Claude Code fills the header: the ``env`` of
    local over project over user settings, else the process environment.
    """
    port = None
    token = None
    for scope in ("user", "project", "local"):
        file = settings_file(scope, project)
        try:
            data = parse_settings(file, read_text(file))
        except OrchError:
            continue
        if scope != "user":
            port = wired_port(data) or port
        block = data.get("env")
        if isinstance(block, dict) and isinstance(block.get(TOKEN_VAR), str) and block[TOKEN_VAR]:
            token = block[TOKEN_VAR]
    if port is None:
        return None
    return Endpoint(port, token or env.get(TOKEN_VAR) or None)
