"""The ``orch`` console script, and what the wiring ``orch install`` writes runs (``install.orch_launcher``).

A thin dispatcher: the hot commands that Claude Code runs per event (hook,
statusline) must never pay for typer or rich, so the full CLI is imported only
for everything else; and they first hand their input to the resident runtime
(``orchcore.resident``), which has everything loaded already.
"""

from __future__ import annotations

import sys


HOOK_DEADLINE_S = 25  # below the 30 s timeout orch install sets: we end ourselves, quietly, first
STATUSLINE_RUNTIME_TIMEOUT_S = 3.0


def hook() -> int:
    """``orch hook``: the resident runtime answers; without one, the gate (off sessions) or the router.

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
        # SessionStart is where a session's runtime must come up: its http hooks have nobody else.
        if _answered_by_runtime("hook", data, wait_for_start=b'"SessionStart"' in data):
            return _runtime_code
        if gate.pass_off_session(data, os.environ):
            return 0
        full_environment()
        code = _in_process(lambda out: _route(data, out))
        from orchcore.router import abandoned_handlers

        if abandoned_handlers():  # a handler still runs past its budget: do not wait for it
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except BaseException:  # noqa: BLE001 - a plugin's SystemExit included
        return 0


def full_environment() -> None:
    """Load ``site`` when the launcher skipped it (``python -S``, see ``install.orch_launcher``).

    Plugins, attrs, pluggy and friends live in site-packages; only the paths
    that need them pay for finding them.
    """
    if sys.flags.no_site and not _site_loaded:
        import os
        import site

        import orchcore

        # The launcher put orchcore's folder on sys.path; take it off so that site builds exactly the
        # sys.path a normal start has (the plugin index is keyed by it), and put it back if site did not.
        root = os.path.dirname(os.path.dirname(os.path.abspath(orchcore.__file__)))
        if root in sys.path:
            sys.path.remove(root)
        site.main()
        if root not in sys.path:
            sys.path.append(root)
        globals()["_site_loaded"] = True


_site_loaded = False


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


def statusline() -> int:
    """``orch statusline``: never imports typer; see ``orchcore.statusline``."""
    try:
        try:
            data = sys.stdin.buffer.read(1024 * 1024)
        except (AttributeError, OSError, ValueError):
            data = b""
        if _answered_by_runtime("statusline", data, STATUSLINE_RUNTIME_TIMEOUT_S):
            return _runtime_code
        full_environment()

        def render(out) -> int:
            from orchcore.statusline import main

            return main(data, stdout=out)

        return _in_process(render)
    except BaseException:  # noqa: BLE001 - a non-zero exit only blanks the status line; keep it
        return 0


_runtime_code = 0


def _answered_by_runtime(kind: str, data: bytes, timeout_s: float | None = None, wait_for_start: bool = False) -> bool:
    """Let the resident runtime answer (see ``orchcore.resident``); False: answer in-process."""
    global _runtime_code
    import os

    from orchcore.resident import client

    options = {"timeout_s": timeout_s} if timeout_s else {}
    reply = client.ask(kind, data, os.environ, wait_for_start=wait_for_start, **options)
    if reply is None:
        return False
    _runtime_code, out, err = reply
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if err:
        sys.stderr.buffer.write(err)
        sys.stderr.flush()
    return True


def _run_by_runtime(args: list[str]) -> int | None:
    """A command forked from the resident runtime's warm zygote; None: run it here."""
    import os

    from orchcore.resident import forkserver

    if not forkserver.forked(args):
        return None
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    return forkserver.run_command(args, os.environ, cwd)


def run_hook(data: bytes, env: dict, stdout, stderr, runtime=None) -> int:
    """The same path as ``orch hook``, in-process (``orchcore.testing``'s ``orch_hook`` uses it)."""
    from orchcore import gate

    if gate.pass_off_session(data, env):
        return 0
    from orchcore.router import main as route

    return route(data, stdout=stdout, stderr=stderr, env=env, runtime=runtime)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # asked often (doctor, scripts, bug reports): no command line to build
        from orchcore import __version__

        sys.stdout.write(f"orch (orchcore) {__version__}\n")
        return 0
    if args[:1] == ["hook"] and not set(args[1:]) & {"-h", "--help"}:
        return hook()
    if args[:1] == ["statusline"] and not set(args[1:]) & {"-h", "--help"}:
        return statusline()
    code = _run_by_runtime(args)
    if code is not None:
        return code
    full_environment()
    from orchcore.cli import run

    return run(args)
