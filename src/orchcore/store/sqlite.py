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
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from orchcore.errors import DuplicateEvent, StoreError
from orchcore.gate import clear_flags, touch, write_flag
from orchcore.models import Event, Session
from orchcore.store import faults
from orchcore.store.layout import DB_NAME, MIGRATIONS, SCHEMA_VERSION
from orchcore.store.base import (
    Reduce,
    SessionInfo,
    SessionStore,
    apply_event,
    decode_state,
    encode_data,
    encode_state,
)

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

    def load(self, session_id: str) -> Session | None:
        row = self._guard(
            lambda: self.conn.execute("SELECT state FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        )
        return None if row is None else decode_state(session_id, row[0], self.location)

    def has_session(self, session_id: str) -> bool:
        row = self._guard(
            lambda: self.conn.execute("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        )
        return row is not None

    def sessions(self) -> list[SessionInfo]:
        rows = self._guard(
            lambda: self.conn.execute(
                "SELECT session_id, created_at, updated_at, last_seq, orchestration_enabled, mode "
                "FROM sessions ORDER BY updated_at DESC"
            ).fetchall()
        )
        return [
            SessionInfo(
                session_id=r[0], created_at=r[1], updated_at=r[2], last_seq=r[3],
                orchestration_enabled=bool(r[4]), mode=r[5],
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
        sql = "SELECT seq, ts, type, source, data FROM events WHERE session_id = ? AND seq > ?"
        args: list[Any] = [session_id, after]
        if upto is not None:
            sql += " AND seq <= ?"
            args.append(upto)
        type_list = list(types or ())
        if type_list:
            sql += f" AND type IN ({','.join('?' * len(type_list))})"
            args.extend(type_list)
        sql += " ORDER BY seq DESC" if newest else " ORDER BY seq"
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

    # -- writing ------------------------------------------------------

    def sync_flag(self, session_id: str) -> None:
        """Rewrite the session's gate flag file from the database, under the write lock (see orchcore.gate)."""

        def sync() -> None:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                enabled = _flag_of(conn, session_id)
                if enabled is not None:
                    try:
                        write_flag(str(self.path.parent), session_id, enabled)
                    except OSError:
                        clear_flags(str(self.path.parent), session_id)
            finally:
                conn.execute("COMMIT")

        self._guard(sync)

    def recorded_keys(self, session_id: str, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # SQLite caps the number of parameters
            chunk = wanted[start:start + 500]
            sql = f"SELECT key FROM events WHERE session_id = ? AND key IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in self._guard(lambda: self.conn.execute(sql, [session_id, *chunk]).fetchall()))
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
                "SELECT 1 FROM events WHERE session_id = ? AND key = ?", (session_id, key)
            ).fetchone():
                raise DuplicateEvent(f"session {session_id} already has the event {key!r}")
            row = conn.execute(
                "SELECT state, last_seq, orchestration_enabled FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
            if row is None and not create:
                raise self._unknown(session_id)
            current = decode_state(session_id, row[0], self.location) if row else None
            seq = (row[1] if row else 0) + 1
            event, state = apply_event(current, session_id, seq, type, json.loads(encoded), source, reduce, ts)
            conn.execute(
                "INSERT INTO events (session_id, seq, ts, type, source, data, key) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, seq, event.ts, type, source, encoded, key),
            )
            conn.execute(
                "INSERT INTO sessions (session_id, created_at, updated_at, last_seq, orchestration_enabled, mode, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET"
                " updated_at = excluded.updated_at, last_seq = excluded.last_seq,"
                " orchestration_enabled = excluded.orchestration_enabled, mode = excluded.mode,"
                " state = excluded.state",
                (
                    session_id, state.created_at or event.ts, state.updated_at or event.ts, seq,
                    int(state.orchestration_enabled), state.mode, encode_state(state),
                ),
            )
            if row is None or bool(row[2]) != state.orchestration_enabled:
                # Under the write lock, so flag files change in commit order (see orchcore.gate).
                try:
                    write_flag(str(self.path.parent), session_id, state.orchestration_enabled)
                except OSError:
                    clear_flags(str(self.path.parent), session_id)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return event, state


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
