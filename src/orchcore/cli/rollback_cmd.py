"""``orch rollback --to SEQ|CHECKPOINT``: a session's state as it was, recorded as a new event."""

from __future__ import annotations

from typing import Annotated

import typer

from orchcore import checkpoints, expiry
from orchcore.cli.common import JsonOption, SessionOption, runtime_of, session_id_of
from orchcore.cli.output import print_json
from orchcore.errors import OrchError
from orchcore.models import unstructure

ToOption = Annotated[
    str | None,
    typer.Option("--to", help="The event number, or the checkpoint's name, whose state to return to.",
                 show_default=False),
]


def rollback(ctx: typer.Context, to: ToOption = None, session: SessionOption = None, as_json: JsonOption = False):
    """Return the state to an event or a checkpoint: a new state.restored event, nothing is deleted."""
    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    expiry.require_live(runtime.store.get(session_id))
    if not to or not to.strip():
        raise OrchError("orch rollback: name a target: --to SEQ or --to CHECKPOINT "
                        f"(checkpoints: {checkpoints.describe(runtime.store, session_id)})")
    seq, name = checkpoints.target(runtime.store, session_id, to)
    done = checkpoints.rollback(runtime, session_id, seq, name)
    event = done.event
    if as_json:
        print_json({"session_id": session_id, "seq": event.seq, "to_seq": seq, "checkpoint": name,
                    "undone": done.undone, "session": unstructure(done.after)})
        return
    point = f"checkpoint {name} (event {seq})" if name else f"event {seq}"
    typer.echo(f"Rolled back to {point}: {done.undone} event(s) undone, recorded as event {event.seq} "
               f"(nothing deleted; undo with: orch rollback --to {event.seq - 1}).")
