"""``orch recover`` and ``orch backup``: rebuild a damaged store; take and list backups of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchcore.cli.common import JsonOption, runtime_of
from orchcore.cli.output import print_json, table
from orchcore.errors import StoreError

backup_app = typer.Typer(help="Take an online backup of the state database now, into .claude/state/backups/ "
                              "(`orch backup list`: the backups kept).", invoke_without_command=True)


def recover(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be recovered; change nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Rebuild a damaged state database from what still reads, the backups and the journal; moves files aside, deletes none."""
    from orchcore.recover import recover as run

    report = run(runtime_of(ctx), dry_run=dry_run)
    if as_json:
        print_json(report.as_json())
        return
    for line in describe(report):
        typer.echo(line)


def describe(report) -> list[str]:
    """The report in words: what was wrong, what came back from where, what did not."""
    notes = [f"note: {note}" for note in report.notes]
    if not report.problems:
        return ["nothing to recover: the database opens, passes its integrity check, every state equals its log",
                *notes]
    lines = ["the store is damaged:", *(f"  {problem}" for problem in report.problems), *notes]
    lines += [f"moved aside (kept): {path}" for path in report.moved_aside]
    verb = "would recover" if report.dry_run else "recovered"
    lines.append(f"{verb} {report.recovered} events of {len(report.sessions)} session(s):")
    for session in report.sessions:
        sources = ", ".join(f"{count} from the {name}" if name == "database" else f"{count} from {name}"
                            for name, count in session.sources.items()) or "none"
        check = "" if report.dry_run else {
            True: "; state equals replay", False: "; STATE DIFFERS FROM REPLAY",
            None: "; replay needs a plugin that is not installed"}[session.state_equals_replay]
        lines.append(f"  {session.session_id}: {session.events} events ({sources}){check}")
    lines += [f"  {s.session_id}: {what} kept in the log, not in the state: no installed plugin provides its type"
              for s in report.sessions for what in s.unknown_types]
    lost = [(s, what) for s in report.sessions for what in _lost(s)]
    if lost or report.unreadable:
        lines.append("could not recover:")
        lines += [f"  {session.session_id}: {what}" for session, what in lost]
        lines += [f"  unreadable: {what}" for what in report.unreadable]
    else:
        lines.append("nothing was lost: every event of the database and the backups is back")
    journal = report.journal or {}
    if journal.get("error"):
        lines.append(f"journal: not applied ({journal['error']})")
    elif journal.get("applied") or journal.get("left"):
        lines.append(f"journal: {journal['applied']} unsaved hook events applied, {journal['left']} still waiting")
    return lines


def _lost(session) -> list[str]:
    ranges = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in session.missing)
    found = [f"events {ranges} (in no readable page and no backup)"] if ranges else []
    return found + [f"{what}: not applied" for what in session.failed] + session.conflicts


@backup_app.callback()
def backup(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Take a backup of the state database now (consistent while others write); `orch backup list` lists them."""
    if ctx.invoked_subcommand is not None:
        return
    from orchcore.config_schema import BACKUPS_KEEP
    from orchcore.store.backup import backup as take, backups_dir

    runtime = runtime_of(ctx)
    if runtime.store.name != "sqlite":
        raise StoreError(f"the {runtime.store.name} store has no database file to back up")
    made = take(Path(runtime.store.location), backups_dir(runtime.state_dir), BACKUPS_KEEP.read(runtime.config))
    if as_json:
        print_json({"path": str(made.path), "taken_at": made.taken_at, "size": made.size})
    else:
        typer.echo(f"backed up to {made.path} ({made.size} bytes)")


@backup_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The backups, newest first."""
    from orchcore.store.backup import backups_dir, list_backups

    found = list_backups(backups_dir(runtime_of(ctx).state_dir))
    if as_json:
        print_json([{"path": str(b.path), "taken_at": b.taken_at, "size": b.size} for b in found])
    elif not found:
        typer.echo("no backups yet (`orch backup` takes one)")
    else:
        table(None, ["taken at", "size", "path"], [[b.taken_at, b.size, b.path] for b in found])
