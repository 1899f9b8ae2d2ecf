"""Durability under concurrency: many OS processes writing one SQLite store at once.

Claude Code runs parallel subagents, and every one of them fires hooks in its
own process, so the store must take many simultaneous writers without losing,
reordering or duplicating anything, and without "database is locked" ever
reaching anybody. These tests start real processes (not threads), hold them at
a barrier until all are ready, and then let them write at the same moment.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from orchcore.store.sqlite import SqliteStore
from orchcore.testing import release_together

PROCESSES = 8
EMITS_PER_PROCESS = 500
ISOLATION_EMITS = 50
DEADLINE_S = 180  # a hung writer fails the test instead of hanging the suite

# One writer. It builds its runtime and loads its plugins first, reports
# "ready", waits for the "go" file, and only then opens the store and writes:
# every process hits the database at the same moment.
WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    n, session, count, start, go, ready = sys.argv[1:7]
    n, count = int(n), int(count)

    from orchcore.runtime import Runtime

    runtime = Runtime()
    bus = runtime.bus
    bus.types  # import the plugins before the barrier, not after
    Path(ready).write_text("ready")
    while not Path(go).exists():
        time.sleep(0.001)

    started = time.perf_counter()
    if start == "create":
        bus.create_session(session)
    elif start == "ensure":
        bus.ensure_session(session)  # all writers race to create the same session
    seqs = []
    for i in range(count):
        event, _ = bus.emit(
            session, "metric.recorded", {"name": "ticks", "value": 1, "proc": n, "i": i}, source=f"proc-{n}"
        )
        seqs.append(event.seq)
    runtime.close()
    print(json.dumps({"proc": n, "seqs": seqs, "elapsed": time.perf_counter() - started}))
    """
)


def session_for(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def writer_env(orch_project: Path, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)  # orch_project already removed the developer's ORCH_* / CLAUDE_* variables
    env.update(
        CLAUDE_PROJECT_DIR=str(orch_project),
        ORCH_STATE_DIR=str(orch_project / ".claude" / "state"),
        ORCH_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_writers(
    tmp_path: Path, env: dict[str, str], sessions: list[str], count: int, start: str = "append"
) -> tuple[list[dict], float]:
    """Start one writer per session entry, release them together; (their reports, wall time of the writes)."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    starts = [([sys.executable, str(script), str(n), session, str(count), start], env, None)
              for n, session in enumerate(sessions)]
    results, elapsed = release_together(starts, tmp_path, DEADLINE_S)
    reports = []
    for n, done in enumerate(results):
        assert "database is locked" not in done.stderr.lower(), f"writer {n}: {done.stderr}"
        assert "Traceback" not in done.stderr, f"writer {n}: {done.stderr}"
        assert done.returncode == 0, f"writer {n} exited {done.returncode}: {done.stderr}"
        reports.append(json.loads(done.stdout))
    return reports, elapsed


@pytest.fixture
def shared_session(orch_bus, session_id):
    orch_bus.create_session(session_id)
    return session_id


def test_eight_processes_writing_one_session_lose_nothing(tmp_path, writer_env, orch_runtime, shared_session):
    """8 processes x 500 emits into ONE session: 4,000 events, gapless, in order, no lost update."""
    reports, elapsed = run_writers(tmp_path, writer_env, [shared_session] * PROCESSES, EMITS_PER_PROCESS)
    total = PROCESSES * EMITS_PER_PROCESS
    store = orch_runtime.store
    events = store.events(shared_session)
    switches = sum(a.source != b.source for a, b in zip(events[1:], events[2:]))
    print(f"\n{PROCESSES} processes x {EMITS_PER_PROCESS} emits into one session: {elapsed:.2f} s "
          f"({total / elapsed:.0f} events/s; slowest writer {max(r['elapsed'] for r in reports):.2f} s; "
          f"the log switches writer {switches} times)")

    # Every event is in the log, after the session.created event.
    assert len(events) == total + 1
    assert events[0].type == "session.created"
    assert sum(e.type == "metric.recorded" for e in events) == total
    # Sequence numbers are gapless and unique: 1..N.
    assert [e.seq for e in events] == list(range(1, total + 2))
    # Each process's events are in the log in the order it emitted them.
    for n in range(PROCESSES):
        mine = [e for e in events if e.source == f"proc-{n}"]
        assert [e.data["i"] for e in mine] == list(range(EMITS_PER_PROCESS)), f"proc-{n} out of order"
        assert all(e.data["proc"] == n for e in mine)
    # The seq numbers each process got back from emit() are its events' seqs.
    for report in reports:
        n = report["proc"]
        assert report["seqs"] == [e.seq for e in events if e.source == f"proc-{n}"]
    # No lost update: every read-modify-write of the counter saw the previous one.
    state = store.get(shared_session)
    assert state.state.metrics["ticks"] == total
    (info,) = store.sessions()
    assert info.last_seq == total + 1
    # The snapshot is exactly the fold of the log.
    assert orch_runtime.bus.replay(shared_session) == state


def test_eight_processes_writing_eight_sessions_stay_isolated(tmp_path, writer_env, orch_project, orch_bus):
    """8 processes each create their own session in a fresh database and emit 50 events into it."""
    sessions = [session_for(n) for n in range(PROCESSES)]
    database = orch_project / ".claude" / "state" / "orchcore.db"
    assert not database.exists()  # the writers race to create the database and its schema too

    reports, elapsed = run_writers(tmp_path, writer_env, sessions, ISOLATION_EMITS, start="create")
    print(f"\n{PROCESSES} processes x {ISOLATION_EMITS} emits into {PROCESSES} sessions "
          f"(fresh database): {elapsed:.2f} s")

    store = SqliteStore(orch_project / ".claude" / "state")
    try:
        assert sorted(info.session_id for info in store.sessions()) == sorted(sessions)
        for n, session in enumerate(sessions):
            events = store.events(session)
            assert [e.seq for e in events] == list(range(1, ISOLATION_EMITS + 2))
            assert events[0].type == "session.created"
            # Only this process's events, in its order.
            assert {e.source for e in events[1:]} == {f"proc-{n}"}
            assert [e.data["i"] for e in events[1:]] == list(range(ISOLATION_EMITS))
            # Seq numbers are per session: each writer got 2..51, whatever the others did.
            assert reports[n]["seqs"] == list(range(2, ISOLATION_EMITS + 2))
            state = store.get(session)
            assert state.state.metrics == {"ticks": ISOLATION_EMITS}
            assert orch_bus.replay(session) == state
    finally:
        store.close()


def test_processes_racing_to_start_one_session_create_it_once(tmp_path, writer_env, orch_runtime, session_id):
    """ensure_session() from 8 processes at once: one session.created, then everybody's events."""
    reports, elapsed = run_writers(tmp_path, writer_env, [session_id] * PROCESSES, ISOLATION_EMITS, start="ensure")
    print(f"\n{PROCESSES} processes racing ensure_session + {ISOLATION_EMITS} emits each: {elapsed:.2f} s")

    events = orch_runtime.store.events(session_id)
    assert [e.type for e in events].count("session.created") == 1
    assert events[0].type == "session.created"
    assert [e.seq for e in events] == list(range(1, PROCESSES * ISOLATION_EMITS + 2))
    state = orch_runtime.store.get(session_id)
    assert state.state.metrics["ticks"] == PROCESSES * ISOLATION_EMITS
    assert orch_runtime.bus.replay(session_id) == state
