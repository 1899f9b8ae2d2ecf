"""What plugins contribute: frozen attrs specs, each carrying a unique ``name``.

Registration hooks (see ``orchcore.hookspecs``) return iterables of these.
Two plugins returning a spec of the same kind with the same name is an error
that names both packages; nothing is silently renamed or shadowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import attrs

if TYPE_CHECKING:
    from orchcore.models import Event, Session
    from orchcore.protocol import HookEvent, HookResult


def is_file_name(text: Any) -> bool:
    """One file or folder name ``orch install`` can write: no separator, no leading dot, nothing to escape with.

    Letters, digits, ``_``, ``-``, ``.`` and spaces, starting with a letter,
    digit or ``_`` and not ending with a space or a dot.
    """
    return (
        isinstance(text, str)
        and text != ""
        and (text[0].isalnum() or text[0] == "_")
        and all(c.isalnum() or c in "_ .-" for c in text)
        and not text.endswith((" ", "."))
    )


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class PaletteCommand:
    """A short command typed at the prompt while a program is active (``status``, ``team qa``).

    The router answers it at UserPromptSubmit without a model request: Claude
    Code shows the text ``run`` returns as the reason the prompt was blocked,
    and puts the prompt back in the input box. A prompt is this command only
    when its first word is ``name`` and it has between ``min_args`` and
    ``max_args`` words after it, so "status of the build" stays a prompt.
    ``run(args, context)`` gets a HookContext: the session, and ``emit`` to
    record events (``assign T-1 qa-tester`` emits ``task.assigned``). It
    returns the answer, or None to decline: the prompt then goes to the model
    (``set up the CI`` is not the ``set`` command after all).
    """

    name: str
    help: str
    run: Callable[[list[str], Any], str | None]
    usage: str = ""
    min_args: int = 0
    max_args: int = 0


@attrs.frozen
class ProgramSpec:
    """A program: an output style that turns the main agent into a runtime.

    ``output_style`` is the Markdown body Claude Code loads (frontmatter is
    written by ``orch install``); ``mode`` is what the session's ``mode`` is set
    to while the program is active (its name when empty); ``icon`` shows in
    the status line; ``commands``/``segments``/``handlers`` name the specs of
    other kinds the program ships (the handlers named here run only while the
    program is the session's mode). While the program is the session's mode,
    ``render_context(session)`` turns the live state into text the router
    gives the model at SessionStart and at every prompt, and ``palette``
    answers short commands at the prompt without a model call.
    """

    name: str
    description: str
    output_style: str
    mode: str = ""
    icon: str = "◇"
    commands: tuple[str, ...] = attrs.field(default=(), converter=_names)
    segments: tuple[str, ...] = attrs.field(default=(), converter=_names)
    handlers: tuple[str, ...] = attrs.field(default=(), converter=_names)
    keep_coding_instructions: bool = False
    stop_policy: bool = False  # keep the main agent working while the sprint has open tasks (see builtin.programs)
    render_context: Callable[[Session], str] | None = None
    palette: tuple[PaletteCommand, ...] = attrs.field(default=(), converter=tuple)

    @property
    def session_mode(self) -> str:
        return self.mode or self.name


@attrs.frozen
class CommandSpec:
    """A slash command, written to ``.claude/commands/<folder>/<name>.md``.

    Claude Code 2.1.x invokes it as ``/<folder>:<name>``; the spec's unique
    name is that invocation without the slash.
    """

    command: str
    description: str
    body: str
    folder: str = "orchestration"
    allowed_tools: tuple[str, ...] = attrs.field(default=(), converter=_names)
    argument_hint: str = ""

    @property
    def name(self) -> str:
        return f"{self.folder}:{self.command}" if self.folder else self.command


@attrs.frozen
class SegmentContext:
    """What a status segment renders from."""

    session: Session | None
    status_input: dict[str, Any]
    color: bool = True
    plugins: Any = None  # the plugin manager, e.g. to find the active program


@attrs.frozen
class StatusSegment:
    """One piece of the status line; ``render`` returns text or None to hide."""

    name: str
    render: Callable[[SegmentContext], str | None]
    description: str = ""
    timeout_ms: int = 200


@attrs.frozen
class TeamSpec:
    name: str
    description: str = ""
    lead: str | None = None
    members: tuple[str, ...] = attrs.field(default=(), converter=_names)
    max_parallel: int | None = None
    skills: tuple[str, ...] = attrs.field(default=(), converter=_names)


@attrs.frozen
class AgentSpec:
    """An agent definition, written to ``.claude/agents/<name>.md``."""

    name: str
    description: str
    prompt: str = ""
    team: str | None = None
    role: str = "worker"  # director | specialist | worker
    tools: tuple[str, ...] = attrs.field(default=(), converter=_names)
    model: str | None = None
    skills: tuple[str, ...] = attrs.field(default=(), converter=_names)
    capacity: int = 1


@attrs.frozen
class StoreBackend:
    """A session store implementation; ``factory(state_dir, options)`` opens one."""

    name: str
    factory: Callable[..., Any]
    description: str = ""


Reducer = Callable[["Session", "Event"], "Session"]


@attrs.frozen
class EventType:
    """An event type and its reducer: a pure function (state, event) -> new state.

    A reducer gets its own copy of the state and returns the next state; it
    must not read clocks, files or globals, so replaying the log gives back
    exactly the stored state. Raising InvalidValue rejects the event.
    """

    name: str
    reducer: Reducer
    description: str = ""


@attrs.frozen
class Subscriber:
    """Called after an event is committed; ``types`` empty means every type."""

    name: str
    callback: Callable[[Event, Session], None]
    types: tuple[str, ...] = attrs.field(default=(), converter=_names)

    def wants(self, event_type: str) -> bool:
        return not self.types or event_type in self.types


@attrs.frozen
class CliCommand:
    """A sub-command group for ``orch``; ``load`` returns a typer.Typer, called only when used."""

    name: str
    help: str
    load: Callable[[], Any]


@attrs.frozen
class HookHandler:
    """Handles Claude Code hook events while orchestration is on for the session.

    ``events`` names the hook events (``"PreToolUse"`` …, ``"*"`` for all);
    ``matcher`` filters tool events by tool name as Claude Code's own matchers
    do. ``handler(event, context)`` returns a HookResult or None.
    """

    name: str
    events: tuple[str, ...] = attrs.field(converter=_names)
    handler: Callable[[HookEvent, Any], HookResult | None]
    matcher: str = "*"
    timeout_ms: int = 1000

    def handles(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events
