"""Printing for humans (rich) and machines (--json), and one-line errors."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def console():
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 200  # piped output: do not fold ids and paths at 80 columns
    return out


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*["" if cell is None else str(cell) for cell in row])
    console().print(grid)


def error(message: str) -> None:
    typer.echo(f"orch: error: {message}", err=True)


def note(message: str) -> None:
    typer.echo(f"orch: {message}", err=True)
