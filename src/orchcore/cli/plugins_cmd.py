"""``orch plugins``: what is installed, what it implements, what is broken."""

from __future__ import annotations

from typing import Annotated

import typer

from orchcore.cli.common import runtime_of
from orchcore.cli.output import print_json, table
from orchcore.errors import OrchError
from orchcore.plugins import hook_names

app = typer.Typer(help="Inspect installed plugins.", no_args_is_help=True)



@app.command("list")
def list_plugins(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Show each built-in plugin on its own line.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON row per plugin, built-ins included.")] = False,
    hook: Annotated[str | None, typer.Option("--hook", help="Only plugins that implement this hook.")] = None,
) -> None:
    """List plugins: name, version, distribution, status, hooks, location, error."""
    plugins = runtime_of(ctx).plugins
    plugins.load()
    for hook_name in hook_names():
        plugins.collect(hook_name)  # so name conflicts show up as errors here
    records = list(plugins.records.values())
    if hook is not None:
        wanted = hook if hook.startswith("orch_") else f"orch_{hook}"
        if wanted not in hook_names():
            raise OrchError(f"unknown hook {hook!r}; hooks are: {', '.join(hook_names())}")
        records = [r for r in records if wanted in (r.hooks or [])]
    if as_json:
        print_json([r.as_row() for r in records])
        return
    rows = []
    builtins = [r for r in records if r.builtin]
    if builtins and not all_:
        broken = [r for r in builtins if r.status != "active"]
        hooks = sorted({h for r in builtins for h in r.hooks or []})
        status = "active" if not broken else f"{len(broken)} not active: " + ", ".join(r.name for r in broken)
        rows.append(
            [f"built-ins ({len(builtins)})", builtins[0].version, "orchcore", status, ", ".join(hooks), "--all to expand"]
        )
        records = [r for r in records if not r.builtin]
    for r in records:
        detail = r.error or r.location or ""
        rows.append([r.name, r.version, r.distribution, r.status, ", ".join(r.hooks or []), detail])
    if not rows:
        typer.echo("no plugins" + (f" implement {hook}" if hook else ""))
        return
    table(None, ["name", "version", "distribution", "status", "hooks", "location / error"], rows)
