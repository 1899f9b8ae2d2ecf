"""The real-client benchmark: what orchcore adds to a Claude Code session, per tool call.

The hot-path benchmark times single processes; this one times what a user
waits for. It drives the pinned Claude Code binary (``claude -p``) against
the scripted fake Messages API of the end-to-end tests through a session of
N Bash tool calls (``{"command": "true"}``, then the answer "done"), in
shuffled interleaved rounds, across four setups, each in its own throwaway
project and HOME:

* ``no hooks``: nothing wired (the reference);
* ``python -c pass``: a command hook ``<venv python> -c pass`` on every event
  ``orch install`` wires, with the same matchers (the cost of any Python hook);
* ``orchcore off``: ``orch install --scope project``, orchestration off (the default);
* ``orchcore on``: the same with ``{"orchestration": {"enabled": true}}`` in
  ``.claude/orchcore.json``, written before ``orch install``.

    .venv/bin/python benchmarks/realclient.py [--tool-calls 20] [--rounds 7] [--json results.json]
    .venv/bin/python benchmarks/realclient.py --tool-calls 10,40     # also: fixed vs per-call cost
    .venv/bin/python benchmarks/realclient.py --quickstart           # measure .venv instead
    .venv/bin/python benchmarks/realclient.py --backend redis        # orchcore's state on a Redis server

By default it measures the stock non-editable install of
``benchmarks/stockvenv.py`` (built once per source change, outside the
repository). Reported per setup: the median wall time of a session and the
**added ms per tool call**, ``(median(setup) - median(no hooks)) / N``; with
several N, the least-squares slope and intercept separate the per-call cost
from the fixed per-session cost. Targets: orchcore on <= 5 ms per tool call,
off <= 2 ms. Every run must answer "done"; for the orchcore setups the
session's recorded ``hook.handled`` events are counted in one run, and "on"
fails unless every PreToolUse was recorded, so a broken wiring cannot pass
as fast. Nothing is written into the repository: projects and HOMEs live in
a temporary folder that is deleted at the end (``--keep`` keeps it).

``--backend redis`` stores the orchcore setups' state on a private
``redis-server`` on loopback (``orch_store_redis.testing``), named in their
``.claude/orchcore.json`` (a key prefix each) and stopped at the end; the
other setups wire no orchcore and stay as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.dont_write_bytecode = True  # importing the e2e helpers and stockvenv must not write into the repository
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.e2e.claude_binary import CLAUDE_CODE_VERSION, ClaudeBinaryUnavailable, ensure_claude_binary  # noqa: E402
from tests.e2e.fake_api import FakeAnthropicAPI, text, tool_use  # noqa: E402
from tests.e2e.harness import claude_env, init_project, run_claude_print, write_claude_json  # noqa: E402

BARE, NO_HOOKS, PYTHON_PASS, HTTP_FLOOR, ORCH_OFF, ORCH_ON = (
    "bare project", "no hooks", "python -c pass", "http floor", "orchcore off", "orchcore on")
SETUPS = (BARE, NO_HOOKS, PYTHON_PASS, HTTP_FLOOR, ORCH_OFF, ORCH_ON)
# What `orch install` renders besides the wiring (the plugins' agents, commands, output styles): Claude Code
# reads it at every start, hooks or not. Every setup but the bare project has it, so "added ms" is the hooks'.
RENDERED = ("agents", "commands", "output-styles")
TARGETS_MS_PER_CALL = {ORCH_ON: 5.0, ORCH_OFF: 2.0}
PROMPT = "benchmark: run `true` with the Bash tool {n} times, then answer done"
PROMPT_RE = re.compile(r"run `true` with the Bash tool (\d+) times")
# The resident runtime stays up across rounds, and goes soon after (also with --keep).
CLAUDE_EXTRA_ENV = {"ORCH_RUNTIME_IDLE_S": "120", "ORCH_RUNTIME_LINGER_S": "120"}


@dataclass
class Setup:
    name: str
    project: Path
    home: Path
    env: dict[str, str]
    samples: dict[int, list[float]] = field(default_factory=dict)
    error: str | None = None
    first_session: tuple[str, int] | None = None  # (session id, tool calls) of its first good run
    check: str = ""  # what the wiring check found


def script(request):
    """Stateless: the prompt says how many calls; the tool results so far say how many are done."""
    found = PROMPT_RE.search(request.messages_text)
    wanted = int(found.group(1)) if found else 0
    if len(request.all_tool_results) < wanted:
        return tool_use("Bash", {"command": "true"})
    return text("done")


# -- setups ----------------------------------------------------------------------


def orch_run(venv: Path, args: list[str], setup: Setup, check: bool = True) -> subprocess.CompletedProcess:
    """The venv's orch in the setup's project, as a user runs it in a terminal there."""
    env = {k: v for k, v in setup.env.items() if k != "CLAUDE_PROJECT_DIR"}
    done = subprocess.run([str(venv / "bin" / "orch"), *args], cwd=setup.project, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise RuntimeError(f"orch {' '.join(args)} exited {done.returncode}: "
                           f"{(done.stderr or done.stdout).strip()[-500:]}")
    return done


def new_setup(name: str, workdir: Path, fake_url: str) -> Setup:
    folder = workdir / re.sub(r"\W+", "-", name).strip("-")
    project = init_project(folder / "project")
    home = folder / "home"
    write_claude_json(home, [project])
    return Setup(name, project, home, claude_env(home, fake_url, extra=CLAUDE_EXTRA_ENV))


def install_orchcore(setup: Setup, venv: Path, enabled: bool, store: dict | None = None) -> dict:
    """``orch install --scope project``; the project config (orchestration on, the store) is written first."""
    config = {}
    if enabled:  # before install, as a user who wants every session orchestrated would
        config["orchestration"] = {"enabled": True}
    if store:
        config["store"] = store
    if config:
        (setup.project / ".claude" / "orchcore.json").write_text(json.dumps(config, indent=2) + "\n")
    orch_run(venv, ["install", "--scope", "project"], setup)
    return json.loads((setup.project / ".claude" / "settings.json").read_text())


def wired_events(venv: Path) -> dict:
    """Settings with one placeholder command per event orchcore wires, from the venv's orchcore.install.

    Only used when no ``orch install`` of this run wrote settings to copy.
    """
    code = ("import json; from orchcore.install import WIRED_EVENTS as W, NO_MATCHER_EVENTS as N, HOOK_TIMEOUT_S as T;"
            "print(json.dumps({'hooks': {e: [dict(({} if e in N else {'matcher': '*'}), "
            "hooks=[{'type': 'command', 'command': 'orch hook', 'timeout': T}])] for e in W}}))")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"cannot read orchcore.install.WIRED_EVENTS: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout)


def rewired(orch_settings: dict, handler, status_command: str) -> dict:
    """orchcore's wiring (events, matchers) with each handler replaced by ``handler(it)``."""
    hooks = {
        event: [{**{k: v for k, v in entry.items() if k != "hooks"},
                 "hooks": [handler(h) for h in entry.get("hooks", [])]} for entry in entries]
        for event, entries in orch_settings.get("hooks", {}).items()
    }
    return {"hooks": hooks, "statusLine": {"type": "command", "command": status_command, "padding": 0}}


