"""Remembering that the server was unreachable, so the next hook events do not wait for it again.

A Redis server that is down refuses connections at once, but one that hangs
(a stopped process, a lost network) costs a timeout per attempt. After a
failure, every store of this project fails fast for ``RETRY_AFTER_S``: hook
events go straight to the local journal (the router keeps them there) and
Claude Code is not kept waiting. One store object remembers it in memory;
spawned ``orch hook`` processes, each with its own store, share a marker file
in the state folder.
"""

from __future__ import annotations

import os
import time

MARKER = "redis-unreachable"
RETRY_AFTER_S = 1.0


def marker_path(state_dir: str) -> str:
    return os.path.join(state_dir, MARKER)


def recent_failure(state_dir: str, url: str) -> str | None:
    """What failed at ``url``, when the marker is about it and younger than ``RETRY_AFTER_S``; else None."""
    path = marker_path(state_dir)
    try:
        if time.time() - os.stat(path).st_mtime >= RETRY_AFTER_S:
            return None
        with open(path, encoding="utf-8", errors="replace") as file:
            failed_url, _, problem = file.read().partition("\n")
    except OSError:
        return None
    if failed_url != url:  # the configuration changed since: try the new server
        return None
    return problem.strip() or "unreachable"


def mark(state_dir: str, url: str, problem: str) -> None:
    """Note the failure (best effort: a state folder we cannot write only costs the fast path)."""
    try:
        os.makedirs(state_dir, mode=0o700, exist_ok=True)
        with open(marker_path(state_dir), "w", encoding="utf-8") as file:
            file.write(f"{url}\n{problem}\n")
    except OSError:
        pass


def clear(state_dir: str) -> None:
    try:
        os.remove(marker_path(state_dir))
    except OSError:
        pass
