"""``orch config``: the palette's commands from a terminal, each with ``--json``.

Loaded only when ``orch config`` runs. Project keys need no session; a
change is also recorded in the session (``config_manager.changed``) when
one is known (``--session`` or ``$CLAUDE_CODE_SESSION_ID``)::

    orch config show
    orch config set statusline.segments mode tasks '*' model
    orch config set orchestration.enabled true --json
    orch config validate || echo "fix .claude/orchcore.json"
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from orchcore.api import JsonOption, OrchError, SessionOption, config_file, known_session_of, print_json, runtime_of

from orch_program_config import actions
from orch_program_config.keys import SettingError

app = typer.Typer(help="Show, check and change the project config (.claude/orchcore.json).", no_args_is_help=True)


def run(ctx: typer.Context, session: str | None, as_json: bool, action, *args: Any) -> Any:
    """Run an action on the project's config; record its events in the session, if one is known; print."""
    runtime, state = runtime_of(ctx), known_session_of(ctx, session)
    where = actions.Where(path=config_file(runtime.project), plugins=runtime.plugins, session=state)
    try:
        outcome = action(where, *args)
    except SettingError as exc:
        raise OrchError(str(exc).replace("\n", "; ")) from None
    from orchcore.api import admit_event

    session_id = state.session_id if state is not None else None
    for event_type, data in outcome.events:
        data = admit_event(runtime, session_id, event_type, data)  # turning orchestration on: limits.max_sessions
        runtime.bus.emit(session_id, event_type, data, source="cli")
    if as_json:
        print_json(outcome.data)
    else:
        typer.echo(outcome.text)
    return outcome


ForceOption = Annotated[bool, typer.Option("--force", help="Also switch the store backend (its sessions are "
                                          "no longer seen).")]
KeyArgument = Annotated[str, typer.Argument(metavar="KEY", help="A dotted key; `orch config show` lists them.")]


@app.command("show")
def show(ctx: typer.Context, key: Annotated[str | None, typer.Argument(metavar="[KEY]")] = None,
         session: SessionOption = None, as_json: JsonOption = False) -> None:
    """The effective config and where each value comes from (env, project file, session, default)."""
    run(ctx, session, as_json, actions.show, *([key] if key else []))


@app.command("get")
def get(ctx: typer.Context, key: KeyArgument, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """One key's effective value (plain for scripts; --json adds its source)."""
    run(ctx, session, as_json, actions.get, key)


@app.command("set")
def set_(ctx: typer.Context, key: KeyArgument,
         value: Annotated[list[str], typer.Argument(metavar="VALUE...", help="true/false, names (a,b or a b), "
                                                     "rows (a,b;c), or JSON.")],
         force: ForceOption = False, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Change a setting: validated, written atomically, nothing changed on error."""
    run(ctx, session, as_json, lambda where: actions.set_value(where, key, " ".join(value), force=force))


@app.command("unset")
def unset(ctx: typer.Context, key: KeyArgument, force: ForceOption = False, session: SessionOption = None,
          as_json: JsonOption = False) -> None:
    """Remove a setting from the file: back to the default."""
    run(ctx, session, as_json, lambda where: actions.unset_value(where, key, force=force))


@app.command("validate")
def validate(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check .claude/orchcore.json; exit 1 when something is wrong."""
    outcome = run(ctx, None, as_json, actions.validate)
    if not outcome.data["ok"]:
        raise typer.Exit(1)


@app.command("teams")
def teams(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Installed teams (and which are active in the session)."""
    run(ctx, session, as_json, actions.teams)


@app.command("agents")
def agents(ctx: typer.Context, team: Annotated[str | None, typer.Argument(metavar="[TEAM]")] = None,
           as_json: JsonOption = False) -> None:
    """Installed agent definitions, of one team or all."""
    run(ctx, None, as_json, actions.agents, *([team] if team else []))


@app.command("segments")
def segments(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Status-line segments and the row each shows in."""
    run(ctx, session, as_json, actions.segments)


@app.command("plugins")
def plugins(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Plugins with their status and what plugins.allow / plugins.deny say about them."""
    run(ctx, None, as_json, actions.plugins)


@app.command("workflows")
def workflows(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Installed programs and slash commands."""
    run(ctx, None, as_json, actions.workflows)
