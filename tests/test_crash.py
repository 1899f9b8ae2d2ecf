"""Crash trials: eight writers, one of them (and in a third of the trials the resident worker) killed with SIGKILL.

Claude Code kills hook processes when a session ends or times out, users
kill runaway terminals, machines lose power: a writer may die at any
instruction, in the middle of a transaction or between the store's commit and
its answer. Whatever dies, what was acknowledged must stay, once.

Each trial is a fresh project with two shared sessions and eight real
processes released at one moment: four send Claude Code hook payloads
(PreToolUse and PostToolUse of unique tool calls) through the real ``orch
hook`` entry point, which hands them to the resident worker; two emit events
through ``runtime.bus.emit``; two through ``orch events emit`` (forked from
the worker's warm zygote while it runs). A writer appends a line to its own
acknowledgement file only after the hook answered (a test plugin's context in
the answer proves the router routed it) or the emit returned. At a moment
drawn from the trial's seed one writer is killed with ``kill -9`` (its process
group: the ``orch`` process it waits for dies with it) and in every third
trial the worker's server too; the others finish. Then: SQLite's
``integrity_check`` says ok, each session's stored state equals the fold of
its log, the seqs are 1..N, every acknowledged id is in the log exactly once
and no id is in it twice.

A failing trial names its seed in its test id and its message: rerun it alone
with ``pytest 'tests/test_crash.py::test_a_crash_keeps_every_acknowledged_event_once_and_the_state_the_fold_of_the_log[seed17]'``
(who is killed and after how many acknowledgements is drawn from the seed; the
interleaving of the processes is the machine's). ``-s`` prints each trial's
report: when the kills came, the phases' times, and the hook events left
unanswered (a worker killed with events in flight; never acknowledged, so
never counted as missing).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from orchcore.models import unstructure
from orchcore.resident import client
from orchcore.runtime import Runtime
from orchcore.testing import orch_executable, write_distribution

TRIALS = 50
ROLES = ["hook"] * 4 + ["bus"] * 2 + ["cli"] * 2
COUNTS = {"hook": 2, "bus": 8, "cli": 2}  # tool calls (two hook events each) / emits per writer
ACKS = {"hook": 2 * COUNTS["hook"], "bus": COUNTS["bus"], "cli": COUNTS["cli"]}
SESSIONS = ["c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"]
DEADLINE_S = 90  # a hung trial fails instead of hanging the suite

# Answers every tool event with a context naming the call: an answer that carries it was routed.
ACK_PLUGIN = '''
from orchcore.api import HookHandler, HookResult, hookimpl


def ack(event, context):
    return HookResult.context(f"ack {event.get('tool_use_id')}")


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="ack", events=["PreToolUse", "PostToolUse"], handler=ack)]
'''

# One writer: gets ready, waits for the "go" file, writes its ids (acknowledging each after success),
# then waits for the "release" file.
WRITER = textwrap.dedent(
    """
    import json, os, subprocess, sys, time

    role, n, count, folder, orch, project = sys.argv[1:7]
    sessions = sys.argv[7:]
    go, ready, acks, finished, release = (os.path.join(folder, name)
                                          for name in ("go", f"ready-{n}", f"acks-{n}", f"done-{n}", "release"))
    n, count = int(n), int(count)


    def ack(session, ident):
        with open(acks, "a") as f:
            f.write(f"{session} {ident}\\n")


    def unacked(ident, why):
        print(f"{ident}: {why}", flush=True)


    if role == "bus":
        from orchcore.runtime import Runtime

        runtime = Runtime()
        bus = runtime.bus
        bus.types  # import the plugins before the barrier
    open(ready, "w").close()
    while not os.path.exists(go):
        time.sleep(0.002)

    for i in range(count):
        session = sessions[(n + i) % len(sessions)]
        ident = f"w{n}-{i}"
        if role == "bus":
            bus.emit(session, "metric.recorded", {"name": "ticks", "value": 1, "id": ident}, source=f"writer-{n}")
            ack(session, ident)
        elif role == "cli":
            data = json.dumps({"name": "ticks", "value": 1, "id": ident})
            done = subprocess.run([orch, "events", "emit", "metric.recorded", "--session", session,
                                   "--source", f"writer-{n}", "--data", data], capture_output=True, text=True)
            if done.returncode == 0:
                ack(session, ident)
            else:
                unacked(ident, f"exit {done.returncode}: {done.stderr.strip()}")
        else:
            for name in ("PreToolUse", "PostToolUse"):
                payload = {"session_id": session, "transcript_path": "", "cwd": project,
                           "permission_mode": "default", "hook_event_name": name, "tool_name": "Bash",
                           "tool_input": {"command": f"echo {ident}"}, "tool_use_id": ident}
                if name == "PostToolUse":
                    payload["tool_response"] = {"stdout": ident, "stderr": "", "interrupted": False}
                done = subprocess.run([orch, "hook"], input=json.dumps(payload), capture_output=True, text=True)
                if done.returncode == 0 and f"ack {ident}" in done.stdout:
                    ack(session, f"{name}:{ident}")
                else:
                    unacked(f"{name}:{ident}", f"exit {done.returncode}, answer {done.stdout.strip()!r}")
    open(finished, "w").close()
    while not os.path.exists(release):  # the victim must not end before it is killed
        time.sleep(0.002)
    """
)


@pytest.fixture
def crash_env(orch_project: Path, tmp_path: Path, tmp_path_factory, monkeypatch) -> dict[str, str]:
    """The writers' environment: this project, the ack plugin installed, a private socket folder."""
    site = tmp_path / "site"
    write_distribution(site, "orchtest-ack", "1.0", {"ack": "orchtest_ack"}, {"orchtest_ack.py": ACK_PLUGIN})
    (tmp_path / "t").mkdir()
    # The plugin index is a cache: one for every trial, as on a machine that ran orch before.
    monkeypatch.setenv("ORCH_CACHE_DIR", str(_shared_cache(tmp_path_factory)))
    env = dict(os.environ)  # orch_project removed the developer's ORCH_* / CLAUDE_* variables
    env.update(
        PYTHONPATH=str(site),
        CLAUDE_PROJECT_DIR=str(orch_project),
        ORCH_STATE_DIR=str(orch_project / ".claude" / "state"),
        TMPDIR=str(tmp_path / "t"),  # the worker's sockets, inside tmp_path
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    assert client.socket_path(env).startswith(str(tmp_path)), "tmp_path is too long for a socket path"
    setup = Runtime(project=orch_project)
    for session in SESSIONS:
        setup.bus.create_session(session, orchestration_enabled=True)
    setup.close()
    yield env
    stop_worker(env)


def _shared_cache(factory) -> Path:
    path = factory.getbasetemp() / "crash-cache"
    path.mkdir(exist_ok=True)
    return path


def worker_processes(env: dict[str, str]) -> list[int]:
    """Supervisors, servers, zygote and forked commands of this test's worker (all carry its socket path)."""
    found = subprocess.run(["pgrep", "-f", f"orchcore.resident {client.socket_path(env)}"],
                           capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def stop_worker(env: dict[str, str]) -> None:
    """Kill what is left of the worker and wait until it is gone, so nothing writes while the store is checked."""
    deadline = time.monotonic() + 10
    while (pids := [pid for pid in worker_processes(env) if alive(pid)]) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that is gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def kill_server(env: dict[str, str], first: int) -> None:
    """SIGKILL the worker's server: the one answering now (it restarts when its code changes), else the first."""
    status = client.status(env, timeout_s=1.0)
    try:
        os.kill(status["pid"] if status else first, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had stopped already; its supervisor is starting the next one


def acked(folder: Path, n: int) -> list[tuple[str, str]]:
    """(session, id) of each whole line writer ``n`` wrote: killed mid-write, it leaves at most a partial last line."""
    path = folder / f"acks-{n}"
    text = path.read_text() if path.exists() else ""
    return [tuple(line[:-1].split(" ")) for line in text.splitlines(keepends=True) if line.endswith("\n")]


def logged_id(event) -> str:
    if event.type == "hook.handled":
        return f"{event.data['event']}:{event.data['tool_use_id']}"
    return event.data["id"]


class Trial:
    """One trial's plan, drawn from its seed: who dies, and after how many acknowledgements."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.seed = seed
        self.victim = rng.randrange(len(ROLES))
        self.victim_at = rng.randrange(ACKS[ROLES[self.victim]])  # killed once it has acknowledged this many ...
        self.victim_delay = rng.uniform(0, 0.03)  # ... and this much later
        self.kill_worker = seed % 3 == 0
        # The worker dies once the writers that go through it have acknowledged this many, and this much later.
        self.worker_at = rng.randrange(sum(ACKS[role] for role in ROLES if role != "bus"))
        self.worker_delay = rng.uniform(0, 0.03)

    def due(self, counts: list[int]) -> dict[str, bool | None]:
        """Whether each kill is due, given how many each writer acknowledged; None: not planned in this trial."""
        through_worker = sum(count for count, role in zip(counts, ROLES) if role != "bus")
        return {"victim": counts[self.victim] >= self.victim_at,
                "worker": through_worker >= self.worker_at if self.kill_worker else None}


def run_trial(trial: Trial, folder: Path, env: dict[str, str]) -> dict:
    """Start the worker and the writers, kill as planned, let the others finish; what happened, for the report."""
    seed, phases = trial.seed, {"begin": time.monotonic()}
    client.start(client.socket_path(env), env)  # as `orch hook` does; it warms up while the writers do
    script = folder / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    procs = [
        subprocess.Popen([sys.executable, str(script), role, str(n), str(COUNTS[role]), str(folder), orch_executable(),
                          env["CLAUDE_PROJECT_DIR"], *SESSIONS],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        for n, role in enumerate(ROLES)
    ]
    killed: dict[str, float] = {}
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not all((folder / f"ready-{n}").exists() for n in range(len(ROLES))):
            failed = [p for p in procs if p.poll() is not None]
            assert not failed, f"seed {seed}: a writer died before the barrier: {failed[0].communicate()[1]}"
            assert time.monotonic() < deadline, f"seed {seed}: writers never got ready"
            time.sleep(0.005)
        assert client.wait_until_up(client.socket_path(env), DEADLINE_S), f"seed {seed}: the worker never came up"
        worker = client.status(env)["pid"]
        started = phases["writers ready"] = time.monotonic()
        (folder / "go").touch()
        reached: dict[str, float] = {}
        victims = {"victim": lambda: os.killpg(procs[trial.victim].pid, signal.SIGKILL),
                   "worker": lambda: kill_server(env, worker)}
        delays = {"victim": trial.victim_delay, "worker": trial.worker_delay}
        released = False
        while any(p.poll() is None for p in procs):
            assert time.monotonic() < deadline, f"seed {seed}: writers hung: {[p.poll() for p in procs]}"
            now = time.monotonic()
            # The others done (the victim's or the worker's moment never came: their events went unanswered): now.
            finished = all((folder / f"done-{n}").exists() for n in range(len(ROLES)) if n != trial.victim)
            for who, due in trial.due([len(acked(folder, n)) for n in range(len(ROLES))]).items():
                if due is not None and who not in killed and (
                        finished or due and now - reached.setdefault(who, now) >= delays[who]):
                    victims[who]()
                    killed[who] = round(now - started, 3)
            if not released and len(killed) == 1 + trial.kill_worker:
                (folder / "release").touch()
                released = True
            time.sleep(0.002)
        outputs = [p.communicate() for p in procs]
        phases["writers done"] = time.monotonic()
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    stop_worker(env)  # and whatever the killed writer left running in it

    unanswered: dict[int, list[str]] = {}
    for n, (p, (out, err)) in enumerate(zip(procs, outputs)):
        if n == trial.victim:
            assert p.returncode == -signal.SIGKILL, f"seed {seed}: writer {n} ended on its own"
            continue
        assert "database is locked" not in err.lower(), f"seed {seed}: writer {n}: {err}"
        assert p.returncode == 0 and not err, f"seed {seed}: writer {n} ({ROLES[n]}) exited {p.returncode}: {err}"
        if out:
            unanswered[n] = out.splitlines()
    t0 = phases.pop("begin")
    return {"seed": seed, "victim": f"{trial.victim} ({ROLES[trial.victim]})", "killed_at_s": killed,
            "unanswered": unanswered, "phases_s": {k: round(v - t0, 2) for k, v in phases.items()}}


def check_store(seed: int, folder: Path, project: Path) -> None:
    """integrity_check; state = fold of the log; seqs 1..N; every acknowledged id logged, no id twice."""
    state_dir = project / ".claude" / "state"
    databases = sorted(state_dir.glob("*.db"))
    assert databases, f"seed {seed}: no database in {state_dir}"
    for database in databases:
        conn = sqlite3.connect(database)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"seed {seed}: {database}"
        finally:
            conn.close()

    logged: Counter[tuple[str, str]] = Counter()
    runtime = Runtime(project=project)
    try:
        store = runtime.store
        assert store.integrity_problem() is None, f"seed {seed}: {store.integrity_problem()}"
        infos = {info.session_id: info for info in store.sessions()}
        assert sorted(infos) == sorted(SESSIONS), f"seed {seed}: sessions {sorted(infos)}"
        for session in SESSIONS:
            events = store.events(session)
            seqs = [e.seq for e in events]
            assert seqs == list(range(1, len(events) + 1)) and infos[session].last_seq == len(events), (
                f"seed {seed}: the seqs of {session} are not 1..N: {seqs} (last_seq {infos[session].last_seq})")
            assert events[0].type == "session.created"
            others = [e for e in events[1:] if e.type not in ("hook.handled", "metric.recorded")]
            assert not others, f"seed {seed}: unexpected events in {session}: {others}"
            logged.update((session, logged_id(e)) for e in events[1:])
            stored, folded = unstructure(store.get(session)), unstructure(runtime.bus.replay(session))
            assert stored == folded, f"seed {seed}: the state of {session} is not the fold of its log"
    finally:
        runtime.close()

    twice = sorted(entry for entry, count in logged.items() if count > 1)
    assert not twice, f"seed {seed}: in the log more than once: {twice}"
    for n, role in enumerate(ROLES):
        missing = [entry for entry in acked(folder, n) if entry not in logged]
        assert not missing, f"seed {seed}: writer {n} ({role}) had these acknowledged, and they are not logged: {missing}"


@pytest.mark.parametrize("seed", range(TRIALS), ids=[f"seed{n}" for n in range(TRIALS)])
def test_a_crash_keeps_every_acknowledged_event_once_and_the_state_the_fold_of_the_log(
    seed, tmp_path, crash_env, orch_project
):
    report = run_trial(Trial(seed), tmp_path, crash_env)
    check_store(seed, tmp_path, orch_project)
    print(f"\n{report}")


def queued_connections(path: str) -> int:
    """How many connections wait in the accept queue of the listening Unix socket at ``path`` (``ss``' Recv-Q)."""
    fields = subprocess.run(["ss", "-xlH", "src", path], capture_output=True, text=True).stdout.split()
    return int(fields[2]) if fields else 0


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to see the socket's accept queue")
def test_a_worker_that_stops_answers_the_hook_events_queued_for_it(tmp_path, crash_env, orch_project):
    """A worker that goes stale (its code changed) with hook events waiting in its socket's queue answers each.

    It used to close its socket on them: each ``orch hook`` had sent its
    event, read a reset, and passed through unanswered, its event never
    recorded. Frozen with SIGSTOP while three hooks queue up, then its code
    touched and the worker thawed: every hook gets its answer (in-process,
    after the worker says STALE) and every event is in the log once.
    """
    env, path = crash_env, client.socket_path(crash_env)
    client.start(path, env)
    assert client.wait_until_up(path, DEADLINE_S)
    worker = client.status(env)["pid"]
    ids = [f"queued-{n}" for n in range(3)]
    os.kill(worker, signal.SIGSTOP)
    try:
        hooks = []
        for ident in ids:
            payload = {"session_id": SESSIONS[0], "transcript_path": "", "cwd": str(orch_project),
                       "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "true"},
                       "tool_use_id": ident}
            (tmp_path / ident).write_text(json.dumps(payload))
            with open(tmp_path / ident) as stdin:
                hooks.append(subprocess.Popen([orch_executable(), "hook"], env=env, stdin=stdin,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        deadline = time.monotonic() + DEADLINE_S
        while queued_connections(path) < len(ids):
            assert time.monotonic() < deadline, "the hooks never reached the worker's queue"
            time.sleep(0.01)
        plugin = tmp_path / "site" / "orchtest_ack.py"
        stamp = plugin.stat().st_mtime + 5
        os.utime(plugin, (stamp, stamp))
    finally:
        os.kill(worker, signal.SIGCONT)
    answers = [hook.communicate(timeout=DEADLINE_S)[0] for hook in hooks]

    for ident, hook, answer in zip(ids, hooks, answers):
        assert hook.returncode == 0 and f"ack {ident}" in answer, f"{ident}: exit {hook.returncode}, {answer!r}"
    stop_worker(env)
    runtime = Runtime(project=orch_project)
    try:
        handled = [e.data["tool_use_id"] for e in runtime.store.events(SESSIONS[0]) if e.type == "hook.handled"]
    finally:
        runtime.close()
    assert sorted(handled) == ids
