"""The three scopes ``orch install`` writes to, and where each keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

from orchcore.errors import OrchError

SCOPES = ("project", "user", "local")


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise OrchError(f"unknown scope {scope!r}; use project, user or local")
    return scope


def user_claude_dir() -> Path:
    """Claude Code's own folder: $CLAUDE_CONFIG_DIR, else ~/.claude."""
    env = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(env).expanduser() if env else Path.home() / ".claude"


def claude_dir(scope: str, project: Path) -> Path:
    """Where rendered files and the manifest go: the project's .claude, or the user's for user scope."""
    return user_claude_dir() if scope == "user" else project / ".claude"


def settings_file(scope: str, project: Path) -> Path:
    if scope == "user":
        return user_claude_dir() / "settings.json"
    name = "settings.local.json" if scope == "local" else "settings.json"
    return project / ".claude" / name
