"""``orch install``, ``orch uninstall`` and ``orch doctor``: printing only; the logic is in
``orchcore.install`` and ``orchcore.doctor``.

Registered on the root app in ``make_app`` as plain commands.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from orchcore import doctor as checks_logic
from orchcore import install as logic
from orchcore.cli.common import JsonOption, runtime_of
from orchcore.cli.output import print_json, table

ScopeOption = Annotated[
    str,
    typer.Option("--scope", help="Which settings: project (.claude/settings.json), user (~/.claude) or local "
                 "(.claude/settings.local.json)."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the diff of every file it would change; change nothing.")
]


def install(
    ctx: typer.Context,
    scope: ScopeOption = "project",
    dry_run: DryRunOption = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace another status line, and files orch install did not write or you edited."),
    ] = False,
    launcher: Annotated[
        str | None,
        typer.Option("--launcher", help="How the wiring starts orch, instead of this environment's absolute path; "
                     "e.g. '\"$CLAUDE_PROJECT_DIR\"/.venv/bin/orch' for settings committed with a project."),
    ] = None,
    transport: Annotated[
        str | None,
        typer.Option("--transport", help="http: Claude Code posts events to the resident runtime (the default for "
                     "project and local scope); command: a process per event (user scope always)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="The loopback port for the http hooks (default: the one wired already, "
                     "else one derived from the project's path)."),
    ] = None,
    no_mcp: Annotated[
        bool,
        typer.Option("--no-mcp", help="Leave out the `orch mcp` server (.mcp.json, its enabling and permission "
                     "rule); takes out one an earlier install added."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Wire orchcore into Claude Code's settings and write what plugins provide into .claude/.

    All or nothing: if a write fails, everything written so far is undone. A
    symlink on the way to a file is followed when it stays inside the project
    (the summary says so) and refused when it leads outside.
    """
    plan = logic.plan_install(runtime_of(ctx), scope, force=force, launcher=launcher, transport=transport, port=port,
                              mcp=not no_mcp)
    _finish(plan, dry_run, as_json)


def uninstall(
    ctx: typer.Context,
    scope: ScopeOption = "project",
    dry_run: DryRunOption = False,
    keep_backup: Annotated[
        bool,
        typer.Option("--keep-backup", help="Keep settings.json.orchcore-backup (the settings as they were before "
                     "orch install); by default uninstall removes it."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove exactly what orch install added, and its backups (files you edited are kept)."""
    plan = logic.plan_uninstall(runtime_of(ctx), scope, keep_backup=keep_backup)
    _finish(plan, dry_run, as_json)


def doctor(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check the wiring, the plugins, the store and the hook router; exit 1 when a check fails."""
    checks = checks_logic.run_checks(runtime_of(ctx))
    failed = any(c.status == checks_logic.FAIL for c in checks)
    if as_json:
        print_json({"ok": not failed, "checks": [c.as_row() for c in checks]})
    else:
        table(None, ["check", "status", "detail"], [[c.name, c.status, c.detail] for c in checks])
    if failed:
        raise typer.Exit(1)


def _finish(plan: Any, dry_run: bool, as_json: bool) -> None:
    if not dry_run:
        logic.apply(plan)
    if as_json:
        summary = dict(plan.summary, dry_run=dry_run)
        if dry_run:
            summary["diff"] = plan.diff()
        print_json(summary)
    elif dry_run:
        typer.echo(plan.diff() or "nothing to change", nl=False if plan.changed else True)
    else:
        _print_summary(plan.summary)


def _print_summary(summary: dict[str, Any]) -> None:
    verb = summary["command"]
    if not summary["changed"]:
        typer.echo(f"{summary['settings']}: nothing to change")
    else:
        typer.echo(f"{summary['settings']}: updated ({verb}, {summary['scope']} scope)")
    if verb == "install" and summary.get("transport") == "http":
        typer.echo(f"  http hooks: 127.0.0.1:{summary['port']} (the secret is in .claude/settings.local.json)")
    hooks = summary["hooks"]
    wired = logic.wired_events(summary.get("claude_code"))
    for key in ("added", "updated", "removed"):
        if set(hooks[key]) == set(wired):
            typer.echo(f"  hooks {key}: all {len(wired)} events")
        elif hooks[key]:
            typer.echo(f"  hooks {key}: {', '.join(hooks[key])}")
    if summary.get("events_left_out"):
        left = ", ".join(summary["events_left_out"])
        typer.echo(f"  not wired, unknown to Claude Code {summary['claude_code']}: {left}")
    status = summary["status_line"]
    if status == "kept foreign":
        typer.echo("  statusLine: kept the existing one (not orchcore's); --force replaces it")
    elif status != "unchanged":
        typer.echo(f"  statusLine: {status}")
    mcp = summary.get("mcp") or {}
    if mcp.get("server") == "kept foreign":
        typer.echo(f"  mcp: kept the existing 'orchcore' server in {mcp['file']} (not orch mcp); "
                   "nothing enabled or allowed for it")
    elif mcp.get("server") not in (None, "unchanged"):
        typer.echo(f"  mcp: {mcp['server']}" + (f" ({mcp['file']})" if "file" in mcp else ""))
    files = summary["files"]
    for key in ("written", "updated", "removed", "restored"):
        for path in files.get(key, []):
            typer.echo(f"  {key} {path}")
    for skipped in files["skipped"]:
        typer.echo(f"  skipped {skipped['path']}: {skipped['reason']}")
    if summary.get("backup"):
        typer.echo(f"  backup: {summary['backup']}")
    for path in summary.get("backups_removed", []):
        typer.echo(f"  removed backup {path}")
    for link in summary.get("links", []):
        typer.echo(f"  followed symlink {link['link']} -> {link['target']} (inside the project)")
