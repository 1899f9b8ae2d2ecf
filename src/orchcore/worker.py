"""The warm worker: a per-project process that answers hooks and status lines with plugins loaded.

Claude Code starts a process per hook event. For a session whose
orchestration is on, routing needs the plugins, the models and the store;
importing those costs several times the interpreter's own start, on every
event. So the first such event starts a worker in the background (and is
routed in-process, as usual); later events hand their payload to the worker
over a Unix socket and print its answer. The client side of this module
imports only ``os``, ``sys`` and ``_socket``.

Safety first: any problem reaching the worker (none running, a stale socket,
a timeout) falls back to routing in-process, so the worker only ever makes
things faster. The worker exits when it has been idle for
``ORCH_WORKER_IDLE_S`` seconds (600 by default), when its state folder
disappears, and when the code it loaded changes (a plugin installed or
edited, orchcore upgraded): it answers ``STALE`` and the client routes
in-process. ``ORCH_WORKER=0`` turns it off.

One worker serves one project, interpreter and set of ``ORCH_*`` settings;
its socket lives in a private folder (``/tmp/orchcore-<uid>/``), named by a
hash of those, because a socket path may not be longer than 107 bytes.
"""

from __future__ import annotations

import os
import sys

from orchcore import gate

PROTOCOL = b"ORCH1"
STALE = b"STALE"
CLIENT_TIMEOUT_S = 25.0  # below the 30 s hook timeout orch install sets
SPAWN_GRACE_S = 10.0
PASSED_ENV_PREFIXES = ("CLAUDE", "ORCH_")
PASSED_ENV = ("NO_COLOR", "COLUMNS", "LINES")
PER_REQUEST_ENV = ("ORCH_ENABLED", "ORCH_WORKER", "ORCH_WORKER_IDLE_S")
MAX_SOCKET_PATH = 100  # bytes: a Unix socket path must fit in 108, with its ".starting" marker beside
SENT_BUT_LOST = (0, b"", b"")  # the worker had the event: never route it a second time


def enabled(env) -> bool:
    return env.get("ORCH_WORKER", "").strip().lower() not in gate.FALSE_WORDS


def socket_path(env) -> str:
    """Where the worker for this project, interpreter and settings listens."""
    project = gate.find_project(env)
    key_parts = [sys.executable, project, gate.state_dir(env, project)]
    key_parts += sorted(
        f"{k}={v}" for k, v in env.items() if k.startswith("ORCH_") and k not in PER_REQUEST_ENV
    )
    from orchcore import __version__

    key_parts.append(__version__)
    digest = _fnv1a("\0".join(key_parts).encode("utf-8", "surrogateescape"))
    name = f"{digest:016x}.sock"
    for base in (env.get("XDG_RUNTIME_DIR"), env.get("TMPDIR"), "/tmp"):
        if base:
            path = os.path.join(base, f"orchcore-{os.getuid()}", name)
            if len(path.encode()) <= MAX_SOCKET_PATH:
                return path
    return os.path.join("/tmp", f"orchcore-{os.getuid()}", name)


def _private_folder(path: str, create: bool) -> bool:
    """The socket folder must be a real folder of ours closed to others, or a stranger could answer our hooks.

    ``lstat``: a symlink planted in /tmp must not pass for our folder.
    """
    import stat

    folder = os.path.dirname(path)
    if create:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def _peer_is_us(sock) -> bool:
    """The process at the other end runs as our user (Linux SO_PEERCRED; elsewhere the folder check)."""
    import _socket

    option = getattr(_socket, "SO_PEERCRED", None)
    if option is None:
        return True
    credentials = sock.getsockopt(_socket.SOL_SOCKET, option, 12)  # pid, uid, gid as C ints
    return int.from_bytes(credentials[4:8], sys.byteorder) == os.getuid()