def python_pass_settings(orch_settings: dict, python: Path) -> dict:
    """orchcore's wiring with every handler, command or http, replaced by ``python -c pass``."""
    command = f"{shlex.quote(str(python))} -c pass"
    return rewired(orch_settings, lambda h: {"type": "command", "command": command, "timeout": 30}, command)


def null_hook_server() -> int:
    """A server that answers every POST at once with an empty 200: what Claude Code's http hooks cost by themselves.

    One write per reply and TCP_NODELAY, like the resident runtime, so the
    difference between the two is orchcore's own work.
    """
    import socket
    import threading

    def serve(conn: socket.socket) -> None:
        buffered = b""
        reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n"
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                while b"\r\n\r\n" not in buffered:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffered += chunk
                head, _, rest = buffered.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                buffered = rest[length:]
                conn.sendall(reply)
        except OSError:
            pass
        finally:
            conn.close()

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def http_floor_settings(orch_settings: dict, python: Path, port: int) -> dict:
    """orchcore's wiring with its http hooks posting to the null server and its commands ``python -S -c pass``."""
    command = f"{shlex.quote(str(python))} -S -c pass"
    return rewired(orch_settings, lambda h: {**h, "url": f"http://127.0.0.1:{port}/null"} if h.get("type") == "http"
                   else {"type": "command", "command": command, "timeout": 30}, command)


