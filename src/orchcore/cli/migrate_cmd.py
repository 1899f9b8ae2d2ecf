"""``orch migrate v1 [PATH]``: import a V1 project's state into orchcore, safe to run again.

See ``orchcore.v1`` for what is imported and how, and docs/migrating-from-v1.md for the user's guide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchcore.cli.common import JsonOption, runtime_of
from orchcore.cli.output import print_json

app = typer.Typer(help="Move to orchcore from an earlier system.", no_args_is_help=True)


@app.command("v1")
def v1(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="The V1 project (the folder holding .claude/); default this one.",
                                                show_default=False)] = None,
    session: Annotated[str | None, typer.Option(
        "--session", "-s", help="The session to import V1's state into; default one of its own for this V1 folder "
        "(found again by the next run).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be imported; change nothing.")] = False,
    set_default: Annotated[bool, typer.Option(
        "--set-default", help="Also make V1's orchestration_mode.enabled this project's orchestration.enabled.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Import V1's tasks, sprints, epics, agents, queued messages and event stream (V1's files are only read).

    A second run imports only what V1 added or changed since; a V1 file that
    does not read is one line naming it, and nothing is imported.
    """
    from orchcore.ids import check_session_id
    from orchcore.v1 import importer
    from orchcore.v1.source import V1Project

    runtime = runtime_of(ctx)
    if session is not None:
        session = check_session_id(session)
    root = (path or Path(runtime.project)).expanduser().resolve()
    migration = importer.plan(runtime, V1Project(root, Path(runtime.project)), session=session,
                              set_default=set_default)
    result = importer.report(migration) if dry_run else importer.apply(runtime, migration)
    if as_json:
        print_json(result)
        return
    for line in importer.lines(result):
        typer.echo(line)
