"""``orch recover``: rebuild a damaged store from what is left of it, its backups and the journal.

The database is damaged when it does not open, fails ``integrity_check``, a
session's state does not decode or differs from the fold of its log, or a
session is behind its newest backup (a lost WAL). A session whose state
alone is wrong is rebuilt the same way as a damaged file: its log is the
truth, and one path that rebuilds everything is one path to trust.

Every event that still reads is salvaged (``orchcore.salvage``) from a copy
of the database and, for what it lacks, from the backups, newest first. A
new database is built beside it by appending those events in seq order
through the store's public ``append`` with their original type, source,
data, key and time, so each state is the fold of its log again; only when
it is whole is the damaged file moved aside with its -wal/-shm
(``orchcore.db.damaged-<time>``, never deleted) and the new one renamed into
place (a full disk leaves everything as it was). Events another process
wrote into the old file meanwhile follow, then the unsaved hook events of
the local journal (``orchcore.journal``). The report says what came back
from where, and what did not (seq gaps). A healthy store is left as it is:
"nothing to recover".
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from orchcore.errors import OrchError, StoreError, UnknownEventType
from orchcore.salvage import Row, Salvage, salvage
from orchcore.store.backup import backups_dir, list_backups

DATABASE = "database"
DAMAGED = ".damaged-"


@attrs.define
class SessionReport:
    """One session after recovery: events back by source, the seqs no source had, what could not be applied."""

    session_id: str
    events: int = 0
    sources: dict[str, int] = attrs.Factory(dict)
    missing: list[tuple[int, int]] = attrs.Factory(list)  # seq ranges in no readable page and no backup
    failed: list[str] = attrs.Factory(list)  # events that were read but could not be appended
    conflicts: list[str] = attrs.Factory(list)  # backups whose events disagree with the database's
    unknown_types: list[str] = attrs.Factory(list)  # kept in the log; no installed plugin folds them
    state_equals_replay: bool | None = None  # None: replay needs a plugin that is not installed


@attrs.define
class Report:
    """What ``orch recover`` found, did, and could not do."""

    problems: list[str] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)  # what could not be checked, and why
    dry_run: bool = False
    moved_aside: list[str] = attrs.Factory(list)
    sessions: list[SessionReport] = attrs.Factory(list)
    unreadable: list[str] = attrs.Factory(list)
    journal: Any = None

    @property
    def recovered(self) -> int:
        return sum(s.events for s in self.sessions)

    def as_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["status"] = ("nothing to recover" if not self.problems
                          else "would recover" if self.dry_run else "recovered")
        data["events"] = self.recovered
        return data


def diagnose(runtime, notes: list[str] | None = None) -> list[str]:
    """What is wrong with the project's store, one line each; empty when it is healthy.

    A log holding an event type no installed plugin provides cannot be
    replayed, which is not damage: it goes into ``notes``.
    """
    store = runtime.store
    path = _db_path(runtime)
    backups = list_backups(backups_dir(runtime.state_dir))
    if path is not None and not path.exists():
        return [f"there is no database at {path} but {len(backups)} backup(s)"] if backups else []
    try:
        infos = store.sessions()
        problem = store.integrity_problem()
    except OrchError as exc:
        return [str(exc)]
    except sqlite3.Error as exc:  # integrity_check itself can fail on a damaged file
        return [f"the database fails its integrity check ({exc})"]
    problems = [f"the database fails its integrity check: {problem}"] if problem else []
    for info in infos:
        try:
            stored = store.load(info.session_id)
            replayed = runtime.bus.replay(info.session_id)
        except UnknownEventType as exc:
            if notes is not None:
                notes.append(f"session {info.session_id}: not checked against its log: {exc}")
            continue
        except OrchError as exc:
            problems.append(f"session {info.session_id}: {exc}")
            continue
        if stored != replayed:
            problems.append(f"session {info.session_id}: the stored state differs from the fold of its log")
    if backups and path is not None:
        problems.extend(_behind(store, infos, backups[0].path))
    return problems


def recover(runtime, *, dry_run: bool = False) -> Report:
    """Diagnose, and when the store is damaged rebuild it (see the module docstring); the report."""
    path = _db_path(runtime)
    report = Report(dry_run=dry_run)
    report.problems = diagnose(runtime, report.notes)
    if not report.problems:
        return report
    if path is None:
        raise StoreError(f"the {runtime.store.name} store keeps no database file orch recover can rebuild")
    runtime.store.close()
    if not dry_run:
        _refuse_while_resident_runs(runtime)
    with tempfile.TemporaryDirectory(prefix="orch-recover-") as scratch:
        sources = _read_sources(runtime, path, Path(scratch), report)
        merged = _merge(sources, report)
        if dry_run:
            _plan(merged, sources, report)
            return report
    # Built beside the damaged file and swapped in whole: a hook never sees a half-rebuilt store,
    # and a rebuild that fails (a full disk) leaves everything as it was.
    try:
        rebuilt = Path(tempfile.mkdtemp(prefix=".recover-", dir=path.parent))
    except OSError as exc:
        raise StoreError(f"cannot rebuild the database in {path.parent}: {exc.strerror}; nothing was changed") from None
    try:
        _rebuild(runtime, rebuilt, merged, sources, report)
        report.moved_aside = _move_aside(path)
        os.replace(rebuilt / path.name, path)
    finally:
        shutil.rmtree(rebuilt, ignore_errors=True)
    for session_id in _catch_up(runtime, report, sources):
        _session(report, session_id).state_equals_replay = _state_equals_replay(
            runtime.store, runtime.bus, session_id)
    report.journal = _drain_journal(runtime)
    return report


# -- diagnosis -----------------------------------------------------------


def _db_path(runtime) -> Path | None:
    store = runtime.store
    return Path(store.location) if store.name == "sqlite" and store.location else None


def _behind(store, infos, newest: Path) -> list[str]:
    """Sessions the newest backup holds more of than the database (the WAL that had them was lost).

    A session the database lacks counts only when it lacks every session:
    one removed by ``orch session gc`` is still in the backups, and is not damage.
    """
    with tempfile.TemporaryDirectory(prefix="orch-recover-") as scratch:
        backup = _salvage_copy(newest, Path(scratch) / newest.name)
    have = {info.session_id: info.last_seq for info in infos}
    return [
        f"session {sid}: the database holds {have.get(sid, 0)} events, its newest backup {max(rows)}"
        for sid, rows in sorted(backup.events.items())
        if rows and (sid in have or not have) and max(rows) > have.get(sid, 0)
    ]


# -- reading what is left ------------------------------------------------


def _read_sources(runtime, path: Path, scratch: Path, report: Report) -> list[tuple[str, Salvage]]:
    """The database's events, then each backup's, newest first, read from copies (the originals stay as they are)."""
    sources = []
    if path.exists():
        found = _salvage_copy(path, scratch / "damaged.db")
        report.unreadable.extend(f"the database: {what}" for what in found.unreadable)
        sources.append((DATABASE, found))
    for number, backup in enumerate(list_backups(backups_dir(runtime.state_dir))):
        found = _salvage_copy(backup.path, scratch / f"backup-{number}.db")
        name = f"backup {backup.path.name}"
        report.unreadable.extend(f"{name}: {what}" for what in found.unreadable)
        sources.append((name, found))
    return sources


def _salvage_copy(path: Path, copy: Path) -> Salvage:
    """Salvage a copy of ``path`` and its -wal: reading a database can change it, and the original must not."""
    try:
        shutil.copy2(path, copy)
        if Path(f"{path}-wal").exists():
            shutil.copy2(f"{path}-wal", f"{copy}-wal")
    except OSError as exc:
        raise StoreError(f"cannot copy {path} to read it ({exc.strerror}); nothing was changed") from None
    return salvage(copy)


def _merge(sources: list[tuple[str, Salvage]], report: Report) -> dict[str, dict[int, tuple[str, Row]]]:
    """Per session, per seq, the first source's row; a source that disagrees with an earlier one is skipped."""
    merged: dict[str, dict[int, tuple[str, Row]]] = {}
    for name, found in sources:
        for session_id, rows in found.events.items():
            have = merged.setdefault(session_id, {})
            clash = next((seq for seq, row in rows.items() if seq in have and not have[seq][1].same_as(row)), None)
            if clash is not None:
                _session(report, session_id).conflicts.append(
                    f"{name} has another event {clash} than {have[clash][0]}: not used for this session")
                continue
            for seq, row in rows.items():
                have.setdefault(seq, (name, row))
    return merged


