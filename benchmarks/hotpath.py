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
    .venv/bin/python benchmarks/hotpath.py --stock --backends sqlite,redis   # both stores, one table

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
the "no runtime" rows run with ``ORCH_RUNTIME=0`` (for an off session: the
gate, in the hook's own process). Every hook run gets a new ``tool_use_id``,
as every real tool call does. A command that fails
is reported in the table and the script exits 1 at the end.

``--backends sqlite,redis`` runs the same cases on each store backend in the
same run (default: ``sqlite`` only), each in its own project, in one table
with a ``backend`` column and ratios against the same baselines. For
``redis`` a private ``redis-server`` is started on loopback
(``orch_store_redis.testing``), named in that project's
``.claude/orchcore.json`` and stopped at the end; the script then also checks
what each hook event costs the server (commands, new connections) and
whether the hook process imported ``redis``, and times ``import redis``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
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
IMPORT_REDIS = "python -c 'import redis'"
COMMAND_TIMEOUT_S = 60
BACKENDS = ("sqlite", "redis")
REDIS_PREFIX = "orchcore-bench"
PROBE_EVENTS = 5  # hook events per Redis check


@dataclass
class Case:
    name: str
    command: list[str]
    stdin: bytes | Callable[[], bytes] | None = None  # a callable: new input for every run (fresh tool_use_id)
    target: float | None = None
    baseline: str = BASE  # the row whose median this one's ratio is taken against
    env: dict[str, str] = field(default_factory=dict)  # added to the common environment
    backend: str = ""  # the store backend of the project it runs in; "" for the shared baselines
    cwd: Path | None = None  # the backend's project (None: the common one)
    samples: list[float] = field(default_factory=list)
    error: str | None = None


@dataclass
class Backend:
    """One store backend under test: its own project (and for redis its own server)."""

    name: str
    project: Path
    env: dict[str, str]
    server: object | None = None  # orch_store_redis.testing.RedisServer
    installed: dict[str, str] = field(default_factory=dict)
    http_hook: tuple[str, str] | None = None  # (url, token) of the PreToolUse http hook orch install wired


class CommandFailed(Exception):
    pass


def payload(session_id: str, project: Path, tool_use_id: str = "toolu_bench") -> bytes:
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
        "tool_use_id": tool_use_id,
    }).encode()


def hook_input(session_id: str, project: Path) -> Callable[[], bytes]:
    """A PreToolUse payload with a new tool_use_id per run, as Claude Code sends one per tool call.

    With one fixed id every event after the first is a duplicate key, which an
    orchestrated session answers as "already recorded" without running its
    handlers or writing anything: not what a real tool call costs.
    """
    return lambda: payload(session_id, project, f"toolu_{uuid.uuid4().hex[:24]}")


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
    stdin = case.stdin() if callable(case.stdin) else case.stdin
    started = time.perf_counter()
    run(case.command, dict(env, **case.env), case.cwd or cwd, stdin)
    return time.perf_counter() - started


def prepare(project: Path, orch: str, env: dict[str, str], notes: list[str]) -> None:
    """Three sessions (off; on with a sprint and a task; on and grown like a working day: 5,000 events,
    1,000 tasks, about 700 KB of state). A failing step is noted, not fatal."""
    (project / ".claude").mkdir(parents=True, exist_ok=True)
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


def http_hook(project: Path) -> tuple[str, str] | None:
    """The PreToolUse http hook ``orch install`` wired (its url) and the token it sends, or None."""
    try:
        settings = json.loads((project / ".claude" / "settings.json").read_text())
        local = json.loads((project / ".claude" / "settings.local.json").read_text())
    except (OSError, ValueError):
        return None
    urls = [h["url"] for entry in settings.get("hooks", {}).get("PreToolUse", []) for h in entry.get("hooks", [])
            if h.get("type") == "http" and h.get("url")]
    token = (local.get("env") or {}).get("ORCH_HOOK_TOKEN")
    return (urls[0], token) if urls and token else None


