"""``orch leadership``: the palette's commands from a terminal, or from Bash inside Claude Code.

Loaded only when ``orch leadership`` runs (typer is never imported on the
hook path). The session is ``--session`` or ``$CLAUDE_CODE_SESSION_ID``, so a
director subagent's Bash call finds its session by itself::

    orch leadership post 2 --author eng-director "Postgres: we need transactions"
    orch leadership decide eng-director Adopt Postgres --rationale "transactions" --thread 2
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from orchcore.api import JsonOption, OrchError, SessionOption, note, print_json, runtime_of, session_of

from orch_program_leadership import actions

app = typer.Typer(
    help="Leadership meeting: threads among directors, the decision log, team load and allocation.",
    no_args_is_help=True,
)
AuthorOption = Annotated[str, typer.Option("--author", "--by", help="Who writes it (a director's name).")]


def specs(runtime: Any, hook: str) -> dict[str, Any]:
    return runtime.plugins.specs(hook)


def finish(ctx: typer.Context, session: str | None, build, as_json: bool) -> None:
    """Run an action on the session; record its events; print its text or its object as JSON."""
    runtime, state = runtime_of(ctx), session_of(ctx, session)
    try:
        outcome = build(runtime, state)
    except actions.CommandError as exc:
        raise OrchError(str(exc).replace("\n", "; ")) from None
    from orchcore.api import admit_event

    for event_type, data in outcome.events:
        data = admit_event(runtime, state.session_id, event_type, data)  # the project's limits (limits.*)
        _, state = runtime.bus.emit(state.session_id, event_type, data, source="cli")
    if as_json:
        print_json(outcome.result(state) if outcome.result else {"text": outcome.text})
    else:
        typer.echo(outcome.text)


@app.command("threads")
def threads(ctx: typer.Context,
            all_: Annotated[bool, typer.Option("--all", help="Closed threads too.")] = False,
            session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Open threads with their last posts."""
    state = session_of(ctx, session)
    if as_json:
        from orch_program_leadership.events import read_space
        from orch_program_leadership.views import open_threads

        print_json(list(read_space(state)["threads"].values()) if all_ else open_threads(state))
    else:
        typer.echo(actions.list_threads(state, all_).text)


@app.command("thread")
def thread(ctx: typer.Context, thread_id: Annotated[str, typer.Argument(metavar="ID")],
           session: SessionOption = None, as_json: JsonOption = False) -> None:
    """One thread with every post."""
    finish(ctx, session, lambda runtime, state: actions.show_thread(state, thread_id), as_json)


@app.command("open")
def open_(ctx: typer.Context, title: Annotated[list[str], typer.Argument(metavar="TITLE...")],
          author: AuthorOption = "chair",
          team: Annotated[str | None, typer.Option("--team", help="The team the thread is about.")] = None,
          participants: Annotated[str | None, typer.Option(
              "--participants", help="Comma-separated directors invited to it.")] = None,
          session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Open a discussion thread."""
    invited = [p.strip() for p in (participants or "").split(",") if p.strip()]
    finish(ctx, session, lambda runtime, state: actions.open_thread(
        state, " ".join(title), by=author, team=team, participants=invited), as_json)


@app.command("post")
def post(ctx: typer.Context, thread_id: Annotated[str, typer.Argument(metavar="ID")],
         text: Annotated[list[str], typer.Argument(metavar="TEXT...")],
         author: AuthorOption = "chair", session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Post in an open thread."""
    finish(ctx, session, lambda runtime, state: actions.post(state, thread_id, " ".join(text), author), as_json)


@app.command("close")
def close(ctx: typer.Context, thread_id: Annotated[str, typer.Argument(metavar="ID")],
          outcome: Annotated[str | None, typer.Option("--outcome", help="What the thread concluded.")] = None,
          author: AuthorOption = "chair", session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Close a thread."""
    finish(ctx, session, lambda runtime, state: actions.close_thread(state, thread_id, outcome, author), as_json)


@app.command("decisions")
def decisions(ctx: typer.Context,
              owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's (or team's).")] = None,
              limit: Annotated[int, typer.Option("--limit", min=0, help="The last N (0: all).")] = 20,
              session: SessionOption = None, as_json: JsonOption = False) -> None:
    """The decision log, newest first (the last --limit; the text, or with --json a note on stderr, says so)."""

    def build(runtime: Any, state: Any) -> actions.Outcome:
        total = len(actions.list_decisions(state, owner, 0).result(state)) if as_json and limit else 0
        if total > limit:
            note(f"showing the last {limit} of {total} decisions; --limit 0 for all")
        return actions.list_decisions(state, owner, limit)

    finish(ctx, session, build, as_json)


@app.command("decide")
def decide(ctx: typer.Context, owner: Annotated[str, typer.Argument(metavar="OWNER")],
           decision: Annotated[list[str], typer.Argument(metavar="DECISION...")],
           rationale: Annotated[str | None, typer.Option("--rationale", "--why", help="Why.")] = None,
           thread_id: Annotated[str | None, typer.Option("--thread", help="The thread it settles.")] = None,
           date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today, UTC).")] = None,
           team: Annotated[str | None, typer.Option("--team", help="The team it concerns.")] = None,
           author: AuthorOption = "chair", session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Log a decision: what, who owns it, why."""
    if rationale is None:
        text, why = actions.split_rationale(decision)
    else:
        text, why = " ".join(decision), rationale
    finish(ctx, session, lambda runtime, state: actions.decide(
        state, owner, text, why, thread=thread_id, date=date, team=team, by=author), as_json)


@app.command("allocate")
def allocate(ctx: typer.Context, team: Annotated[str, typer.Argument(metavar="TEAM")],
             agents: Annotated[str, typer.Argument(metavar="N")],
             note: Annotated[str | None, typer.Option("--note", help="Why this allocation.")] = None,
             author: AuthorOption = "chair", session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Set how many agents a team gets."""
    finish(ctx, session, lambda runtime, state: actions.allocate(
        state, team, agents, specs(runtime, "orch_teams"), note=note, by=author), as_json)


@app.command("teams")
def teams(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Load and completion per team."""
    finish(ctx, session, lambda runtime, state: actions.teams(
        state, specs(runtime, "orch_teams"), specs(runtime, "orch_agents")), as_json)


@app.command("perf")
def perf(ctx: typer.Context, team: Annotated[str | None, typer.Argument(metavar="[TEAM]")] = None,
         session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Performance analysis per team, and what needs the meeting's attention."""
    finish(ctx, session, lambda runtime, state: actions.performance(
        state, team, specs(runtime, "orch_teams"), specs(runtime, "orch_agents")), as_json)
