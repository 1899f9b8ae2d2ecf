"""The ``orch`` console script.

A thin dispatcher: the hot commands that Claude Code runs per event (hook,
statusline) must never pay for typer or rich, so the full CLI is imported only
for everything else.
"""

from __future__ import annotations

import sys


def hook() -> int:
    """``orch hook``: the gate answers sessions whose orchestration is off; the router the rest."""
    import os

    from orchcore import gate

    try:
        data = sys.stdin.buffer.read(gate.MAX_INPUT_BYTES + 1)
    except (AttributeError, OSError, ValueError):
        data = b""  # no usable stdin: the router logs it and passes through
    if gate.pass_off_session(data, os.environ):
        return 0
    if _answered_by_worker("hook", data):
        return _worker_code
    from orchcore.router import run_as_command

    return run_as_command(data)


def statusline() -> int:
    """``orch statusline``: never imports typer; see ``orchcore.statusline``."""
    import os

    from orchcore import gate

    try:
        data = sys.stdin.buffer.read(1024 * 1024)
    except (AttributeError, OSError, ValueError):
        data = b""
    session_id = gate.session_id_of(data)
    if session_id is not None and not gate.is_off(data, os.environ, session_id) and _answered_by_worker(
        "statusline", data
    ):
        return _worker_code
    from orchcore.statusline import main as render

    return render(data)


_worker_code = 0


def _answered_by_worker(kind: str, data: bytes) -> bool:
    """Let the warm worker answer (see ``orchcore.worker``); False: answer in-process."""
    global _worker_code
    import os

    from orchcore import worker

    reply = worker.ask(kind, data, os.environ)
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