def post_hook(url: str, token: str, body: bytes) -> int:
    """POST one event as Claude Code's http hook does; returns the status."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=COMMAND_TIMEOUT_S)
    try:
        conn.request("POST", where.path, body, {"Content-Type": "application/json", "X-Orch-Token": token,
                                                "X-Orch-Enabled": ""})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


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


def backend_cases(venv: Path, backend: Backend) -> list[Case]:
    """Every hook, status-line and query case, run in ``backend``'s project."""
    orch = str(venv / "bin" / "orch")
    project, installed = backend.project, backend.installed
    no_runtime = {"ORCH_RUNTIME": "0"}  # the resident runtime off: everything in the command's own process
    off_hook, on_hook = hook_input(OFF_SESSION, project), hook_input(ON_SESSION, project)
    off_status, on_status = status_input(OFF_SESSION, project), status_input(ON_SESSION, project)
    cases = [
        Case("hook (orchestration off)", [orch, "hook"], off_hook, 1.5),
        Case("hook (off, no runtime: the gate)", [orch, "hook"], off_hook, 1.5, env=no_runtime),
        Case("hook (orchestration on)", [orch, "hook"], on_hook, 2.5),
        Case("hook (on, no runtime)", [orch, "hook"], on_hook, env=no_runtime),
        Case("statusline (off)", [orch, "statusline"], off_status, 1.5),
        Case("statusline (on)", [orch, "statusline"], on_status, 1.5),
        Case("statusline (on, no runtime)", [orch, "statusline"], on_status, env=no_runtime),
        Case("hook (on, large session)", [orch, "hook"], hook_input(LARGE_SESSION, project), 2.5),
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
    if "hook" in installed:
        sh = ["/bin/sh", "-c", installed["hook"]]
        cases += [Case("installed hook (off), via sh", sh, off_hook, 1.5, SH_BASE),
                  Case("installed hook (on), via sh", sh, on_hook, 2.5, SH_BASE)]
    if "statusline" in installed:
        sh = ["/bin/sh", "-c", installed["statusline"]]
        cases += [Case("installed statusline (off), via sh", sh, off_status, 1.5, SH_BASE),
                  Case("installed statusline (on), via sh", sh, on_status, 1.5, SH_BASE)]
    for case in cases:
        case.backend, case.cwd = backend.name, project
        case.env = {"CLAUDE_PROJECT_DIR": str(project), **case.env}
    return cases


def build_cases(venv: Path, backends: list[Backend]) -> list[Case]:
    """The shared baselines, then each case once per backend, the backends' rows next to each other."""
    python = str(venv / "bin" / "python")
    cases = [Case(BASE, [python, "-c", "pass"])]
    if any(b.name == "redis" for b in backends):  # what the hook path must never pay, measured here
        cases.append(Case(IMPORT_REDIS, [python, "-c", "import redis"], backend="redis"))
    if any(b.installed for b in backends):
        cases.append(Case(SH_BASE, ["/bin/sh", "-c", f"{shlex.quote(python)} -c pass"]))
    per_backend = [backend_cases(venv, b) for b in backends]
    names = list(dict.fromkeys(c.name for listed in per_backend for c in listed))
    for name in names:
        cases += [c for listed in per_backend for c in listed if c.name == name]
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
    """One row per case; a case's ratio is taken against its baseline row (shared by every backend)."""
    medians = {(c.name, c.backend): statistics.median(c.samples) for c in cases if c.samples and c.error is None}
    rows = []
    for case in cases:
        key = (case.name, case.backend)
        row = {"case": case.name, "backend": case.backend, "command": shlex.join(case.command),
               "baseline": case.baseline, "n": len(case.samples), "median_ms": None, "min_ms": None,
               "ratio": None, "target": case.target, "verdict": "", "error": case.error}
        if key in medians:
            row["median_ms"] = round(medians[key] * 1000, 2)
            row["min_ms"] = round(min(case.samples) * 1000, 2)
            base = medians.get((case.baseline, ""))
            if base:
                row["ratio"] = round(medians[key] / base, 2)
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
    print(f"{'case':<36} {'backend':<7} {'median ms':>10} {'min ms':>8} {'ratio':>6}  {'vs':<8} target", file=out)
    for row in rows:
        vs = "sh pass" if row["baseline"] == SH_BASE else "pass"
        backend = row["backend"] or "-"
        if row["error"]:
            print(f"{row['case']:<36} {backend:<7} {'FAILED':>10} {'':>8} {'':>6}  {'':<8} {row['error']}", file=out)
            continue
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        target = f"<= {row['target']}x {row['verdict']}" if row["target"] else ""
        print(f"{row['case']:<36} {backend:<7} {row['median_ms']:>10.2f} {row['min_ms']:>8.2f} {ratio:>6}  "
              f"{vs:<8} {target}".rstrip(), file=out)
    for note in notes:
        print(f"note: {note}", file=out)


def parse_backends(value: str) -> list[str]:
    names = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [name for name in names if name not in BACKENDS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"backends: a comma-separated list of {', '.join(BACKENDS)}")
    return names


def start_redis(folder: Path):
    """A private redis-server on loopback (``orch_store_redis.testing``); RuntimeError says why not."""
    sys.dont_write_bytecode = True  # an editable orch_store_redis must not get __pycache__ in the repository
    try:
        from orch_store_redis.testing import RedisServer, redis_server_binary
    except ImportError as exc:
        raise RuntimeError(f"{sys.executable} cannot import orch_store_redis.testing ({exc}): "
                           "run this script with the dev .venv, which has plugins/orch-store-redis") from None
    binary = redis_server_binary()
    if binary is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    return RedisServer(folder, binary).start()


class RedisInfo:
    """``INFO`` over one raw connection (RESP by hand: the runner needs no redis-py, and opens no new connections)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("redis-server closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def read(self, section: str) -> dict[str, str]:
        self.sock.sendall(f"*2\r\n$4\r\nINFO\r\n${len(section)}\r\n{section}\r\n".encode())
        head = self._line()
        if not head.startswith(b"$"):
            raise OSError(f"INFO {section}: {head.decode(errors='replace')}")
        length = int(head[1:])
        while len(self.buffer) < length + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("redis-server closed the connection")
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length + 2:]
        pairs = (line.split(":", 1) for line in body.decode().splitlines() if ":" in line and not line.startswith("#"))
        return {key: value for key, value in pairs}

    def counters(self) -> tuple[int, dict[str, int]]:
        """(connections received so far, calls per command so far), our own INFO calls left out."""
        connections = int(self.read("stats")["total_connections_received"])
        calls = {key.removeprefix("cmdstat_"): int(value.split(",")[0].removeprefix("calls="))
                 for key, value in self.read("commandstats").items() if key != "cmdstat_info"}
        return connections, calls


def imported_redis(importtime: str) -> bool:
    """Whether ``python -X importtime`` output lists the redis package (or one of its modules)."""
    for line in importtime.splitlines():
        if line.startswith("import time:"):
            module = line.rsplit("|", 1)[-1].strip()
            if module == "redis" or module.startswith("redis."):
                return True
    return False


def settled(info: RedisInfo, quiet_s: float = 0.5, limit_s: float = 15.0) -> tuple[int, dict[str, int]]:
    """The server's counters once nothing else moves them: the runtime warms its spare processes in the
    background (their warm-up reads sessions), which must not be counted against the next probe."""
    deadline = time.monotonic() + limit_s
    current = info.counters()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        again = info.counters()
        if again == current:
            break
        current = again
    return current


def redis_checks(venv: Path, backend: Backend, env: dict[str, str]) -> list[dict]:
    """What one hook event costs the Redis server, and whether the ``orch hook`` process imported redis.

    Run after the timed rounds, the resident runtime still up: each probe is
    ``PROBE_EVENTS`` hook events under ``python -X importtime``, with the
    server's command and connection counters read before and after (over one
    connection of ours, opened first). An off session answered without the
    network sends no command; an event the resident runtime answers opens no
    connection (the runtime keeps its own) and imports no redis in the hook process.
    """
    python, orch = str(venv / "bin" / "python"), str(venv / "bin" / "orch")
    no_runtime = {"ORCH_RUNTIME": "0"}
    probes = [("hook (orchestration off)", OFF_SESSION, {}),
              ("hook (off, no runtime: the gate)", OFF_SESSION, no_runtime),
              ("hook (orchestration on)", ON_SESSION, {}),
              ("hook (on, no runtime)", ON_SESSION, no_runtime)]
    if backend.http_hook is not None:  # PreToolUse as Claude Code sends it: no orch process at all
        probes += [("http hook (orchestration off)", OFF_SESSION, None),
                   ("http hook (orchestration on)", ON_SESSION, None)]
    checks = []
    info = RedisInfo(backend.server.port)
    try:
        for name, session, extra in probes:
            check = {"case": name, "events": PROBE_EVENTS, "commands": 0, "by_command": {},
                     "new_connections": 0, "imports_redis": None if extra is None else False, "error": None}
            before_connections, before_calls = settled(info)
            for _ in range(PROBE_EVENTS):
                body = hook_input(session, backend.project)()
                if extra is None:
                    try:
                        status = post_hook(*backend.http_hook, body)
                    except OSError as exc:
                        check["error"] = f"POST failed: {exc}"
                        break
                    if status != 200:
                        check["error"] = f"http {status}"
                        break
                    continue
                try:
                    done = subprocess.run([python, "-X", "importtime", orch, "hook"], input=body,
                                          env=dict(backend.env, **extra), cwd=backend.project, capture_output=True,
                                          timeout=COMMAND_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    check["error"] = f"timed out after {COMMAND_TIMEOUT_S}s"
                    break
                if done.returncode != 0:
                    check["error"] = f"exit {done.returncode}"
                    break
                check["imports_redis"] |= imported_redis(done.stderr.decode(errors="replace"))
            after_connections, after_calls = info.counters()
            by_command = {cmd: calls - before_calls.get(cmd, 0) for cmd, calls in sorted(after_calls.items())
                          if calls > before_calls.get(cmd, 0)}
            check.update(commands=sum(by_command.values()), by_command=by_command,
                         new_connections=after_connections - before_connections)
            checks.append(check)
    finally:
        info.close()
    return checks


def print_checks(checks: list[dict], out) -> None:
    print(f"redis checks ({PROBE_EVENTS} hook events each, after the timed rounds, runtime up):", file=out)
    for check in checks:
        if check["error"]:
            print(f"  {check['case']:<34} FAILED: {check['error']}", file=out)
            continue
        listed = ", ".join(f"{cmd} {n}" for cmd, n in check["by_command"].items()) or "none"
        imported = {None: "no process", True: "yes", False: "no"}[check["imports_redis"]]
        print(f"  {check['case']:<34} redis commands {check['commands']:>3} ({listed}); "
              f"new connections {check['new_connections']}; hook process imported redis: {imported}", file=out)
    for check in checks:
        if "off" in check["case"] and not check["error"] and (
                check["commands"] or check["new_connections"] or check["imports_redis"]):
            print(f"  FINDING: {check['case']}: an orchestration-off event reached the Redis server "
                  f"or imported redis: that path is not network-free", file=out)


def setup_backend(name: str, workdir: Path, orch: str, common_env: dict[str, str], notes: list[str],
                  label: bool) -> tuple[Backend, bool]:
    """The backend's own project with the three sessions (and for redis its server); (backend, setup failed)."""
    project = workdir / name / "project"
    (project / ".claude").mkdir(parents=True)
    backend = Backend(name, project, dict(common_env, CLAUDE_PROJECT_DIR=str(project)))
    own: list[str] = []
    if name == "redis":
        python = str(Path(orch).with_name("python"))
        try:
            run([python, "-c", "import orch_store_redis.store"], backend.env, project)
        except CommandFailed as exc:
            raise RuntimeError(f"{python} has no orch-store-redis (install plugins/orch-store-redis): {exc}") from None
        backend.server = start_redis(workdir / name / "redis-server")
        config = {"store": {"backend": "redis", "url": backend.server.url, "prefix": REDIS_PREFIX}}
        (project / ".claude" / "orchcore.json").write_text(json.dumps(config, indent=2) + "\n")
    prepare(project, orch, backend.env, own)
    backend.installed = installed_commands(project, orch, backend.env, own)
    backend.http_hook = http_hook(project)
    if backend.server is not None:
        info = RedisInfo(backend.server.port)
        try:
            keys = info.read("keyspace").get("db0", "keys=0").split(",")[0].removeprefix("keys=")
        finally:
            info.close()
        if keys == "0":
            own.append("setup: the Redis server holds no keys after setup: is orch-store-redis installed in the venv?")
    failed = any(note.startswith(("setup", "`orch install")) for note in own)
    notes += [f"{name}: {note}" if label else note for note in own]
    return backend, failed


