"""The embedded default store: one SQLite database in WAL mode.

Claude Code runs parallel subagents, each firing hooks in its own process, so
many processes write at once. Every write is one ``BEGIN IMMEDIATE``
transaction (the write lock is taken up front, so a reader never has to
upgrade and fail); waiting for the lock is SQLite's busy handler plus our own
retry with jitter, bounded by ``busy_timeout_s``. "database is locked" never
reaches the user: past the bound it becomes a StoreError that says what to do.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from orchcore.clock import now_iso
from orchcore.errors import DuplicateEvent, InvalidValue, StoreError
from orchcore.gate import clear_flags, touch, write_flag
from orchcore.models import Event, Session
from orchcore.store import compaction, faults
from orchcore.store.compaction import AUTO_SNAPSHOT, HOURLY_SNAPSHOT, KEPT_SNAPSHOTS
from orchcore.store.layout import DB_NAME, MIGRATIONS, SCHEMA_VERSION
from orchcore.store.base import Reduce, SessionInfo, SessionStore, check_state_size, encode_data, reduced
from orchcore.store.parts import Stored, changes, from_snapshot, snapshot_text

T = TypeVar("T")

def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SqliteStore(SessionStore):
    name = "sqlite"

    def __init__(self, state_dir: Path, *, busy_timeout_s: float = 60.0, filename: str = DB_NAME):
        self.path = Path(state_dir) / filename
        self.location = str(self.path)
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] = (0, 0)

    # -- connection and schema ---------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            # 0700: the store holds the start of every prompt; it is nobody else's business.
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _ignore_in_git(self.path.parent)
        except OSError as exc:
            raise StoreError(f"cannot create the state folder {self.path.parent}: {exc.strerror}") from None
        problem = faults.preflight(self.path)
        if problem is not None:
            raise problem
        try:
            conn = sqlite3.connect(self.path, timeout=min(self.busy_timeout_s, 5.0), isolation_level=None)
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        try:
            self._retry(lambda: _set_wal(conn))
            conn.execute("PRAGMA synchronous=NORMAL")
            self._retry(lambda: self._upgrade(conn))
            info = os.stat(self.path)
            self._file = (info.st_dev, info.st_ino)  # the cache's key: a file put in its place is another store
        except OSError as exc:
            conn.close()
            raise faults.explain(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._unusable(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer orchcore (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); upgrade orchcore"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            for step in range(version, SCHEMA_VERSION):
                for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _unusable(self, exc: sqlite3.Error) -> StoreError:
        return faults.explain(self.path, exc)

    def _retry(self, work: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.002
        while True:
            try:
                return work()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"the state database {self.path} stayed locked for {self.busy_timeout_s:.0f} s; "
                        "another orch process may be stuck (see `orch doctor`)"
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.1)

    def _guard(self, work: Callable[[], T]) -> T:
        try:
            return self._retry(work)
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- capabilities (see SessionStore) ------------------------------

    def note_activity(self, session_id: str, enabled: bool) -> None:
        """Touch the session's gate flag file; heal a missing one under the write lock."""
        if not touch(str(self.path.parent), session_id, enabled):
            self.sync_flag(session_id)

    def is_created(self) -> bool:
        return self.path.exists()

    def integrity_problem(self) -> str | None:
        result = self.conn.execute("PRAGMA integrity_check").fetchone()[0]
        return None if result == "ok" else f"integrity check says {result!r}"

    # -- reading ------------------------------------------------------

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` in one read transaction: the statements see one commit, whatever writers do meanwhile."""

        def read() -> T:
            conn = self.conn
            conn.execute("BEGIN")
            try:
                return work(conn)
            finally:
                conn.execute("COMMIT")

        return self._guard(read)

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` in one write transaction (the lock taken up front): all of it is committed, or none."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _stored(self, conn: sqlite3.Connection, session_id: str, created_at: str, last_seq: int, head: str) -> Stored:
        """The session's stored state at ``last_seq``: this process's copy when it is that one, else read."""
        key = (self.location, self._file, session_id)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
        if cached is not None and cached[0] == (created_at, last_seq) and cached[1].head == head:
            return cached[1]
        rows = conn.execute(
            "SELECT kind, id, ord, body FROM parts WHERE session_id = ? ORDER BY kind, ord", (session_id,)
        ).fetchall()
        stored = Stored.load(head, rows)
        self._remember(session_id, created_at, last_seq, stored)
        return stored

    def _remember(self, session_id: str, created_at: str, last_seq: int, stored: Stored) -> None:
        key = (self.location, self._file, session_id)
        with _CACHE_LOCK:
            _CACHE[key] = ((created_at, last_seq), stored)
            _CACHE.move_to_end(key)
            while len(_CACHE) > CACHED_SESSIONS:
                _CACHE.popitem(last=False)

    def _forget(self, session_id: str) -> None:
        with _CACHE_LOCK:
            _CACHE.pop((self.location, self._file, session_id), None)

    def load(self, session_id: str) -> Session | None:
        def read(conn: sqlite3.Connection) -> Stored | None:
            row = conn.execute(
                "SELECT created_at, last_seq, state FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            return None if row is None else self._stored(conn, session_id, row[0], row[1], row[2])

        stored = self._read(read)
        if stored is None:
            return None
        return stored.view(session_id, self.location)  # entities decode when taken out (a corrupt one: StoreError)

    def has_session(self, session_id: str) -> bool:
        row = self._guard(
            lambda: self.conn.execute("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        )
        return row is not None

    def sessions(self) -> list[SessionInfo]:
        rows = self._guard(
            lambda: self.conn.execute(
                "SELECT session_id, created_at, updated_at, last_seq, orchestration_enabled, mode, archived_at "
                "FROM sessions ORDER BY updated_at DESC"
            ).fetchall()
        )
        return [
            SessionInfo(
                session_id=r[0], created_at=r[1], updated_at=r[2], last_seq=r[3],
                orchestration_enabled=bool(r[4]), mode=r[5], archived_at=r[6],
            )
            for r in rows
        ]

    def events(
        self,
        session_id: str,
        *,
        after: int = 0,
        upto: int | None = None,
        types: Iterable[str] | None = None,
        limit: int | None = None,
        newest: bool = False,
    ) -> list[Event]:
        """Live and archived events alike: compaction moves events, it never hides them."""
        where = "session_id = ? AND seq > ?"
        args: list[Any] = [session_id, after]
        if upto is not None:
            where += " AND seq <= ?"
            args.append(upto)
        type_list = list(types or ())
        if type_list:
            where += f" AND type IN ({','.join('?' * len(type_list))})"
            args.extend(type_list)
        columns = "seq, ts, type, source, data"
        sql = (f"SELECT {columns} FROM events_archive WHERE {where} UNION ALL "
               f"SELECT {columns} FROM events WHERE {where}")
        sql += " ORDER BY seq DESC" if newest else " ORDER BY seq"
        args = args + args
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = self._guard(lambda: self.conn.execute(sql, args).fetchall())
        if newest:
            rows.reverse()
        return [
            Event(seq=r[0], session_id=session_id, ts=r[1], type=r[2], source=r[3], data=self._data(session_id, r))
            for r in rows
        ]

    def _data(self, session_id: str, row: Any) -> dict[str, Any]:
        try:
            return json.loads(row[4])
        except ValueError:
            raise StoreError(f"event {row[0]} of session {session_id} in {self.location} is corrupt") from None

    def archived_upto(self, session_id: str) -> int:
        """The last seq that compaction moved to the archive (0: none)."""
        row = self._guard(lambda: self.conn.execute(
            "SELECT archived_upto FROM sessions WHERE session_id = ?", (session_id,)).fetchone())
        return 0 if row is None else row[0]

    def latest_snapshot(self, session_id: str, upto: int | None = None) -> tuple[int, Session] | None:
        sql = "SELECT seq, state FROM snapshots WHERE session_id = ?"
        args: list[Any] = [session_id]
        if upto is not None:
            sql += " AND seq <= ?"
            args.append(upto)
        row = self._guard(lambda: self.conn.execute(sql + " ORDER BY seq DESC LIMIT 1", args).fetchone())
        if row is None:
            return None
        try:
            return row[0], from_snapshot(session_id, row[1], self.location)
        except (ValueError, KeyError, TypeError, InvalidValue):
            return None  # a damaged snapshot: replay from the first event instead

    def snapshots_of(self, session_id: str) -> list[tuple[int, str, str]]:
        """(seq, reason, ts) of each snapshot of the session, oldest first."""
        return self._guard(lambda: self.conn.execute(
            "SELECT seq, reason, ts FROM snapshots WHERE session_id = ? ORDER BY seq, reason", (session_id,)
        ).fetchall())

    # -- writing ------------------------------------------------------

    def sync_flag(self, session_id: str) -> None:
        """Rewrite the session's gate flag file from the database, under the write lock (see orchcore.gate)."""

        def sync() -> None:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                enabled = _flag_of(conn, session_id)
                if enabled is not None:
                    write_flag(str(self.path.parent), session_id, enabled)
            finally:
                conn.execute("COMMIT")

        self._guard(sync)

    def recorded_keys(self, session_id: str, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 400):  # SQLite caps the number of parameters
            chunk = wanted[start:start + 400]
            marks = ",".join("?" * len(chunk))
            sql = (f"SELECT key FROM events WHERE session_id = ? AND key IN ({marks}) UNION ALL "
                   f"SELECT key FROM events_archive WHERE session_id = ? AND key IN ({marks})")
            args = [session_id, *chunk, session_id, *chunk]
            found.update(r[0] for r in self._guard(lambda: self.conn.execute(sql, args).fetchall()))
        return found

    def append(
        self, session_id: str, type: str, data: dict[str, Any], source: str, reduce: Reduce, *, create: bool = False,
        key: str | None = None, ts: str | None = None,
    ) -> tuple[Event, Session]:
        encoded = encode_data(type, data)
        return self._guard(lambda: self._append_once(session_id, type, encoded, source, reduce, create, key, ts))

    def _append_once(
        self, session_id: str, type: str, encoded: str, source: str, reduce: Reduce, create: bool, key: str | None,
        ts: str | None = None,
    ) -> tuple[Event, Session]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if key is not None and conn.execute(
                "SELECT 1 FROM events WHERE session_id = ? AND key = ? UNION ALL "
                "SELECT 1 FROM events_archive WHERE session_id = ? AND key = ?", (session_id, key, session_id, key)
            ).fetchone():
                raise DuplicateEvent(f"session {session_id} already has the event {key!r}")
            row = conn.execute(
                "SELECT created_at, last_seq, state, orchestration_enabled, archived_upto, snapshot_ts "
                "FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            if row is None and not create:
                raise self._unknown(session_id)
            if row is None:
                before = Stored.empty(session_id)
            else:
                before = self._stored(conn, session_id, row[0], row[1], row[2])
            seq = (row[1] if row else 0) + 1
            view = before.view(session_id, self.location)
            event = Event(seq=seq, session_id=session_id, ts=ts or now_iso(), type=type, source=source,
                          data=json.loads(encoded))
            state = reduced(reduce(view, event), session_id, type)
            change = changes(before, view, state, type)
            check_state_size(session_id, type, before.size, change.size, self.limits)
            conn.execute(
                "INSERT INTO events (session_id, seq, ts, type, source, data, key) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, seq, event.ts, type, source, encoded, key),
            )
            self._write_parts(conn, session_id, change)
            created_at = state.created_at or event.ts
            conn.execute(
                "INSERT INTO sessions (session_id, created_at, updated_at, last_seq, orchestration_enabled, mode,"
                " state, size, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET"
                " updated_at = excluded.updated_at, last_seq = excluded.last_seq,"
                " orchestration_enabled = excluded.orchestration_enabled, mode = excluded.mode,"
                " state = excluded.state, size = excluded.size, archived_at = excluded.archived_at",
                (
                    session_id, created_at, state.updated_at or event.ts, seq,
                    int(state.orchestration_enabled), state.mode, change.head, change.size,
                    getattr(state, "archived_at", None),
                ),
            )
            after = change.applied(before)
            self._maintain(conn, session_id, seq, event.ts, after, archived_upto=row[4] if row else 0,
                           snapshot_ts=row[5] if row else None)
            if row is None or bool(row[3]) != state.orchestration_enabled:
                # Under the write lock, so flag files change in commit order (see orchcore.gate).
                write_flag(str(self.path.parent), session_id, state.orchestration_enabled)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._remember(session_id, created_at if row is None else row[0], seq, after)
        return event, state

    def _write_parts(self, conn: sqlite3.Connection, session_id: str, change: Any) -> None:
        for kind, item_id, place, text in change.written:
            if place < 0:
                conn.execute("UPDATE parts SET body = ? WHERE session_id = ? AND kind = ? AND id = ?",
                             (text, session_id, kind, item_id))
            else:
                conn.execute(
                    "INSERT INTO parts (session_id, kind, id, ord, body) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (session_id, kind, id) DO UPDATE SET ord = excluded.ord, body = excluded.body",
                    (session_id, kind, item_id, place, text),
                )
        for kind, item_id in change.removed:
            conn.execute("DELETE FROM parts WHERE session_id = ? AND kind = ? AND id = ?", (session_id, kind, item_id))

    # -- snapshots and compaction -----------------------------------------

    def _maintain(
        self, conn: sqlite3.Connection, session_id: str, seq: int, ts: str, stored: Stored, *,
        archived_upto: int, snapshot_ts: str | None,
    ) -> None:
        """Inside an append: compact the log past the event buffer, and snapshot once an hour of activity.

        Compaction runs once per ``compact_step`` events past the buffer, so
        its cost (a snapshot, and moving that many events) is spread thin.
        """
        work = compaction.due(seq, ts, buffer=self.limits.event_buffer, archived_upto=archived_upto,
                              snapshot_ts=snapshot_ts)
        if work is None:
            return
        what, upto = work
        if what == compaction.COMPACT:
            self._put_snapshot(conn, session_id, seq, ts, AUTO_SNAPSHOT, stored)
            conn.execute(
                "INSERT INTO events_archive (session_id, seq, ts, type, source, data, key) SELECT session_id, seq,"
                " ts, type, source, data, key FROM events WHERE session_id = ? AND seq <= ?", (session_id, upto))
            conn.execute("DELETE FROM events WHERE session_id = ? AND seq <= ?", (session_id, upto))
            conn.execute("UPDATE sessions SET archived_upto = ? WHERE session_id = ?", (upto, session_id))
        elif what == compaction.FIRST_ACTIVITY:
            conn.execute("UPDATE sessions SET snapshot_ts = ? WHERE session_id = ?", (ts, session_id))
        else:
            self._put_snapshot(conn, session_id, seq, ts, HOURLY_SNAPSHOT, stored)

    def _put_snapshot(
        self, conn: sqlite3.Connection, session_id: str, seq: int, ts: str, reason: str, stored: Stored
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO snapshots (session_id, seq, reason, ts, state) VALUES (?, ?, ?, ?, ?)",
            (session_id, seq, reason, ts, snapshot_text(stored)),
        )
        conn.execute("UPDATE sessions SET snapshot_ts = ? WHERE session_id = ?", (ts, session_id))
        # Automatic snapshots are for replay speed: the newest few are enough. Named ones stay.
        conn.execute(
            "DELETE FROM snapshots WHERE session_id = ? AND reason IN (?, ?) AND seq NOT IN (SELECT seq FROM "
            "snapshots WHERE session_id = ? AND reason IN (?, ?) ORDER BY seq DESC LIMIT ?)",
            (session_id, AUTO_SNAPSHOT, HOURLY_SNAPSHOT, session_id, AUTO_SNAPSHOT, HOURLY_SNAPSHOT, KEPT_SNAPSHOTS),
        )

    def snapshot(self, session_id: str, reason: str) -> int | None:
        """A snapshot of the session's state now, kept under ``reason`` (a checkpoint's name)."""

        def take(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT created_at, last_seq, state FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise self._unknown(session_id)
            stored = self._stored(conn, session_id, row[0], row[1], row[2])
            self._put_snapshot(conn, session_id, row[1], now_iso(), reason or "checkpoint", stored)
            return row[1]

        return self._guard(lambda: self._write(take))

    def remove_session(self, session_id: str) -> bool:
        def remove(conn: sqlite3.Connection) -> None:
            for table in ("events", "events_archive", "parts", "snapshots", "sessions"):
                conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
            clear_flags(str(self.path.parent), session_id)

        self._guard(lambda: self._write(remove))
        self._forget(session_id)
        return True


CACHED_SESSIONS = 32  # sessions whose stored state a process keeps decoded

_CACHE: OrderedDict[tuple[str, tuple[int, int], str], tuple[tuple[str, int], Stored]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _flag_of(conn: sqlite3.Connection, session_id: str) -> bool | None:
    row = conn.execute("SELECT orchestration_enabled FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    return None if row is None else bool(row[0])


def _set_wal(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"database is locked (journal mode {mode})")


def _ignore_in_git(folder: Path) -> None:
    """State is per machine and per session: keep it out of the project's history."""
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# written by orchcore: session state is never committed\n*\n", encoding="utf-8")


def open_sqlite(state_dir: Path, options: dict[str, Any]) -> SqliteStore:
    timeout = options.get("busy_timeout_s", os.environ.get("ORCH_BUSY_TIMEOUT_S", 60))
    try:
        busy = float(timeout)
    except (TypeError, ValueError):
        busy = 60.0
    return SqliteStore(Path(state_dir), busy_timeout_s=busy)