def make_setups(workdir: Path, venv: Path, fake_url: str, notes: list[str],
                redis_url: str | None = None) -> list[Setup]:
    setups = {name: new_setup(name, workdir, fake_url) for name in SETUPS}
    wiring = None
    for name, enabled in ((ORCH_OFF, False), (ORCH_ON, True)):
        store = None
        if redis_url:  # one server, a key prefix per setup
            store = {"backend": "redis", "url": redis_url, "prefix": f"realclient-{'on' if enabled else 'off'}"}
        try:
            wiring = install_orchcore(setups[name], venv, enabled, store)
        except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
            setups[name].error = f"orch install failed: {exc}"
    if wiring is None:
        try:
            wiring = wired_events(venv)
            notes.append("python -c pass hooks use orchcore.install.WIRED_EVENTS (no orch install succeeded)")
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            setups[PYTHON_PASS].error = str(exc)
    rendered = setups[ORCH_OFF].project / ".claude"
    for name in (NO_HOOKS, PYTHON_PASS, HTTP_FLOOR):
        for folder in RENDERED:
            if (rendered / folder).is_dir():
                shutil.copytree(rendered / folder, setups[name].project / ".claude" / folder, dirs_exist_ok=True)
    if wiring is not None:
        settings = python_pass_settings(wiring, venv / "bin" / "python")
        (setups[PYTHON_PASS].project / ".claude" / "settings.json").write_text(json.dumps(settings, indent=2))
        floor = http_floor_settings(wiring, venv / "bin" / "python", null_hook_server())
        (setups[HTTP_FLOOR].project / ".claude" / "settings.json").write_text(json.dumps(floor, indent=2))
        kinds = {h.get("type") for entries in wiring.get("hooks", {}).values() for e in entries for h in e["hooks"]}
        notes.append(f"{len(settings['hooks'])} events wired ({', '.join(sorted(map(str, kinds)))} handlers)")
    return list(setups.values())


# -- running ----------------------------------------------------------------------


def run_once(binary: Path, setup: Setup, calls: int, timeout: float) -> tuple[float, str]:
    """One session of ``calls`` tool calls; returns (seconds, session id) or raises RuntimeError."""
    session_id = str(uuid.uuid4())
    try:
        result = run_claude_print(binary, PROMPT.format(n=calls), cwd=setup.project, env=setup.env,
                                  session_id=session_id, max_turns=calls + 10, timeout=timeout)
    except AssertionError as exc:  # ClaudeRunError: exit code, timeout or no JSON
        raise RuntimeError(str(exc).strip().splitlines()[0][:300]) from None
    if result.text.strip() != "done":
        raise RuntimeError(f"the session answered {result.text.strip()[:120]!r}, not 'done'")
    return result.duration, session_id


def measure(binary: Path, setups: list[Setup], counts: list[int], rounds: int, warmup: int,
            timeout: float) -> None:
    for round_number in range(warmup + rounds):
        label = "warm-up" if round_number < warmup else f"round {round_number - warmup + 1}/{rounds}"
        work = [(setup, n) for setup in setups if setup.error is None for n in counts]
        random.shuffle(work)
        for setup, calls in work:
            if setup.error is not None:
                continue
            try:
                seconds, session_id = run_once(binary, setup, calls, timeout)
            except RuntimeError as exc:
                setup.error = str(exc)
                continue
            if setup.first_session is None:
                setup.first_session = (session_id, calls)
            if round_number >= warmup:
                setup.samples.setdefault(calls, []).append(seconds)
        line = ", ".join(f"{s.name} {statistics.median(s.samples[counts[-1]]):.2f}s"
                         for s in setups if s.samples.get(counts[-1]))
        print(f"realclient: {label} done{': ' + line if line else ''}", file=sys.stderr, flush=True)


def check_wiring(setup: Setup, venv: Path) -> bool:
    """Count what orchcore recorded for the setup's first session; "on" must have every PreToolUse."""
    if setup.first_session is None:
        return setup.error is not None
    session_id, calls = setup.first_session
    events, recorded = [], "not recorded"
    try:
        listed = orch_run(venv, ["events", "list", "--session", session_id, "--json", "--limit", "0"], setup,
                          check=False)
        if listed.returncode == 0:
            events = json.loads(listed.stdout)
            recorded = f"{len(events)} events"
        else:
            recorded = f"not recorded ({(listed.stderr or listed.stdout).strip()[-160:]})"
    except (ValueError, subprocess.TimeoutExpired) as exc:
        recorded = f"orch events list failed: {exc}"
    by_event: dict[str, int] = {}
    for event in events:
        if event.get("type") == "hook.handled":
            name = str((event.get("data") or {}).get("event"))
            by_event[name] = by_event.get(name, 0) + 1
    pre = by_event.get("PreToolUse", 0)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(by_event.items())) or "none"
    setup.check = (f"session {session_id} ({calls} tool calls): {recorded}; "
                   f"{pre} PreToolUse hook.handled; hook.handled by event: {summary}")
    if setup.name == ORCH_ON and pre < calls:
        setup.error = f"wiring check failed: {pre} PreToolUse recorded for {calls} tool calls"
        return False
    return True


