"""The client side of the resident runtime: what a spawned ``orch`` runs before importing anything.

Imports only ``os``, ``sys`` and ``_socket`` (``import socket`` alone costs
milliseconds): a status-line refresh or a SessionStart hook must cost barely
more than the interpreter's own start.

Safety first: any problem reaching the runtime (none running, a stale
socket, a timeout) makes the caller answer in-process, so the runtime only
ever makes things faster. Once a request has reached the runtime, a failure
is a silent pass-through (``SENT_BUT_LOST``): routing the event a second time
could record or act on it twice.

One runtime serves one project, interpreter and set of ``ORCH_*`` settings;
its sockets live in a private folder (``$XDG_RUNTIME_DIR``, ``$TMPDIR`` or
``/tmp``, then ``orchcore-<uid>/``), named by a hash of those, because a
socket path may not be longer than 107 bytes.
"""

from __future__ import annotations

import os
import sys

from orchcore import gate

PROTOCOL = b"ORCH1"
STALE = b"STALE"
CLIENT_TIMEOUT_S = 25.0  # below the 30 s hook timeout orch install sets
SPAWN_GRACE_S = 10.0
READY_TIMEOUT_S = 5.0  # how long a SessionStart waits for a runtime it started
PASSED_ENV_PREFIXES = ("CLAUDE", "ORCH_")
PASSED_ENV = ("NO_COLOR", "COLUMNS", "LINES")
PER_REQUEST_ENV = ("ORCH_ENABLED", "ORCH_RUNTIME", "ORCH_RUNTIME_IDLE_S", "ORCH_RUNTIME_LINGER_S", "ORCH_HOOK_TOKEN")
MAX_SOCKET_PATH = 100  # bytes: a Unix socket path must fit in 108, with its ".starting" marker beside
SENT_BUT_LOST = (0, b"", b"")  # the runtime had the event: never route it a second time


def enabled(env) -> bool:
    return env.get("ORCH_RUNTIME", "").strip().lower() not in gate.FALSE_WORDS


def socket_path(env) -> str:
    """Where the runtime for this project, interpreter and settings listens."""
    project = gate.find_project(env)
    key_parts = [sys.executable, project, gate.state_dir(env, project)]
    key_parts += sorted(
        f"{k}={v}" for k, v in env.items() if k.startswith("ORCH_") and k not in PER_REQUEST_ENV
    )
    from orchcore import __version__

    key_parts.append(__version__)
    digest = fnv1a("\0".join(key_parts).encode("utf-8", "surrogateescape"))
    name = f"{digest:016x}.sock"
    for base in (env.get("XDG_RUNTIME_DIR"), env.get("TMPDIR"), "/tmp"):
        if base:
            path = os.path.join(base, f"orchcore-{os.getuid()}", name)
            if len(path.encode()) <= MAX_SOCKET_PATH:
                return path
    return os.path.join("/tmp", f"orchcore-{os.getuid()}", name)


def private_folder(path: str, create: bool) -> bool:
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


def peer_is_us(sock) -> bool:
    """The process at the other end runs as our user (Linux SO_PEERCRED; elsewhere the folder check)."""
    import _socket

    option = getattr(_socket, "SO_PEERCRED", None)
    if option is None:
        return True
    credentials = sock.getsockopt(_socket.SOL_SOCKET, option, 12)  # pid, uid, gid as C ints
    return int.from_bytes(credentials[4:8], sys.byteorder) == os.getuid()


