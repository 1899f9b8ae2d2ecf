"""Where a project, its state and orchcore's caches live."""

from __future__ import annotations

import os
from pathlib import Path


def project_dir(cwd: Path | None = None) -> Path:
    """CLAUDE_PROJECT_DIR, else the nearest folder upward holding .claude/ or .git, else cwd."""
    from orchcore import gate

    return Path(gate.find_project(os.environ, str(cwd) if cwd else None))


def state_dir(project: Path | None = None) -> Path:
    """ORCH_STATE_DIR, else <project>/.claude/state."""
    from orchcore import gate

    return Path(gate.state_dir(os.environ, str(project or project_dir())))


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