def _fnv1a(data: bytes) -> int:
    """A stable 64-bit hash without importing hashlib (it costs milliseconds to import)."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


# -- client ----------------------------------------------------------------


def ask(kind: str, data: bytes, env, timeout_s: float = CLIENT_TIMEOUT_S) -> tuple[int, bytes, bytes] | None:
    """The worker's answer (exit code, stdout, stderr), or None: route in-process.

    Once the request has reached the worker, a failure (a timeout, a cut
    reply) answers SENT_BUT_LOST, a silent pass-through: routing the event a
    second time could record or act on it twice.
    """
    if not enabled(env):
        return None
    request = _request(kind, data, env)
    if request is None:
        return None
    path = socket_path(env)
    if not _private_folder(path, create=False):
        start(path, env)
        return None
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        try:
            sock.connect(path)
            if not _peer_is_us(sock):
                return None
        except OSError:
            start(path, env)
            return None
        try:
            sock.sendall(request)
            sock.shutdown(_socket.SHUT_WR)
        except OSError:
            return None  # nothing reached the worker: route in-process
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        return SENT_BUT_LOST  # sent, then lost (a timeout): the worker may have acted on it
    finally:
        sock.close()
    reply = b"".join(chunks)
    if reply.startswith(STALE):
        return None  # refused before acting: route in-process
    return _parse_reply(reply) or SENT_BUT_LOST


def _request(kind: str, data: bytes, env) -> bytes | None:
    lines = [PROTOCOL, kind.encode()]
    for key, value in env.items():
        if key.startswith(PASSED_ENV_PREFIXES) or key in PASSED_ENV:
            if "\n" in key or "\n" in value or "=" in key:
                return None  # cannot be framed: route in-process
            lines.append(f"{key}={value}".encode("utf-8", "surrogateescape"))
    return b"\n".join(lines) + b"\n\n" + data


def _parse_reply(reply: bytes) -> tuple[int, bytes, bytes] | None:
    """(exit code, stdout, stderr), or None for a reply that is not whole."""
    if not reply or reply.startswith(STALE):
        return None
    try:
        code_line, length_line, rest = reply.split(b"\n", 2)
        length = int(length_line)
        code = int(code_line)
    except ValueError:
        return None
    if len(rest) < length or code not in (0, 1, 2):
        return None
    return code, rest[:length], rest[length:]


def start(path: str, env) -> None:
    """Start a worker in the background, unless one is starting already."""
    if not _private_folder(path, create=True):
        return
    try:
        marker = path + ".starting"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            if _age(marker) < SPAWN_GRACE_S:
                return
            os.remove(marker)
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            os.posix_spawn(
                sys.executable,
                [sys.executable, "-m", "orchcore.worker", path],
                dict(env),
                file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                              (os.POSIX_SPAWN_DUP2, devnull, 2)],
                setsid=True,
            )
        finally:
            os.close(devnull)
    except (OSError, AttributeError, NotImplementedError):
        pass  # no worker: every event is routed in-process, as without one


def _age(path: str) -> float:
    import time

    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return float("inf")


# -- server ----------------------------------------------------------------


class Worker:
    """Accepts connections on ``path`` and answers each in its own thread."""

    def __init__(self, path: str):
        import threading
        import time

        self.path = path
        self.idle_s = _float(os.environ.get("ORCH_WORKER_IDLE_S"), 600.0)
        self.last_used = time.monotonic()
        self.stopping = threading.Event()
        self.state_dir = gate.state_dir(os.environ, gate.find_project(os.environ))
        self.loaded: list[str] = []
        self.fingerprint: tuple = ((), {})

    def warm_up(self) -> None:
        self.loaded = self._warm_up()
        self.fingerprint = self._fingerprint()

    def _warm_up(self) -> list[str]:
        """Import what routing needs and every plugin, so requests pay for none of it."""
        import importlib

        for name in ("orchcore.router", "orchcore.protocol", "orchcore.statusline", "orchcore.store.sqlite"):
            importlib.import_module(name)
        from orchcore.plugins import get_plugin_manager
        from orchcore.runtime import Runtime

        plugins = get_plugin_manager()
        plugins.load()
        from orchcore.models import Session, structure, unstructure

        Runtime(plugins=plugins).bus.types  # noqa: B018 - collects the event types once
        structure(unstructure(Session(session_id="warm-up")), Session)  # cattrs builds its code now
        roots = [os.path.dirname(__import__("orchcore").__file__)]
        roots += [os.path.dirname(r.location) for r in plugins.records.values() if r.location]
        return roots

    def _fingerprint(self) -> tuple:
        """The code this worker runs: entry points (sys.path folders) and every loaded file of ours.

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

    def serve(self) -> None:
        import fcntl
        import socket
        import threading
        import time

        if not _private_folder(self.path, create=False):
            return
        lock = open(self.path + ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # another worker owns this socket: do not even warm up
        try:
            self.warm_up()
            if os.path.exists(self.path):
                os.remove(self.path)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(self.path)
            os.chmod(self.path, 0o600)
            server.listen(64)
            server.settimeout(1.0)
            identity = os.stat(self.path).st_ino
            _remove(self.path + ".starting")
            while not self.stopping.is_set():
                try:
                    conn, _ = server.accept()
                except socket.timeout:
                    if self._should_exit(identity, time.monotonic()):
                        break
                    continue
                self.last_used = time.monotonic()
                threading.Thread(target=self._answer, args=(conn,), name="orch-worker-request", daemon=True).start()
            server.close()
            if _inode(self.path) == identity:
                _remove(self.path)
            for thread in threading.enumerate():
                if thread.name == "orch-worker-request":
                    thread.join(CLIENT_TIMEOUT_S)  # let answers in flight finish
        finally:
            lock.close()

    def _should_exit(self, identity: int, now: float) -> bool:
        return (
            now - self.last_used > self.idle_s
            or _inode(self.path) != identity  # replaced or removed: no longer ours
            or not os.path.isdir(self.state_dir)
        )

    def _answer(self, conn) -> None:
        import io

        try:
            conn.settimeout(CLIENT_TIMEOUT_S)
            request = _read_all(conn)
            kind, env, data = _parse_request(request)
            if self.stale():
                conn.sendall(STALE)
                self.stopping.set()
                return
            out, err = io.StringIO(), io.StringIO()
            # The request's own variables only: never those of whichever process started this worker.
            merged = {k: v for k, v in os.environ.items()
                      if not (k.startswith(PASSED_ENV_PREFIXES) or k in PASSED_ENV)}
            merged.update(env)
            if kind == "hook":
                from orchcore import router

                code = router.main(data, stdout=out, stderr=err, env=merged)
                router._abandoned.clear()  # their threads run on as daemons; this process does not wait
            else:
                from orchcore.statusline import main as render

                code = render(data, stdout=out, env=merged)
            stdout = out.getvalue().encode("utf-8")
            conn.sendall(b"%d\n%d\n" % (code, len(stdout)) + stdout + err.getvalue().encode("utf-8"))
        except BaseException:
            pass  # the client sees a short reply and passes the event through
        finally:
            conn.close()


def _read_all(conn) -> bytes:
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _parse_request(request: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, data = request.partition(b"\n\n")
    lines = head.split(b"\n")
    if lines[0] != PROTOCOL or len(lines) < 2 or lines[1] not in (b"hook", b"statusline"):
        raise ValueError("not an orchcore worker request")
    env = {}
    for line in lines[2:]:
        key, _, value = line.decode("utf-8", "surrogateescape").partition("=")
        env[key] = value
    return lines[1].decode(), env, data


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


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m orchcore.worker SOCKET_PATH\n")
        return 2
    # Hold no project folder open, and keep the folder we started in off sys.path:
    # its modification time changes with every file written there.
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", cwd)]
    os.chdir("/")
    try:
        Worker(argv[0]).serve()
    finally:
        _remove(argv[0] + ".starting")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