# -- results -------------------------------------------------------------------------


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``seconds = intercept + slope * calls``; returns (slope, intercept)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    return slope, my - slope * mx


def verdict(name: str, added_ms: float | None) -> str:
    target = TARGETS_MS_PER_CALL.get(name)
    if target is None or added_ms is None:
        return ""
    return f"<= {target:g} ms {'met' if added_ms <= target else 'NOT met'}"


def results(setups: list[Setup], counts: list[int]) -> dict:
    reference = next(s for s in setups if s.name == NO_HOOKS)
    rows, slopes = [], []
    for setup in setups:
        for calls in counts:
            values = setup.samples.get(calls, [])
            median = statistics.median(values) if values else None
            ref = reference.samples.get(calls)
            added = None
            if median is not None and ref and setup is not reference and setup.error is None:
                added = (median - statistics.median(ref)) * 1000 / calls
            rows.append({"setup": setup.name, "tool_calls": calls, "n": len(values),
                         "median_s": round(median, 3) if median is not None else None,
                         "min_s": round(min(values), 3) if values else None,
                         "added_ms_per_call": round(added, 2) if added is not None else None,
                         "target_ms": TARGETS_MS_PER_CALL.get(setup.name),
                         "verdict": verdict(setup.name, added), "error": setup.error})
    if len(counts) > 1:
        fits = {}
        for setup in setups:
            points = [(n, statistics.median(setup.samples[n])) for n in counts if setup.samples.get(n)]
            if len(points) == len(counts) and setup.error is None:
                fits[setup.name] = fit(points)
        for setup in setups:
            if setup.name not in fits:
                slopes.append({"setup": setup.name, "error": setup.error or "missing samples"})
                continue
            slope, intercept = fits[setup.name]
            ref = fits.get(NO_HOOKS)
            added_call = (slope - ref[0]) * 1000 if ref and setup.name != NO_HOOKS else None
            added_fixed = (intercept - ref[1]) * 1000 if ref and setup.name != NO_HOOKS else None
            slopes.append({"setup": setup.name, "ms_per_call": round(slope * 1000, 2),
                           "fixed_ms": round(intercept * 1000, 1),
                           "added_ms_per_call": round(added_call, 2) if added_call is not None else None,
                           "added_fixed_ms": round(added_fixed, 1) if added_fixed is not None else None,
                           "verdict": verdict(setup.name, added_call), "error": None})
    return {"rows": rows, "slopes": slopes}


def print_report(report: dict, setups: list[Setup], header: str, notes: list[str], out) -> None:
    print(header, file=out)
    print(f"{'setup':<16} {'calls':>5} {'runs':>4} {'median s':>9} {'min s':>7} {'added ms/call':>14}  target",
          file=out)
    for row in report["rows"]:
        if row["error"] and row["median_s"] is None:
            print(f"{row['setup']:<16} {row['tool_calls']:>5} {row['n']:>4} {'FAILED':>9}  {row['error']}", file=out)
            continue
        added = f"{row['added_ms_per_call']:.2f}" if row["added_ms_per_call"] is not None else "-"
        median = f"{row['median_s']:.3f}" if row["median_s"] is not None else "-"
        low = f"{row['min_s']:.3f}" if row["min_s"] is not None else "-"
        tail = row["verdict"] + (f"  FAILED: {row['error']}" if row["error"] else "")
        print(f"{row['setup']:<16} {row['tool_calls']:>5} {row['n']:>4} {median:>9} {low:>7} {added:>14}  {tail}",
              file=out)
    if report["slopes"]:
        print("\nfit over the tool-call counts: seconds = fixed + per_call * calls", file=out)
        print(f"{'setup':<16} {'ms/call':>8} {'fixed ms':>9} {'added ms/call':>14} {'added fixed ms':>15}  target",
              file=out)
        for row in report["slopes"]:
            if row["error"]:
                print(f"{row['setup']:<16} {'FAILED':>8}  {row['error']}", file=out)
                continue
            added = f"{row['added_ms_per_call']:.2f}" if row["added_ms_per_call"] is not None else "-"
            fixed = f"{row['added_fixed_ms']:.1f}" if row["added_fixed_ms"] is not None else "-"
            print(f"{row['setup']:<16} {row['ms_per_call']:>8.2f} {row['fixed_ms']:>9.1f} {added:>14} {fixed:>15}  "
                  f"{row['verdict']}", file=out)
    for setup in setups:
        if setup.check:
            print(f"check {setup.name}: {setup.check}", file=out)
    for note in notes:
        print(f"note: {note}", file=out)


