"""The hot-path benchmark: what Claude Code, programs and the model pay per orch process.

Claude Code starts a process for every hook event and every status-line
refresh, and programs, slash commands and the model run ``orch`` commands to
read state. So what matters is the whole process: interpreter start, imports,
work, exit. Each command is timed as a full process start, interleaved with
bare ``python -c pass`` from the same interpreter (the measured venv's
python) in the same run (rounds in shuffled order, so machine noise hits
every command alike), and reported as the median and its ratio to that
baseline.

    .venv/bin/python benchmarks/hotpath.py --stock [--rounds 40] [--json results.json]
    .venv/bin/python benchmarks/hotpath.py --venv PATH      # any venv with orchcore installed
    .venv/bin/python benchmarks/hotpath.py                  # the venv running this script

``--stock`` measures what users get: a non-editable install with the stock
pip (``benchmarks/stockvenv.py``, built once per source change, outside the
repository). The hook and status line are also measured exactly as ``orch
install --scope project`` writes them into a throwaway project's settings,
run through ``/bin/sh -c`` like Claude Code runs them; those rows are judged
against ``/bin/sh -c '<python> -c pass'``, the same shell start included. An
http hook has no process to time: when PreToolUse is wired as http, the rows
time the command hook of the other events instead (or are skipped), with a note.

Targets: hook off <= 1.5x, hook on <= 2.5x (with the resident runtime, every
bundled plugin installed), status line on and off <= 1.5x, state queries
(``orch --version``, ``state get``, ``session show``, ``events list``, ``msg
status``, ``program list``) <= 3.0x. The warm-up rounds are not counted: they
include the first events, which start the resident runtime;
the "no runtime" rows run with ``ORCH_RUNTIME=0``. A command that fails
is reported in the table and the script exits 1 at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

OFF_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"
ON_SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
LARGE_SESSION = "3c0f7e2a-9d41-4b6e-8a57-1f2e3d4c5b6a"  # a working day: 5,000 events, 1,000 tasks, ~700 KB

GROW_LARGE = """
import sys
from orchcore.runtime import Runtime
runtime = Runtime()
bus = runtime.bus
sid = sys.argv[1]
bus.create_session(sid, orchestration_enabled=True)
bus.emit(sid, "sprint.started", {"id": "S-1", "name": "Sprint 1", "duration_days": 10})
for i in range(1000):
    bus.emit(sid, "task.created", {"id": f"T-{i}", "title": f"task {i}", "sprint": "S-1",
                                   "description": "a task of a long session " * 20})
for i in range(5000 - 1002):
    bus.emit(sid, "metric.recorded", {"name": "grown", "value": 1})
