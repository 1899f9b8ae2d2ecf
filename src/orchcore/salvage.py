"""Every event that can still be read out of a SQLite state file, damaged or not.

A damaged database fails at the pages it lost, not everywhere: this reads it
table by table, session by session and seq range by seq range, catching
``DatabaseError`` and splitting a range that fails until the unreadable part
is as small as it gets, so one bad page costs the rows on that page only.
It depends on no external tool (the ``sqlite3`` CLI's ``.recover`` may be
absent) and only on the columns an event has (``session_id, seq, ts, type,
source, data``, optional ``key``), found by name in whatever tables the file
has, so live and archived event tables are read alike. ``orch recover``
reads the damaged database and the backups with it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import attrs

EVENT_COLUMNS = ("session_id", "seq", "ts", "type", "source", "data")
KNOWN_EVENT_TABLES = ("events",)  # tried when the schema itself cannot be read
MAX_SEQ = 2**62


@attrs.frozen
class Row:
    """One event as stored: enough to append it again with its type, source, data, key and time."""

    seq: int
    ts: str
    type: str
    source: str
    data: dict[str, Any]
    key: str | None = None

    def same_as(self, other: Row) -> bool:
        return (self.ts, self.type, self.source, self.data, self.key) == (
            other.ts, other.type, other.source, other.data, other.key)


@attrs.define
class Salvage:
    """What one file gave: events by session and seq, the last seq it claims per session, what failed."""

    events: dict[str, dict[int, Row]] = attrs.Factory(dict)
    last_seq: dict[str, int] = attrs.Factory(dict)
    unreadable: list[str] = attrs.Factory(list)  # what failed beyond single events: the file, the schema, a table
    damaged: dict[str, set[int]] = attrs.Factory(dict)  # seqs whose rows would not read, by session

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.events.values())


def salvage(path: Path) -> Salvage:
    """Read every event of the SQLite file at ``path`` that can be read (the file may be changed: pass a copy)."""
    found = Salvage()
    if not Path(path).is_file():
        found.unreadable.append("there is no file")
        return found
    _pad_truncated(Path(path), found)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        found.unreadable.append(f"the file cannot be opened ({exc})")
        return found
    try:
        tables = _event_tables(conn, found)
        _session_rows(conn, found)
        for table, has_key in tables:
            for session_id in _session_ids(conn, table, found):
                _read_session(conn, table, has_key, session_id, found)
    finally:
        conn.close()
    return found


def _pad_truncated(path: Path, found: Salvage) -> None:
    """Give a cut-off file back the length its header claims, as zeros: SQLite refuses a short file outright."""
    with open(path, "r+b") as f:
        header = f.read(100)
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            return
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        size = f.seek(0, 2)
        want = max(pages * page_size, -(-size // page_size) * page_size) if page_size >= 512 else size
        if want > size:
            f.truncate(want)
            found.unreadable.append(f"the file ends {want - size} bytes short of its {want // page_size} pages "
                                    "(read as zeros)")


def _event_tables(conn: sqlite3.Connection, found: Salvage) -> list[tuple[str, bool]]:
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.DatabaseError as exc:
        found.unreadable.append(f"the schema ({exc}); tried the table names orchcore uses")
        return [(name, True) for name in KNOWN_EVENT_TABLES]
    tables = []
    for name in names:
        try:
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({_quote(name)})")}
        except sqlite3.DatabaseError as exc:
            found.unreadable.append(f"the columns of table {name} ({exc})")
            continue
        if set(EVENT_COLUMNS) <= columns:
            tables.append((name, "key" in columns))
    return tables


def _session_rows(conn: sqlite3.Connection, found: Salvage) -> None:
    """The last seq each session claims (to name the events lost at the end of a log)."""
    rows, failed = _scan(conn, "SELECT session_id, last_seq FROM sessions", ())
    if failed is not None:
        found.unreadable.append(f"table sessions, after {len(rows)} rows ({failed})")
    for session_id, last_seq in rows:
        if isinstance(session_id, str) and isinstance(last_seq, int):
            found.last_seq[session_id] = max(last_seq, found.last_seq.get(session_id, 0))
            found.events.setdefault(session_id, {})


def _session_ids(conn: sqlite3.Connection, table: str, found: Salvage) -> list[str]:
    """Session ids in ``table``: a skip scan from both ends, so a bad page in the middle hides few."""
    ids = set(found.last_seq)
    for order, compare, last in (("", ">", ""), (" DESC", "<", "\U0010ffff")):
        sql = f"SELECT session_id FROM {_quote(table)} WHERE session_id {compare} ? ORDER BY session_id{order} LIMIT 1"
        while True:
            got, _failed = _scan(conn, sql, (last,))
            if not got or not isinstance(got[0][0], str):
                break
            last = got[0][0]
            ids.add(last)
    return sorted(ids)


def _read_session(conn: sqlite3.Connection, table: str, has_key: bool, session_id: str, found: Salvage) -> None:
    """Every readable event of one session: seq ranges that fail are halved until only bad rows are left."""
    columns = ", ".join(EVENT_COLUMNS[1:]) + (", key" if has_key else "")
    sql = f"SELECT {columns} FROM {_quote(table)} WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq"
    highest = found.last_seq.get(session_id, 0)
    for probe in (f"SELECT max(seq) FROM {_quote(table)} WHERE session_id = ?",  # the index, then the table's end
                  f"SELECT seq FROM {_quote(table)} WHERE session_id = ? ORDER BY seq DESC LIMIT 1"):
        got, _failed = _scan(conn, probe, (session_id,))
        if got and isinstance(got[0][0], int):
            highest = max(highest, got[0][0])
    if not highest:  # neither end of the log reads: take what a plain scan gets
        got, failed = _scan(conn, sql, (session_id, 1, MAX_SEQ))
        _take(got, session_id, found)
        if failed is not None:
            found.unreadable.append(f"session {session_id}: table {table} after {len(got)} events ({failed})")
        return
    pending = [(1, highest)]
    while pending:
        lo, hi = pending.pop()
        got, failed = _scan(conn, sql, (session_id, lo, hi))
        _take(got, session_id, found)
        if failed is None:
            continue
        lo = max([lo, *(r[0] + 1 for r in got if isinstance(r[0], int))])
        if lo == hi:
            found.damaged.setdefault(session_id, set()).add(lo)
        elif lo < hi:
            mid = (lo + hi) // 2
            pending.extend([(mid + 1, hi), (lo, mid)])


def _scan(conn: sqlite3.Connection, sql: str, args: tuple) -> tuple[list[Any], str | None]:
    """The rows of a query, as far as they read; and the error that stopped it, if one did."""
    got: list[Any] = []
    try:
        cursor = conn.execute(sql, args)
        while (row := cursor.fetchone()) is not None:
            got.append(row)
    except sqlite3.DatabaseError as exc:
        return got, str(exc)
    return got, None


def _take(rows: list[Any], session_id: str, found: Salvage) -> None:
    """Stored rows into ``found`` as Rows; one whose fields do not decode is noted as damaged."""
    events = found.events.setdefault(session_id, {})
    for row in rows:
        seq, ts, type_, source, data = row[:5]
        key = row[5] if len(row) > 5 else None
        try:
            decoded = json.loads(data)
            if not isinstance(decoded, dict) or not all(isinstance(v, str) for v in (ts, type_, source)):
                raise ValueError("not an event")
        except (TypeError, ValueError):
            if isinstance(seq, int):
                found.damaged.setdefault(session_id, set()).add(seq)
            continue
        if isinstance(seq, int):
            events.setdefault(seq, Row(seq=seq, ts=ts, type=type_, source=source, data=decoded,
                                       key=key if isinstance(key, str) else None))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
