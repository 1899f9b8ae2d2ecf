"""Palette commands every program can offer: ``task <id>`` and ``assign <task> <agent>``; ``never_raises``.

A program lists them in its ``palette`` as it would its own (see
``orchcore.specs.PaletteCommand``); they answer from the session's state and
record an assignment as a ``task.assigned`` event, so ``T-1`` and
``engineering-backend`` mean the same in every program. ``never_raises``
wraps a program's own commands (and these) so a bug answers with text
instead of failing the user's prompt.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from orchcore import views as v
from orchcore.domain.vocabulary import CLOSED_TASK, TaskStatus

__all__ = ["assign", "never_raises", "task"]

Run = Callable[[list[str], Any], str]


def never_raises(run: Run) -> Run:
    """``run``, answering ``<name>: could not answer (<error>)`` instead of raising.

    A palette answer is shown to the user in place of the model's; an
    exception there would turn the prompt into a handler failure. Check
    everything before the first ``context.emit``: an event already emitted
    stays emitted when a later step fails.
    """

    @functools.wraps(run)
    def safe(args: list[str], context: Any) -> str:
        try:
            return run(args, context)
        except Exception as exc:  # a bug of ours: say so instead of breaking the prompt
            return f"{run.__name__}: could not answer ({type(exc).__name__}: {exc})"

    return safe


def task(args: list[str], context: Any) -> str:
    """``task <id>``: the task in a few lines."""
    found = v.find_task(context.session, args[0])
    if found is None:
        return v.unknown_task(context.session, args[0])
    return v.describe_task(context.session, found)


def assign(args: list[str], context: Any) -> str:
    """``assign <task> <agent>``: the agent by id, name, roster or type; recorded as task.assigned."""
    session = context.session
    found = v.find_task(session, args[0])
    if found is None:
        return v.unknown_task(session, args[0])
    if found.status in CLOSED_TASK:
        return f"{found.id} is {found.status}; reopen it before assigning it"
    assignee, problem = v.resolve_agent(session, args[1], getattr(context, "plugins", None))
    if assignee is None:
        return problem or f"no agent {args[1]!r}"
    label = v.agent_label(session, assignee)
    if found.assignee == assignee:
        return f"{found.id} is already assigned to {label}"
    context.emit("task.assigned", {"id": found.id, "assignee": assignee})
    before = f" (was {v.agent_label(session, found.assignee)})" if found.assignee else ""
    status = TaskStatus.IN_PROGRESS if found.status == TaskStatus.PENDING else found.status
    return f"{found.id} “{v.clip(found.title, 50)}” → {label}{before} · status {status}"
