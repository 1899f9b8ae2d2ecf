"""``orch`` commands forked from a warm process: state queries at the cost of a fork, not of an import.

Programs, slash commands (`` !`orch state get mode` ``) and the model run
``orch`` commands all the time, and importing typer, rich, attrs, cattrs and
pluggy costs twenty interpreter starts. The server forks this *zygote* once
it has imported all of that and before it starts any thread (a fork is only
safe from a single-threaded process); the zygote forks again per command.

A client (``client.run_command``) passes its own stdin, stdout and stderr
(``SCM_RIGHTS``), its working folder, its whole environment and its
arguments; the child takes them over and runs exactly what ``orch`` would run
in-process (``orchcore.cli.run``), so output, colours, terminal width and
exit codes are the command's own. The child first sends its pid (the client
passes Ctrl-C and other signals on to it), then its exit code.

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

IN_PROCESS = {"dashboard", "demo", "install", "uninstall", "doctor", "runtime"}
IN_PROCESS_SUB = {("events", "tail")}


def forked(argv: list[str]) -> bool:
    """Whether ``orch ARGV`` may run in a forked child (short, and about state, not about this machine)."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] in IN_PROCESS:
        return False
    return tuple(words[:2]) not in IN_PROCESS_SUB


def cli_path(socket_path: str) -> str:
    return socket_path[: -len(".sock")] + ".cli"


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

    table = Table("a")
    table.add_row("b")
    Console(file=io.StringIO(), force_terminal=True).print(table)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for args in (["state", "get"], ["session", "show"], ["events", "list"], ["msg", "status"], ["program", "list"]):
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
    try:
        while True:
            ready, _, _ = select.select([listener, parent_alive], [], [], 1.0)
            _reap()
            if parent_alive in ready:
                return  # the server exited (or was killed): so do we
            if listener in ready:
                conn, _ = listener.accept()
                _handle(conn, listener, parent_alive, stale)
    finally:
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


def _handle(conn, listener, parent_alive: int, stale) -> None:
    import socket

    fds: list[int] = []
    try:
        conn.settimeout(10.0)
        if not client.peer_is_us(conn):
            return
        message, fds = _receive(conn)
        if message is None or len(fds) != 3:
            return
        if stale():
            conn.sendall(client.STALE)
            return
        pid = os.fork()
        if pid == 0:  # the child: whatever happens, it ends here, never in the zygote's loop
            code = 1
            try:
                listener.close()
                os.close(parent_alive)
                code = _run_child(conn, message, fds)
            finally:
                os._exit(code)
    except (OSError, ValueError, socket.timeout):
        pass
    finally:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        conn.close()


def _receive(conn) -> tuple[bytes | None, list[int]]:
    import array
    import socket

    fds = array.array("i")
    chunks: list[bytes] = []
    first = True
    while True:
        data, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(3 * fds.itemsize) if first else 0)
        first = False
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not data:
            break
        chunks.append(data)
        if b"".join(chunks).endswith(b"\n\0END\n"):
            break
    message = b"".join(chunks)
    if not message.endswith(b"\n\0END\n"):
        return None, list(fds)
    return message[: -len(b"\n\0END\n")], list(fds)


def _run_child(conn, message: bytes, fds: list[int]) -> int:
    """Become the command: its streams, folder, environment and arguments; then run it."""
    import gc
    import signal

    gc.disable()  # one short command: collecting would only copy the zygote's memory page by page
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
    return b"\n".join(lines) + b"\n\n" + args + b"\n\0END\n"


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
