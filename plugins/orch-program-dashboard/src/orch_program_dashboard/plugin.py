"""The orchcore plugin (entry point ``all-team_dashboard``): the program and its status segments.

The module's top level imports only orchcore's markers and specs; the
program's parts are imported when orchcore asks for the program.
"""

from __future__ import annotations

from orchcore.api import ProgramSpec, StatusSegment, hookimpl

NAME = "all-team_dashboard"
ICON = "▦"
SEGMENTS = ("dashboard-messages", "dashboard-blocked")


@hookimpl
def orch_programs():
    from orch_program_dashboard.palette import PALETTE
    from orch_program_dashboard.render import render_context
    from orch_program_dashboard.style import OUTPUT_STYLE

    return [ProgramSpec(
        name=NAME,
        description="Orchestration dashboard: team status, task progress, messages and metrics, with a prompt palette",
        output_style=OUTPUT_STYLE,
        icon=ICON,
        segments=SEGMENTS,
        keep_coding_instructions=False,
        render_context=render_context,
        palette=PALETTE,
    )]


def _active(ctx) -> bool:
    """Segments show only while the dashboard is the session's mode."""
    return ctx.session is not None and ctx.session.mode == NAME


def _paint(ctx, text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if ctx.color else text


def queued_messages(ctx):
    """``✉ 5 queued (1 critical)``: messages waiting, and how many of them are urgent."""
    if not _active(ctx):
        return None
    from orchcore.api import MessageStatus, Priority

    waiting = [m for m in ctx.session.state.messages if m.status == MessageStatus.QUEUED]
    if not waiting:
        return None
    urgent = [p for p in (Priority.CRITICAL, Priority.HIGH) if any(m.priority == p for m in waiting)]
    text = f"✉ {len(waiting)} queued"
    if urgent:
        top = urgent[0]
        text += f" ({sum(m.priority == top for m in waiting)} {top})"
    return _paint(ctx, text, "1;31" if urgent and urgent[0] == Priority.CRITICAL else "36")


def blocked_tasks(ctx):
    """``⛔ T-5, T-9 blocked``: which tasks are blocked (the built-in ``tasks`` segment counts them)."""
    if not _active(ctx):
        return None
    from orchcore.api import TaskStatus

    blocked = sorted(t.id for t in ctx.session.state.tasks.values() if t.status == TaskStatus.BLOCKED)
    if not blocked:
        return None
    shown = ", ".join(blocked[:3]) + (f" +{len(blocked) - 3}" if len(blocked) > 3 else "")
    return _paint(ctx, f"⛔ {shown} blocked", "31")


@hookimpl
def orch_status_segments():
    return [
        StatusSegment(name="dashboard-messages", render=queued_messages,
                      description="queued messages and the most urgent priority (while the dashboard runs)"),
        StatusSegment(name="dashboard-blocked", render=blocked_tasks,
                      description="the ids of blocked tasks (while the dashboard runs)"),
    ]