def stop_runtime(orch: str, backend: Backend) -> None:
    """Stop the backend's resident runtime before its folder goes: one still writing could make it again."""
    try:
        run([orch, "runtime", "stop"], backend.env, backend.project)
    except CommandFailed:
        pass  # none running, or it is going anyway: the folder is removed next


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
    parser.add_argument("--backends", type=parse_backends, default=["sqlite"],
                        help="store backends to run every case on, comma-separated: sqlite, redis (default: sqlite); "
                             "redis starts a private redis-server on loopback")
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
    env = clean_env(workdir / args.backends[0] / "project", workdir)
    backends: list[Backend] = []
    cases: list[Case] = []
    checks: list[dict] = []
    setup_failed = False
    try:
        for name in args.backends:
            try:
                backend, failed = setup_backend(name, workdir, str(orch), env, notes, len(args.backends) > 1)
            except (RuntimeError, OSError) as exc:
                print(f"hotpath: cannot set up the {name} backend: {exc}", file=sys.stderr)
                return 1
            backends.append(backend)
            setup_failed |= failed
        compile_if_editable(str(python), venv, backends[0].env, backends[0].project, notes)
        cases = build_cases(venv, backends)
        measure(cases, args.rounds, args.warmup, env, workdir)
        for backend in backends:
            if backend.server is not None:
                checks += redis_checks(venv, backend, env)
    finally:
        for backend in backends:
            stop_runtime(str(orch), backend)
            if backend.server is not None:
                backend.server.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    rows = results(cases)
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    header = (f"{args.rounds} rounds (+{args.warmup} warm-up) on {os.cpu_count()} cores, Python {version}, "
              f"venv {venv}, backends {', '.join(args.backends)}")
    server_version = ""
    if any(b.server is not None for b in backends):
        binary = next(b.server.binary for b in backends if b.server is not None)
        server_version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
        header += f" ({server_version.split(' sha=')[0]}, loopback, AOF appendfsync always)"
    out = sys.stderr if args.json_path == "-" else sys.stdout
    print_table(rows, header, notes, out)
    if checks:
        print_checks(checks, out)
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "rounds": args.rounds, "warmup": args.warmup,
              "cpus": os.cpu_count(), "python": version, "venv": str(venv), "backends": args.backends,
              "redis_server": server_version, "installed": {b.name: b.installed for b in backends},
              "notes": notes, "results": rows, "redis_checks": checks}
    if args.json_path == "-":
        print(json.dumps(report, indent=2))
    elif args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n")
    failed = [f"{row['case']} [{row['backend']}]" if row["backend"] else row["case"] for row in rows if row["error"]]
    failed += [f"redis check {check['case']}" for check in checks if check["error"]]
    if failed:
        print(f"hotpath: {len(failed)} case(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or setup_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
