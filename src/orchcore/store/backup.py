"""Online backups of the SQLite state database, rotated, for ``orch recover``.

SQLite's backup API copies a consistent snapshot of the database while other
processes keep writing (WAL mode), so a backup is always a prefix of every
session's log. A backup is written under a temporary name, checked with
``integrity_check`` and only then renamed into place: a damaged database is
never backed up over good backups. Names sort by time
(``orchcore-20261201T180000.123456Z.db``). Never on the hook path: the
resident runtime's idle housekeeping calls ``maybe_backup``; ``orch store
backup`` takes one now.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import attrs

from orchcore.errors import StoreError

BACKUPS = "backups"
PREFIX = "orchcore-"
SUFFIX = ".db"
EVERY_S = 3600  # maybe_backup: at most one an hour


@attrs.frozen
class Backup:
    """One backup file: where it is, when it was taken, how big it is."""

    path: Path
    taken_at: str
    size: int


def backups_dir(state_dir: Path) -> Path:
    return Path(state_dir) / BACKUPS


def list_backups(folder: Path) -> list[Backup]:
    """The backups in ``folder``, newest first (a missing folder has none)."""
    try:
        names = sorted((n for n in os.listdir(folder) if n.startswith(PREFIX) and n.endswith(SUFFIX)), reverse=True)
    except OSError:
        return []
    found = []
    for name in names:
        path = Path(folder) / name
        try:
            size = path.stat().st_size
        except OSError:
            continue
        found.append(Backup(path=path, taken_at=_time_of(name), size=size))
    return found


def backup(store_path: Path, folder: Path, keep: int) -> Backup:
    """Copy the database at ``store_path`` into ``folder`` now, keep the newest ``keep``; the new backup.

    A database that fails its integrity check is not backed up (StoreError):
    the good backups it would rotate out are what ``orch recover`` needs.
    """
    store_path, folder = Path(store_path), Path(folder)
    if not store_path.is_file():
        raise StoreError(f"no state database at {store_path} to back up yet")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # the backups hold what the store holds: nobody else's business
    except OSError as exc:
        raise StoreError(f"cannot create the backup folder {folder}: {exc.strerror}") from None
    name = _name_now(folder)
    partial = folder / f".{name}.partial"
    try:
        _copy(store_path, partial)
        os.replace(partial, folder / name)
    except sqlite3.Error as exc:
        _remove(partial)
        raise StoreError(
            f"cannot back up {store_path}: it is damaged ({exc}); `orch recover` rebuilds it from what is left "
            "and the backups"
        ) from None
    except OSError as exc:
        _remove(partial)
        raise StoreError(f"cannot write the backup {folder / name}: {exc.strerror}") from None
    made = Backup(path=folder / name, taken_at=_time_of(name), size=(folder / name).stat().st_size)
    rotate(folder, keep)
    return made


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups (at least one stays); the paths removed."""
    removed = []
    for old in list_backups(folder)[max(keep, 1):]:
        if _remove(old.path):
            removed.append(old.path)
    return removed


def maybe_backup(runtime) -> Backup | None:
    """A backup when the newest is older than an hour (one stat when it is not); None when none was due.

    For the resident runtime's idle housekeeping. Only the SQLite store has a
    file to back up; a store not created yet has nothing to back up.
    """
    store = runtime.store
    if store.name != "sqlite" or not store.is_created():
        return None
    folder = backups_dir(runtime.state_dir)
    try:
        # The folder changes only when a backup is written or rotated: its mtime is the newest backup's time.
        if time.time() - folder.stat().st_mtime < EVERY_S and list_backups(folder):
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    from orchcore.config_schema import BACKUPS_KEEP

    return backup(Path(store.location), folder, BACKUPS_KEEP.read(runtime.config))


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into a self-contained file ``target`` that passes integrity_check."""
    # Read-only: looking must never create or change the database (URI so the path is taken literally).
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, readable without its -wal
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if result != "ok":
        raise sqlite3.DatabaseError(f"integrity check: {result}")
    os.chmod(target, 0o600)


def _name_now(folder: Path) -> str:
    while True:  # two backups in one microsecond still get two names, in order
        name = f"{PREFIX}{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')}{SUFFIX}"
        if not (folder / name).exists():
            return name
        time.sleep(0.001)


def _time_of(name: str) -> str:
    stamp = name[len(PREFIX):-len(SUFFIX)]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=timezone.utc).isoformat().replace(
            "+00:00", "Z")
    except ValueError:
        return stamp


def _remove(path: Path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False
