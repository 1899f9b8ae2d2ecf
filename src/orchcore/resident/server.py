"""The resident runtime's server: hook events, status lines and catch-up, with everything loaded once.

It listens on a private Unix socket (spawned ``orch hook`` / ``orch
statusline`` processes hand their input over, see ``client``) and, when the
project's settings wire Claude Code's http hooks to it, on 127.0.0.1 at the
port those settings name (``http``). Each connection gets a thread; routing
itself is ``orchcore.router`` and ``orchcore.statusline``, exactly what an
in-process ``orch hook`` would run.

When it stops:

* idle: no request for ``ORCH_RUNTIME_IDLE_S`` (600 s), and no session is
  still open: Claude Code's http hooks need the runtime for as long as a
  session may post. A session is open from its first event to its SessionEnd,
  for ``ORCH_RUNTIME_LINGER_S`` (8 h) after its last event, and only while the
  Claude Code process that started it lives (Linux: the SessionStart hook's
  parent, past the shell; elsewhere, or after a restart, it is not known);
* told to stop (SIGTERM, SIGINT);
* stale: the code it loaded changed (a plugin installed or edited, orchcore
  upgraded); it exits with ``RESTART`` and the supervisor starts the new code;
* its state folder was removed, or its socket replaced by another runtime's.

What it missed while it was not running is caught up from Claude Code's
transcripts (``orchcore.recovery``): at start for every open orchestrated
session, and again while a session still has events that cannot be proven
past yet.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from orchcore import gate
from orchcore.resident import RESTART, client
STALE_CHECK_S = 1.0
CATCH_UP_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # while a session has events not yet provably past


class Server:
    """Accepts connections on the Unix socket ``path`` (and on loopback HTTP) and answers each in a thread."""

    def __init__(self, path: str):
        self.path = path
        self.idle_s = _float(os.environ.get("ORCH_RUNTIME_IDLE_S"), 600.0)
        self.linger_s = _float(os.environ.get("ORCH_RUNTIME_LINGER_S"), 8 * 3600.0)
        self.last_used = time.monotonic()
        self.stopping = threading.Event()
        self.exit_code = 0
        self.project = gate.find_project(os.environ)
        self.state_dir = gate.state_dir(os.environ, self.project)
        # Per-request variables come with each request; HTTP requests carry none, so they get these.
        self.base_env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_CODE_SESSION")}
        self.base_env["CLAUDE_PROJECT_DIR"] = self.project
        self.loaded: list[str] = []
        self.fingerprint: tuple = ((), {})
        self.open_sessions: dict[str, float] = {}  # session id -> last activity (monotonic)
        self.owners: dict[str, tuple[int, str]] = {}  # session id -> the Claude Code process that started it
        self.listener = None
        self.endpoint = None
        self.endpoint_problem: str | None = None
        self.catch_up = CatchUp(self)
        self.runtimes = RuntimePool()
        self.started = time.time()
        self.zygote_pipe: int | None = None
        self._lock = threading.Lock()
        from orchcore.housekeeping import Housekeeping

        self.housekeeping = Housekeeping(self.project, self.state_dir, self.base_env)

    # -- start -------------------------------------------------------

    def warm_up(self) -> None:
        self.loaded = self._warm_up()
        self.fingerprint = self._fingerprint()

    def _warm_up(self) -> list[str]:
        """Import what routing needs and every plugin, so requests pay for none of it."""
        import importlib

        for name in ("orchcore.router", "orchcore.protocol", "orchcore.statusline", "orchcore.store.sqlite",
                     "orchcore.recovery", "orchcore.install"):
            importlib.import_module(name)
        from orchcore.plugins import get_plugin_manager

        plugins = get_plugin_manager()
        plugins.load()
        from orchcore.models import Session, structure, unstructure

        plugins.collect("orch_event_types")
        structure(unstructure(Session(session_id="warm-up")), Session)  # cattrs builds its code now
        roots = [os.path.dirname(__import__("orchcore").__file__)]
        roots += [os.path.dirname(r.location) for r in plugins.records.values() if r.location]
        return roots

    def _fingerprint(self) -> tuple:
        """The code this runtime runs: entry points (sys.path folders) and every loaded file of ours.

        Modules imported later come fresh from disk; what was loaded at start
        is what may go stale, so it is recorded once and compared by ``stale``.
        """
        from orchcore.plugins import EntryPointIndex

        stamps = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and path.startswith(tuple(self.loaded)):
                stamps[path] = _mtime(path)
        return tuple(map(tuple, EntryPointIndex.fingerprint())), stamps

    def stale(self) -> bool:
        from orchcore.plugins import EntryPointIndex

        folders, stamps = self.fingerprint
        if tuple(map(tuple, EntryPointIndex.fingerprint())) != folders:
            return True
        return any(_mtime(path) != stamp for path, stamp in stamps.items())

    # -- the loop ----------------------------------------------------

    def serve(self) -> int:
        """Run until idle, stale or replaced; returns the process's exit code."""
        import fcntl
        import signal
        import socket

        if not client.private_folder(self.path, create=True):
            return 0
        signal.signal(signal.SIGTERM, lambda *_: self.stop(0))
        signal.signal(signal.SIGINT, lambda *_: self.stop(0))
        lock = open(self.path + ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another runtime owns this socket: do not even warm up
        try:
            self.warm_up()
            self.start_zygote(lock)
            if os.path.exists(self.path):
                os.remove(self.path)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(self.path)
            os.chmod(self.path, 0o600)
            server.listen(64)
            server.settimeout(0.25)
            identity = os.stat(self.path).st_ino
            _remove(self.path + ".starting")
            self.refresh_endpoint()
            self.catch_up.start(self.recently_open_sessions())
            checked = time.monotonic()
            while not self.stopping.is_set():
                try:
                    conn, _ = server.accept()
                    self.touch()
                    threading.Thread(target=self._answer, args=(conn,), name="orch-runtime-request",
                                     daemon=True).start()
                except socket.timeout:
                    pass
                now = time.monotonic()
                if now - checked >= STALE_CHECK_S:  # also under a steady stream of requests
                    checked = now
                    self.periodic(identity, now)
            if _inode(self.path) == identity:
                _remove(self.path)  # from now on a client finds no runtime and answers in-process
            self.answer_queued(server)
            server.close()
            if self.listener is not None:
                self.listener.close()
            if self.zygote_pipe is not None:
                os.close(self.zygote_pipe)  # the zygote sees the end of its pipe and exits
            for thread in threading.enumerate():
                if thread.name in ("orch-runtime-request", "orch-http"):
                    thread.join(client.CLIENT_TIMEOUT_S)  # let answers in flight finish
        finally:
            lock.close()
        return self.exit_code

    def answer_queued(self, server) -> None:
        """Answer the connections the kernel queued since the last accept, as if the loop had gone on.

        Closing the socket would reset them, and a client whose request was
        sent must take that for a lost answer (``SENT_BUT_LOST``): the event
        would be neither answered nor recorded. A stale runtime answers them STALE.
        """
        server.setblocking(False)
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), name="orch-runtime-request", daemon=True).start()

    def start_zygote(self, lock) -> None:
        """Fork the command zygote (``forkserver``) now, while this process has no thread but this one."""
        from orchcore.resident import forkserver

        if os.environ.get("ORCH_RUNTIME_COMMANDS", "1").strip().lower() in gate.FALSE_WORDS:
            return
        alive_read, alive_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                lock.close()  # the server's lock is the server's: a new server must get it when this one dies
                os.close(alive_write)
                forkserver.warm_up()
                self.fingerprint = self._fingerprint()  # now with the command line's modules too
                forkserver.serve(forkserver.cli_path(self.path), alive_read, self.stale)
            except BaseException as exc:  # noqa: BLE001 - the zygote is an optimisation: commands run in-process
                from orchcore import router

                router.log(self.base_env, self.project, f"runtime: no command zygote: {type(exc).__name__}: {exc}", exc)
                code = 1
            finally:
                os._exit(code)
        os.close(alive_read)
        self.zygote_pipe = alive_write

    def periodic(self, identity: int, now: float) -> None:
        """Once a second: stop when idle, stale or replaced; follow the settings' http endpoint; housekeeping."""
        if self.stale():
            self.stop(RESTART)
        elif _inode(self.path) != identity or not os.path.isdir(self.state_dir):
            self.stop(0)  # replaced or removed: no longer ours
        elif now - self.last_used > self.idle_s and not self._lingering(now):
            self.stop(0)
        else:
            self.refresh_endpoint()
            self.housekeeping.due(now - self.last_used, now)  # expiry and backups while idle, in a thread

    def stop(self, code: int) -> None:
        self.exit_code = code
        self.stopping.set()

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def _lingering(self, now: float) -> bool:
        """Whether a session may still post (see ``still_open``)."""
        return bool(self.still_open(now))

    def still_open(self, now: float) -> list[str]:
        """The sessions that may still post: active within the linger time, and their Claude Code alive."""
        with self._lock:
            sessions = list(self.open_sessions.items())
            owners = dict(self.owners)
        return [
            session_id for session_id, seen in sessions
            if now - seen < self.linger_s and (owners.get(session_id) is None or _alive(owners[session_id]))
        ]

    def note(self, data: bytes, client_pid: int | None = None) -> None:
        """Track open sessions from the events passing through (cheaply: no JSON parsing here).

        ``client_pid``: the process that handed a SessionStart over; its
        parent (past a shell) is the Claude Code that runs the session.
        """
        session_id = gate.session_id_of(data)
        if session_id is None:
            return
        owner = _claude_code_of(client_pid) if client_pid and b'"SessionStart"' in data else None
        with self._lock:
            if b'"SessionEnd"' in data:
                self.open_sessions.pop(session_id, None)
                self.owners.pop(session_id, None)
            else:
                self.open_sessions[session_id] = time.monotonic()
                if owner is not None:
                    self.owners[session_id] = owner

    def recently_open_sessions(self) -> list[str]:
        """Sessions not ended whose last activity (the gate's flag file) is within the linger time."""
        from orchcore.runtime import Runtime

        found = []
        runtime = Runtime(project=_path(self.project), state_dir=_path(self.state_dir))
        try:
            infos = runtime.store.sessions()
            now_wall, now = time.time(), time.monotonic()
            for info in infos:
                seen = gate.last_activity(self.state_dir, info.session_id)
                if seen is None or now_wall - seen > self.linger_s:
                    continue
                session = runtime.store.load(info.session_id)
                if session is None or session.ended_at is not None:
                    continue
                with self._lock:
                    self.open_sessions[info.session_id] = now - (now_wall - seen)
                if session.orchestration_enabled:
                    found.append(info.session_id)
        except Exception:  # noqa: BLE001 - a broken store: the router reports it per event
            pass
        finally:
            runtime.close()
        return found

    # -- the http endpoint ---------------------------------------------

    def refresh_endpoint(self) -> None:
        """Listen where the project's settings send Claude Code's http hooks (and follow changes)."""
        from orchcore.install import http_endpoint

        try:
            endpoint = http_endpoint(_path(self.project), self.base_env)
        except Exception as exc:  # noqa: BLE001 - unreadable settings: keep what we have
            self.endpoint_problem = f"cannot read the settings: {exc}"
            return
        if endpoint == self.endpoint and (self.listener is not None or endpoint is None):
            return
        if self.listener is not None and (endpoint is None or endpoint.port != self.endpoint.port):
            self.listener.close()
            self.listener = None
        self.endpoint = endpoint
        self.endpoint_problem = None
        if endpoint is None or self.listener is not None:
            return
        from orchcore.resident.http import Guard, HookListener

        listener = HookListener(endpoint.port, Guard(endpoint.port, lambda: self.endpoint and self.endpoint.token),
                                self.answer_http, on_request=self.touch, on_refused=self.refused)
        try:
            listener.bind()
        except OSError as exc:
            self.endpoint_problem = f"127.0.0.1:{endpoint.port} is taken ({exc.strerror})"
            self.catch_up.watch_all = True  # our events go elsewhere: read them from the transcripts instead
            return
        self.catch_up.watch_all = False
        self.listener = listener
        threading.Thread(target=listener.serve_forever, name="orch-http-accept", daemon=True).start()

    def refused(self, refused) -> None:
        """Posts without the project's secret: Claude Code's own, misconfigured, or someone else's.

        Either way, this project's events may not be reaching us: read them
        from the transcripts until the wiring is fixed, and say so once.
        """
        if refused.status != 401 or self.catch_up.watch_all:
            return
        self.catch_up.watch_all = True
        from orchcore import router

        router.log(self.base_env, self.project, "http: refused a hook event without the project's secret; "
                   "events are read from the transcripts instead (run `orch install`, then `orch doctor`)")

    def token_notice(self, env: dict[str, str]) -> str | None:
        """What to tell the user at SessionStart when this Claude Code's http hooks carry no or another secret."""
        from orchcore.install import TOKEN_VAR

        if self.endpoint is None or not self.endpoint.token or env.get(TOKEN_VAR) == self.endpoint.token:
            return None
        return (f"orchcore: this session's http hooks carry {'another' if env.get(TOKEN_VAR) else 'no'} "
                f"{TOKEN_VAR} than the project's, so its runtime refuses them (events are recovered from the "
                "transcript, but nothing can be decided live); run `orch install`, then restart the session")

    def describe(self) -> dict:
        """What ``orch runtime status`` and ``orch doctor`` show."""
        now = time.monotonic()
        return {
            "pid": os.getpid(),
            "supervisor": os.getppid() if os.environ.get("ORCH_RUNTIME_SUPERVISED", "1") != "0" else None,
            "project": self.project,
            "state_dir": self.state_dir,
            "socket": self.path,
            "python": sys.executable,
            "started": self.started,
            "idle_s": round(now - self.last_used, 1),
            "open_sessions": len(self.still_open(now)),
            "http": {
                "port": self.endpoint.port if self.endpoint else None,
                "listening": self.listener is not None,
                "token": bool(self.endpoint and self.endpoint.token),
                "problem": self.endpoint_problem,
            },
        }

    def answer_http(self, request) -> tuple[int, bytes]:
        """One hook event posted by Claude Code: the same answer ``orch hook`` would print."""
        import json

        from orchcore import router
        from orchcore.resident.http import HEALTH_PATH

        if request.path == HEALTH_PATH:
            return 200, json.dumps({"ok": True, "pid": os.getpid(), "project": self.project}).encode()
        data = request.body
        self.note(data)
        env = dict(self.base_env)
        enabled = request.headers.get("x-orch-enabled", "")
        if enabled:
            env["ORCH_ENABLED"] = enabled
        if gate.pass_off_session(data, env):
            return 200, b""
        payload, problem = router.parse_payload(data)
        if payload is None:
            router.log(env, self.project, f"http: refused: {problem}")
            return 400, f"orchcore: {problem}\n".encode()
        reply = router.respond(payload, env, self.runtimes.get(env))
        if reply.exit_code == 1:
            return 500, reply.stderr.encode("utf-8", "backslashreplace")
        if reply.exit_code == 2:  # only an exit code can block this event: it should be a command hook
            router.log(env, self.project, f"http: {payload.get('hook_event_name')} can only block as a command hook")
        return 200, reply.stdout.encode("utf-8")

    # -- the Unix socket -------------------------------------------------

    def _answer(self, conn) -> None:
        import io

        try:
            conn.settimeout(client.CLIENT_TIMEOUT_S)
            request = client.read_to_end(conn)
            if not request:
                return  # a client checking that we are up
            kind, env, data = client.parse_request(request)
            if kind == "status":
                import json

                conn.sendall(client.encode_reply(0, json.dumps(self.describe()).encode(), b""))
                return
            if self.stale():
                conn.sendall(client.STALE)
                self.stop(RESTART)
                return
            out, err = io.StringIO(), io.StringIO()
            # The request's own variables only: never those of whichever process started this runtime.
            merged = {k: v for k, v in os.environ.items()
                      if not (k.startswith(client.PASSED_ENV_PREFIXES) or k in client.PASSED_ENV)}
            merged.update(env)
            if kind == "hook":
                from orchcore import router

                self.note(data, _peer_pid(conn))
                if gate.pass_off_session(data, merged):  # as the http path: an off session never reaches the store
                    conn.sendall(client.encode_reply(0, b"", b""))
                    return
                code = router.main(data, stdout=out, stderr=err, env=merged, runtime=self.runtimes.get(merged))
                if b'"SessionStart"' in data:
                    self.catch_up.schedule(gate.session_id_of(data), 0.0)
                    notice = self.token_notice(env)
                    if notice and code == 0:
                        out = io.StringIO(_with_system_message(out.getvalue(), notice))
            else:
                from orchcore.statusline import main as render

                code = render(data, stdout=out, env=merged, runtime=self.runtimes.get(merged))
            stdout = out.getvalue().encode("utf-8")
            conn.sendall(client.encode_reply(code, stdout, err.getvalue().encode("utf-8")))
        except BaseException:
            pass  # the client sees a short reply and passes the event through
        finally:
            conn.close()


