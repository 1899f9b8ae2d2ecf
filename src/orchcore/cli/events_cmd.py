"""``orch events``: the session's append-only log: list, tail, emit, replay."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from orchcore import jsonlimits
from orchcore.cli.common import JsonOption, SessionOption, runtime_of, session_id_of
from orchcore.cli.output import note, print_json, table
from orchcore.cli.session_cmd import session_json
from orchcore.errors import OrchError
from orchcore.models import Event, unstructure

app = typer.Typer(help="The session's event log.", no_args_is_help=True)
MAX_SEQ = 2**62  # SQLite integers are 64-bit: larger numbers are a usage error, not a crash


def event_json(event: Event) -> dict:
    return unstructure(event)


def _summary(data: dict, width: int = 80) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


def _existing_session(ctx: typer.Context, session: str | None):
    """The runtime and the id of a session that must exist (its state may be corrupt: the log is read)."""
    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    runtime.store.require(session_id)
    return runtime, session_id


def _print(events: list[Event], as_json: bool) -> None:
    if as_json:
        print_json([event_json(e) for e in events])
        return
    if not events:
        typer.echo("no events")
        return
    table(None, ["seq", "time", "type", "source", "data"],
          [[e.seq, e.ts, e.type, e.source, _summary(e.data)] for e in events])


@app.command("list")
def list_events(
    ctx: typer.Context,
    session: SessionOption = None,
    types: Annotated[list[str] | None, typer.Option("--type", "-t", help="Only these types (repeatable).")] = None,
    after: Annotated[int, typer.Option("--after", min=0, max=MAX_SEQ, help="Only events after this sequence number.")] = 0,
    limit: Annotated[int, typer.Option("--limit", "-n", max=MAX_SEQ, help="At most this many, newest; 0 for all.")] = 50,
    every: Annotated[bool, typer.Option("--all", help="Every event of the session, archived ones included (no --limit).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Events of the session, oldest first (the newest --limit of them; --all for every one).

    When the limit leaves events out, a note on stderr says how many there
    are, so stdout (with --json a JSON array) holds only the events.

    Events older than the session's event buffer (limits.event_buffer) are
    archived by compaction; they are still events of the session, listed and
    replayed like the others.
    """
    if limit < 0:
        raise OrchError("--limit must be 0 (all) or more")
    runtime, session_id = _existing_session(ctx, session)
    limit = 0 if every else limit
    # One more than the limit tells whether the limit cut the list.
    events = runtime.store.events(session_id, after=after, types=types, limit=limit + 1 if limit else None, newest=True)
    cut = bool(limit) and len(events) > limit
    if cut:
        events = events[1:]
    _print(events, as_json)
    if cut:
        total = _matching(runtime, session_id, after, types, events[-1].seq)
        note(f"showing the newest {limit} of {total} events; --limit 0 for all")


def _matching(runtime, session_id: str, after: int, types: list[str] | None, newest_seq: int) -> int:
    """How many events `list` would show without a limit; by sequence number when no --type filters them
    (a session's sequence numbers have no gaps: StoreContract)."""
    if not types:
        return newest_seq - after
    return len(runtime.store.events(session_id, after=after, types=types))


@app.command("tail")
def tail(
    ctx: typer.Context,
    session: SessionOption = None,
    lines: Annotated[int, typer.Option("--lines", "-n", max=MAX_SEQ, help="How many of the latest to show first.")] = 10,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events as they arrive.")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.05, max=3600, help="Seconds between polls with --follow.")] = 0.5,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Stop following after this many seconds.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The latest events; with --follow, new ones as they are committed."""
    if lines < 0:
        raise OrchError("--lines must be 0 or more")
    runtime, session_id = _existing_session(ctx, session)
    events = runtime.store.events(session_id, limit=lines, newest=True) if lines else []
    last = events[-1].seq if events else _last(runtime, session_id)
    _emit_lines(events, as_json)
    deadline = None if timeout is None else time.monotonic() + timeout
    while follow and (deadline is None or time.monotonic() < deadline):
        time.sleep(interval)
        new = runtime.store.events(session_id, after=last)
        if new:
            last = new[-1].seq
            _emit_lines(new, as_json)


def _last(runtime, session_id: str) -> int:
    newest = runtime.store.events(session_id, limit=1, newest=True)
    return newest[-1].seq if newest else 0


def _emit_lines(events: list[Event], as_json: bool) -> None:
    for e in events:
        if as_json:
            typer.echo(json.dumps(event_json(e), ensure_ascii=False))
        else:
            typer.echo(f"{e.seq:>6}  {e.ts}  {e.type:<22} {e.source:<10} {_summary(e.data)}")


@app.command("emit")
def emit(
    ctx: typer.Context,
    type: Annotated[str, typer.Argument(help="Event type, e.g. task.created (see `orch events types`).")],
    data: Annotated[str, typer.Option("--data", "-d", help="Event data as a JSON object.")] = "{}",
    source: Annotated[str, typer.Option("--source", help="Who emits it.")] = "cli",
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Append an event; its reducer updates the state in the same transaction."""
    try:
        payload = jsonlimits.loads(data, "--data")
    except ValueError as exc:
        raise OrchError(f"--data is not valid JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise OrchError("--data must be a JSON object")
    from orchcore import expiry, limits
    from orchcore.builtin.lifecycle_events import LIFECYCLE_TYPES

    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    if type not in LIFECYCLE_TYPES and runtime.store.has_session(session_id):
        expiry.require_live(runtime.store.get(session_id))  # an archived session is read-only
    payload = limits.admit(runtime, session_id, type, payload)  # the project's limits, as on every other path
    event, _ = runtime.bus.emit(session_id, type, payload, source=source)
    if as_json:
        print_json(event_json(event))
    else:
        typer.echo(f"{event.seq} {event.type}")


@app.command("types")
def types(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Event types known to the installed plugins."""
    provided = runtime_of(ctx).bus.types
    rows = [{"type": n, "plugin": p.plugin, "description": p.spec.description} for n, p in sorted(provided.items())]
    if as_json:
        print_json(rows)
    else:
        table(None, ["type", "plugin", "description"], [[r["type"], r["plugin"], r["description"]] for r in rows])


@app.command("replay")
def replay(
    ctx: typer.Context,
    session: SessionOption = None,
    upto: Annotated[int | None, typer.Option("--upto", min=0, max=MAX_SEQ, help="Fold the log only up to this sequence number.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Compare with the stored state; exit 1 if they differ.")] = False,
    from_start: Annotated[bool, typer.Option("--from-start", help="Fold from the first event, not from the newest snapshot.")] = False,
) -> None:
    """Rebuild the state by folding the event log; prints it as JSON.

    The fold starts at the session's newest snapshot before --upto (compaction
    and checkpoints make them), unless --from-start. --check folds both ways
    and compares each with the stored state.
    """
    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    state = runtime.bus.replay(session_id, upto=upto, from_start=from_start)
    if check:
        stored = runtime.store.get(session_id)
        if upto is not None:
            raise OrchError("--check compares the whole log; leave out --upto")
        if stored != runtime.bus.replay(session_id, from_start=True):
            raise OrchError(f"session {session_id}: the stored state differs from the replayed log")
        if stored != state:
            raise OrchError(f"session {session_id}: the stored state differs from the replay from its newest "
                            "snapshot (the snapshot is wrong; the log and the state agree)")
        typer.echo(f"{session_id}: stored state equals the replayed log")
        return
    print_json(session_json(state))
