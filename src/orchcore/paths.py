"""Where a project, its state and orchcore's caches live."""

from __future__ import annotations

import os
from pathlib import Path


def project_dir(cwd: Path | None = None) -> Path:
    """CLAUDE_PROJECT_DIR, else the nearest folder upward holding .claude/ or .git, else cwd."""
    env = os.environ.get("CLAUDE_PROJECT_DIR")
    if env:
        return Path(env)
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / ".claude").is_dir() or (folder / ".git").exists():
            return folder
    return start


def state_dir(project: Path | None = None) -> Path:
    """ORCH_STATE_DIR, else <project>/.claude/state."""
    env = os.environ.get("ORCH_STATE_DIR")
    if env:
        return Path(env)
    return (project or project_dir()) / ".claude" / "state"


def cache_dir() -> Path:
    """ORCH_CACHE_DIR, else $XDG_CACHE_HOME/orchcore, else ~/.cache/orchcore."""
    env = os.environ.get("ORCH_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "orchcore"


def config_file(project: Path | None = None) -> Path:
    return (project or project_dir()) / ".claude" / "orchcore.json"