class RuntimePool:
    """Warm runtimes for this server's requests: plugins loaded once per configuration, a store per thread.

    Building a runtime per event (a plugin manager, a database connection)
    costs several milliseconds; here an event pays for neither. The project
    config is read again when its file changes; a request's own project (a
    Unix-socket client may name another state folder) gets its own runtime.
    """

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()
        self.configs: dict[str, tuple[tuple, object]] = {}  # project -> (file stamp, Config)
        self.plugins: dict[tuple, object] = {}  # (allow, deny) -> plugin manager

    def get(self, env: dict[str, str]):
        from orchcore import router
        from orchcore.runtime import Runtime

        project = gate.find_project(env)
        state_dir = gate.state_dir(env, project)
        config = self.config(project, env)
        runtimes = self.local.__dict__.setdefault("runtimes", {})
        current = runtimes.get((project, state_dir))
        if current is not None and current.config is config:
            return current
        if current is not None:
            current.close()
        runtime = Runtime(project=_path(project), state_dir=_path(state_dir), config=config,
                          plugins=self.plugins_for(config), busy_timeout_s=router.HOOK_BUSY_TIMEOUT_S)
        runtimes[(project, state_dir)] = runtime
        return runtime

    def config(self, project: str, env: dict[str, str]):
        from orchcore import router
        from orchcore.paths import config_file

        path = config_file(_path(project))
        try:
            info = os.stat(path)
            stamp: tuple = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError:
            stamp = ()
        with self.lock:
            cached = self.configs.get(project)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        config = router._config(project, env)
        with self.lock:
            self.configs[project] = (stamp, config)
        return config

    def plugins_for(self, config):
        from orchcore.plugins import get_plugin_manager

        key = (tuple(config.plugins_allow), tuple(config.plugins_deny))
        with self.lock:
            if key not in self.plugins:
                manager = get_plugin_manager(allow=config.plugins_allow, deny=config.plugins_deny)
                manager.load()
                self.plugins[key] = manager
            return self.plugins[key]


