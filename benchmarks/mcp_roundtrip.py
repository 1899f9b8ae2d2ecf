"""A tool call of `orch mcp` over stdio, client -> server -> store -> answer, against `python -c pass`.

    .venv/bin/python benchmarks/mcp_roundtrip.py [--rounds 200] [--starts 10] [--json results.json]

In a throwaway project, one `orch mcp` (this venv's, `python -m orchcore mcp`)
is started as Claude Code starts it (stdio, `CLAUDE_CODE_SESSION_ID` and
`CLAUDE_PROJECT_DIR` set) and driven with the `mcp` SDK's own client: in
shuffled interleaved rounds, `tools/list` (the protocol alone), `board` (a
read) and `task_update` / `msg_send` + `msg_receive` (writes: one event each
in the SQLite store). Each is timed from the client's call to its answer.
The baseline, measured in the same run, is a process start of the same
python with `-c pass`: what the same action costs when it is an `orch`
command the model runs through Bash (at least that, plus Claude Code's own
Bash tool). Also reported: starting the server up to its `initialize`
answer (once per Claude Code session), `--starts` times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def pass_ms(python: str, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def measure(project: Path, session_id: str, rounds: int, starts: int, python: str) -> dict[str, list[float]]:
    from mcp import Client, StdioServerParameters

    env = {**os.environ, "CLAUDE_CODE_SESSION_ID": session_id, "CLAUDE_PROJECT_DIR": str(project)}
    params = StdioServerParameters(command=python, args=["-m", "orchcore", "mcp"], env=env, cwd=str(project))
    results: dict[str, list[float]] = {"python -c pass": [], "tools/list": [], "board (read)": [],
                                       "task_update (write)": [], "msg_send + msg_receive (2 writes)": [],
                                       "server start to initialize": []}
    for _ in range(starts):
        started = time.perf_counter()
        async with Client(params) as client:
            results["server start to initialize"].append((time.perf_counter() - started) * 1000)
            await client.list_tools()
    async with Client(params) as client:
        made = await client.call_tool("task_create", {"title": "benchmark task"})
        assert not made.is_error, made
        task_id = made.content[0].text.split()[0]

        async def tools_list():
            await client.list_tools()

        async def board():
            answer = await client.call_tool("board", {})
            assert not answer.is_error, answer

        async def update():
            answer = await client.call_tool("task_update", {"id": task_id, "points": random.randint(0, 100)})
            assert not answer.is_error, answer

        async def message():
            sent = await client.call_tool("msg_send", {"to": "qa", "text": "ping"})
            taken = await client.call_tool("msg_receive", {"as": "qa"})
            assert not sent.is_error and not taken.is_error, (sent, taken)

        cases = {"tools/list": tools_list, "board (read)": board, "task_update (write)": update,
                 "msg_send + msg_receive (2 writes)": message}
        for case in cases.values():  # warm-up
            await case()
        for _ in range(rounds):
            order = list(cases) + ["python -c pass"]
            random.shuffle(order)
            for name in order:
                if name == "python -c pass":
                    results[name] += pass_ms(python, 1)
                    continue
                started = time.perf_counter()
                await cases[name]()
                results[name].append((time.perf_counter() - started) * 1000)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--json", type=Path, help="Write the results here as JSON.")
    args = parser.parse_args()

    import anyio

    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / ".claude").mkdir()
        results = anyio.run(measure, project, str(uuid.uuid4()), args.rounds, args.starts, python)
    base = statistics.median(results["python -c pass"])
    print(f"orch mcp over stdio (mcp SDK client), {args.rounds} rounds, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")
    print(f"{'case':<36} {'runs':>5} {'median ms':>10} {'min ms':>8} {'ratio':>7}")
    rows = {}
    for name, timings in results.items():
        median = statistics.median(timings)
        rows[name] = {"runs": len(timings), "median_ms": round(median, 3), "min_ms": round(min(timings), 3),
                      "ratio": round(median / base, 3)}
        print(f"{name:<36} {len(timings):>5} {median:>10.3f} {min(timings):>8.3f} {median / base:>7.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
