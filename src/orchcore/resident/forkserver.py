"""``orch`` commands forked from a warm process: state queries at the cost of a fork, not of an import.

Programs, slash commands (`` !`orch state get mode` ``) and the model run
``orch`` commands all the time, and importing typer, rich, attrs, cattrs and
pluggy costs twenty interpreter starts. The server forks this *zygote* once
it has imported all of that and before it starts any thread (a fork is only
safe from a single-threaded process); the zygote forks again per command.

The client's half (``run_command``, in the spawned ``orch``) passes its own
stdin, stdout and stderr (``SCM_RIGHTS``), its working folder, its whole
environment and its arguments; the child takes them over and runs exactly
what ``orch`` would run in-process (``orchcore.cli.run``), so output,
colours, terminal width and exit codes are the command's own. The child
first sends its pid (the client passes Ctrl-C and other signals on to it),
then its exit code.

The child is forked *before* it is needed (a spare), and while it waits it
runs a few commands' ``--help`` into nothing: after a fork every page a
process writes (reference counts are writes) is copied on first touch, which
made a forked command three times slower than the same command in the
zygote; the spare pays that while nobody waits.

Long-running and environment-inspecting commands never come here
(``IN_PROCESS``): the dashboard, ``events tail``, the demo, install,
uninstall, doctor, and ``runtime`` itself. When the code the zygote loaded has
changed it answers ``STALE`` and the client runs the command in-process.
The zygote exits when the server does (it holds a pipe whose other end only
the server has).
"""

from __future__ import annotations

import os
import sys

from orchcore.resident import client

# recover and backup read (and move) the database file itself: never in, nor starting, a runtime;
# mcp is resident for a whole Claude Code session on its own stdio (a runtime's restart must not end it)
IN_PROCESS = {"dashboard", "demo", "install", "uninstall", "doctor", "runtime", "recover", "backup", "mcp"}
END = b"\n\0END\n"  # a request ends with this: arguments may hold anything but NUL
IN_PROCESS_SUB = {("events", "tail")}


def forked(argv: list[str]) -> bool:
    """Whether ``orch ARGV`` may run in a forked child (short, and about state, not about this machine)."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] in IN_PROCESS:
        return False
    return tuple(words[:2]) not in IN_PROCESS_SUB


def cli_path(socket_path: str) -> str:
    return socket_path[: -len(".sock")] + ".cli"


def run_command(argv: list[str], env, cwd: str) -> int | None:
    """The client's half: run ``orch ARGV`` in a child of the runtime's warm zygote; None: run it in-process.

    The child gets this process's stdin, stdout and stderr, so it prints
    exactly where an in-process command would; this process waits for its
    exit code and passes Ctrl-C (and SIGTERM, SIGHUP) on to it.
    """
    if not client.enabled(env):
        return None
    request = encode_command(argv, cwd, env)
    if request is None:
        return None
    path = client.socket_path(env)
    sock = client.connect(cli_path(path), 10.0)
    if sock is None:
        client.start(path, env)
        return None
    import _socket

    forward = _SignalForwarder()  # from now on: a Ctrl-C belongs to the command, even before it starts
    try:
        fds = b"".join(_usable_fd(fd).to_bytes(4, sys.byteorder, signed=True) for fd in (0, 1, 2))
        try:
            sock.sendmsg([request], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        except OSError:
            forward.restore()
            return None  # nothing reached the zygote: run in-process
        sock.settimeout(None)  # a command takes as long as it takes
        lines = _lines(sock)
        first = next(lines, b"")
        if not first.startswith(b"pid "):
            forward.restore()
            return None  # STALE, or refused before running anything
        forward.to(int(first[4:]))
        for line in lines:
            if line.startswith(b"exit "):
                return int(line[5:])
        return 1  # the child died without saying how (killed)
    except (OSError, ValueError):
        return 1
    finally:
        sock.close()


def _usable_fd(fd: int) -> int:
    """``fd`` when it is open, else /dev/null (a command started with a closed stdin)."""
    try:
        os.fstat(fd)
        return fd
    except OSError:
        return os.open(os.devnull, os.O_RDWR)


def _lines(sock):
    buffered = b""
    while True:
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            yield line
        chunk = sock.recv(4096)
        if not chunk:
            if buffered:
                yield buffered
            return
        buffered += chunk


class _SignalForwarder:
    """Ctrl-C and friends go to the forked command; those that come before its pid is known are kept for it."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")

    def __init__(self) -> None:
        import _signal

        self.child = 0
        self.waiting: list[int] = []
        self.previous = {}
        for name in self.NAMES:
            number = getattr(_signal, name, None)
            if number is not None:
                self.previous[number] = _signal.signal(number, self.handle)

    def handle(self, signum, _frame) -> None:
        if self.child:
            try:
                os.kill(self.child, signum)
            except OSError:
                pass
        else:
            self.waiting.append(signum)

    def to(self, child: int) -> None:
        self.child = child
        for signum in self.waiting:
            self.handle(signum, None)

    def restore(self) -> None:
        """The command never started: run it in-process, with the signals as they were (a kept one goes too)."""
        import _signal

        for number, handler in self.previous.items():
            _signal.signal(number, handler)
        if self.waiting:
            os.kill(os.getpid(), self.waiting[0])


