"""Two machines, one Redis: 16 processes in two project folders write 500 events each into shared sessions.

Each project folder stands for one machine's clone of the project (its own
``.claude/``, its own state folder, its own config naming the same server and
prefix). The writers are real OS processes, held at a barrier and released
together, each with its own runtime and its own connection, so the server's
optimistic transactions are what keeps them apart: nothing lost, nothing
doubled, per-session sequences gapless, every state equal to its replay.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from orchcore.testing import project_runtime, release_together

PROCESSES = 16  # 8 per machine
EVENTS_PER_PROCESS = 500
SESSIONS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(4)]  # each written from both machines
DEADLINE_S = 600

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    n, session, count, go, ready = sys.argv[1:6]
    n, count = int(n), int(count)

    from orchcore.testing import project_runtime

    runtime = project_runtime(Path.cwd())
    bus = runtime.bus
    bus.types  # import the plugins before the barrier
    Path(ready).write_text("ready")
    while not Path(go).exists():
        time.sleep(0.001)
    started = time.perf_counter()
    seqs = []
    for i in range(count):
        event, _ = bus.emit(session, "metric.recorded", {"name": "ticks", "value": 1, "proc": n, "i": i},
                            source=f"proc-{n}", key=f"proc-{n}:{i}")
        seqs.append(event.seq)
    runtime.close()
    print(json.dumps({"proc": n, "seqs": seqs, "elapsed": time.perf_counter() - started}))
    """
)


def machine(root: Path, name: str, url: str, prefix: str) -> Path:
    """A project folder whose config points at the shared server."""
    project = root / name / "shop"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "orchcore.json").write_text(
        json.dumps({"store": {"backend": "redis", "url": url, "prefix": prefix}}), encoding="utf-8")
    return project


def writer_env(project: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCH_", "CLAUDE_"))}
    env.update(CLAUDE_PROJECT_DIR=str(project), ORCH_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1")
    return env


def machine_of(n: int) -> int:
    """Writers 0-7 run on the first machine, 8-15 on the second."""
    return n * 2 // PROCESSES


def run_writers(tmp_path: Path, machines: list[Path]) -> list[dict]:
    """One writer process per slot, each on its machine and session, released together; their reports."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    starts = []
    for n in range(PROCESSES):
        project = machines[machine_of(n)]
        argv = [sys.executable, str(script), str(n), SESSIONS[n % len(SESSIONS)], str(EVENTS_PER_PROCESS)]
        starts.append((argv, writer_env(project, tmp_path / f"cache-{machine_of(n)}"), project))
    results, elapsed = release_together(starts, tmp_path, DEADLINE_S)
    for n, done in enumerate(results):
        assert done.returncode == 0 and "Traceback" not in done.stderr, f"writer {n}: {done.stderr}"
    total = PROCESSES * EVENTS_PER_PROCESS
    print(f"\n{PROCESSES} processes on 2 machines x {EVENTS_PER_PROCESS} events into {len(SESSIONS)} shared "
          f"sessions: {elapsed:.2f} s ({total / elapsed:.0f} events/s)")
    return [json.loads(done.stdout) for done in results]


def test_sixteen_processes_on_two_machines_lose_nothing_and_double_nothing(tmp_path, redis_server, redis_prefix):
    machines = [machine(tmp_path, "laptop", redis_server.url, redis_prefix),
                machine(tmp_path, "desktop", redis_server.url, redis_prefix)]
    lead = project_runtime(machines[0])
    for session in SESSIONS:
        lead.bus.create_session(session)

    reports = run_writers(tmp_path, machines)

    other = project_runtime(machines[1])  # read from the other machine: it sees the same sessions
    try:
        store = other.store
        assert sorted(info.session_id for info in store.sessions()) == sorted(SESSIONS)
        writers_of = {s: [n for n in range(PROCESSES) if SESSIONS[n % len(SESSIONS)] == s] for s in SESSIONS}
        for session, writers in writers_of.items():
            assert {machine_of(n) for n in writers} == {0, 1}  # both machines wrote this session
            events = store.events(session)
            expected = len(writers) * EVENTS_PER_PROCESS
            assert [e.seq for e in events] == list(range(1, expected + 2))  # gapless, unique
            recorded = [(e.data["proc"], e.data["i"]) for e in events[1:]]
            assert len(set(recorded)) == len(recorded) == expected  # none doubled, none lost
            for n in writers:  # each writer's events in its own order, at the seqs it was given
                mine = [e for e in events if e.source == f"proc-{n}"]
                assert [e.data["i"] for e in mine] == list(range(EVENTS_PER_PROCESS))
                assert reports[n]["seqs"] == [e.seq for e in mine]
            state = store.get(session)
            assert state.state.metrics["ticks"] == expected  # no lost update
            assert other.bus.replay(session, from_start=True) == state  # state equals replay
            assert other.bus.replay(session) == state  # from the newest snapshot too
            assert store.latest_snapshot(session) is not None  # 2,000 events: compaction took snapshots
    finally:
        other.close()
        lead.close()
