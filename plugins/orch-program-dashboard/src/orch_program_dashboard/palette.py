"""The dashboard's prompt palette: ``status``, ``team <name>``, ``task <id>``, ``assign <task> <agent>``.

The router calls ``run(args, context)`` when a prompt is exactly one of these
commands and shows the returned text to the user instead of asking the model.
A command never raises: a wrong id is an answer that says what exists, and an
event is emitted only after everything it needs was checked (an event the
store rejects would turn the answer into a handler failure).
"""

from __future__ import annotations

from typing import Any

from orchcore.api import PaletteCommand

from orch_program_dashboard import render
from orchcore import api
from orchcore.api import never_raises


@never_raises
def status(args: list[str], context: Any) -> str:
    return render.snapshot(context.session, limit=5)


NOT_A_COMMAND = "\n(meant for the model? a prompt that starts with another word goes to it)"


@never_raises
def team(args: list[str], context: Any) -> str:
    session, plugins = context.session, getattr(context, "plugins", None)
    found = api.find_team(session, args[0], plugins)
    if found is None:
        known = list(api.teams(session, plugins))
        hint = f"teams: {api.listing(known)}" if known else "this session has no teams yet"
        return f"no team {args[0]!r} ({hint})" + NOT_A_COMMAND
    return render.team_view(session, found)


# Shared with every program (orchcore.palette_commands): "T-1" and an agent mean the same everywhere.
task = never_raises(api.palette_task)
assign = never_raises(api.palette_assign)


PALETTE = (
    PaletteCommand(name="status", help="the one-screen summary", run=status),
    PaletteCommand(name="team", help="a team's agents, their status and tasks", usage="team <name>",
                   run=team, min_args=1, max_args=1),
    PaletteCommand(name="task", help="a task's details", usage="task <id>", run=task, min_args=1, max_args=1),
    PaletteCommand(name="assign", help="assign a task to an agent (records task.assigned)",
                   usage="assign <task> <agent>", run=assign, min_args=2, max_args=2),
)
