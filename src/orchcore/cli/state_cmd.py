"""``orch state``: read and write a session's state by dotted path."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from orchcore import expiry, jsonlimits, limits
from orchcore.cli.common import JsonOption, SessionOption, runtime_of, session_id_of, session_of
from orchcore.cli.output import print_json
from orchcore.statepath import get_path, write_path

app = typer.Typer(help="Read and write session state by path (e.g. state.tasks, mode).", no_args_is_help=True)


def parse_value(text: str, as_string: bool) -> Any:
    """JSON when it parses (42, true, null, {"a": 1}), else the text itself; JSON nested too deep is an error."""
    if as_string:
        return text
    try:
        return jsonlimits.loads(text, "the value")
    except ValueError:
        return text


@app.command("get")
def get(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="Dotted path, e.g. state.tasks.T-1.status")],
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the value at PATH (strings and numbers plain, objects as JSON)."""
    state = session_of(ctx, session)
    value = get_path(state, path)
    if as_json or isinstance(value, (dict, list)):
        print_json(value)
    elif value is None:
        typer.echo("null")
    elif isinstance(value, bool):
        typer.echo("true" if value else "false")
    else:
        typer.echo(value)


@app.command("set")
def set_(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="Dotted path, e.g. current_sprint")],
    value: Annotated[str, typer.Argument(help="JSON (42, true, {...}) or plain text")],
    string: Annotated[bool, typer.Option("--string", help="Store VALUE as text even if it parses as JSON.")] = False,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write VALUE at PATH, as a recorded `state.set` event."""
    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    parsed = parse_value(value, string)
    current = expiry.require_live(runtime.store.get(session_id))  # an archived session is read-only
    write_path(current, path, parsed)  # check first, on this copy: a clear error, nothing written
    data = limits.admit(runtime, session_id, "state.set", {"path": path, "value": parsed})
    event, state = runtime.bus.emit(session_id, "state.set", data, source="cli")
    if as_json:
        print_json({"seq": event.seq, "path": path, "value": get_path(state, path)})
    else:
        typer.echo(f"{path} = {json.dumps(get_path(state, path), ensure_ascii=False)}")