WARM_COMMANDS = (["state", "get"], ["session", "show"], ["events", "list"], ["msg", "status"], ["program", "list"])


def warm_up() -> None:
    """Import what commands use, build the command line, and run the parsing of each command once.

    A child pays for none of it; ``--help`` touches no state, so nothing here
    reads or writes the project.
    """
    import contextlib
    import io

    from orchcore.cli import command, run

    command()
    from rich.console import Console
    from rich.table import Table

    table = Table("a", "b")
    table.add_row("c", "d")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        Console(file=io.StringIO(), force_terminal=True).print(table)
        Console(file=io.StringIO(), force_terminal=False).print(table)
        for args in WARM_COMMANDS:
            run([*args, "--help"])


def serve(path: str, parent_alive: int, stale) -> None:
    """The zygote's loop: one forked child per connection, until the server is gone."""
    import select
    import signal
    import socket

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if os.path.exists(path):
        os.remove(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    identity = os.stat(path).st_ino
    import gc

    gc.freeze()  # what is loaded now stays where it is: a child's collections would copy every page of it
    spare = None
    try:
        while True:
            if spare is None:
                spare = Spare.fork(listener, parent_alive)
            ready, _, _ = select.select([listener, parent_alive], [], [], 1.0)
            _reap()
            if parent_alive in ready:
                return  # the server exited (or was killed): so do we
            if listener in ready:
                conn, _ = listener.accept()
                if _handle(conn, stale, spare) != "refused":
                    spare = None  # it has its command (or it died): fork the next one
    finally:
        if spare is not None:
            spare.close()
        listener.close()
        try:
            if os.stat(path).st_ino == identity:
                os.remove(path)
        except OSError:
            pass


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Spare:
    """A child forked ahead of its command, warming its own copy of memory while it waits for one."""

    def __init__(self, pid: int, channel):
        self.pid = pid
        self.channel = channel

    @classmethod
    def fork(cls, listener, parent_alive: int) -> Spare:
        import socket

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:  # the child: whatever happens, it ends here, never in the zygote's loop
            code = 1
            try:
                ours.close()
                listener.close()
                os.close(parent_alive)
                code = _wait_and_run(theirs)
            finally:
                os._exit(code)
        theirs.close()
        return cls(pid, ours)

    def give(self, conn, message: bytes, fds: list[int]) -> None:
        """Hand the client's connection, streams and request over (the spare owns them from here)."""
        import socket

        self.channel.sendmsg([message + END], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, _ints([conn.fileno(), *fds]))])
        self.close()

    def close(self) -> None:
        self.channel.close()  # a spare that never got a command sees the end of its channel and exits


def _ints(fds: list[int]) -> bytes:
    import array

    return array.array("i", fds).tobytes()


def _wait_and_run(channel) -> int:
    """The spare: warm up privately, then wait for the command and run it."""
    import contextlib
    import gc
    import io
    import socket

    gc.disable()  # one short command: collecting would only copy the zygote's memory page by page
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from orchcore.cli import run

        for args in WARM_COMMANDS:  # touching these pages now copies them now, not while a client waits
            run([*args, "--help"])
        if _store_exists():  # reading commands too (never one that would create the store)
            run(["session", "list", "--json"])
            run(["program", "list", "--json"])
    message, fds = _receive(channel)
    channel.close()
    if message is None or len(fds) != 4:
        return 1
    conn = socket.socket(fileno=fds[0])
    return _run_child(conn, message, fds[1:])


