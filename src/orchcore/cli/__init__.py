"""The ``orch`` command line (typer, with rich output).

Never imported on the hook path: ``orchcore.entry`` sends ``orch hook`` and
``orch statusline`` elsewhere before this package is touched.
"""

from __future__ import annotations


_command = None


def command():
    """The root click command, built once per process (building it costs tens of milliseconds)."""
    global _command
    if _command is None:
        from orchcore.cli.app import make_app

        _command = make_app()
    return _command


def run(args: list[str], runtime=None) -> int:
    """Run ``orch`` with ``args``; ``runtime`` lets tests supply their own plugins and store."""
    try:
        command().main(args=args, prog_name="orch", standalone_mode=True, obj=runtime)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
