"""``orch plugins``: what is installed, what it implements, what is broken."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchcore.cli.common import runtime_of
from orchcore.cli.output import print_json, table
from orchcore.errors import OrchError
from orchcore.plugins import hook_names

app = typer.Typer(help="Inspect installed plugins, or start a new one.", no_args_is_help=True)


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


@app.command("new")
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The distribution's name, e.g. orch-program-standup.")],
    kind: Annotated[str, typer.Option("--kind", help="program, segment, handler or commands.")],
    folder: Annotated[Path | None, typer.Option("--dir", help="Where to write it (default: ./NAME).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty, "
                                        "overwriting the files the scaffold writes.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the names and the files written as JSON.")] = False,
) -> None:
    """Write a new plugin distribution: pyproject with the entry point, the plugin, a README, passing tests."""
    from orchcore import scaffold

    names = scaffold.names_for(name, kind)
    _refuse_a_taken_name(ctx, names, scaffold.KINDS[kind])
    target = (folder or Path(name)).absolute()
    written = scaffold.write(target, scaffold.files_for(names), force=force)
    if as_json:
        print_json({"name": names.name, "package": names.package, "plugin": names.plugin, "kind": kind,
                    "adds": names.stem, "folder": str(target), "files": [str(p.relative_to(target)) for p in written]})
        return
    typer.echo(f"wrote {names.name} ({scaffold.KINDS[kind].adds} {names.stem!r}) into {target}:")
    for path in written:
        typer.echo(f"  {path.relative_to(target)}")
    typer.echo(f"next: cd {target} && pip install -e '.[test]' && python -m pytest && orch plugins list")


def _refuse_a_taken_name(ctx: typer.Context, names, kind) -> None:
    """Its names must be free: a plugin name, a core command, or a spec another distribution provides."""
    if kind.name == "commands" and names.stem in ctx.find_root().command.commands:  # the core's, not plugins'
        raise OrchError(f"{names.stem!r} is a core orch command, which would hide the plugin's CLI group; "
                        f"choose another name than {names.name!r}")
    plugins = runtime_of(ctx).plugins
    record = plugins.records.get(names.plugin)
    if record is not None and record.distribution != names.name:
        raise OrchError(f"a plugin named {names.plugin!r} is installed already (from "
                        f"{record.distribution or 'orchcore'}); choose another name than {names.name!r}")
    provided = plugins.collect(kind.hooks[0]).get(names.stem)
    if provided is not None and provided.distribution != names.name:
        raise OrchError(f"{kind.adds} named {names.stem!r} is provided already by plugin {provided.plugin!r} "
                        f"({provided.distribution or 'registered in-process'}); choose another name than {names.name!r}")
