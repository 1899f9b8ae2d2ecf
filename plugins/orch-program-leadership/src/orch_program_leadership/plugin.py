"""The leadership_chat program: its spec, event types, status segment, hook handler and CLI group.

Kept light: orchcore imports this module on the hook path; the views and
palette are imported when orchcore asks for the program, actions and the CLI
only when they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchcore.api import CliCommand, HookHandler, ProgramSpec, StatusSegment, hookimpl

from orch_program_leadership.events import EVENT_TYPES, NAME, NAMESPACE, POSTED, LIMITS

PROGRAM = "leadership_chat"
ICON = "◆"
SEGMENT = "leadership"
HANDLER = "leadership-director-posts"


@hookimpl
def orch_programs():
    from orch_program_leadership.palette import PALETTE
    from orch_program_leadership.views import render_context

    output_style = Path(__file__).with_name("output_style.md").read_text(encoding="utf-8")

    return [ProgramSpec(
        name=PROGRAM,
        description="Chair a leadership meeting of director agents: threads, a decision log, "
                    "team performance and resource allocation",
        output_style=output_style,
        icon=ICON,
        segments=[SEGMENT],
        handlers=[HANDLER],
        render_context=render_context,
        palette=PALETTE,
    )]


@hookimpl
def orch_event_types():
    return EVENT_TYPES


def leadership_segment(ctx: Any) -> str | None:
    """``◆ 2 threads · 5 decisions`` while the session has leadership data; hidden otherwise."""
    session = ctx.session
    ns = session.plugins.get(NAMESPACE) if session is not None else None
    if not ns:
        return None
    open_threads = sum(t.get("status") == "open" for t in (ns.get("threads") or {}).values())
    decisions = len(ns.get("decisions") or [])
    if not open_threads and not decisions:
        return None
    text = f"{ICON} {open_threads} thread{'s' if open_threads != 1 else ''} · {decisions} decision{'s' if decisions != 1 else ''}"
    return f"\033[35m{text}\033[0m" if ctx.color else text


@hookimpl
def orch_status_segments():
    return [StatusSegment(name=SEGMENT, render=leadership_segment,
                          description="open leadership threads and logged decisions")]


def _is_director(event: Any, context: Any) -> bool:
    agent_type = event.agent_type or ""
    if "director" in agent_type.lower():
        return True
    agent = context.session.state.agents.get(event.agent_id or "")
    if agent is not None and agent.role == "director":
        return True
    try:
        spec = context.plugins.specs("orch_agents").get(agent_type) if context.plugins is not None else None
    except Exception:
        spec = None
    return spec is not None and getattr(spec, "role", None) == "director"


def director_posts(event: Any, context: Any) -> None:
    """A director subagent's final answer goes to the thread that has the floor (leadership_chat only)."""
    session = context.session
    if session is None or session.mode != PROGRAM or event.stop_hook_active:
        return None
    message = (event.last_assistant_message or "").strip()
    author = event.agent_type or ""
    if not message or not NAME.fullmatch(author) or not _is_director(event, context):
        return None
    from orch_program_leadership.views import floor_thread

    thread = floor_thread(session)
    if thread is None:
        return None
    limit = LIMITS["text"]
    text = message if len(message) <= limit else message[: limit - 1].rstrip() + "…"
    context.emit(POSTED, {"thread": thread["id"], "author": author, "text": text})
    return None


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name=HANDLER, events=["SubagentStop"], handler=director_posts, timeout_ms=500)]


def _load_cli():
    from orch_program_leadership.cli import app

    return app


@hookimpl
def orch_cli_commands():
    return [CliCommand(name="leadership", help="Leadership meeting: threads, decisions, team load and allocation.",
                       load=_load_cli)]
