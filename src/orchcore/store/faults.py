"""What is wrong with a store that cannot be used, named by its real cause, with the right advice.

A permission problem, a full disk, an I/O error and a corrupt database need
different things from the user; only corruption calls for moving a file
aside. ``SqliteStore`` asks ``preflight`` before it connects and ``explain``
when SQLite fails; ``write_test`` is what ``orch doctor`` uses to prove the
real store takes a write without changing it.

The database's own bytes are read only the first time this process sees the
file, before any of its SQLite connections opens it: closing a descriptor of
a file drops every POSIX lock the process holds on it, SQLite's included (the
resident runtime keeps connections open). Later problems SQLite reports
itself, and ``explain`` names them.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import struct
import threading
from pathlib import Path

from orchcore.errors import StoreError

CAUSES = ("permission", "disk-full", "io", "corrupt", "not-a-database", "empty", "locked")
MAGIC = b"SQLite format 3\x00"
LOW_SPACE_BYTES = 256 * 1024  # an I/O error with less free than this is a full disk
WAL_DMS_BYTE = 128  # SQLite's "dead man switch" lock in the -shm file: held by every live connection


class StoreFault(StoreError):
    """A store that cannot be used, with ``cause`` (one of ``CAUSES``) and the file concerned."""

    def __init__(self, cause: str, path: Path, message: str):
        super().__init__(message)
        self.cause = cause
        self.path = Path(path)


def preflight(path: Path) -> StoreError | None:
    """A problem the database file shows before SQLite opens it, or None.

    A missing file is a new store. A 0-byte file is a new store too while it
    is being created (its -wal holds the first pages), but a 0-byte file with
    no -wal in a folder that has held sessions (gate flags, backups) was
    emptied: opening it would silently start over.
    """
    path = Path(path)
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return _permission(path, folder)
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _from_os(path, exc)
    size = info.st_size
    for candidate in (path, _wal(path), _shm(path)):
        if candidate.exists() and not os.access(candidate, os.R_OK | os.W_OK):
            return _permission(path, candidate)
    wal = _wal(path)
    if size == 0:
        if not wal.exists() and _has_held_sessions(folder):
            return StoreFault("empty", path, (
                f"the state database {path} is empty (0 bytes) although this project has had sessions: it was "
                f"emptied; {_restore_advice(path, 'rename it')}"
            ))
        return None
    with _first_look:
        if (info.st_dev, info.st_ino) in _looked_at:
            return None
        problem = _look(path, size)
        if problem is None:
            _looked_at.add((info.st_dev, info.st_ino))
        return problem


def _look(path: Path, size: int) -> StoreError | None:
    """What the file's header and its -wal/-shm say (the first time only: see the module's docstring)."""
    wal = _wal(path)
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return _from_os(path, exc)
    if not header.startswith(MAGIC):
        if MAGIC.startswith(header):
            return _corrupt(path, f"it is truncated to {size} bytes")
        return StoreFault("not-a-database", path, (
            f"the state database {path} is not an SQLite database (it starts with {header[:16]!r}): something "
            f"replaced it; put the database back, or rename this file to keep it and start a new store"
        ))
    if len(header) < 100:
        return _corrupt(path, f"it is truncated to {size} bytes")
    expected = _size_in_header(header)
    if expected and size < expected and not wal.exists():
        return _corrupt(path, f"it is truncated: {size} bytes where its header says {expected}")
    holder = _wal_deleted_holder(path)
    if holder is not None:
        return StoreFault("io", path, (
            f"the write-ahead log {wal.name} of {path} was deleted while process {holder} still had events in "
            f"it; stop that process (`orch runtime stop`, or end it) so it writes them back, then run `orch doctor`"
        ))
    return None


def explain(path: Path, exc: BaseException) -> StoreError:
    """The StoreError for ``exc`` raised while using the database at ``path``."""
    path = Path(path)
    if isinstance(exc, StoreError):
        return exc
    error = _most_telling(exc)
    if isinstance(error, OSError):
        return _from_os(path, error)
    name = str(getattr(error, "sqlite_errorname", "") or "")
    text = str(error)
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return _disk_full(path)
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")) or "readonly" in text:
        return _permission(path, _unwritable(path) or path)
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        blocked = _unwritable(path)
        if blocked is not None:
            return _permission(path, blocked)
        return _io(path, text)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreFault("locked", path, (
            f"the state database {path} stays locked by another process ({text}); see `orch doctor` and "
            "`orch runtime status` for the orch process that holds it"
        ))
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return StoreFault("not-a-database", path, (
            f"the state database {path} is not an SQLite database ({text}): something replaced it; put the "
            "database back, or rename this file to keep it and start a new store"
        ))
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        if _free_bytes(path.parent) < LOW_SPACE_BYTES:
            return _disk_full(path)
        problem = preflight(path)
        if problem is not None:
            return problem
        return _io(path, text)
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return _corrupt(path, text)
    return StoreFault("io", path, f"the state database {path} cannot be used ({text}); see `orch doctor`")


def write_test(path: Path, timeout_s: float = 2.0) -> StoreError | None:
    """Take the write lock on the real database and give it back (BEGIN IMMEDIATE + ROLLBACK): nothing changes.

    Also reads every page (``PRAGMA quick_check`` is cheaper but misses
    damage in indexes; ``integrity_check`` reads them all). None: the store
    can be read and written.
    """
    path = Path(path)
    problem = preflight(path)
    if problem is not None:
        return problem
    if not path.exists():
        return None
    if _free_bytes(path.parent) < LOW_SPACE_BYTES:
        return _disk_full(path)  # a write that commits nothing needs no space: ask the file system
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout_s, isolation_level=None)
    except sqlite3.Error as exc:
        return explain(path, exc)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            return _corrupt(path, f"integrity check says {result!r}")
        conn.execute("BEGIN IMMEDIATE")
        # A write that is rolled back: SQLite must be able to journal it, so a read-only file or a full disk shows.
        conn.execute("CREATE TABLE orchcore_write_test (x)")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return explain(path, exc)
    finally:
        conn.close()
    return None


# -- the messages --------------------------------------------------------------


def _permission(path: Path, blocked: Path) -> StoreFault:
    what = "folder" if blocked.is_dir() else "file"
    return StoreFault("permission", path, (
        f"the state database {path} cannot be written: the {what} {blocked} is read-only to this user; "
        f"make it writable (`chmod u+w {blocked}`, or `chattr -i {blocked}` if it is immutable)"
    ))


def _disk_full(path: Path) -> StoreFault:
    free = _free_bytes(path.parent)
    return StoreFault("disk-full", path, (
        f"the state database {path} cannot be written: the disk holding {path.parent} is full "
        f"({free // 1024} KB free); free some space there"
    ))


def _io(path: Path, detail: str) -> StoreFault:
    return StoreFault("io", path, (
        f"the state database {path} cannot be read or written: an I/O error ({detail}); check the disk "
        "(`dmesg`) and that no other program changes files in its folder, then run `orch doctor`"
    ))


def _corrupt(path: Path, detail: str) -> StoreFault:
    return StoreFault("corrupt", path, (
        f"the state database {path} is damaged ({detail}); {_restore_advice(path, 'move it aside')}"
    ))


def _restore_advice(path: Path, move: str) -> str:
    """`orch recover`, and a backup only when one exists."""
    backups = _backups(path.parent)
    also = f", or restore the newest backup ({backups[-1]})" if backups else ""
    return f"run `orch recover` to rebuild it (it keeps the file), or {move} to start a new store{also}"


def _from_os(path: Path, exc: OSError) -> StoreFault:
    blocked = Path(exc.filename) if isinstance(exc.filename, str) else path
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _permission(path, blocked)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _disk_full(path)
    return _io(path, exc.strerror or str(exc))


# -- looking at the files ------------------------------------------------------


def _most_telling(exc: BaseException) -> BaseException:
    """The error that says most: a failed ROLLBACK after a full disk hides SQLITE_FULL in its context."""
    chain = []
    seen = exc
    while seen is not None and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for candidate in chain:
        if isinstance(candidate, OSError):
            return candidate
        name = str(getattr(candidate, "sqlite_errorname", "") or "")
        if name and not name.startswith(("SQLITE_ERROR", "SQLITE_MISUSE")):
            return candidate
    return exc


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _shm(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def _unwritable(path: Path) -> Path | None:
    """The folder or file of the store this user cannot write, if any."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return path.parent
    for candidate in (path, _wal(path), _shm(path)):
        if candidate.exists() and not os.access(candidate, os.R_OK | os.W_OK):
            return candidate
    return None