class CatchUp:
    """Recovers what the runtime missed, per session, in one background thread.

    A session is caught up when the runtime starts (it may have been down)
    and when it (re)starts in Claude Code; while some of its transcript's
    events cannot be proven past yet (a tool still running), it is looked at
    again later. ``watch_all``: the http port is not ours, so every open
    orchestrated session is read from its transcript, all the time.
    """

    def __init__(self, server: Server):
        self.server = server
        self.due: dict[str, tuple[float, int]] = {}  # session id -> (when, attempt)
        self.watch_all = False
        self.wake = threading.Event()
        self.lock = threading.Lock()

    def start(self, sessions: list[str]) -> None:
        for session_id in sessions:
            self.schedule(session_id, 0.0)
        threading.Thread(target=self.run, name="orch-catch-up", daemon=True).start()

    def schedule(self, session_id: str | None, delay_s: float, attempt: int = 0) -> None:
        if session_id is None:
            return
        with self.lock:
            when = time.monotonic() + delay_s
            current = self.due.get(session_id)
            if current is None or when < current[0]:
                self.due[session_id] = (when, attempt)
        self.wake.set()

    def run(self) -> None:
        while not self.server.stopping.is_set():
            self.wake.wait(0.5)
            self.wake.clear()
            if self.watch_all:
                for session_id in list(self.server.open_sessions):
                    self.schedule(session_id, 2.0)
            now = time.monotonic()
            with self.lock:
                ready = [(sid, attempt) for sid, (when, attempt) in self.due.items() if when <= now]
                for sid, _ in ready:
                    del self.due[sid]
            for session_id, attempt in ready:
                pending = self.once(session_id)
                if pending and attempt < len(CATCH_UP_DELAYS_S):
                    self.schedule(session_id, CATCH_UP_DELAYS_S[attempt], attempt + 1)

    def once(self, session_id: str) -> int:
        """Catch one session up; returns how many of its events are still pending."""
        from orchcore import recovery, router

        env = dict(self.server.base_env)
        try:
            report = recovery.catch_up(session_id, env, self.server.runtimes.get(env))
        except Exception as exc:  # noqa: BLE001 - never let one session stop the others
            router.log(env, self.server.project, f"catch-up of {session_id} failed: {type(exc).__name__}: {exc}", exc)
            return 0
        return report.pending


