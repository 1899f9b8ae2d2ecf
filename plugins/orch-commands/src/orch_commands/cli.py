"""What every pack's CLI commands share: argument intake, the session, output.

Imported only when an ``orch`` sub-command of a pack runs (it imports typer).
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import Annotated, Any

import typer

from orch_commands.args import Param, epilog, parse
from orchcore.api import OrchError, runtime_of, session_id_of

# key=value words and unknown --flags reach the command's own parser.
RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": True}

ArgsArgument = Annotated[
    list[str] | None,
    typer.Argument(help="key=value words, --key value flags and bare words (see below).", show_default=False),
]

NAMESPACE = "orch-commands"  # this distribution's namespace in session.plugins
_SLUG = re.compile(r"[^a-z0-9]+")


def group(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def command(app: typer.Typer, name: str, params: tuple[Param, ...]):
    """Register a command that reads its arguments with ``orch_commands.args``."""
    return app.command(name, context_settings=RAW, epilog=epilog(params))


class Call:
    """One run of a command: its parsed arguments, the runtime, the session, the output mode."""

    def __init__(
        self, ctx: typer.Context, args: list[str] | None, params: tuple[Param, ...], command: str,
        session: str | None = None, as_json: bool = False,
    ):
        self.command = command
        self.values = parse(list(args or ()) + list(ctx.args), params, command)
        self.as_json = bool(as_json or self.values.pop("json", False))
        given = self.values.pop("session", None)
        if session is not None and given is not None and session.lower() != given.lower():
            raise OrchError(f"{command}: two different sessions given ({session} and {given})")
        self.session_arg = session if session is not None else given
        self.runtime = runtime_of(ctx)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    @cached_property
    def session_id(self) -> str:
        return session_id_of(self.session_arg)

    def state(self, create: bool = False):
        """The session's state; ``create`` makes it when Claude Code named it (inside a session).

        A session named on the command line with --session must exist already,
        so a mistyped id is an error rather than a new, empty session.
        """
        store = self.runtime.store
        if create and self.session_arg is None:
            return self.runtime.bus.ensure_session(self.session_id, source="cli")
        return store.get(self.session_id)

    def emit(self, type: str, data: dict[str, Any]):
        """Record an event; an archived session is read-only (the core's one-line error says how to revive it)."""
        from orchcore.api import require_live

        require_live(self.runtime.store.get(self.session_id))
        from orchcore.api import admit_event

        data = admit_event(self.runtime, self.session_id, type, data)  # the project's limits (limits.*)
        return self.runtime.bus.emit(self.session_id, type, data, source="cli")

    @property
    def plugins(self):
        return self.runtime.plugins

    def last_seq(self) -> int:
        newest = self.runtime.store.events(self.session_id, limit=1, newest=True)
        return newest[-1].seq if newest else 0

    def done(self, data: Any, text: str | list[str]) -> None:
        """Print ``data`` as JSON with --json, else the text."""
        if self.as_json:
            from orchcore.api import print_json

            print_json(data)
            return
        typer.echo(text if isinstance(text, str) else "\n".join(text))


def note(message: str) -> None:
    from orchcore.api import note as core_note

    core_note(message)


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:48]


def free_id(existing: Any, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3`` … whichever is free."""
    if wanted not in existing:
        return wanted
    n = 2
    while f"{wanted}-{n}" in existing:
        n += 1
    return f"{wanted}-{n}"


def next_number_id(existing: Any, prefix: str) -> str:
    """``<prefix>-<n>`` with n one more than the largest such id."""
    numbers = [int(m.group(1)) for key in existing if (m := re.fullmatch(rf"{re.escape(prefix)}-(\d+)", key))]
    return f"{prefix}-{max(numbers, default=0) + 1}"


def unstructure(obj: Any) -> Any:
    from orchcore.api import unstructure as core_unstructure

    return core_unstructure(obj)


def compact(data: Any, width: int = 100) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def find_sprint(session, wanted: str | None):
    """The named sprint (by id or name), else the current one; None when there is none."""
    sprints = session.state.sprints
    if wanted:
        if wanted in sprints:
            return sprints[wanted]
        for sprint in sprints.values():
            if sprint.name.lower() == wanted.lower() or slug(sprint.name) == slug(wanted):
                return sprint
        known = ", ".join(sorted(sprints)) or "none yet"
        raise OrchError(f"no sprint {wanted!r} in this session (sprints: {known})")
    if session.current_sprint and session.current_sprint in sprints:
        return sprints[session.current_sprint]
    return None


def open_task(session, task_id: str, refused: str):
    """The task ``task_id``, still open; else the one-line error (``refused``: what a closed task cannot be)."""
    from orchcore.api import CLOSED_TASK

    task = session.state.tasks.get(task_id)
    if task is None:
        raise OrchError(f"no task {task_id!r} in this session (tasks: {', '.join(sorted(session.state.tasks)) or 'none'})")
    if task.status in CLOSED_TASK:
        raise OrchError(f"task {task_id} is {task.status}; {refused}")
    return task


def check_teams(plugins, session, teams: list[str]) -> None:
    """Teams must be installed definitions or already in the session (when any are installed)."""
    known = set(plugins.specs("orch_teams")) | set(session.state.teams)
    if not known:
        note("no team definitions are installed; using the team names as given")
        return
    unknown = [t for t in teams if t not in known]
    if unknown:
        raise OrchError(f"unknown team {', '.join(unknown)}; defined teams: {', '.join(sorted(known))}")


def checkpoints(runtime, session_id: str) -> dict[str, dict[str, Any]]:
    """Checkpoints by name, read from the log by the core (a later checkpoint of the same name wins)."""
    from orchcore.api import checkpoints_of

    return {name: cp.as_dict() for name, cp in checkpoints_of(runtime.store, session_id).items()}


def find_checkpoint(runtime, session_id: str, name: str) -> dict[str, Any]:
    from orchcore.api import find_checkpoint as core_find

    return core_find(runtime.store, session_id, name).as_dict()