def _claimed(sources: list[tuple[str, Salvage]], session_id: str) -> int:
    """The highest seq any source says the session reached."""
    return max([0, *(found.last_seq.get(session_id, 0) for _, found in sources),
                *(max(found.events.get(session_id) or [0]) for _, found in sources),
                *(max(found.damaged.get(session_id) or [0]) for _, found in sources)])


def _plan(merged: dict[str, dict[int, tuple[str, Row]]], sources: list[tuple[str, Salvage]], report: Report) -> None:
    """--dry-run: what a rebuild would bring back, without one."""
    for session_id, rows in sorted(merged.items()):
        session = _session(report, session_id)
        for name, _row in rows.values():
            session.sources[name] = session.sources.get(name, 0) + 1
        session.events = len(rows)
        session.missing = _gaps(set(rows), _claimed(sources, session_id))


# -- rebuilding ----------------------------------------------------------


def _refuse_while_resident_runs(runtime) -> None:
    """The resident runtime keeps the database open: it would go on writing into the file moved aside."""
    from orchcore.resident import client

    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(runtime.project)}
    found = client.status(env)
    if found is not None:
        raise StoreError(f"the resident runtime (pid {found['pid']}) has the database open: stop it with "
                         "`orch runtime stop` and run `orch recover` again (the next SessionStart starts it)")