def fnv1a(data: bytes) -> int:
    """A stable 64-bit hash without importing hashlib (it costs milliseconds to import)."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def connect(path: str, timeout_s: float):
    """A connected socket to a runtime of ours at ``path``, or None."""
    import _socket

    if not private_folder(path, create=False):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        sock.connect(path)
        if peer_is_us(sock):
            return sock
    except OSError:
        pass
    sock.close()
    return None


def ask(
    kind: str, data: bytes, env, timeout_s: float = CLIENT_TIMEOUT_S, *, wait_for_start: bool = False
) -> tuple[int, bytes, bytes] | None:
    """The runtime's answer (exit code, stdout, stderr), or None: answer in-process.

    No runtime listening: one is started in the background; with
    ``wait_for_start`` (SessionStart) this call waits for it and asks it.
    """
    if not enabled(env):
        return None
    request = _request(kind, data, env)
    if request is None:
        return None
    path = socket_path(env)
    sock = connect(path, timeout_s)
    if sock is None:
        start(path, env)
        if not wait_for_start or not wait_until_up(path, READY_TIMEOUT_S):
            return None
        sock = connect(path, timeout_s)
        if sock is None:
            return None
    import _socket

    try:
        try:
            sock.sendall(request)
            sock.shutdown(_socket.SHUT_WR)
        except OSError:
            return None  # nothing reached the runtime: answer in-process
        reply = read_to_end(sock)
    except OSError:
        return SENT_BUT_LOST  # sent, then lost (a timeout): the runtime may have acted on it
    finally:
        sock.close()
    if reply.startswith(STALE):
        return None  # refused before acting: answer in-process
    return parse_reply(reply) or SENT_BUT_LOST


def read_to_end(sock) -> bytes:
    """Everything the other side sends until it closes (or shuts down) its end."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _request(kind: str, data: bytes, env) -> bytes | None:
    lines = [PROTOCOL, kind.encode()]
    for key, value in env.items():
        if key.startswith(PASSED_ENV_PREFIXES) or key in PASSED_ENV:
            if "\n" in key or "\n" in value or "=" in key:
                return None  # cannot be framed: answer in-process
            lines.append(f"{key}={value}".encode("utf-8", "surrogateescape"))
    return b"\n".join(lines) + b"\n\n" + data


def parse_request(request: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, data = request.partition(b"\n\n")
    lines = head.split(b"\n")
    if lines[0] != PROTOCOL or len(lines) < 2 or lines[1] not in (b"hook", b"statusline", b"status"):
        raise ValueError("not an orchcore runtime request")
    env = {}
    for line in lines[2:]:
        key, _, value = line.decode("utf-8", "surrogateescape").partition("=")
        env[key] = value
    return lines[1].decode(), env, data


def encode_reply(code: int, stdout: bytes, stderr: bytes) -> bytes:
    return b"%d\n%d\n" % (code, len(stdout)) + stdout + stderr


def parse_reply(reply: bytes) -> tuple[int, bytes, bytes] | None:
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


def status(env, timeout_s: float = 5.0) -> dict | None:
    """What the project's runtime says about itself (pid, http port, sessions), or None: not running."""
    import json

    sock = connect(socket_path(env), timeout_s)
    if sock is None:
        return None
    try:
        import _socket

        sock.sendall(PROTOCOL + b"\nstatus\n\n")
        sock.shutdown(_socket.SHUT_WR)
        reply = parse_reply(read_to_end(sock))
    except OSError:
        return None
    finally:
        sock.close()
    try:
        return json.loads(reply[1]) if reply else None
    except ValueError:
        return None


def start(path: str, env) -> None:
    """Start the runtime in the background, unless one is starting already (or this is no orchcore project)."""
    project = gate.find_project(env)
    if not enabled(env) or ("ORCH_STATE_DIR" not in env and not os.path.isdir(os.path.join(project, ".claude"))):
        return
    if not private_folder(path, create=True):
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
        child_env = dict(env)
        child_env["CLAUDE_PROJECT_DIR"] = project  # the runtime runs in "/", not here
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            os.posix_spawn(
                sys.executable,
                [sys.executable, "-m", "orchcore.resident", path],
                child_env,
                file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                              (os.POSIX_SPAWN_DUP2, devnull, 2)],
                setsid=True,
            )
        finally:
            os.close(devnull)
    except (OSError, AttributeError, NotImplementedError):
        pass  # no runtime: every event is answered in-process, as without one


def wait_until_up(path: str, timeout_s: float) -> bool:
    """Whether a runtime answers at ``path`` within ``timeout_s`` (it binds once it has warmed up)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        sock = connect(path, 1.0)
        if sock is not None:
            sock.close()
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def _age(path: str) -> float:
    import time

    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return float("inf")
