"""``orch program``: the installed programs, and which one a session runs."""

from __future__ import annotations

from typing import Annotated

import typer

from orchcore.cli.common import JsonOption, SessionOption, runtime_of, session_id_of
from orchcore.cli.output import print_json, table
from orchcore.errors import OrchError

app = typer.Typer(help="Programs: output styles that turn the main agent into a runtime.", no_args_is_help=True)


def _current_mode(runtime, session: str | None) -> str | None:
    try:
        session_id = session_id_of(session)
    except OrchError:
        return None
    state = runtime.store.load(session_id)
    return state.mode if state is not None else None


@app.command("list")
def list_programs(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Installed programs; the session's active one is marked."""
    runtime = runtime_of(ctx)
    provided = runtime.plugins.collect("orch_programs")
    mode = _current_mode(runtime, session)
    rows = [
        {
            "name": name, "description": p.spec.description, "mode": p.spec.session_mode, "icon": p.spec.icon,
            "commands": list(p.spec.commands), "palette": [c.name for c in p.spec.palette],
            "plugin": p.plugin, "distribution": p.distribution, "active": p.spec.session_mode == mode,
        }
        for name, p in sorted(provided.items())
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no programs installed (pip install a program plugin; see `orch plugins list`)")
        return
    table(None, ["", "program", "mode", "description", "palette", "distribution"], [
        ["*" if r["active"] else "", f"{r['icon']} {r['name']}", r["mode"], r["description"],
         ", ".join(r["palette"]), r["distribution"]]
        for r in rows
    ])


@app.command("activate")
def activate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The program (see `orch program list`).")],
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run this program in the session: it takes effect on the next prompt, no restart needed."""
    runtime = runtime_of(ctx)
    programs = runtime.plugins.specs("orch_programs")
    if name not in programs:
        known = ", ".join(sorted(programs)) or "none installed"
        raise OrchError(f"no program {name!r} (programs: {known})")
    spec = programs[name]
    session_id = session_id_of(session)
    event, state = runtime.bus.emit(
        session_id, "session.mode", {"mode": spec.session_mode, "output_style": spec.name}, source="cli"
    )
    if as_json:
        print_json({"session_id": session_id, "program": name, "mode": state.mode, "seq": event.seq})
    else:
        typer.echo(f"{session_id}: program {name} active (mode {state.mode}); it takes effect on the next prompt")


@app.command("deactivate")
def deactivate(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Back to the default mode: no program context, no palette."""
    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    event, state = runtime.bus.emit(session_id, "session.mode", {"mode": "default", "output_style": None}, source="cli")
    if as_json:
        print_json({"session_id": session_id, "mode": state.mode, "seq": event.seq})
    else:
        typer.echo(f"{session_id}: no program active (mode default)")