def _free_bytes(folder: Path) -> int:
    try:
        info = os.statvfs(folder)
    except OSError:
        return LOW_SPACE_BYTES  # unknown: not a full disk by this test
    return info.f_bavail * info.f_frsize


def _has_held_sessions(folder: Path) -> bool:
    for name in ("gate", "backups"):
        try:
            with os.scandir(folder / name) as entries:
                if any(True for _ in entries):
                    return True
        except OSError:
            continue
    return False


def _backups(folder: Path) -> list[str]:
    try:
        return sorted(str(p) for p in (folder / "backups").iterdir() if p.is_file())
    except OSError:
        return []


def _size_in_header(header: bytes) -> int:
    """The database's size by its header, when the header vouches for it (else 0)."""
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return 0  # not a page size SQLite writes: SQLite itself says what is wrong
    change_counter, pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    return page_size * pages if pages and valid_for == change_counter else 0


def _wal_deleted_holder(path: Path) -> int | None:
    """The pid of a live process holding the -shm of a -wal that is gone (its events are only there), else None."""
    shm = _shm(path)
    if _wal(path).exists() or not shm.exists():
        return None
    import fcntl

    try:
        with open(shm, "rb") as handle:
            index = handle.read(20)
            if len(index) < 20 or struct.unpack("=I", index[16:20])[0] == 0:
                return None  # no frames in the log: nothing was lost with it
            probe = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, WAL_DMS_BYTE, 1, 0)
            kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(handle.fileno(), fcntl.F_GETLK, probe))
    except OSError:
        return None
    return pid if kind != fcntl.F_UNLCK else None


_first_look = threading.Lock()
_looked_at: set[tuple[int, int]] = set()  # (device, inode) of database files this process has read itself