def parse_counts(value: str) -> list[int]:
    counts = sorted({int(part) for part in value.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("tool calls: positive integers, comma-separated (e.g. 20 or 10,40)")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--venv", type=Path, help="measure the orchcore installed in this venv "
                                                 "(default: the stock venv of benchmarks/stockvenv.py)")
    which.add_argument("--quickstart", action="store_true", help=f"measure {ROOT / '.venv'} (editable)")
    parser.add_argument("--python", default="python3", help="for the stock venv: the interpreter for -m venv")
    parser.add_argument("--tool-calls", type=parse_counts, default=[20], help="N, or several: 10,40 (default 20)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted (default 1)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one claude -p run may take")
    parser.add_argument("--json", dest="json_path", help="also write the results here ('-': stdout, table on stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the projects and HOMEs (the folder is printed)")
    parser.add_argument("--backend", choices=("sqlite", "redis"), default="sqlite",
                        help="where the orchcore setups store state (default sqlite; redis: a private redis-server)")
    args = parser.parse_args()

    if args.quickstart:
        venv = ROOT / ".venv"
    elif args.venv:
        venv = args.venv.expanduser().absolute()
    else:
        from stockvenv import StockVenvError, ensure_stock_venv

        try:
            venv = ensure_stock_venv(args.python)
        except StockVenvError as exc:
            print(f"realclient: cannot build the stock venv: {exc}", file=sys.stderr)
            return 1
    if not (venv / "bin" / "orch").exists():
        print(f"realclient: {venv / 'bin' / 'orch'} does not exist", file=sys.stderr)
        return 1
    try:
        binary = ensure_claude_binary()
    except ClaudeBinaryUnavailable as exc:
        print(f"realclient: no Claude Code {CLAUDE_CODE_VERSION}: {exc}", file=sys.stderr)
        return 1

    if args.backend == "redis":
        check = subprocess.run([str(venv / "bin" / "python"), "-c", "import orch_store_redis.store"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            print(f"realclient: {venv} has no orch-store-redis: {check.stderr.strip()[-300:]}", file=sys.stderr)
            return 1

    notes: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="orch-realclient-"))
    server = None
    if args.backend == "redis":
        from hotpath import start_redis  # one way to start the private server, shared with the hot-path benchmark

        try:
            server = start_redis(workdir / "redis-server")
        except RuntimeError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            print(f"realclient: cannot start redis-server: {exc}", file=sys.stderr)
            return 1
        done = subprocess.run([server.binary, "--version"], capture_output=True, text=True)
        notes.append(f"orchcore setups store on {server.url} ({done.stdout.split(' sha=')[0].strip()}, "
                     "AOF appendfsync always)")
    fake = FakeAnthropicAPI(script=script).start()
    try:
        setups = make_setups(workdir, venv, fake.url, notes, server.url if server else None)
        measure(binary, setups, args.tool_calls, args.rounds, args.warmup, args.timeout)
        for setup in setups:
            if setup.name in (ORCH_OFF, ORCH_ON):
                check_wiring(setup, venv)
        if fake.errors:
            notes.append("fake API errors: " + "; ".join(fake.errors[:3]))
    finally:
        fake.stop()
        if server is not None:
            server.kill()
        if args.keep:
            print(f"realclient: kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)  # a runtime exits when its state folder is gone

    report = results(setups, args.tool_calls)
    version = subprocess.run([str(venv / "bin" / "python"), "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    header = (f"Claude Code {CLAUDE_CODE_VERSION} (claude -p), Bash `true` x {','.join(map(str, args.tool_calls))}, "
              f"{args.rounds} rounds (+{args.warmup} warm-up), {os.cpu_count()} cores, Python {version}, venv {venv}, "
              f"store {args.backend}")
    out = sys.stderr if args.json_path == "-" else sys.stdout
    print_report(report, setups, header, notes, out)
    data = {"date": time.strftime("%Y-%m-%d %H:%M"), "claude_code": CLAUDE_CODE_VERSION, "venv": str(venv),
            "python": version, "cpus": os.cpu_count(), "rounds": args.rounds, "warmup": args.warmup,
            "tool_calls": args.tool_calls, "backend": args.backend, "notes": notes,
            "checks": {s.name: s.check for s in setups if s.check}, **report}
    if args.json_path == "-":
        print(json.dumps(data, indent=2))
    elif args.json_path:
        Path(args.json_path).write_text(json.dumps(data, indent=2) + "\n")
    failed = [s.name for s in setups if s.error]
    if failed:
        print(f"realclient: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
