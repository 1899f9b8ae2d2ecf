"""``orch export claude-plugin DIR``: printing only; the logic is in ``orchcore.install.claude_plugin``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from orchcore.cli.common import JsonOption, runtime_of
from orchcore.cli.output import print_json

app = typer.Typer(help="Export orchcore for other tools: a native Claude Code plugin.", no_args_is_help=True)


@app.command("claude-plugin")
def claude_plugin(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the plugin (absent or empty).")],
    marketplace: Annotated[
        bool,
        typer.Option("--marketplace", help="Make DIR a marketplace folder holding the plugin under plugins/NAME, "
                     "for `claude plugin marketplace add DIR`."),
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help="The plugin's name, its namespace in Claude Code (/NAME:…).")
    ] = "orchcore",
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier export in DIR.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a Claude Code plugin: orchcore's hooks, commands, agents, output styles and MCP server.

    Its hooks and server start this environment's orch by absolute path, so
    the plugin works in every project without `orch install`. A plugin cannot
    set the status line: the settings line to add is printed.
    """
    from orchcore.install import claude_plugin as logic

    export = logic.plan_export(runtime_of(ctx).plugins, directory.absolute(), name=name, marketplace=marketplace)
    logic.write_export(export, force=force)
    summary = export.summary()
    if as_json:
        print_json(summary)
        return
    kind = f"plugin {export.name}"
    if marketplace:
        kind = f"marketplace {summary['marketplace']} holding {kind}"
    typer.echo(f"{export.root}: wrote {kind}")
    typer.echo(f"  hooks: {len(summary['hooks'])} events -> {summary['hook_command']}")
    typer.echo(f"  commands: {summary['commands']}, agents: {summary['agents']}, "
               f"output styles: {summary['output-styles']}, mcp server: orch mcp")
    for skipped in export.skipped:
        typer.echo(f"  skipped {skipped['path']}: {skipped['reason']}")
    if marketplace:
        typer.echo(f"  install: claude plugin marketplace add {export.root} && "
                   f"claude plugin install {summary['install']}")
    else:
        typer.echo(f"  try it: claude --plugin-dir {export.root}; or export with --marketplace to install it")
    typer.echo("  a plugin cannot set the status line; add this to ~/.claude/settings.json:")
    typer.echo(f"    {json.dumps(summary['status_line'])}")
