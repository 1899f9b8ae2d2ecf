"""The sprint's prompt palette: board, task, assign, auto-assign, block, unblock, done, velocity.

The router calls ``run(args, context)`` when a prompt is exactly one of these
commands and shows the returned text to the user instead of asking the model.
A command never raises: a wrong id is an answer that says what exists. Every
check is made before the first ``context.emit``, because the router commits
emitted events one by one and an event the store rejects would turn the
answer into a handler failure.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import PaletteCommand

from orch_program_sprint import autoassign, board
from orch_program_sprint import views as v
from orchcore.api import CLOSED_TASK, TaskStatus, sprint_progress
from orchcore.api import assignee_for, never_raises, palette_assign, palette_task, plan_assignments

MAX_REASON_WORDS = 30


def _plugins(context: Any) -> Any:
    return getattr(context, "plugins", None)


def _sprint_after(session: Any, changed: dict[str, str]) -> str:
    """The sprint's progress once the tasks in ``changed`` (id -> new status) have their new status."""
    sprint = v.current_sprint(session)
    if sprint is None:
        return ""
    info = sprint_progress(session, sprint, statuses=changed)
    return f" · sprint {sprint.id}: {info.done_points}/{info.points} points, {info.done_tasks}/{info.tasks} tasks done"


@never_raises
def show_board(args: list[str], context: Any) -> str:
    return board.board_view(context.session)


# Shared with every program (orchcore.palette_commands): "T-1" and an agent mean the same everywhere.
task = never_raises(palette_task)
assign = never_raises(palette_assign)


@never_raises
def auto_assign(args: list[str], context: Any) -> str:
    session = context.session
    outcome = plan_assignments(session, _plugins(context))
    for decision in outcome.assigned:
        context.emit("task.assigned", {"id": decision.task.id,
                                       "assignee": assignee_for(session, decision.member.name)})
    return "\n".join(autoassign.explain(session, outcome))


NOT_A_COMMAND = "\n(meant for the model? a prompt that starts with another word goes to it)"


@never_raises
def block(args: list[str], context: Any) -> str:
    session = context.session
    found = v.find_task(session, args[0])
    if found is None:  # "block the deploy until …" is a sentence, not a command
        return v.unknown_task(session, args[0]) + NOT_A_COMMAND
    if found.status in CLOSED_TASK:
        return f"{found.id} is {found.status}; a finished task cannot be blocked"
    reason = " ".join(args[1:])
    if reason in found.blockers:
        return f"{found.id} is already blocked by: {reason}"
    data: dict[str, Any] = {"id": found.id, "status": TaskStatus.BLOCKED, "blockers": [*found.blockers, reason]}
    if found.status != TaskStatus.BLOCKED:
        data["blocked_from"] = found.status  # where `unblock` puts it back
    context.emit("task.updated", data)
    if found.status == TaskStatus.BLOCKED:
        return f"{found.id} “{v.clip(found.title, 50)}” is still blocked; blockers now: " + "; ".join(data["blockers"])
    return f"{found.id} “{v.clip(found.title, 50)}” blocked ({found.status} before): {reason}"


@never_raises
def unblock(args: list[str], context: Any) -> str:
    session = context.session
    found = v.find_task(session, args[0])
    if found is None:
        return v.unknown_task(session, args[0])
    if found.status != TaskStatus.BLOCKED:
        return f"{found.id} is not blocked (status {found.status})"
    back = found.extra.get("blocked_from")
    if back not in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.REVIEW):
        back = TaskStatus.IN_PROGRESS if found.assignee else TaskStatus.PENDING
    context.emit("task.updated", {"id": found.id, "status": back, "blockers": [], "blocked_from": None})
    cleared = "; ".join(found.blockers) or "no reason recorded"
    return f"{found.id} “{v.clip(found.title, 50)}” unblocked → {back} (cleared: {cleared})"


@never_raises
def done(args: list[str], context: Any) -> str:
    session = context.session
    found = v.find_task(session, args[0])
    if found is None:
        return v.unknown_task(session, args[0])
    if found.status == TaskStatus.DONE:
        return f"{found.id} is already done"
    if found.status == TaskStatus.CANCELLED:
        return f"{found.id} is cancelled; reopen it before completing it"
    context.emit("task.completed", {"id": found.id})
    points = f" ({v.count(found.points, 'point')})" if found.points is not None else ""
    return f"{found.id} “{v.clip(found.title, 50)}” done{points}" + _sprint_after(session, {found.id: TaskStatus.DONE})


@never_raises
def velocity(args: list[str], context: Any) -> str:
    return board.velocity_view(context.session)


PALETTE = (
    PaletteCommand(name="board", help="the sprint's task board by status, with blockers", run=show_board),
    PaletteCommand(name="task", help="a task's details", usage="task <id>", run=task, min_args=1, max_args=1),
    PaletteCommand(name="assign", help="assign a task to an agent (records task.assigned)",
                   usage="assign <task> <agent>", run=assign, min_args=2, max_args=2),
    PaletteCommand(name="auto-assign", help="assign pending tasks by team capacity and skills, and explain",
                   run=auto_assign),
    PaletteCommand(name="block", help="mark a task blocked, with the reason", usage="block <task> <reason…>",
                   run=block, min_args=2, max_args=1 + MAX_REASON_WORDS),
    PaletteCommand(name="unblock", help="clear a task's blockers; it goes back where it was",
                   usage="unblock <task>", run=unblock, min_args=1, max_args=1),
    PaletteCommand(name="done", help="mark a task done (records task.completed)", usage="done <task>",
                   run=done, min_args=1, max_args=1),
    PaletteCommand(name="velocity", help="points per sprint day, the outlook, finished sprints", run=velocity),
)
