"""The orchcore plugin (entry point ``sprint_execution``): the program and its status segment.

The module's top level imports only orchcore's markers and specs; the
program's parts are imported when orchcore asks for the program.
"""

from __future__ import annotations

from orchcore.api import ProgramSpec, StatusSegment, hookimpl

NAME = "sprint_execution"
ICON = "▶"
SEGMENTS = ("sprint-progress",)


@hookimpl
def orch_programs():
    from orch_program_sprint.board import render_context
    from orch_program_sprint.palette import PALETTE
    from orch_program_sprint.style import OUTPUT_STYLE

    return [ProgramSpec(
        name=NAME,
        description="Sprint runner: task board, manual and automatic assignment, blockers, progress and velocity",
        output_style=OUTPUT_STYLE,
        icon=ICON,
        segments=SEGMENTS,
        keep_coding_instructions=False,
        stop_policy=True,  # while the sprint has open tasks, stopping asks Claude to carry on (at most 3 times)
        render_context=render_context,
        palette=PALETTE,
    )]


def sprint_progress(ctx):
    """``7/22 pts 32% · 2.3/day · 1 blocked`` for the current sprint, while the sprint program runs.

    The built-in ``sprint`` segment already shows the sprint's name and day.
    """
    session = ctx.session
    if session is None or session.mode != NAME or not session.current_sprint:
        return None
    from orch_program_sprint import views as v
    from orchcore.api import TaskStatus, sprint_progress, sprint_tasks

    sprint = v.current_sprint(session)
    if sprint is None:
        return None
    info = sprint_progress(session, sprint)
    text = f"{info.done_points}/{info.points} pts"
    if info.points:
        text += f" {info.point_percent}%"
    if info.velocity:
        text += f" · {v.rate(info.velocity)}/day"
    blocked = sum(t.status == TaskStatus.BLOCKED for t in sprint_tasks(session, sprint))
    if blocked:
        text += f" · {blocked} blocked"
    behind = info.on_track is False
    code = "33" if behind or blocked else "32"
    return f"\033[{code}m{text}\033[0m" if ctx.color else text


@hookimpl
def orch_status_segments():
    return [
        StatusSegment(name="sprint-progress", render=sprint_progress,
                      description="the current sprint's points done, velocity and blocked tasks (while it runs)"),
    ]
