"""``orch msg``: the session's message bus between agents and teams.

Messages are queued with a priority (critical > high > normal > low) and
received in that order, oldest first within a priority. A recipient is an
agent (id, name or type), a team, or ``all``; ``receive --as NAME`` takes what
is addressed to that name, to its team (``--team``) and to ``all``. At most
``limits.max_messages`` (100) wait per session: beyond that a send is refused
with an error naming the limit. A received message leaves the queue; the log
keeps it (``orch events list --type message.delivered``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from orchcore import messaging
from orchcore.cli.common import JsonOption, SessionOption, runtime_of, session_id_of, session_of
from orchcore.cli.output import note, print_json, table
from orchcore.domain.vocabulary import MessageStatus, priority_rank

app = typer.Typer(help="The message bus between agents and teams.", no_args_is_help=True)


def _send(ctx, session, sender, recipient, text, priority, kind, as_json) -> None:
    data, event = messaging.send(runtime_of(ctx), session_id_of(session), sender, recipient, text, priority, kind)
    if as_json:
        print_json({**data, "seq": event.seq})
    else:
        typer.echo(f"{data['id']} queued for {recipient} ({priority})")


@app.command("send")
def send(
    ctx: typer.Context,
    recipient: Annotated[str, typer.Argument(help="An agent (id, name or type), a team, or 'all'.")],
    text: Annotated[str, typer.Argument(help="The message.")],
    sender: Annotated[str, typer.Option("--from", help="Who sends it.")] = "main",
    priority: Annotated[str, typer.Option("--priority", "-p", help="critical, high, normal or low.")] = "normal",
    kind: Annotated[str, typer.Option("--type", help="note, question, handoff, …")] = "note",
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Queue a message for an agent or a team."""
    _send(ctx, session, sender, recipient, text, priority, kind, as_json)


@app.command("broadcast")
def broadcast(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The message.")],
    team: Annotated[str | None, typer.Option("--team", help="Only this team (else every agent).")] = None,
    sender: Annotated[str, typer.Option("--from", help="Who sends it.")] = "main",
    priority: Annotated[str, typer.Option("--priority", "-p", help="critical, high, normal or low.")] = "normal",
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Queue a message for a whole team, or for all agents."""
    _send(ctx, session, sender, team or "all", text, priority, "broadcast", as_json)


@app.command("receive")
def receive(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--as", help="The receiving agent's id, name or type.")] = "main",
    team: Annotated[str | None, typer.Option("--team", help="Also what is addressed to this team.")] = None,
    peek: Annotated[bool, typer.Option("--peek", help="Show without marking them delivered.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="At most this many.")] = 10,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take the waiting messages for NAME (and its team, and 'all'), most urgent first (at most --limit).

    Messages beyond the limit stay queued; a note on stderr says how many.
    """
    names = {name, "all"} | ({team} if team else set())
    runtime, session_id = runtime_of(ctx), session_id_of(session)
    rows = messaging.take(runtime, session_id, names, limit=limit, peek=peek)
    if len(rows) == limit:
        left = len(messaging.waiting(runtime.store.get(session_id).state.messages, names)) - (limit if peek else 0)
        if left > 0:
            note(f"{left} more message(s) waiting for {name}; receive again, or --limit up to 100")
    if as_json:
        print_json(rows)
    elif not rows:
        typer.echo(f"no messages for {name}")
    else:
        for r in rows:
            typer.echo(f"[{r['priority']}] {r['from']} → {r['to']}: {r['payload']}")


@app.command("status")
def status(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """The queue: how many wait, per recipient and priority; how many were delivered (from the log)."""
    from orchcore.config_schema import MAX_MESSAGES

    runtime = runtime_of(ctx)
    state = session_of(ctx, session)
    queued = [m for m in state.state.messages if m.status == MessageStatus.QUEUED]
    per: dict[tuple[str, str], int] = {}
    for m in queued:
        per[(m.recipient, m.priority)] = per.get((m.recipient, m.priority), 0) + 1
    deliveries = runtime.store.events(state.session_id, types=["message.delivered"])
    data = {"queued": len(queued), "limit": MAX_MESSAGES.read(runtime.config),
            "delivered": len({i for e in deliveries for i in e.data.get("ids", [])}),
            "by_recipient": [{"to": to, "priority": p, "count": n}
                             for (to, p), n in sorted(per.items(), key=lambda kv: (kv[0][0], priority_rank(kv[0][1])))]}
    if as_json:
        print_json(data)
        return
    typer.echo(f"{data['queued']} queued of at most {data['limit']}, {data['delivered']} delivered")
    if per:
        table(None, ["to", "priority", "queued"], [[r["to"], r["priority"], r["count"]] for r in data["by_recipient"]])
