"""Online backups of the state database: consistent while others write, rotated, private, never of a damaged file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchcore.errors import StoreError
from orchcore.runtime import Runtime
from orchcore.store.backup import backup, backups_dir, list_backups, maybe_backup
from orchcore.store.sqlite import SqliteStore

WRITERS = 4
EMITS = 150

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from orchcore.runtime import Runtime

    session, count, ready = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    runtime = Runtime()
    runtime.bus.create_session(session)
    ready.write_text("ready")
    for i in range(count):
        runtime.bus.emit(session, "metric.recorded", {"name": "ticks", "value": 1, "i": i}, source="writer")
    runtime.close()
    """
)


def session_for(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def log_of(path: Path, session_id: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT seq, ts, type, source, data FROM events WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def state(orch_project: Path) -> Path:
    return orch_project / ".claude" / "state"


def test_backups_taken_while_four_processes_write_are_consistent_prefixes_of_the_log(
    orch_project: Path, state: Path, tmp_path: Path
):
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(orch_project), "ORCH_CACHE_DIR": str(tmp_path / "cache")}
    sessions = [session_for(n) for n in range(WRITERS)]
    procs = [subprocess.Popen([sys.executable, str(script), sid, str(EMITS), str(tmp_path / f"ready-{n}")],
                              env=env, stderr=subprocess.PIPE, text=True) for n, sid in enumerate(sessions)]
    taken = []
    try:
        while not any((tmp_path / f"ready-{n}").exists() for n in range(WRITERS)):
            assert all(p.poll() is None for p in procs), "a writer died before writing"
            time.sleep(0.01)
        while any(p.poll() is None for p in procs) or len(taken) < 3:
            taken.append(backup(state / "orchcore.db", tmp_path / "backups", keep=1000))
    finally:
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err

    final = {sid: log_of(state / "orchcore.db", sid) for sid in sessions}
    assert all(len(log) == EMITS + 1 for log in final.values())
    assert len({made.path for made in taken}) == len(taken) >= 3
    for made in taken:
        assert integrity(made.path) == "ok"
        for sid in sessions:
            log = log_of(made.path, sid)
            assert log == final[sid][:len(log)], f"{made.path.name} is not a prefix of {sid}'s log"


def test_a_backup_is_a_store_whose_states_equal_their_logs(orch_bus, session_id, state: Path, tmp_path: Path):
    orch_bus.create_session(session_id)
    for n in range(20):
        orch_bus.emit(session_id, "task.created", {"id": f"T-{n}", "title": f"task {n}"})

    made = backup(state / "orchcore.db", tmp_path / "backups", keep=5)
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(made.path, restored / "orchcore.db")
    runtime = Runtime(project=tmp_path, state_dir=restored, plugins=orch_bus.plugins)

    assert runtime.store.get(session_id) == orch_bus.store.get(session_id)
    assert runtime.bus.replay(session_id) == runtime.store.get(session_id)
    assert not Path(f"{made.path}-wal").exists()  # one self-contained file
    runtime.close()


def test_rotation_keeps_the_newest_n_in_a_private_folder(orch_bus, session_id, state: Path):
    orch_bus.create_session(session_id)
    folder = backups_dir(state)
    made = [backup(state / "orchcore.db", folder, keep=3) for _ in range(7)]

    kept = list_backups(folder)
    assert [b.path for b in kept] == [m.path for m in reversed(made[-3:])]
    assert sorted(os.listdir(folder)) == sorted(m.path.name for m in made[-3:])  # no partial files left
    assert [b.taken_at for b in kept] == sorted((b.taken_at for b in kept), reverse=True)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(b.path.stat().st_mode & 0o777 == 0o600 for b in kept)


def test_a_damaged_database_is_not_backed_up_over_good_backups(orch_bus, session_id, state: Path):
    orch_bus.create_session(session_id)
    for n in range(60):
        orch_bus.emit(session_id, "task.created", {"id": f"T-{n}", "title": "x" * 400})
    folder = backups_dir(state)
    good = backup(state / "orchcore.db", folder, keep=1)
    orch_bus.store.close()
    db = state / "orchcore.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(db, "r+b") as f:  # garbage over a page of the events table
        f.seek(4096 * 4)
        f.write(b"\xa5" * 4096)

    with pytest.raises(StoreError, match="it is damaged .* `orch recover`"):
        backup(db, folder, keep=1)

    assert list_backups(folder) == [good]
    assert sorted(os.listdir(folder)) == [good.path.name]


def test_maybe_backup_takes_one_when_the_newest_is_an_hour_old(orch_runtime, orch_bus, session_id, state: Path):
    assert maybe_backup(orch_runtime) is None  # no database yet: nothing to back up
    orch_bus.create_session(session_id)

    first = maybe_backup(orch_runtime)
    assert first is not None and maybe_backup(orch_runtime) is None

    hour_ago = time.time() - 3601
    os.utime(backups_dir(state), (hour_ago, hour_ago))
    second = maybe_backup(orch_runtime)
    assert second is not None and second.path != first.path
    assert [b.path for b in list_backups(backups_dir(state))] == [second.path, first.path]


def test_maybe_backup_keeps_store_backups_of_the_configuration(orch_project: Path, orch_runtime, orch_bus,
                                                              session_id, state: Path):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"store": {"backups": 2}}))
    orch_bus.create_session(session_id)
    for _ in range(4):
        os.utime(state, None)
        if backups_dir(state).exists():
            os.utime(backups_dir(state), (0, 0))
        assert maybe_backup(orch_runtime) is not None

    assert len(list_backups(backups_dir(state))) == 2


def test_orch_backup_takes_one_now_and_lists_them(orch_cli, orch_bus, session_id, state: Path):
    assert orch_cli("backup").exit_code == 1  # nothing to back up yet: one line
    assert "no state database" in orch_cli("backup").stderr
    assert "no backups yet" in orch_cli("backup", "list").stdout
    orch_bus.create_session(session_id)

    taken = orch_cli("backup", "--json")
    listed = orch_cli("backup", "list", "--json")

    assert taken.exit_code == 0, taken.stderr
    assert [row["path"] for row in listed.json()] == [taken.json()["path"]]
    assert Path(taken.json()["path"]).parent == state / "backups"
    assert "backed up to" in orch_cli("backup").stdout
    assert len(orch_cli("backup", "list", "--json").json()) == 2


def test_a_store_without_a_file_is_not_backed_up(orch_project: Path, orch_plugin_manager, orch_memory_store):
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager, store=orch_memory_store)
    assert maybe_backup(runtime) is None
    assert isinstance(runtime.store, type(orch_memory_store)) and not isinstance(runtime.store, SqliteStore)
