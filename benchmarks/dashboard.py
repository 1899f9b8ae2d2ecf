"""How long one dashboard refresh takes for a big session (target: under 500 ms).

    .venv/bin/python benchmarks/dashboard.py [--repeat 20]

Builds a session with 20 agents, 500 tasks and 100 messages in a throwaway
SQLite store, then times what one refresh of `orch dashboard` does: load the
state, read the latest events, build the snapshot and render the frame.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


def build(store) -> None:
    """One event whose reducer fills the session (the store accepts any reducer)."""
    from orchcore.models import Agent, Message, Session, Task

    def setup(session: Session, event) -> Session:
        session.created_at = event.ts
        session.orchestration_enabled = True
        for n in range(20):
            session.state.agents[f"agent-{n}"] = Agent(id=f"agent-{n}", team=["engineering", "qa"][n % 2],
                                                       status=["busy", "idle"][n % 2])
        for n in range(500):
            session.state.tasks[f"T-{n}"] = Task(id=f"T-{n}", title=f"task {n}",
                                                 status=["pending", "in_progress", "done", "blocked"][n % 4],
                                                 assignee=f"agent-{n % 20}")
        session.state.messages = [Message(id=f"M-{n}", sender="a", recipient="b", payload="x" * 80)
                                  for n in range(100)]
        return session

    store.append(SID, "session.created", {}, "bench", setup, create=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from rich.console import Console

    from orchcore.dashboard import LATEST_EVENTS, render, snapshot
    from orchcore.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder))
        build(store)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            state = store.get(SID)
            events = store.events(SID, limit=LATEST_EVENTS, newest=True)
            frame = render([snapshot(state, events, 1)])
            Console(file=io.StringIO(), width=200).print(frame)
            timings.append(time.perf_counter() - started)
        store.close()
    median = statistics.median(timings) * 1000
    print(f"dashboard refresh, 20 agents / 500 tasks / 100 messages: median {median:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms over {args.repeat} (target < 500 ms: {'met' if median < 500 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
