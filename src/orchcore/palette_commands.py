"""Palette commands every program can offer: ``task <id>`` and ``assign <task> <agent>``.

A program lists them in its ``palette`` as it would its own (see
``orchcore.specs.PaletteCommand``); they answer from the session's state and
record an assignment as a ``task.assigned`` event, so ``T-1`` and
``engineering-backend`` mean the same in every program.
"""

from __future__ import annotations

from typing import Any

from orchcore import views as v


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
    if found.status in ("done", "cancelled"):
        return f"{found.id} is {found.status}; reopen it before assigning it"
    assignee, problem = v.resolve_agent(session, args[1], getattr(context, "plugins", None))
    if assignee is None:
        return problem or f"no agent {args[1]!r}"
    label = v.agent_label(session, assignee)
    if found.assignee == assignee:
        return f"{found.id} is already assigned to {label}"
    context.emit("task.assigned", {"id": found.id, "assignee": assignee})
    before = f" (was {v.agent_label(session, found.assignee)})" if found.assignee else ""
    status = "in_progress" if found.status == "pending" else found.status
    return f"{found.id} “{v.clip(found.title, 50)}” → {label}{before} · status {status}"