def _with_system_message(answer: str, message: str) -> str:
    """The hook's JSON answer (or none) with ``message`` shown to the user as well."""
    import json

    try:
        data = json.loads(answer) if answer.strip() else {}
    except ValueError:
        return answer
    if not isinstance(data, dict):
        return answer
    data["systemMessage"] = "\n".join(filter(None, [data.get("systemMessage"), message]))
    return json.dumps(data, ensure_ascii=True) + "\n"


SHELLS = {"sh", "dash", "bash", "zsh", "fish", "ksh"}


def _peer_pid(conn) -> int | None:
    import socket

    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    credentials = conn.getsockopt(socket.SOL_SOCKET, option, 12)
    return int.from_bytes(credentials[0:4], sys.byteorder) or None


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(command name, parent pid, start time) from /proc (Linux); None elsewhere or when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    name = text[text.find("(") + 1:text.rfind(")")]
    fields = text[text.rfind(")") + 2:].split()
    try:
        return name, int(fields[1]), fields[19]
    except (IndexError, ValueError):
        return None


def _claude_code_of(client_pid: int) -> tuple[int, str] | None:
    """The process that ran a hook command: the client's parent, past the shell Claude Code ran it in."""
    me = _stat(client_pid)
    pid = me[1] if me else None
    for _ in range(3):
        info = _stat(pid) if pid else None
        if info is None:
            return None
        name, parent, started = info
        if name not in SHELLS:
            return pid, started
        pid = parent
    return None


def _alive(owner: tuple[int, str]) -> bool:
    info = _stat(owner[0])
    return info is not None and info[2] == owner[1]


def _path(text: str):
    from pathlib import Path

    return Path(text)


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