def _store_exists() -> bool:
    """Whether the project's store, whichever backend, has data to read (looking never creates it).

    A networked backend says yes: its warm-up read also imports its client and
    opens the connection the command will use.
    """
    from orchcore.runtime import Runtime

    runtime = Runtime()
    try:
        return runtime.store.is_created()
    except Exception:  # a broken config or backend: the command will say so itself
        return False
    finally:
        runtime.close()


def _handle(conn, stale, spare: Spare) -> str:
    """Read one client's request and give it to the spare: "given", "refused", or "lost" (the spare is gone).

    A client whose request was refused or lost sees its connection close
    without a pid, and runs the command in-process.
    """
    fds: list[int] = []
    try:
        return _give(conn, stale, spare, fds)
    finally:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        conn.close()


def _give(conn, stale, spare: Spare, fds: list[int]) -> str:
    import socket

    try:
        conn.settimeout(10.0)
        if not client.peer_is_us(conn):
            return "refused"
        message, received = _receive(conn)
        fds.extend(received)
        if message is None or len(fds) != 3:
            return "refused"
        if stale():
            conn.sendall(client.STALE)
            return "refused"
    except (OSError, ValueError, socket.timeout):
        return "refused"
    try:
        spare.give(conn, message, fds)
        return "given"
    except OSError:
        spare.close()
        return "lost"


def _receive(conn) -> tuple[bytes | None, list[int]]:
    import array
    import socket

    fds = array.array("i")
    chunks: list[bytes] = []
    first = True
    while True:
        data, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(4 * fds.itemsize) if first else 0)
        first = False
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not data:
            break
        chunks.append(data)
        if b"".join(chunks).endswith(END):
            break
    message = b"".join(chunks)
    if not message.endswith(END):
        return None, list(fds)
    return message[: -len(END)], list(fds)


def _run_child(conn, message: bytes, fds: list[int]) -> int:
    """Become the command: its streams, folder, environment and arguments; then run it."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        argv, cwd, env = parse_command(message)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        _fresh_stdio()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["orch", *argv]
        conn.sendall(b"pid %d\n" % os.getpid())
    except (OSError, ValueError, TypeError):
        return 1
    code = 1
    try:
        from orchcore.cli import run

        code = run(argv)
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001 - a crash is the command's, reported like one
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            conn.sendall(b"exit %d\n" % code)
        except OSError:
            pass
    return code


def _fresh_stdio() -> None:
    """Python objects for fds 0-2 as the interpreter would make them for these files (tty or not)."""
    import io

    encoding = sys.stdout.encoding or "utf-8"
    sys.stdin = io.open(0, "r", encoding=encoding, closefd=False)
    sys.stdout = io.open(1, "w", buffering=1 if os.isatty(1) else -1, encoding=encoding, closefd=False)
    sys.stderr = io.open(2, "w", buffering=1, encoding=encoding, errors="backslashreplace", closefd=False)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def encode_command(argv: list[str], cwd: str, env) -> bytes | None:
    """The request: folder, environment and arguments; None when something cannot be framed."""
    lines = [client.PROTOCOL, b"cli", f"cwd={cwd}".encode("utf-8", "surrogateescape")]
    for key, value in env.items():
        if "\n" in key or "\n" in value or "=" in key or "\0" in value:
            return None
        lines.append(f"{key}={value}".encode("utf-8", "surrogateescape"))
    if any("\0" in a for a in argv):
        return None
    args = "\0".join(argv).encode("utf-8", "surrogateescape")
    return b"\n".join(lines) + b"\n\n" + args + END


def parse_command(message: bytes) -> tuple[list[str], str, dict[str, str]]:
    head, _, args = message.partition(b"\n\n")
    lines = head.split(b"\n")
    if lines[:2] != [client.PROTOCOL, b"cli"] or not lines[2].startswith(b"cwd="):
        raise ValueError("not an orch command request")
    cwd = lines[2][4:].decode("utf-8", "surrogateescape")
    env = {}
    for line in lines[3:]:
        key, _, value = line.decode("utf-8", "surrogateescape").partition("=")
        env[key] = value
    argv = args.decode("utf-8", "surrogateescape").split("\0") if args else []
    return argv, cwd, env
