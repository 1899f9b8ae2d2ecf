"""The hot-path benchmark: what Claude Code pays per hook event and status-line refresh.

Claude Code starts a process for every hook event and every status-line
refresh, so what matters is the whole process: interpreter start, imports,
work, exit. Each command is timed as a full process start, interleaved with
bare ``python -c pass`` from the same interpreter in the same run (rounds in
shuffled order, so machine noise hits every command alike), and reported as
the median and its ratio to that baseline.

    .venv/bin/python benchmarks/hotpath.py [--rounds 40] [--json results.json]

Targets (issue 3): hook with orchestration off <= 1.5x, hook on (every
bundled plugin installed) <= 2.5x, status line <= 2x. "on" is measured as
Claude Code sees it, with the warm worker (``orchcore.worker``) the first
event starts; the "no worker" rows show the same commands without it.

The warm-up rounds are not counted: they include the first events, which
start the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OFF_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"
ON_SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
TARGETS = {"hook (orchestration off)": 1.5, "hook (orchestration on)": 2.5, "statusline (on)": 2.0}


def orch_command() -> list[str]:
    script = Path(sys.executable).with_name("orch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "orchcore"]


def payload(session_id: str, project: Path) -> bytes:
    return json.dumps({
        "session_id": session_id,
        "transcript_path": f"/home/dev/.claude/projects/bench/{session_id}.jsonl",
        "cwd": str(project),
        "prompt_id": "eae580ea-c204-49e3-bd72-b33918b515d7",
        "permission_mode": "default",
        "effort": {"level": "medium"},
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "npm test", "description": "run the tests"},
        "tool_use_id": "toolu_bench",
    }).encode()


def status_input(session_id: str, project: Path) -> bytes:
    return json.dumps({
        "session_id": session_id,
        "transcript_path": f"/home/dev/.claude/projects/bench/{session_id}.jsonl",
        "cwd": str(project),
        "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
        "workspace": {"current_dir": str(project), "project_dir": str(project), "added_dirs": []},
        "version": "2.1.328",
        "output_style": {"name": "default"},
    }).encode()


def prepare(project: Path, env: dict[str, str]) -> None:
    (project / ".claude").mkdir(parents=True)
    orch = orch_command()
    for args in (
        ["session", "create", OFF_SESSION],
        ["session", "create", ON_SESSION, "--enable"],
        ["events", "emit", "sprint.started", "-d", '{"id": "S-1", "name": "Sprint 1", "duration_days": 10}',
         "--session", ON_SESSION],
        ["events", "emit", "task.created", "-d", '{"id": "T-1", "title": "bench"}', "--session", ON_SESSION],
    ):
        subprocess.run(orch + args, env=env, check=True, capture_output=True, cwd=project)


def compile_bytecode() -> None:
    """Measure what an installed orchcore costs: with its modules compiled, as pip leaves them.

    (An editable install under PYTHONDONTWRITEBYTECODE would recompile every
    module of ours on every run, which says nothing about orchcore.)
    """
    import compileall

    import orchcore

    compileall.compile_dir(os.path.dirname(orchcore.__file__), quiet=1)


def time_once(command: list[str], stdin: bytes | None, env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, input=stdin, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", dest="json_path", help="also write the results here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="orch-bench-"))
    project = workdir / "project"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "ORCH_"))}
    env.update(CLAUDE_PROJECT_DIR=str(project), ORCH_CACHE_DIR=str(workdir / "cache"), NO_COLOR="1",
               ORCH_WORKER_IDLE_S="20")
    try:
        prepare(project, env)
        orch = orch_command()
        cold = ["env", "ORCH_WORKER=0"]  # the same commands without the warm worker
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "hook (orchestration off)": (orch + ["hook"], payload(OFF_SESSION, project)),
            "hook (orchestration on)": (orch + ["hook"], payload(ON_SESSION, project)),
            "hook (on, no worker)": (cold + orch + ["hook"], payload(ON_SESSION, project)),
            "statusline (off)": (orch + ["statusline"], status_input(OFF_SESSION, project)),
            "statusline (on)": (orch + ["statusline"], status_input(ON_SESSION, project)),
            "statusline (on, no worker)": (cold + orch + ["statusline"], status_input(ON_SESSION, project)),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        compile_bytecode()
        for round_number in range(args.warmup + args.rounds):
            order = list(cases)
            random.shuffle(order)
            for name in order:
                command, stdin = cases[name]
                elapsed = time_once(command, stdin, env, project)
                if round_number >= args.warmup:
                    samples[name].append(elapsed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    base = statistics.median(samples["python -c pass"])
    rows = []
    for name, values in samples.items():
        median = statistics.median(values)
        ratio = median / base
        target = TARGETS.get(name)
        verdict = "" if target is None else ("met" if ratio <= target else "NOT met")
        rows.append({"case": name, "median_ms": round(median * 1000, 2), "ratio": round(ratio, 2),
                     "target": target, "verdict": verdict})
    print(f"{args.rounds} rounds on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'case':<28} {'median ms':>10} {'x pass':>8}  target")
    for row in rows:
        target = f"<= {row['target']}x {row['verdict']}" if row["target"] else ""
        print(f"{row['case']:<28} {row['median_ms']:>10.2f} {row['ratio']:>8.2f}  {target}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"rounds": args.rounds, "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
