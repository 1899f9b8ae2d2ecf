"""What is wrong with a store that cannot be used, named by its real cause, with the right advice.

A permission problem, a full disk, an I/O error and a corrupt database need
different things from the user; only corruption calls for moving a file
aside. ``SqliteStore`` asks ``preflight`` before it connects and ``explain``
when SQLite fails.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchcore.errors import StoreError


def preflight(path: Path) -> StoreError | None:
    """A problem the database file shows before SQLite opens it, or None."""
    return None


def explain(path: Path, exc: BaseException) -> StoreError:
    """The StoreError for ``exc`` raised while using the database at ``path``."""
    detail = exc if isinstance(exc, sqlite3.Error) else repr(exc)
    return StoreError(
        f"the state database {path} is corrupt or unreadable ({detail}); "
        "move it aside to start fresh, or restore it from a backup"
    )
