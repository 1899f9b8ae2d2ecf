"""``orch session``: list, inspect and steer Claude Code sessions."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from orchcore import limits
from orchcore.cli.common import JsonOption, SessionArgument, SessionOption, one_session, runtime_of, session_id_of
from orchcore.cli.output import console, note, print_json, table
from orchcore.domain.teams import team_definitions
from orchcore.errors import OrchError
from orchcore.ids import check_session_id, new_session_id
from orchcore.models import Session, unstructure

app = typer.Typer(help="List, inspect and steer sessions.", no_args_is_help=True)

def session_json(session: Session, last_seq: int | None = None) -> dict:
    data = unstructure(session)
    if last_seq is not None:
        data["last_seq"] = last_seq
    return data


def _last_seq(runtime, session_id: str) -> int:
    events = runtime.store.events(session_id, limit=1, newest=True)
    return events[-1].seq if events else 0


def _last_activity(runtime, session_id: str) -> str | None:
    """When a hook last saw the session (the gate's flag file), for sessions not writing events."""
    from datetime import datetime, timezone

    from orchcore import gate

    seen = gate.last_activity(str(runtime.state_dir), session_id)
    if seen is None:
        return None
    return datetime.fromtimestamp(seen, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _show(session: Session, last_seq: int, last_seen: str | None = None) -> None:
    s = session.state
    out = console()
    flag = "[green]on[/green]" if session.orchestration_enabled else "[dim]off[/dim]"
    out.print(f"[bold]session[/bold] {session.session_id}")
    out.print(f"  orchestration  {flag}")
    out.print(f"  mode           {session.mode}")
    out.print(f"  output style   {session.runtime_config.output_style or '-'}")
    out.print(f"  active teams   {', '.join(session.active_teams) or '-'}")
    out.print(f"  epic / sprint  {session.current_epic or '-'} / {session.current_sprint or '-'}")
    out.print(f"  created        {session.created_at}")
    out.print(f"  updated        {session.updated_at}  (event {last_seq})")
    if last_seen:
        out.print(f"  last activity  {last_seen}")
    if session.ended_at:
        out.print(f"  ended          {session.ended_at}")
    if session.archived_at:
        out.print(f"  archived       {session.archived_at}  (read-only; its next hook event or "
                  "`orch session revive` revives it)")
    by_status: dict[str, int] = {}
    for task in s.tasks.values():
        by_status[task.status] = by_status.get(task.status, 0) + 1
    tasks = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items())) or "none"
    from orchcore.domain.vocabulary import WORKING_AGENT, MessageStatus

    active = sum(a.status in WORKING_AGENT for a in s.agents.values())
    queued = sum(m.status == MessageStatus.QUEUED for m in s.messages)
    out.print(f"  agents         {len(s.agents)} ({active} active)")
    out.print(f"  tasks          {tasks}")
    out.print(f"  messages       {len(s.messages)} ({queued} queued)")
    if s.metrics:
        out.print("  metrics        " + ", ".join(f"{k}={v}" for k, v in sorted(s.metrics.items())))