runtime.close()
"""
BASE = "python -c pass"
SH_BASE = "sh -c 'python -c pass'"
COMMAND_TIMEOUT_S = 60


@dataclass
class Case:
    name: str
    command: list[str]
    stdin: bytes | None = None
    target: float | None = None
    baseline: str = BASE  # the row whose median this one's ratio is taken against
    env: dict[str, str] = field(default_factory=dict)  # added to the common environment
    samples: list[float] = field(default_factory=list)
    error: str | None = None


class CommandFailed(Exception):
    pass


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


def run(command: list[str], env: dict[str, str], cwd: Path, stdin: bytes | None = None) -> bytes:
    """Run once; a missing program, a timeout or a non-zero exit is a CommandFailed with the reason."""
    try:
        done = subprocess.run(command, input=stdin, env=env, cwd=cwd, capture_output=True,
                              timeout=COMMAND_TIMEOUT_S, stdin=None if stdin is not None else subprocess.DEVNULL)
    except OSError as exc:
        raise CommandFailed(f"cannot start: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"timed out after {COMMAND_TIMEOUT_S}s") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise CommandFailed(f"exit {done.returncode}: {last[0][:200]}")
    return done.stdout


def time_once(case: Case, env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    run(case.command, dict(env, **case.env), cwd, case.stdin)
    return time.perf_counter() - started


def prepare(project: Path, orch: str, env: dict[str, str], notes: list[str]) -> None:
    """Three sessions (off; on with a sprint and a task; on and grown like a working day: 5,000 events,
    1,000 tasks, about 700 KB of state). A failing step is noted, not fatal."""
    (project / ".claude").mkdir(parents=True)
    for args in (
        ["session", "create", OFF_SESSION],
        ["session", "create", ON_SESSION, "--enable"],
        ["events", "emit", "sprint.started", "-d", '{"id": "S-1", "name": "Sprint 1", "duration_days": 10}',
         "--session", ON_SESSION],
        ["events", "emit", "task.created", "-d", '{"id": "T-1", "title": "bench"}', "--session", ON_SESSION],
    ):
        try:
            run([orch, *args], env, project)
        except CommandFailed as exc:
            notes.append(f"setup `orch {' '.join(args[:3])}` failed: {exc}")
    try:
        run([str(Path(orch).with_name("python")), "-c", GROW_LARGE, LARGE_SESSION], env, project)
    except CommandFailed as exc:
        notes.append(f"setup of the large session failed: {exc}")


def installed_commands(project: Path, orch: str, env: dict[str, str], notes: list[str]) -> dict[str, str]:
    """The hook and status-line commands ``orch install --scope project`` writes (as a user runs it).

    Returns ``{"hook": ..., "statusline": ...}`` for the command entries
    (PreToolUse's, else another event's); an http entry (no process to time)
    or a failed install is noted and left out.
    """
    home = project.parent / "home"
    home.mkdir(exist_ok=True)
    install_env = {k: v for k, v in env.items() if k != "CLAUDE_PROJECT_DIR"}
    install_env["HOME"] = str(home)  # whatever install reads or writes outside the project stays here
    try:
        run([orch, "install", "--scope", "project"], install_env, project)
        settings = json.loads((project / ".claude" / "settings.json").read_text())
    except (CommandFailed, OSError, ValueError) as exc:
        notes.append(f"`orch install --scope project` failed, no installed-command rows: {exc}")
        return {}
    found: dict[str, str] = {}
    hooks = settings.get("hooks", {})
    handlers = {event: [h for entry in entries for h in entry.get("hooks", [])] for event, entries in hooks.items()}
    commands = {event: [h["command"] for h in listed if h.get("type") == "command" and h.get("command")]
                for event, listed in handlers.items()}
    if commands.get("PreToolUse"):
        found["hook"] = commands["PreToolUse"][0]
    else:
        pre = handlers.get("PreToolUse", [])
        kinds = ", ".join(sorted({str(h.get("type")) for h in pre})) or "not wired"
        where = f" ({pre[0]['url']})" if pre and pre[0].get("url") else ""
        others = sorted(event for event, listed in commands.items() if listed)
        if others:  # time the command the other events run, fed the same PreToolUse payload
            found["hook"] = commands[others[0]][0]
            notes.append(f"installed PreToolUse hook is {kinds}{where}: no process to time; the installed-hook "
                         f"rows time the command hook wired for {', '.join(others)} instead")
        else:
            notes.append(f"installed PreToolUse hook is {kinds}{where} and no event has a command hook: "
                         "no process to time, installed-hook rows skipped")
    distinct = {c for listed in commands.values() for c in listed}
    if len(distinct) > 1:
        notes.append(f"orch install wrote {len(distinct)} different hook commands; timing {found['hook']!r}")
    status = settings.get("statusLine") or {}
    if status.get("type") == "command" and status.get("command"):
        found["statusline"] = status["command"]
    else:
        notes.append(f"installed statusLine is {status.get('type') or 'missing'}: installed-statusline rows skipped")
    return found


def compile_if_editable(python: str, venv: Path, env: dict[str, str], cwd: Path, notes: list[str]) -> None:
    """An editable install has no bytecode until something writes it: compile it, as pip would have.

    (Under PYTHONDONTWRITEBYTECODE it would recompile every module on every
    run, which says nothing about orchcore.) A real install is left alone.
    """
    script = ("import compileall, os, orchcore; d = os.path.dirname(orchcore.__file__); "
              "print(d); compileall.compile_dir(d, quiet=1)")
    probe = "import os, orchcore; print(os.path.dirname(orchcore.__file__))"
    try:
        where = run([python, "-c", probe], env, cwd).decode().strip()
        if not where.startswith(str(venv)):
            run([python, "-c", script], env, cwd)
            notes.append(f"orchcore is an editable install ({where}); compiled its bytecode first. "
                         "Use --stock to measure what users get.")
    except CommandFailed as exc:
        notes.append(f"cannot import orchcore with {python}: {exc}")


def build_cases(venv: Path, project: Path, installed: dict[str, str]) -> list[Case]:
    python, orch = str(venv / "bin" / "python"), str(venv / "bin" / "orch")
    no_runtime = {"ORCH_RUNTIME": "0"}  # the resident runtime off: everything in the command's own process
    off_hook, on_hook = payload(OFF_SESSION, project), payload(ON_SESSION, project)
    off_status, on_status = status_input(OFF_SESSION, project), status_input(ON_SESSION, project)
    cases = [
        Case(BASE, [python, "-c", "pass"]),
        Case("hook (orchestration off)", [orch, "hook"], off_hook, 1.5),
        Case("hook (orchestration on)", [orch, "hook"], on_hook, 2.5),
        Case("hook (on, no runtime)", [orch, "hook"], on_hook, env=no_runtime),
        Case("statusline (off)", [orch, "statusline"], off_status, 1.5),
        Case("statusline (on)", [orch, "statusline"], on_status, 1.5),
        Case("statusline (on, no runtime)", [orch, "statusline"], on_status, env=no_runtime),
        Case("hook (on, large session)", [orch, "hook"], payload(LARGE_SESSION, project), 2.5),
        Case("statusline (on, large session)", [orch, "statusline"], status_input(LARGE_SESSION, project), 1.5),
        Case("orch state get mode (large)", [orch, "state", "get", "mode", "--session", LARGE_SESSION],
             target=3.0),
        Case("orch --version", [orch, "--version"], target=3.0),
        Case("orch state get mode", [orch, "state", "get", "mode", "--session", ON_SESSION], target=3.0),
        Case("orch session show --json", [orch, "session", "show", "--session", ON_SESSION, "--json"], target=3.0),
        Case("orch events list -n 20", [orch, "events", "list", "--session", ON_SESSION, "--limit", "20"],
             target=3.0),
        Case("orch msg status", [orch, "msg", "status", "--session", ON_SESSION], target=3.0),
        Case("orch program list", [orch, "program", "list"], target=3.0),
    ]
    if installed:
        cases.append(Case(SH_BASE, ["/bin/sh", "-c", f"{shlex.quote(python)} -c pass"]))
    if "hook" in installed:
        sh = ["/bin/sh", "-c", installed["hook"]]
        cases += [Case("installed hook (off), via sh", sh, off_hook, 1.5, SH_BASE),
                  Case("installed hook (on), via sh", sh, on_hook, 2.5, SH_BASE)]
    if "statusline" in installed:
        sh = ["/bin/sh", "-c", installed["statusline"]]
        cases += [Case("installed statusline (off), via sh", sh, off_status, 1.5, SH_BASE),
                  Case("installed statusline (on), via sh", sh, on_status, 1.5, SH_BASE)]
    return cases


def measure(cases: list[Case], rounds: int, warmup: int, env: dict[str, str], cwd: Path) -> None:
    """Shuffled interleaved rounds; a case that fails once is reported and not run again."""
    for round_number in range(warmup + rounds):
        order = [case for case in cases if case.error is None]
        random.shuffle(order)
        for case in order:
            try:
                elapsed = time_once(case, env, cwd)
            except CommandFailed as exc:
                case.error = str(exc)
                continue
            if round_number >= warmup:
                case.samples.append(elapsed)


def results(cases: list[Case]) -> list[dict]:
    medians = {c.name: statistics.median(c.samples) for c in cases if c.samples and c.error is None}
    rows = []
    for case in cases:
        row = {"case": case.name, "command": shlex.join(case.command), "baseline": case.baseline,
               "n": len(case.samples), "median_ms": None, "min_ms": None, "ratio": None,
               "target": case.target, "verdict": "", "error": case.error}
        if case.name in medians:
            row["median_ms"] = round(medians[case.name] * 1000, 2)
            row["min_ms"] = round(min(case.samples) * 1000, 2)
            base = medians.get(case.baseline)
            if base:
                row["ratio"] = round(medians[case.name] / base, 2)
                if case.target is not None:
                    row["verdict"] = "met" if row["ratio"] <= case.target else "NOT met"
        elif case.error is None:
            row["error"] = "no samples"
        if case.error is None and row["error"] is None and case.target is not None and row["ratio"] is None:
            row["verdict"] = "no baseline"
        rows.append(row)
    return rows


def print_table(rows: list[dict], header: str, notes: list[str], out) -> None:
    print(header, file=out)
    print(f"{'case':<36} {'median ms':>10} {'min ms':>8} {'ratio':>6}  {'vs':<8} target", file=out)
    for row in rows:
        vs = "sh pass" if row["baseline"] == SH_BASE else "pass"
        if row["error"]:
            print(f"{row['case']:<36} {'FAILED':>10} {'':>8} {'':>6}  {'':<8} {row['error']}", file=out)
            continue
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        target = f"<= {row['target']}x {row['verdict']}" if row["target"] else ""
        print(f"{row['case']:<36} {row['median_ms']:>10.2f} {row['min_ms']:>8.2f} {ratio:>6}  {vs:<8} {target}",
              file=out)
    for note in notes:
        print(f"note: {note}", file=out)


def clean_env(project: Path, workdir: Path) -> dict[str, str]:
    """The developer's environment without Claude Code's, orchcore's or Python's own variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLAUDE", "ORCH_", "PYTHON")) and k != "VIRTUAL_ENV"}
    env.update(CLAUDE_PROJECT_DIR=str(project), ORCH_CACHE_DIR=str(workdir / "cache"), NO_COLOR="1",
               ORCH_RUNTIME_IDLE_S="60", ORCH_RUNTIME_LINGER_S="60")
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--stock", action="store_true",
                       help="build/reuse the stock non-editable venv (benchmarks/stockvenv.py) and measure it")
    which.add_argument("--venv", type=Path, help="measure the orchcore installed in this venv")
    parser.add_argument("--python", default="python3", help="with --stock: the interpreter for -m venv")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", dest="json_path", help="also write the results here ('-': stdout, table on stderr)")
    args = parser.parse_args()

    if args.stock:
        sys.dont_write_bytecode = True  # no __pycache__ in the repository
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from stockvenv import StockVenvError, ensure_stock_venv

        try:
            venv = ensure_stock_venv(args.python)
        except StockVenvError as exc:
            print(f"hotpath: cannot build the stock venv: {exc}", file=sys.stderr)
            return 1
    else:
        venv = (args.venv or Path(sys.prefix)).expanduser().absolute()
    python, orch = venv / "bin" / "python", venv / "bin" / "orch"
    if not python.exists():
        print(f"hotpath: {python} does not exist", file=sys.stderr)
        return 1

    notes: list[str] = []
    if not orch.exists():
        notes.append(f"{orch} does not exist")
    workdir = Path(tempfile.mkdtemp(prefix="orch-bench-"))
    project = workdir / "project"
    env = clean_env(project, workdir)
    try:
        prepare(project, str(orch), env, notes)
        installed = installed_commands(project, str(orch), env, notes)
        compile_if_editable(str(python), venv, env, project, notes)
        cases = build_cases(venv, project, installed)
        measure(cases, args.rounds, args.warmup, env, project)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # a runtime exits when its state folder is gone

    rows = results(cases)
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    header = (f"{args.rounds} rounds (+{args.warmup} warm-up) on {os.cpu_count()} cores, Python {version}, "
              f"venv {venv}")
    out = sys.stderr if args.json_path == "-" else sys.stdout
    print_table(rows, header, notes, out)
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "rounds": args.rounds, "warmup": args.warmup,
              "cpus": os.cpu_count(), "python": version, "venv": str(venv),
              "installed": installed, "notes": notes, "results": rows}
    if args.json_path == "-":
        print(json.dumps(report, indent=2))
    elif args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n")
    failed = [row["case"] for row in rows if row["error"]]
    if failed:
        print(f"hotpath: {len(failed)} case(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or any(n.startswith(("setup", "`orch install")) for n in notes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