def _move_aside(path: Path) -> list[str]:
    """Rename the database and its -wal/-shm to ``<name>.damaged-<time>[-wal|-shm]``; never deleted."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            target = Path(f"{path}{DAMAGED}{stamp}{suffix}")
            try:
                os.rename(source, target)
            except OSError as exc:
                raise StoreError(f"cannot move {source} aside: {exc.strerror}; nothing was rebuilt") from None
            moved.append(str(target))
    return moved


def _rebuild(runtime, folder: Path, merged: dict[str, dict[int, tuple[str, Row]]],
             sources: list[tuple[str, Salvage]], report: Report) -> None:
    """Append every merged event, session by session in seq order, into a new database in ``folder``.

    Each state is checked against its replay here, on the new file: this
    process's store may still hold states it decoded from the damaged one.
    """
    from orchcore.bus import EventBus
    from orchcore.store.sqlite import SqliteStore

    store = SqliteStore(folder, filename=Path(runtime.store.location).name)
    store.limits = runtime.store_limits()
    bus = EventBus(store, runtime.plugins)
    try:
        for session_id, rows in sorted(merged.items()):
            session = _session(report, session_id)
            for seq in sorted(rows):
                _append(runtime, store, session, seq, *rows[seq])
            session.missing = _gaps(set(rows), _claimed(sources, session_id))
            session.state_equals_replay = _state_equals_replay(store, bus, session_id)
    except StoreError as exc:  # a full disk, say: no rebuild is better than half of one
        raise StoreError(f"cannot build the new database: {exc}; nothing was moved or changed") from None
    finally:
        store.close()  # the last connection: its WAL is folded into the file, which can now move


def _append(runtime, store, session: SessionReport, seq: int, source_name: str, row: Row) -> None:
    """One event into ``store`` as it was (type, source, data, key, time); the event's own failure is noted."""
    try:
        try:
            reduce = runtime.bus.reducer(row.type, seq)  # the reducer emit uses; emit cannot take the old ts
        except UnknownEventType:
            reduce = _keep_unfolded  # its plugin is gone: the event stays in the log, as it was before
            session.unknown_types.append(f"event {seq} ({row.type})")
        store.append(session.session_id, row.type, row.data, row.source, reduce, create=True, key=row.key,
                     ts=row.ts)
    except StoreError:
        raise  # the database itself fails, not this event
    except OrchError as exc:
        session.failed.append(f"event {seq} ({row.type}): {exc}")
        return
    session.events += 1
    session.sources[source_name] = session.sources.get(source_name, 0) + 1


def _keep_unfolded(state, event):
    """The reducer for an event whose plugin is not installed: the log keeps it, the state waits for the plugin."""
    state.updated_at = event.ts
    return state


def _catch_up(runtime, report: Report, sources: list[tuple[str, Salvage]]) -> list[str]:
    """Events another process wrote into the damaged file while it was read: appended after the rest.

    The sessions that got any.
    """
    read = dict(sources).get(DATABASE)
    aside = next((Path(p) for p in report.moved_aside if not p.endswith(("-wal", "-shm"))), None)
    if read is None or aside is None:
        return []
    with tempfile.TemporaryDirectory(prefix="orch-recover-") as scratch:
        again = _salvage_copy(aside, Path(scratch) / "damaged.db")
    touched = []
    for session_id, rows in sorted(again.events.items()):
        done = max(read.events.get(session_id) or [0])
        session = _session(report, session_id)
        late = sorted(seq for seq in rows if seq > done)
        if late:
            touched.append(session_id)
        for seq in late:
            try:
                _append(runtime, runtime.store, session, seq, DATABASE, rows[seq])
            except StoreError as exc:
                session.failed.append(f"event {seq} ({rows[seq].type}), written while recover ran: {exc}")
    return touched


def _drain_journal(runtime) -> Any:
    """Hook events the journal kept while the store could not be written, applied now (when it is installed)."""
    from orchcore.router import drain_journal

    try:
        applied, left = drain_journal(runtime)
    except OrchError as exc:  # the rebuilt database stands; the journal waits for the next drain
        return {"applied": 0, "left": None, "error": str(exc)}
    return {"applied": applied, "left": left}


def _state_equals_replay(store, bus, session_id: str) -> bool | None:
    try:
        return store.load(session_id) == bus.replay(session_id)
    except UnknownEventType:
        return None
    except OrchError:
        return False


def _session(report: Report, session_id: str) -> SessionReport:
    for session in report.sessions:
        if session.session_id == session_id:
            return session
    report.sessions.append(SessionReport(session_id=session_id))
    return report.sessions[-1]


def _gaps(have: set[int], upto: int) -> list[tuple[int, int]]:
    """The seq ranges in 1..upto not in ``have``."""
    gaps: list[tuple[int, int]] = []
    for seq in range(1, upto + 1):
        if seq in have:
            continue
        if gaps and gaps[-1][1] == seq - 1:
            gaps[-1] = (gaps[-1][0], seq)
        else:
            gaps.append((seq, seq))
    return gaps
