"""The orchcore plugin (entry point ``review``): the program, its status segment, its hook handler, its event type.

orchcore imports this module whenever a command or hook event needs one of
its hooks, so its top level imports only orchcore's markers and specs; the
program's parts (style, queue, palette) are imported when orchcore asks for
the program. The segment and the handler are named in the ``ProgramSpec``,
so they show and run only while ``review`` is the session's mode.
"""

from __future__ import annotations

from orchcore.api import HookHandler, HookResult, ProgramSpec, StatusSegment, hookimpl

NAME = "review"
ICON = "⚑"
SEGMENT = "review-queue"
HANDLER = "review-read-only"
EDIT_TOOLS = "Edit|MultiEdit|Write|NotebookEdit"  # Claude Code's tools that change files


@hookimpl
def orch_programs():
    from orch_program_review.palette import PALETTE
    from orch_program_review.queue import render_context
    from orch_program_review.style import OUTPUT_STYLE

    return [ProgramSpec(
        name=NAME,
        description="Code review desk: the review queue, verdicts with notes, no edits while reviewing",
        output_style=OUTPUT_STYLE,
        icon=ICON,
        segments=[SEGMENT],
        handlers=[HANDLER],
        keep_coding_instructions=True,
        render_context=render_context,
        palette=PALETTE,
    )]


def review_queue(ctx):
    """``⚑ 2 to review · 1 sent back``, while the program runs and the session has tasks.

    Named in ``ProgramSpec.segments``, it is left out of the default layout
    (``*``) in other modes; it checks the mode too, for a layout that names it.
    """
    if ctx.session is None or ctx.session.mode != NAME or not ctx.session.state.tasks:
        return None
    from orch_program_review.queue import sent_back, waiting

    count, back = len(waiting(ctx.session)), len(sent_back(ctx.session))
    text = f"{ICON} {count} to review" if count else f"{ICON} queue empty"
    if back:
        text += f" · {back} sent back"
    colour = "33" if count else "32"
    return f"\033[{colour}m{text}\033[0m" if ctx.color else text


@hookimpl
def orch_status_segments():
    return [StatusSegment(name=SEGMENT, render=review_queue, timeout_ms=100,
                          description="tasks waiting for review and sent back (while the review program runs)")]


def read_only(event, context):
    """PreToolUse of a file-changing tool: refused while reviewing, with what to do instead."""
    target = event.tool_input.get("file_path") or event.tool_input.get("notebook_path") or "a file"
    return HookResult.deny(
        f"the review program is read-only: {event.tool_name} of {target} refused. Ask the author instead "
        "(`changes <task> <note>`), or leave review mode first (`orch program deactivate`)."
    )


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name=HANDLER, events=["PreToolUse"], matcher=EDIT_TOOLS, handler=read_only,
                        timeout_ms=200)]


@hookimpl
def orch_event_types():
    from orch_program_review.verdicts import EVENT_TYPES

    return EVENT_TYPES
