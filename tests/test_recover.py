"""``orch recover`` on real damage: every event the database or a backup still holds comes back once.

Each test builds a store, backs it up part way, damages the file as disks and
people do (truncation, garbage over pages, a lost WAL, a text file in its
place, a corrupt state row), then runs the real ``orch recover`` in a
subprocess and checks: the damaged file is moved aside byte for byte, every
event of a backup is back exactly once in order with its time and key, no
event is made up, whatever did not come back is named in the report, and
every state equals the fold of its log.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchcore.api import EventType, hookimpl
from orchcore.recover import recover
from orchcore.runtime import Runtime
from orchcore.store.backup import backup, backups_dir
from orchcore.testing import orch_executable
from tests.conftest import fill_disk, mount_small_disk, unmount_small_disk

A = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
B = "7a214c65-635e-4f7c-ac74-130030d59d09"
PAGE = 4096


def event_tuples(runtime: Runtime, session_id: str) -> list[tuple]:
    return [(e.ts, e.type, e.source, json.dumps(e.data, sort_keys=True)) for e in runtime.store.events(session_id)]


@pytest.fixture
def state(orch_project: Path) -> Path:
    return orch_project / ".claude" / "state"


@pytest.fixture
def env(orch_project: Path, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CLAUDE_PROJECT_DIR": str(orch_project), "ORCH_CACHE_DIR": str(tmp_path / "cache"),
            "ORCH_RUNTIME": "0"}


@pytest.fixture
def project(orch_project: Path, orch_plugin_manager, state: Path):
    """Two sessions; a backup after A's first 60 events and all of B's; then 60 more events of A.

    Returns (runtime factory, what each session's log held before the damage, what the backup held).
    """
    def runtime() -> Runtime:
        return Runtime(project=orch_project, plugins=orch_plugin_manager)

    live = runtime()
    bus = live.bus
    bus.create_session(A)
    bus.create_session(B)
    for n in range(60):
        bus.emit(A, "task.created", {"id": f"T-{n}", "title": f"task {n} " + "x" * 300}, key=f"a-{n}")
    for n in range(30):
        bus.emit(B, "message.sent", {"id": f"M-{n}", "from": "lead", "to": "qa", "type": "note", "priority": "normal",
                                     "payload": {"n": n}}, source="hook", key=f"b-{n}")
    backup(state / "orchcore.db", backups_dir(state), keep=5)
    backed_up = {sid: event_tuples(live, sid) for sid in (A, B)}
    for n in range(60, 120):
        bus.emit(A, "task.updated", {"id": f"T-{n - 60}", "status": "in_progress", "note": "y" * 300})
    before = {sid: event_tuples(live, sid) for sid in (A, B)}
    live.close()
    sql(state, "PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, as after a quiet hour
    return runtime, before, backed_up


def sql(state: Path, statement: str, *args: str) -> None:
    """Change the database behind orchcore's back, as a person with the sqlite3 shell would."""
    conn = sqlite3.connect(state / "orchcore.db", isolation_level=None)
    try:
        conn.execute(statement, args)
    finally:
        conn.close()


def orch_recover(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([orch_executable(), "recover", *args], env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_recovered(runtime: Runtime, before: dict, backed_up: dict, report: dict, lost_ok: bool) -> None:
    """Every backed-up event back once and in order, nothing made up, every loss named, states equal replay."""
    assert report["status"] == "recovered"
    by_session = {s["session_id"]: s for s in report["sessions"]}
    for sid in (A, B):
        now = event_tuples(runtime, sid)
        assert len(now) == len(set(now)), "an event came back twice"
        assert set(now) <= set(before[sid]), "recover made up an event"
        assert [e for e in now if e in set(backed_up[sid])] == backed_up[sid], "a backed-up event is missing"
        assert [e for e in before[sid] if e in set(now)] == now, "events came back out of order"
        named_missing = sum(b - a + 1 for a, b in by_session[sid]["missing"])
        assert len(now) + named_missing == len(before[sid]), "an event is missing without a word"
        assert by_session[sid]["events"] == len(now) == sum(by_session[sid]["sources"].values())
        assert by_session[sid]["state_equals_replay"]
        assert runtime.store.get(sid) == runtime.bus.replay(sid)
        if not lost_ok:
            assert now == before[sid]
    keys = {f"a-{n}" for n in range(60)}
    assert runtime.store.recorded_keys(A, keys) == keys  # keys kept: a hook event is still recorded once
    assert runtime.store.integrity_problem() is None


def moved_aside(state: Path, report: dict) -> Path:
    (main,) = [Path(p) for p in report["moved_aside"] if not p.endswith(("-wal", "-shm"))]
    assert main.parent == state and main.name.startswith("orchcore.db.damaged-")
    return main


def test_a_healthy_store_has_nothing_to_recover_and_is_left_as_it_was(project, env, state: Path):
    listing = sorted(os.listdir(state))
    before = digest(state / "orchcore.db")

    done = orch_recover(env)
    as_json = json.loads(orch_recover(env, "--json").stdout)

    assert done.returncode == 0 and done.stdout.startswith("nothing to recover")
    assert as_json["status"] == "nothing to recover" and as_json["moved_aside"] == []
    assert digest(state / "orchcore.db") == before
    assert sorted(p for p in os.listdir(state) if not p.startswith("orchcore.db-")) == \
        sorted(p for p in listing if not p.startswith("orchcore.db-"))


def test_garbage_over_pages_loses_only_those_pages(project, env, state: Path):
    runtime, before, backed_up = project
    db = state / "orchcore.db"
    pages = db.stat().st_size // PAGE
    hit = sorted(random.Random(10).sample(range(3, pages), 3))
    with open(db, "r+b") as f:
        for page in hit:
            f.seek(page * PAGE)
            f.write(random.Random(page).randbytes(PAGE))
    damaged = digest(db)

    done = orch_recover(env, "--json")
    report = json.loads(done.stdout)

    assert done.returncode == 0, done.stderr
    assert digest(moved_aside(state, report)) == damaged
    assert any("integrity" in p or "malformed" in p for p in report["problems"])
    assert_recovered(runtime(), before, backed_up, report, lost_ok=True)


def test_a_truncated_database_comes_back_from_what_reads_and_the_backup(project, env, state: Path):
    runtime, before, backed_up = project
    db = state / "orchcore.db"
    original = db.read_bytes()
    db.write_bytes(original[: len(original) * 2 // 3 + 100])  # cut inside a page

    done = orch_recover(env, "--json")
    report = json.loads(done.stdout)

    assert done.returncode == 0, done.stderr
    assert moved_aside(state, report).read_bytes() == original[: len(original) * 2 // 3 + 100]
    assert_recovered(runtime(), before, backed_up, report, lost_ok=True)


def test_a_text_file_in_place_of_the_database_is_moved_aside_and_the_backup_restored(project, env, state: Path):
    runtime, before, backed_up = project
    db = state / "orchcore.db"
    db.write_text("these are my notes, not a database\n", encoding="utf-8")

    done = orch_recover(env)

    assert done.returncode == 0, done.stderr
    report = json.loads(orch_recover(env, "--json").stdout)
    assert report["status"] == "nothing to recover"  # the first run fixed it
    (aside,) = state.glob("orchcore.db.damaged-*Z")
    assert aside.read_text(encoding="utf-8") == "these are my notes, not a database\n"
    assert f"{A}: 61 events (61 from backup orchcore-" in done.stdout
    assert "could not recover" in done.stdout and "unreadable: the database" in done.stdout
    fixed = runtime()
    assert event_tuples(fixed, A) == backed_up[A] and event_tuples(fixed, B) == backed_up[B]
    assert fixed.store.get(A) == fixed.bus.replay(A)


def test_a_deleted_wal_loses_its_commits_but_the_backup_brings_back_what_it_held(
    orch_project: Path, orch_plugin_manager, env, state: Path, tmp_path: Path
):
    # A writer that dies with kill -9 leaves its commits in the WAL only; then the WAL is deleted.
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from orchcore.runtime import Runtime
        from orchcore.store.backup import backup, backups_dir
        runtime = Runtime()
        runtime.bus.create_session({A!r})
        for n in range(40):
            runtime.bus.emit({A!r}, "task.created", {{"id": f"T-{{n}}", "title": "t"}}, key=f"a-{{n}}")
        state = Path(runtime.store.location).parent
        backup(state / "orchcore.db", backups_dir(state), keep=5)
        for n in range(40, 60):
            runtime.bus.emit({A!r}, "task.created", {{"id": f"T-{{n}}", "title": "t"}})
        os.kill(os.getpid(), signal.SIGKILL)
    """), encoding="utf-8")
    subprocess.run([sys.executable, str(script)], env=env, timeout=120)
    assert (state / "orchcore.db-wal").exists()
    os.unlink(state / "orchcore.db-wal")
    os.unlink(state / "orchcore.db-shm")

    done = orch_recover(env, "--json")
    report = json.loads(done.stdout)

    assert done.returncode == 0, done.stderr
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager)
    events = runtime.store.events(A)
    assert [e.data.get("id") for e in events[1:]] == [f"T-{n}" for n in range(40)]
    assert runtime.store.recorded_keys(A, [f"a-{n}" for n in range(40)]) == {f"a-{n}" for n in range(40)}
    assert runtime.store.get(A) == runtime.bus.replay(A)
    (session,) = report["sessions"]
    assert session["sources"].get(next(k for k in session["sources"] if k.startswith("backup")), 0) >= 1
    assert Path(report["moved_aside"][0]).exists()


def test_a_session_whose_state_does_not_decode_is_rebuilt_from_its_log(project, env, state: Path):
    runtime, before, backed_up = project
    sql(state, "UPDATE sessions SET state = '{\"session_id\": ' WHERE session_id = ?", A)

    done = orch_recover(env, "--json")
    report = json.loads(done.stdout)

    assert done.returncode == 0, done.stderr
    assert any(A in p and "corrupt" in p for p in report["problems"])
    assert_recovered(runtime(), before, backed_up, report, lost_ok=False)
    assert all(not s["missing"] for s in report["sessions"])
    assert moved_aside(state, report).exists()


def test_a_state_that_differs_from_its_log_is_found_and_rebuilt(project, env, state: Path):
    runtime, before, backed_up = project
    sql(state, "UPDATE sessions SET mode = 'tampered', state = json_set(state, '$.mode', 'tampered') "
        "WHERE session_id = ?", B)

    report = json.loads(orch_recover(env, "--json").stdout)

    assert report["problems"] == [f"session {B}: the stored state differs from the fold of its log"]
    assert_recovered(runtime(), before, backed_up, report, lost_ok=False)
    assert runtime().store.get(B).mode != "tampered"


def test_dry_run_says_what_it_would_recover_and_changes_nothing(project, env, state: Path):
    db = state / "orchcore.db"
    data = bytearray(db.read_bytes())
    data[5 * PAGE: 6 * PAGE] = b"\x00garbage" * (PAGE // 8)
    db.write_bytes(bytes(data))
    listing = sorted(os.listdir(state))

    done = orch_recover(env, "--dry-run")

    assert done.returncode == 0, done.stderr
    assert "the store is damaged" in done.stdout and "would recover" in done.stdout
    assert sorted(os.listdir(state)) == listing and db.read_bytes() == bytes(data)


class Notes:
    """A third-party plugin's event type: installed while the log was written, not when recover runs."""

    @hookimpl
    def orch_event_types(self):
        return [EventType(name="notes.added", reducer=self.added, description="a note: {text}")]

    @staticmethod
    def added(session, event):
        session.state.metrics["notes"] = session.state.metrics.get("notes", 0) + 1
        return session


def test_events_of_a_plugin_that_is_not_installed_stay_in_the_log(
    orch_project: Path, orch_plugin_manager, register_plugin, env, state: Path
):
    register_plugin(Notes(), name="notes")
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager)
    runtime.bus.create_session(A)
    for n in range(3):
        runtime.bus.emit(A, "notes.added", {"text": f"note {n}"})
    runtime.bus.emit(A, "task.created", {"id": "T-1", "title": "one"})
    written = event_tuples(runtime, A)
    runtime.close()
    sql(state, "UPDATE sessions SET state = 'not json' WHERE session_id = ?", A)

    done = orch_recover(env)  # a process without the plugin

    assert done.returncode == 0, done.stderr
    assert f"{A}: 5 events (5 from the database); replay needs a plugin that is not installed" in done.stdout
    assert "event 2 (notes.added) kept in the log, not in the state" in done.stdout
    assert "nothing to recover" in orch_recover(env).stdout  # not damage: a plugin to install
    assert "not checked against its log" in orch_recover(env).stdout

    with_plugin = Runtime(project=orch_project, plugins=orch_plugin_manager)
    assert event_tuples(with_plugin, A) == written
    again = recover(with_plugin)  # the plugin is back: its events fold into the state again
    assert again.problems == [f"session {A}: the stored state differs from the fold of its log"]
    assert with_plugin.store.get(A).state.metrics["notes"] == 3
    assert with_plugin.store.get(A) == with_plugin.bus.replay(A)
    assert event_tuples(with_plugin, A) == written
    with_plugin.close()


@pytest.fixture
def small_disk(state: Path):
    """The state folder on a 4 MiB tmpfs (needs root and mount)."""
    yield mount_small_disk(state, "4m")
    unmount_small_disk(state)


def test_a_full_disk_leaves_the_damaged_store_as_it_was_until_there_is_room(
    orch_project: Path, orch_plugin_manager, env, small_disk: Path
):
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager)
    runtime.bus.create_session(A)
    for n in range(30):
        runtime.bus.emit(A, "task.created", {"id": f"T-{n}", "title": "x" * 200})
    written = event_tuples(runtime, A)
    runtime.close()
    sql(small_disk, "UPDATE sessions SET state = 'not json' WHERE session_id = ?", A)
    listing = [name for name in os.listdir(small_disk) if not name.endswith(("-wal", "-shm"))]
    damaged = digest(small_disk / "orchcore.db")
    filler = fill_disk(small_disk)

    done = orch_recover(env)

    assert done.returncode == 1
    assert done.stderr.startswith("orch: error: cannot build the new database") and done.stderr.count("\n") == 1
    assert "nothing was moved or changed" in done.stderr
    now = [name for name in os.listdir(small_disk) if not name.endswith(("-wal", "-shm"))]  # SQLite's own
    assert sorted(now) == sorted([*listing, "filler"])  # nothing moved aside, no half-built database left
    assert digest(small_disk / "orchcore.db") == damaged

    filler.unlink()
    again = orch_recover(env)
    assert again.returncode == 0, again.stderr
    fixed = Runtime(project=orch_project, plugins=orch_plugin_manager)
    assert event_tuples(fixed, A) == written and fixed.store.get(A) == fixed.bus.replay(A)
    fixed.close()


def test_recover_waits_for_the_resident_runtime_to_stop(project, env, state: Path, tmp_path: Path):
    runtime, before, backed_up = project
    (tmp_path / "sockets").mkdir()
    live = {**env, "TMPDIR": str(tmp_path / "sockets"), "ORCH_RUNTIME": "1",
            "ORCH_RUNTIME_IDLE_S": "60", "ORCH_RUNTIME_LINGER_S": "60"}
    sql(state, "UPDATE sessions SET state = 'not json' WHERE session_id = ?", A)
    started = subprocess.run([orch_executable(), "runtime", "start"], env=live, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, started.stderr
    try:
        refused = orch_recover(live)
        assert refused.returncode == 1
        assert "has the database open: stop it with `orch runtime stop`" in refused.stderr
        assert not list(state.glob("orchcore.db.damaged-*"))
    finally:
        stopped = subprocess.run([orch_executable(), "runtime", "stop"], env=live, capture_output=True, text=True,
                                 timeout=120)
    assert stopped.returncode == 0, stopped.stderr

    done = orch_recover(live, "--json")
    assert done.returncode == 0, done.stderr
    assert_recovered(runtime(), before, backed_up, json.loads(done.stdout), lost_ok=False)


def test_archived_events_come_back_with_the_live_ones(orch_project: Path, orch_plugin_manager, env, state: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ORCH_EVENT_BUFFER", "20")  # older events are compacted into the archive table
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager)
    runtime.bus.create_session(A)
    for n in range(80):
        runtime.bus.emit(A, "task.created", {"id": f"T-{n}", "title": "x" * 200}, key=f"a-{n}")
    written = event_tuples(runtime, A)
    runtime.close()
    conn = sqlite3.connect(state / "orchcore.db")
    archived = conn.execute("SELECT count(*) FROM events_archive").fetchone()[0]
    conn.close()
    assert archived >= 40
    sql(state, "UPDATE sessions SET state = 'not json' WHERE session_id = ?", A)

    done = orch_recover({**env, "ORCH_EVENT_BUFFER": "20"}, "--json")

    assert done.returncode == 0, done.stderr
    fixed = Runtime(project=orch_project, plugins=orch_plugin_manager)
    assert event_tuples(fixed, A) == written
    assert fixed.store.recorded_keys(A, [f"a-{n}" for n in range(80)]) == {f"a-{n}" for n in range(80)}
    assert fixed.store.get(A) == fixed.bus.replay(A)
    fixed.close()


def test_an_entity_row_that_differs_from_the_log_is_found_and_the_report_checks_the_new_file(project, env,
                                                                                            state: Path):
    runtime, before, backed_up = project
    sql(state, "UPDATE parts SET body = replace(body, '\"task 1 ', '\"tampered ') WHERE id = 'T-1'")

    done = orch_recover(env)

    assert done.returncode == 0, done.stderr
    assert f"session {A}: the stored state differs from the fold of its log" in done.stdout
    assert f"{A}: 121 events (121 from the database); state equals replay" in done.stdout
    fixed = runtime()
    assert fixed.store.get(A).state.tasks["T-1"].title.startswith("task 1 ")
    assert "nothing to recover" in orch_recover(env).stdout
