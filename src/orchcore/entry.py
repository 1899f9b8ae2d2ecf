"""The ``orch`` console script.

A thin dispatcher: the hot commands that Claude Code runs per event (hook,
statusline) must never pay for typer or rich, so the full CLI is imported only
for everything else.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from orchcore.cli import run

    return run(args)
