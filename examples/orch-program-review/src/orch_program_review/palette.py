"""The palette: ``queue``, ``approve <task>``, ``changes <task> <note…>``, ``task <id>``.

While the program is the session's mode, a prompt that is exactly one of
these is answered by ``run(args, context)`` without a model request: Claude
Code shows the answer and gives the prompt back. Each command is wrapped in
``never_raises`` (a bug answers with text instead of failing the prompt),
checks everything before its first ``context.emit`` (an event the store
refuses would turn the answer into a handler failure), and declines with
``None`` what reads like a sentence for the model.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import (
    PaletteCommand,
    TaskStatus,
    agent_label,
    clip,
    find_task,
    never_raises,
    palette_task,
    unknown_task,
)

from orch_program_review.queue import queue_text
from orch_program_review.verdicts import APPROVED, CHANGES, VERDICT


@never_raises
def queue(args: list[str], context: Any) -> str:
    return queue_text(context.session)


def _names_a_task(context: Any, ref: str) -> bool:
    """Whether ``ref`` is meant as a task id: one the session has, or a word with a digit (``T-99``)."""
    return find_task(context.session, ref) is not None or any(c.isdigit() for c in ref)


def _in_review(context: Any, ref: str) -> tuple[Any, str | None]:
    """(the task, None) when ``ref`` names a task in review; else (None, the answer saying why not)."""
    task = find_task(context.session, ref)
    if task is None:
        return None, unknown_task(context.session, ref)
    if task.status != TaskStatus.REVIEW:
        return None, f"{task.id} is {task.status}, not in review; `queue` lists the tasks waiting for review"
    return task, None


@never_raises
def approve(args: list[str], context: Any) -> str | None:
    if not _names_a_task(context, args[0]):
        return None  # "approve it": a sentence for the model, not a task id
    task, problem = _in_review(context, args[0])
    if task is None:
        return problem
    context.emit(VERDICT, {"task": task.id, "verdict": APPROVED})
    context.emit("task.completed", {"id": task.id})
    return f"{task.id} “{clip(task.title, 50)}” approved · status done"


@never_raises
def changes(args: list[str], context: Any) -> str | None:
    if not _names_a_task(context, args[0]):
        return None  # "changes to the parser look fine": a sentence for the model
    task, problem = _in_review(context, args[0])
    if task is None:
        return problem
    note = " ".join(args[1:])
    context.emit(VERDICT, {"task": task.id, "verdict": CHANGES, "note": note})
    context.emit("task.updated", {"id": task.id, "status": TaskStatus.IN_PROGRESS})
    author = agent_label(context.session, task.assignee) if task.assignee else "its author"
    return f"{task.id} “{clip(task.title, 50)}” sent back to {author}: “{clip(note, 80)}”"


PALETTE = (
    PaletteCommand(name="queue", help="the tasks waiting for review, longest waiting first", run=queue),
    PaletteCommand(name="approve", help="approve a task in review (records review.verdict, task done)",
                   usage="approve <task>", run=approve, min_args=1, max_args=1),
    PaletteCommand(name="changes", help="send a task back to its author with what to change",
                   usage="changes <task> <note…>", run=changes, min_args=2, max_args=40),
    # Shared with every program: "T-6" means the same here as in the dashboard or the sprint runner.
    PaletteCommand(name="task", help="a task's details", usage="task <id>", run=never_raises(palette_task),
                   min_args=1, max_args=1),
)
