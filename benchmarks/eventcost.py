"""What one event costs as a session grows: the store's per-event cost at 10, 1,000 and 10,000 events
and with a 1 KB and a 1 MB state.

Every orchestrated hook event is one ``EventBus.emit``: append the event and
apply its reducer in one SQLite (WAL) transaction. The plan asks that this
costs the same on event 10 and event 10,000 of a session, and on a small and
a large state. Each case gets its own session in one real store (the
project's configured backend, the SQLite one by default) in a throwaway
folder; then the same small event (``metric.recorded``) is emitted into each
case's session, interleaved in shuffled rounds so machine noise hits every
case alike. Reported: the median ms per emit (and the mean, which carries the compactions that fall in the measured rounds) and its ratio to the smallest
case (10 events, 1 KB), and the same for a read of the session's state.
Target (issue 10): every emit ratio within 1.2; reads stay fast too.

    .venv/bin/python benchmarks/eventcost.py [--rounds 200] [--json results.json]

In-process, no Claude Code and no process start: this measures the store and
the bus, the part of an event's cost that grows with the session.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.2
KB = 1024


def build_cases(bus, session_ids: dict[str, str]) -> dict[str, dict]:
    """A session per case, grown to its size; returns what each case holds."""
    cases = {
        "10 events, 1 KB state": {"events": 10, "state": 1 * KB},
        "1,000 events, 1 KB state": {"events": 1_000, "state": 1 * KB},
        "10,000 events, 1 KB state": {"events": 10_000, "state": 1 * KB},
        "10 events, 1 MB state": {"events": 10, "state": 1024 * KB},
        "2,010 events, 1 MB in 2,000 tasks": {"events": 2_010, "state": 1024 * KB, "tasks": 2_000},
    }
    for name, case in cases.items():
        sid = session_ids[name]
        bus.create_session(sid, orchestration_enabled=True)
        big = case["state"] > 64 * KB
        tasks = case.get("tasks", 8) if big else 1
        each = (case["state"] // tasks - 300) if big else 200  # about 300 bytes of each task are its other fields
        for i in range(tasks):  # the state's bulk: task descriptions
            bus.emit(sid, "task.created", {"id": f"T-{i}", "title": f"task {i}", "description": "x" * each})
        for _ in range(case["events"] - tasks - 1):
            bus.emit(sid, "metric.recorded", {"name": "grown", "value": 1})
        case["state_bytes"] = len(json.dumps(_unstructure(bus.store.get(sid))))
    return cases


def _unstructure(session):
    from orchcore.models import unstructure

    return unstructure(session)


def measure(bus, session_ids: dict[str, str], rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per case: ms per emit, and ms per read of the session's state (``store.get``)."""
    emits: dict[str, list[float]] = {name: [] for name in session_ids}
    reads: dict[str, list[float]] = {name: [] for name in session_ids}
    names = list(session_ids)
    for _ in range(rounds):
        random.shuffle(names)
        for name in names:
            started = time.perf_counter()
            bus.emit(session_ids[name], "metric.recorded", {"name": "measured", "value": 1})
            emits[name].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            bus.store.get(session_ids[name])
            reads[name].append((time.perf_counter() - started) * 1000)
    return emits, reads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="emits measured per case (default 200)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="orch-eventcost-") as tmp:
        project = Path(tmp) / "project"
        (project / ".claude").mkdir(parents=True)
        # A full 1 MB state is just past the default limits.max_state_kb (1024): raise it for the benchmark.
        (project / ".claude" / "orchcore.json").write_text(json.dumps({"limits": {"max_state_kb": 2048}}))
        os.environ["CLAUDE_PROJECT_DIR"] = str(project)
        from orchcore.bus import EventBus
        from orchcore.plugins import get_plugin_manager
        from orchcore.runtime import Runtime

        runtime = Runtime(project=project, plugins=get_plugin_manager("builtin", allow=(), deny=()))
        bus = EventBus(runtime.store, runtime.plugins)
        session_ids = {
            name: f"00000000-0000-4000-8000-{i:012d}"
            for i, name in enumerate(
                ["10 events, 1 KB state", "1,000 events, 1 KB state", "10,000 events, 1 KB state",
                 "10 events, 1 MB state", "2,010 events, 1 MB in 2,000 tasks"]
            )
        }
        print(f"eventcost: building the sessions in {runtime.state_dir} ...", file=sys.stderr)
        cases = build_cases(bus, session_ids)
        measure(bus, session_ids, 10)  # warm-up: caches, the WAL file's first pages
        timings, reads = measure(bus, session_ids, args.rounds)
        runtime.close()

    base = statistics.median(timings["10 events, 1 KB state"])
    read_base = statistics.median(reads["10 events, 1 KB state"])
    rows = []
    print(f"{args.rounds} emits per case, shuffled rounds, store {runtime.config.store_backend}, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{'case':34} {'state KB':>9} {'emit ms':>8} {'min ms':>8} {'mean ms':>8} {'ratio':>6}  {'target':16} "
          f"{'read ms':>8} {'ratio':>6}")
    for name, values in timings.items():
        median = statistics.median(values)
        ratio = median / base
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        state_kb = cases[name]["state_bytes"] / KB
        read = statistics.median(reads[name])
        print(f"{name:34} {state_kb:9.1f} {median:8.3f} {min(values):8.3f} {statistics.mean(values):8.3f} {ratio:6.2f}  "
              f"{f'<= {TARGET_RATIO}x {verdict}':16} {read:8.3f} {read / read_base:6.2f}")
        rows.append({"case": name, "state_kb": round(state_kb, 1), "median_ms": median, "min_ms": min(values),
                     "mean_ms": statistics.mean(values),
                     "ratio": ratio, "met": ratio <= TARGET_RATIO, "read_ms": read, "read_ratio": read / read_base})
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
