"""Built-in plugin: the status-line segments every orchestrated session shows.

``mode`` (icon and mode), ``agents`` (active of all), ``tasks`` (pending and
in progress), ``sprint`` (day N of M), and the plain ``model``, ``folder``
and ``git-branch`` also used when orchestration is off.
"""

from __future__ import annotations

from orchcore.plugins import hookimpl
from orchcore.specs import StatusSegment

DEFAULT_ICON = "○"  # no program active


def _paint(ctx, text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if ctx.color else text


def mode(ctx):
    """The mode with the icon of the program that set it (programs bring their own icons)."""
    if ctx.session is None:
        return None
    icon = DEFAULT_ICON
    if ctx.plugins is not None:
        for program in ctx.plugins.specs("orch_programs").values():
            if program.session_mode == ctx.session.mode:
                icon = program.icon
    return _paint(ctx, f"{icon} {ctx.session.mode}", "1;32")


def agents(ctx):
    if ctx.session is None:
        return None
    all_agents = ctx.session.state.agents.values()
    from orchcore.domain.vocabulary import WORKING_AGENT

    active = sum(a.status in WORKING_AGENT for a in all_agents)
    return _paint(ctx, f"agents {active}/{len(all_agents)}", "33")


def tasks(ctx):
    if ctx.session is None:
        return None
    by_status: dict[str, int] = {}
    for task in ctx.session.state.tasks.values():
        by_status[task.status] = by_status.get(task.status, 0) + 1
    from orchcore.domain.vocabulary import TaskStatus

    pending = by_status.get(TaskStatus.PENDING, 0)
    doing = by_status.get(TaskStatus.IN_PROGRESS, 0)
    blocked = by_status.get(TaskStatus.BLOCKED, 0)
    text = f"tasks {pending} pending · {doing} active"
    if blocked:
        text += f" · {blocked} blocked"
    return _paint(ctx, text, "34")


def sprint(ctx):
    from orchcore.domain.sprints import sprint_day

    session = ctx.session
    if session is None or not session.current_sprint:
        return None
    current = session.state.sprints.get(session.current_sprint)
    day = None if current is None else sprint_day(current)
    if day is None:
        return None
    total = f"/{current.duration_days}" if current.duration_days else ""
    return _paint(ctx, f"{current.name or current.id} day {day}{total}", "35")


def model(ctx):
    from orchcore.statusline import model_name

    return model_name(ctx.status_input)


def folder(ctx):
    from orchcore.statusline import folder_name

    return folder_name(ctx.status_input)


def git_branch(ctx):
    from orchcore.statusline import _cwd, git_branch as branch

    name = branch(_cwd(ctx.status_input))
    return _paint(ctx, name, "35") if name else None


@hookimpl
def orch_status_segments():
    return [
        StatusSegment(name="mode", render=mode, description="the session's mode, with its icon"),
        StatusSegment(name="agents", render=agents, description="active agents of all the session knows"),
        StatusSegment(name="tasks", render=tasks, description="pending, active and blocked tasks"),
        StatusSegment(name="sprint", render=sprint, description="the current sprint and its day"),
        StatusSegment(name="model", render=model, description="the model Claude Code uses"),
        StatusSegment(name="folder", render=folder, description="the working folder"),
        StatusSegment(name="git-branch", render=git_branch, description="the git branch (read from .git/HEAD)"),
    ]
