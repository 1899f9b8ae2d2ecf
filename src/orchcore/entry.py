"""The ``orch`` console script.

A thin dispatcher: the hot commands that Claude Code runs per event (hook,
statusline) must never pay for typer or rich, so the full CLI is imported only
for everything else.
"""

from __future__ import annotations

import sys


HOOK_DEADLINE_S = 25  # below the 30 s timeout orch install sets: we end ourselves, quietly, first
STATUSLINE_WORKER_TIMEOUT_S = 3.0


def hook() -> int:
    """``orch hook``: the gate answers sessions whose orchestration is off; the worker or router the rest.

    Whatever happens, this never exits 2 by accident (Claude Code would read
    that as a block) and never prints anything but the answer.
    """
    import os

    try:
        from orchcore import gate

        try:
            data = sys.stdin.buffer.read(gate.MAX_INPUT_BYTES + 1)
        except (AttributeError, OSError, ValueError):
            data = b""  # no usable stdin: the router logs it and passes through
        if gate.pass_off_session(data, os.environ):
            return 0
        if _orchestrated(data) and _answered_by_worker("hook", data):
            return _worker_code
        code = _in_process(lambda out: _route(data, out))
        from orchcore.router import abandoned_handlers

        if abandoned_handlers():  # a handler still runs past its budget: do not wait for it
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except BaseException:  # noqa: BLE001 - a plugin's SystemExit included
        return 0


def _route(data: bytes, out) -> int:
    import faulthandler

    from orchcore.router import main

    # A handler stuck in C code holds the interpreter: end the process before Claude Code's timeout.
    faulthandler.dump_traceback_later(HOOK_DEADLINE_S, exit=True, file=_devnull())
    return main(data, stdout=out)


def _in_process(work) -> int:
    """Run ``work`` with file descriptor 1 pointed at stderr, so a plugin's print cannot corrupt the answer."""
    import io
    import os

    sys.stdout.flush()
    real = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    answer = io.StringIO()
    try:
        code = work(answer)
    finally:
        os.dup2(real, 1)
        os.close(real)
        sys.stdout = sys.__stdout__
    sys.stdout.write(answer.getvalue())
    sys.stdout.flush()
    return code


def _devnull():
    return open("/dev/null", "w")


def _orchestrated(data: bytes) -> bool:
    """Only a session known to be orchestrated (or forced on) uses, and starts, a warm worker."""
    import os

    from orchcore import gate

    override = gate.env_override(os.environ)
    if override is not None:
        return override
    session_id = gate.session_id_of(data)
    if session_id is None or any(marker in data for marker in gate.LIFECYCLE_MARKERS):
        return False
    directory = gate.state_dir(os.environ, gate.find_project(os.environ))
    return os.path.exists(gate.flag_path(directory, session_id, True))


def statusline() -> int:
    """``orch statusline``: never imports typer; see ``orchcore.statusline``."""
    try:
        try:
            data = sys.stdin.buffer.read(1024 * 1024)
        except (AttributeError, OSError, ValueError):
            data = b""
        if _orchestrated(data) and _answered_by_worker("statusline", data, STATUSLINE_WORKER_TIMEOUT_S):
            return _worker_code

        def render(out) -> int:
            from orchcore.statusline import main

            return main(data, stdout=out)

        return _in_process(render)
    except BaseException:  # noqa: BLE001 - a non-zero exit only blanks the status line; keep it
        return 0


_worker_code = 0


def _answered_by_worker(kind: str, data: bytes, timeout_s: float | None = None) -> bool:
    """Let the warm worker answer (see ``orchcore.worker``); False: answer in-process."""
    global _worker_code
    import os

    from orchcore import worker

    reply = worker.ask(kind, data, os.environ, **({"timeout_s": timeout_s} if timeout_s else {}))
    if reply is None:
        return False
    _worker_code, out, err = reply
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if err:
        sys.stderr.buffer.write(err)
        sys.stderr.flush()
    return True


def run_hook(data: bytes, env: dict, stdout, stderr, runtime=None) -> int:
    """The same path as ``orch hook``, in-process (``orchcore.testing``'s ``orch_hook`` uses it)."""
    from orchcore import gate

    if gate.pass_off_session(data, env):
        return 0
    from orchcore.router import main as route

    return route(data, stdout=stdout, stderr=stderr, env=env, runtime=runtime)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"] and not set(args[1:]) & {"-h", "--help"}:
        return hook()
    if args[:1] == ["statusline"] and not set(args[1:]) & {"-h", "--help"}:
        return statusline()
    from orchcore.cli import run

    return run(args)
