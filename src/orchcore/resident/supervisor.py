"""The supervisor: keeps the resident runtime's server running for as long as it should run.

Claude Code's http hooks have nobody to start a runtime that died: a refused
connection is a non-blocking error, and the session goes on without us. So
the process that ``client.start`` spawns stays small (``os`` and ``sys``,
nothing of orchcore's routing) and runs the server as its child: when the
child dies of a signal or a crash, a new one is started at once (and
catches up what it missed from the transcripts); when it exits cleanly
(idle, replaced) the supervisor exits too; ``RESTART`` (its code changed)
starts the new code by executing this program again.

Restarts are rate-limited (``MAX_RESTARTS`` within ``RESTART_WINDOW_S``) so a
server that cannot start does not spin; the next command path starts a new
supervisor later. SIGTERM and SIGINT are passed on to the server.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from orchcore.resident import RESTART

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m orchcore.resident SOCKET_PATH\n")
        return 2
    path = argv[0]
    # Hold no project folder open, and keep the folder we started in off sys.path:
    # its modification time changes with every file written there.
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", cwd)]
    os.chdir("/")
    if os.environ.get("ORCH_RUNTIME_SUPERVISED", "1") == "0":
        return _serve(path)
    restarts: list[float] = []
    child = 0
    told_to_stop = False

    def forward(signum, _frame):
        nonlocal told_to_stop
        told_to_stop = True
        if child:
            try:
                os.kill(child, signum)
            except OSError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        child = os.fork()
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 1
            try:
                code = _serve(path)
            finally:
                os._exit(code)
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        child = 0
        code = os.waitstatus_to_exitcode(status)
        if told_to_stop or code in (-signal.SIGTERM, -signal.SIGINT):
            return 0
        if code == RESTART:
            _remove(path + ".starting")
            os.execv(sys.executable, [sys.executable, "-m", "orchcore.resident", path])
        if code >= 0 and code != 1:
            return 0  # a clean stop (idle, replaced, state folder gone)
        now = time.monotonic()
        restarts = [t for t in restarts if now - t < RESTART_WINDOW_S] + [now]
        if len(restarts) > MAX_RESTARTS:
            return 1
        _remove(path + ".starting")


def _serve(path: str) -> int:
    from orchcore.resident.server import Server

    try:
        return Server(path).serve()
    finally:
        _remove(path + ".starting")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