@app.command("list")
def list_sessions(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Archived sessions too (marked).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Every session in this project's store, most recently active first (archived ones with --all)."""
    from orchcore import expiry

    store = runtime_of(ctx).store
    listed = [(i, expiry.archived_at(store, i)) for i in store.sessions()]
    hidden = sum(archived is not None for _, archived in listed)
    if not show_all:
        listed = [(i, archived) for i, archived in listed if archived is None]
    if as_json:
        print_json([
            {
                "session_id": i.session_id, "created_at": i.created_at, "updated_at": i.updated_at,
                "last_seq": i.last_seq, "orchestration_enabled": i.orchestration_enabled, "mode": i.mode,
                "archived_at": archived,
            }
            for i, archived in listed
        ])
        return
    more = f" ({hidden} archived: `orch session list --all`)" if hidden and not show_all else ""
    if not listed:
        typer.echo("no sessions yet (Claude Code creates them through `orch hook`, or use `orch session create`)"
                   if not hidden else f"no active sessions{more}")
        return
    current = os.environ.get("CLAUDE_CODE_SESSION_ID", "").lower()
    table(
        None,
        ["", "session", "orchestration", "mode", "events", "updated"],
        [
            ["*" if i.session_id == current else ("archived" if archived else ""), i.session_id,
             "on" if i.orchestration_enabled else "off", i.mode, i.last_seq, i.updated_at]
            for i, archived in listed
        ],
    )
    if more:
        note(more.strip(" ()"))


@app.command("show")
def show(
    ctx: typer.Context, session_arg: SessionArgument = None, session: SessionOption = None, as_json: JsonOption = False
) -> None:
    """A session's state: flags, mode, teams, sprint, agents, tasks, messages, metrics."""
    runtime = runtime_of(ctx)
    session_id = session_id_of(one_session(session, session_arg))
    state = runtime.store.get(session_id)
    last_seq = _last_seq(runtime, session_id)
    last_seen = _last_activity(runtime, session_id)
    if as_json:
        data = session_json(state, last_seq)
        data["last_activity"] = last_seen
        print_json(data)
    else:
        _show(state, last_seq, last_seen)


@app.command("create")
def create(
    ctx: typer.Context,
    session_arg: SessionArgument = None,
    enable: Annotated[bool, typer.Option("--enable", help="Turn orchestration on from the start.")] = False,
    mode: Annotated[str | None, typer.Option("--mode", help="Initial mode.")] = None,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start tracking a session (Claude Code's hooks do this on their own); without an id, a new one."""
    runtime = runtime_of(ctx)
    session_id = one_session(session, session_arg)
    if session_id is None:
        session_id = os.environ.get("CLAUDE_CODE_SESSION_ID") or new_session_id()
    chosen = check_session_id(session_id)
    if runtime.store.load(chosen) is not None:
        raise OrchError(f"session {chosen} already exists; see `orch session show --session {chosen}`")
    fields: dict = {"orchestration_enabled": enable}
    if mode:
        fields["mode"] = mode
    fields = limits.admit(runtime, chosen, "session.created", fields)  # limits.max_sessions
    state = runtime.bus.create_session(chosen, source="cli", **fields)
    if as_json:
        print_json(session_json(state, 1))
    else:
        typer.echo(chosen)


def _writable(ctx: typer.Context, session: str | None):
    """(runtime, session id) for a command that changes the session: an archived one is read-only until revived."""
    from orchcore import expiry

    runtime = runtime_of(ctx)
    session_id = session_id_of(session)
    expiry.require_live(runtime.store.get(session_id))
    return runtime, session_id


def _emit(ctx: typer.Context, session: str | None, type: str, data: dict, as_json: bool, done: str) -> None:
    runtime, session_id = _writable(ctx, session)
    data = limits.admit(runtime, session_id, type, data)  # limits.max_sessions when it turns orchestration on
    event, state = runtime.bus.emit(session_id, type, data, source="cli")
    if as_json:
        print_json(session_json(state, event.seq))
    else:
        typer.echo(f"{session_id}: {done}")


@app.command("enable")
def enable(
    ctx: typer.Context, session_arg: SessionArgument = None, session: SessionOption = None, as_json: JsonOption = False
) -> None:
    """Turn orchestration on for this session only."""
    _emit(ctx, one_session(session, session_arg), "session.orchestration", {"enabled": True}, as_json, "orchestration on")


@app.command("disable")
def disable(
    ctx: typer.Context, session_arg: SessionArgument = None, session: SessionOption = None, as_json: JsonOption = False
) -> None:
    """Turn orchestration off for this session only."""
    _emit(ctx, one_session(session, session_arg), "session.orchestration", {"enabled": False}, as_json, "orchestration off")


@app.command("set-mode")
def set_mode(
    ctx: typer.Context,
    mode: Annotated[str, typer.Argument(help="The mode, e.g. a program name or 'default'.")],
    output_style: Annotated[str | None, typer.Option("--output-style", help="Also record this output style.")] = None,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set the session's mode."""
    if not mode.strip():
        raise OrchError("the mode must not be empty")
    data: dict = {"mode": mode}
    if output_style is not None:
        data["output_style"] = output_style
    _emit(ctx, session, "session.mode", data, as_json, f"mode {mode}")


@app.command("activate-teams")
def activate_teams(
    ctx: typer.Context,
    teams: Annotated[list[str], typer.Argument(help="Team names.")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace the active teams instead of adding.")] = False,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Activate teams for this session (checked against the installed team definitions)."""
    runtime, session_id = _writable(ctx, session)
    known = runtime.plugins.specs("orch_teams")
    if known:
        unknown = [t for t in teams if t not in known]
        if unknown:
            raise OrchError(f"unknown team {', '.join(unknown)}; defined teams: {', '.join(sorted(known))}")
    else:
        note("no team definitions are installed; activating the names as given")
    data = {"teams": teams, "replace": replace, "definitions": team_definitions(known, teams)}
    _emit(ctx, session_id, "session.teams", data, as_json, "active teams updated")


@app.command("checkpoint")
def checkpoint(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The checkpoint's name; default cp-N.")] = None,
    note_text: Annotated[str, typer.Option("--note", "-m", help="Why, in a few words.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Move an existing checkpoint of this name here.")] = False,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark the state as of now under a name, to roll back to (`orch rollback --to NAME`); snapshots it."""
    from orchcore import checkpoints

    runtime, session_id = _writable(ctx, session)
    made, snapshot = checkpoints.create(runtime, session_id, name, note_text, force=force)
    if as_json:
        print_json({"session_id": session_id, "checkpoint": made.as_dict(), "snapshot": snapshot})
        return
    typer.echo(f"{session_id}: checkpoint {made.name} marks the state after event {made.seq}; "
               f"return to it with `orch rollback --to {made.name}`")


@app.command("revive")
def revive(
    ctx: typer.Context, session_arg: SessionArgument = None, session: SessionOption = None, as_json: JsonOption = False
) -> None:
    """Make an archived session live (and writable) again, as its next hook event would."""
    from orchcore import expiry

    runtime = runtime_of(ctx)
    session_id = session_id_of(one_session(session, session_arg))
    before = runtime.store.get(session_id)
    expiry.revive(runtime, session_id, by="orch session revive", source="cli")
    if as_json:
        print_json({"session_id": session_id, "revived": before.archived_at is not None, "archived_at": None})
        return
    typer.echo(f"{session_id}: revived (archived since {before.archived_at})" if before.archived_at
               else f"{session_id}: not archived; nothing to do")


@app.command("gc")
def gc(
    ctx: typer.Context,
    older_than: Annotated[str, typer.Option("--older-than", help="Remove archived sessions idle this long: 7d, 36h.")]
    = "7d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would go; change nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Archive idle sessions, remove archived ones idle longer than --older-than, and stale gate flag files."""
    from orchcore import expiry

    runtime = runtime_of(ctx)
    done = expiry.collect(runtime, expiry.parse_age(older_than), dry_run=dry_run)
    if as_json:
        print_json({"dry_run": done.dry_run, "archived": done.archived, "removed": done.removed, "kept": done.kept,
                    "flag_files": done.flags})
        return
    would = "would " if dry_run else ""
    lines = [f"{would}archive {sid} (no activity for {expiry.expire_after(runtime).total_seconds() / 3600:g} h)"
             for sid in done.archived]
    lines += [f"{would}remove session {sid} (archived, idle over {older_than})" for sid in done.removed]
    lines += [f"kept session {sid}: the {runtime.store.name} store cannot remove sessions" for sid in done.kept]
    lines += [f"{would}remove flag file {path}" for path in done.flags]
    typer.echo("\n".join(lines) if lines else "nothing to collect")


@app.command("recover")
def recover(
    ctx: typer.Context, session_arg: SessionArgument = None, session: SessionOption = None, as_json: JsonOption = False
) -> None:
    """Record now what the session's transcript shows and its log lacks (the runtime does this by itself)."""
    from orchcore import recovery

    runtime = runtime_of(ctx)
    session_id = session_id_of(one_session(session, session_arg))
    runtime.store.require(session_id)
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(runtime.project), "ORCH_STATE_DIR": str(runtime.state_dir)}
    report = recovery.catch_up(session_id, env, runtime)
    if as_json:
        print_json({"session_id": session_id, "recovered": report.recovered, "recorded": report.recorded,
                    "pending": report.pending})
    else:
        typer.echo(f"{session_id}: {report.recovered} recovered, {report.recorded} already recorded, "
                   f"{report.pending} not provably past yet")


@app.command("merge")
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The session whose state is folded in (A); it is left as it is.")],
    target: Annotated[str | None, typer.Argument(
        metavar="TARGET", show_default=False,
        help="The session that gets A's state, as events (B); the same as --session, which it defaults to.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be imported; change nothing.")] = False,
    archive: Annotated[bool, typer.Option("--archive", help="Archive A once it is merged.")] = False,
    session: SessionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fold session A's tasks, sprints, epics, agents, messages, teams and metrics into B (B's items win on a clash).

    B is TARGET, else --session, else $CLAUDE_CODE_SESSION_ID:
    inside Claude Code, `orch session merge A` folds A into the running session.
    """
    from orchcore import merge as merging

    runtime = runtime_of(ctx)
    target_id = session_id_of(one_session(session, target))
    result = merging.fold(runtime.bus, check_session_id(source), target_id,
                          dry_run=dry_run, archive=archive)
    if as_json:
        print_json(result)
        return
    for line in merging.lines(result):
        typer.echo(line)
    if result.get("archived"):
        typer.echo(f"  archived {result['archived']}")
