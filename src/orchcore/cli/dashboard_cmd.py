"""``orch dashboard``: watch sessions' orchestration state as it changes."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated

import typer

from orchcore.cli.common import SessionOption, runtime_of
from orchcore.cli.output import console, note, print_json
from orchcore.ids import check_session_id

MAX_SESSIONS = 6


def _chosen(runtime, session: str | None, all_sessions: bool) -> list[str]:
    """One session (--session, else $CLAUDE_CODE_SESSION_ID unless --all), or the first MAX_SESSIONS live ones."""
    return _candidates(runtime, session, all_sessions)[:MAX_SESSIONS]


def _candidates(runtime, session: str | None, all_sessions: bool) -> list[str]:
    """The session named, or every live one, most recently active first."""
    explicit = session if session is not None else (None if all_sessions else os.environ.get("CLAUDE_CODE_SESSION_ID"))
    if explicit:
        session_id = check_session_id(explicit)
        runtime.store.require(session_id)
        return [session_id]
    live = [i.session_id for i in runtime.store.sessions()]
    return [sid for sid in live if (state := runtime.store.load(sid)) is not None and not state.ended_at]


def _snapshots(runtime, session_ids: list[str]) -> list[dict]:
    from orchcore.dashboard import LATEST_EVENTS, snapshot

    frames = []
    for session_id in session_ids:
        state = runtime.store.load(session_id)
        if state is None:
            continue
        events = runtime.store.events(session_id, limit=LATEST_EVENTS, newest=True)
        frames.append(snapshot(state, events, events[-1].seq if events else 0))
    return frames


def _version(runtime) -> tuple:
    """Changes whenever any session gains an event (cheap: one query)."""
    return tuple((i.session_id, i.last_seq) for i in runtime.store.sessions())


def dashboard(
    ctx: typer.Context,
    session: SessionOption = None,
    all_sessions: Annotated[bool, typer.Option("--all", help="Every live session, even inside Claude Code.")] = False,
    once: Annotated[bool, typer.Option("--once", help="Print one frame and exit (for commands and scripts).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the frame as JSON (implies --once).")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.05, max=3600, help="Seconds between checks for changes.")] = 0.25,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Stop watching after this many seconds.")] = None,
) -> None:
    """Teams, agents, tasks by status, the message queue, metrics and the latest events, live."""
    from orchcore.dashboard import render

    runtime = runtime_of(ctx)
    found = _candidates(runtime, session, all_sessions)
    session_ids = found[:MAX_SESSIONS]
    if len(found) > len(session_ids):
        note(f"showing the {len(session_ids)} most recently active of {len(found)} live sessions; "
             "--session ID for another")
    if as_json:
        print_json({"sessions": _snapshots(runtime, session_ids)})
        return
    out = console()
    if once:
        out.print(render(_snapshots(runtime, session_ids)))
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    follow_all = session is None and (all_sessions or not os.environ.get("CLAUDE_CODE_SESSION_ID"))
    if out.is_terminal:
        from rich.live import Live

        with Live(render(_snapshots(runtime, session_ids)), console=out, auto_refresh=False) as live:
            for session_ids in _changes(runtime, session_ids, follow_all, all_sessions, interval, deadline):
                live.update(render(_snapshots(runtime, session_ids)), refresh=True)
        return
    # Not a terminal (a log, a pipe): a new frame each time the state changes.
    out.print(render(_snapshots(runtime, session_ids)))
    for session_ids in _changes(runtime, session_ids, follow_all, all_sessions, interval, deadline):
        out.rule(time.strftime("%H:%M:%S"))
        out.print(render(_snapshots(runtime, session_ids)))
        sys.stdout.flush()


def _changes(runtime, session_ids, follow_all, all_sessions, interval, deadline):
    """Yield the sessions to show each time the store changes, until the deadline or Ctrl-C."""
    seen = _version(runtime)
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(interval)
            now = _version(runtime)
            if now != seen:
                seen = now
                if follow_all:
                    session_ids = _chosen(runtime, None, all_sessions or True)
                yield session_ids
    except KeyboardInterrupt:
        return
