"""What plugins contribute: frozen attrs specs, each carrying a unique ``name``.

Registration hooks (see ``orchcore.hookspecs``) return iterables of these.
Two plugins returning a spec of the same kind with the same name is an error
that names both packages; nothing is silently renamed or shadowed.

A spec checks its name when it is built, so a mistake raises where the
plugin makes it (``TypeError`` for a name that is not a string,
``ValueError`` for an ill-formed one) instead of surfacing later as a file
``orch install`` skips or a command nobody can type. The rule depends on
what the name becomes:

* a file name (programs, agents, a command and its folder): letters,
  digits, ``_``, ``-``, ``.`` and spaces, starting with a letter, digit or
  ``_`` and not ending with a space or a dot (``is_file_name``);
* a word typed or listed (teams, event types, store backends, hook
  handlers, subscribers): not empty, no whitespace;
* a status segment: a word other than ``*`` (a layout's "every other segment");
* a CLI group: a word not starting with ``-``;
* a palette command: a word in lower case (the prompt's first word is
  lower-cased before it is compared).
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


def _is_word(text: str) -> bool:
    return text != "" and not any(c.isspace() for c in text)


def _name_rule(holds: Callable[[str], bool], rule: str) -> Callable[[Any, Any, Any], None]:
    """An attrs validator: the value is a ``str`` for which ``holds`` is true, else an error saying ``rule``."""

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        where = f"{type(instance).__name__}.{attribute.name}"
        if not isinstance(value, str):
            raise TypeError(f"{where} must be a str, not {type(value).__name__} ({value!r})")
        if not holds(value):
            raise ValueError(f"{where} {value!r} {rule}")

    return validate


_FILE_NAME = _name_rule(
    is_file_name,
    "cannot be a file name: use letters, digits, '_', '-', '.' and spaces, starting with a letter, digit "
    "or '_' and not ending with a space or '.'",
)
_FOLDER = _name_rule(
    lambda text: text == "" or is_file_name(text),
    "cannot be a folder name: leave it empty, or use letters, digits, '_', '-', '.' and spaces, starting with "
    "a letter, digit or '_' and not ending with a space or '.'",
)
_WORD = _name_rule(_is_word, "must be one word: not empty, no spaces")
_SEGMENT_NAME = _name_rule(
    lambda text: _is_word(text) and text != "*",
    "must be one word other than '*' (in a status line layout '*' stands for every other segment)",
)
_CLI_NAME = _name_rule(
    lambda text: _is_word(text) and not text.startswith("-"),
    "must be one word not starting with '-': it is typed as `orch <name>`",
)
_PALETTE_NAME = _name_rule(
    lambda text: _is_word(text) and text == text.lower(),
    "must be one word in lower case: it is compared with the prompt's first word, lower-cased",
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

    Attributes:
        name: The prompt's first word; one word in lower case.
        help: One line in the palette's ``help`` listing.
        run: ``run(args, context)``: the words after the name and the handler's
            context; returns the answer, or None to decline.
        usage: How to type it, for ``help`` (``assign <task> <agent>``); the name when empty.
        min_args: The fewest words after the name.
        max_args: The most words after the name (the default takes none).
    """

    name: str = attrs.field(validator=_PALETTE_NAME)
    help: str
    run: Callable[[list[str], Any], str | None]
    usage: str = ""
    min_args: int = 0
    max_args: int = 0


@attrs.frozen
class ProgramSpec:
    """A program: an output style that turns the main agent into a runtime.

    While the program is the session's mode, ``render_context(session)``
    turns the live state into text the router gives the model at
    SessionStart and at every prompt, and ``palette`` answers short commands
    at the prompt without a model call.

    Attributes:
        name: The unique name ``orch program activate`` takes; also the output
            style's file name (``.claude/output-styles/<name>.md``), so a file name.
        description: One line, in ``orch program list`` and the output style's frontmatter.
        output_style: The Markdown body Claude Code loads (``orch install`` writes the frontmatter).
        mode: What the session's ``mode`` is set to while the program is active; its name when empty.
        icon: Shown before the mode in the status line and in ``orch program list``.
        commands: Names of the slash commands (``CommandSpec.name``) the program ships.
        segments: Names of the status segments the program ships; they show only while it is the mode.
        handlers: Names of the hook handlers the program ships; they run only while it is the mode.
        keep_coding_instructions: Written into the frontmatter: Claude Code keeps its
            software-engineering instructions under the style.
        stop_policy: Keep the main agent working while the sprint has open tasks
            (the built-in Stop policy, ``builtin.programs``).
        render_context: ``render_context(session)`` returns text for the model, or None.
        palette: Short commands answered at the prompt while the program is active.
    """

    name: str = attrs.field(validator=_FILE_NAME)
    description: str
    output_style: str
    mode: str = ""
    icon: str = "◇"
    commands: tuple[str, ...] = attrs.field(default=(), converter=_names)
    segments: tuple[str, ...] = attrs.field(default=(), converter=_names)
    handlers: tuple[str, ...] = attrs.field(default=(), converter=_names)
    keep_coding_instructions: bool = False
    stop_policy: bool = False
    render_context: Callable[[Session], str] | None = None
    palette: tuple[PaletteCommand, ...] = attrs.field(default=(), converter=tuple)

    @property
    def session_mode(self) -> str:
        return self.mode or self.name


@attrs.frozen
class CommandSpec:
    """A slash command, written to ``.claude/commands/<folder>/<command>.md``.

    Claude Code 2.1.x invokes it as ``/<folder>:<command>``; the spec's unique
    name is that invocation without the slash.

    Attributes:
        command: The command's file name without ``.md``, so a file name.
        description: ``description:`` in the frontmatter: what ``/help`` and the command menu show.
        body: The prompt: Markdown, with Claude Code's ``$ARGUMENTS``, ``$1`` … expansions.
        folder: The folder under ``.claude/commands/`` (a folder name); empty:
            ``.claude/commands/<command>.md``, invoked as ``/<command>``.
        allowed_tools: ``allowed-tools:`` in the frontmatter; a string is taken as one tool.
        argument_hint: ``argument-hint:`` in the frontmatter, shown after the command while typing.
    """

    command: str = attrs.field(validator=_FILE_NAME)
    description: str
    body: str
    folder: str = attrs.field(default="orchestration", validator=_FOLDER)
    allowed_tools: tuple[str, ...] = attrs.field(default=(), converter=_names)
    argument_hint: str = ""

    @property
    def name(self) -> str:
        return f"{self.folder}:{self.command}" if self.folder else self.command


@attrs.frozen
class SegmentContext:
    """What a status segment renders from.

    Attributes:
        session: The session's state (a placeholder with the project's defaults
            before SessionStart has created it).
        status_input: The JSON Claude Code passed to the status command.
        color: False when ``NO_COLOR`` is set.
        plugins: The plugin manager, e.g. to find the active program.
    """

    session: Session | None
    status_input: dict[str, Any]
    color: bool = True
    plugins: Any = None


@attrs.frozen
class StatusSegment:
    """One piece of the status line.

    Attributes:
        name: The unique name the layout (``statusline.segments``) refers to; one word, not ``*``.
        render: ``render(context)`` returns the text, or None (or ``""``) to hide the segment.
        description: One line for ``orch config``'s list of segments.
        timeout_ms: Its budget; a segment over it, or one that raises, is left out of that line.
    """

    name: str = attrs.field(validator=_SEGMENT_NAME)
    render: Callable[[SegmentContext], str | None]
    description: str = ""
    timeout_ms: int = 200


@attrs.frozen
class TeamSpec:
    """A team of agents.

    Attributes:
        name: The team's unique name, as ``activate-teams``, agents' ``team`` and
            tasks' ``team`` refer to it; one word.
        description: One line, shown by team views.
        lead: The agent (an ``AgentSpec`` name) that leads the team.
        members: The agents in it (the lead may be listed too); a string is taken as one name.
        max_parallel: How many of its agents may run at once; None: no team limit.
        skills: What the team is good at, for automatic assignment.
    """

    name: str = attrs.field(validator=_WORD)
    description: str = ""
    lead: str | None = None
    members: tuple[str, ...] = attrs.field(default=(), converter=_names)
    max_parallel: int | None = None
    skills: tuple[str, ...] = attrs.field(default=(), converter=_names)


@attrs.frozen
class AgentSpec:
    """An agent definition, written to ``.claude/agents/<name>.md``.

    Attributes:
        name: The agent's unique name: its file name, ``name:`` in the frontmatter
            and the ``subagent_type`` Claude Code calls it by; a file name.
        description: ``description:`` in the frontmatter: when Claude Code should delegate to it.
        prompt: The agent's system prompt, the file's body.
        team: The team it belongs to (a ``TeamSpec`` name); its delegations count
            against the team's ``max_parallel``.
        role: ``director``, ``specialist`` or ``worker``.
        tools: ``tools:`` in the frontmatter; empty: the agent inherits Claude Code's tools.
        model: ``model:`` in the frontmatter (``sonnet``, ``opus`` …), left out when None.
        skills: What it is good at, for automatic assignment (not written to the file).
        capacity: How many delegations to it may run at once; 0: no per-agent limit.
    """

    name: str = attrs.field(validator=_FILE_NAME)
    description: str
    prompt: str = ""
    team: str | None = None
    role: str = "worker"
    tools: tuple[str, ...] = attrs.field(default=(), converter=_names)
    model: str | None = None
    skills: tuple[str, ...] = attrs.field(default=(), converter=_names)
    capacity: int = 1


@attrs.frozen
class StoreBackend:
    """A session store implementation.

    Attributes:
        name: The name ``store.backend`` (or ``ORCH_STORE``) selects; one word.
        factory: ``factory(state_dir, options)`` opens a ``SessionStore``.
        description: One line about the backend.
    """

    name: str = attrs.field(validator=_WORD)
    factory: Callable[..., Any]
    description: str = ""


Reducer = Callable[["Session", "Event"], "Session"]


@attrs.frozen
class EventType:
    """An event type and its reducer: a pure function (state, event) -> new state.

    A reducer gets its own copy of the state and returns the next state; it
    must not read clocks, files or globals, so replaying the log gives back
    exactly the stored state. Raising InvalidValue rejects the event.

    Attributes:
        name: The event type; one word, dotted by convention (``plugin.what_happened``).
        reducer: ``reducer(session, event)`` returns the next state.
        description: One line for ``orch events types``: what happened, and the data it carries.
    """

    name: str = attrs.field(validator=_WORD)
    reducer: Reducer
    description: str = ""


@attrs.frozen
class Subscriber:
    """Called after an event is committed.

    Attributes:
        name: The subscriber's unique name, used in failure reports; one word.
        callback: ``callback(event, session)`` with the committed event and the state after it.
        types: The event types it wants; empty means every type; a string is taken as one type.
    """

    name: str = attrs.field(validator=_WORD)
    callback: Callable[[Event, Session], None]
    types: tuple[str, ...] = attrs.field(default=(), converter=_names)

    def wants(self, event_type: str) -> bool:
        return not self.types or event_type in self.types


@attrs.frozen
class CliCommand:
    """A sub-command group for ``orch``, imported only when used.

    Attributes:
        name: The sub-command, ``orch <name> …``; one word not starting with ``-``.
        help: The line ``orch --help`` shows.
        load: Imports and returns the group (a ``typer.Typer``).
    """

    name: str = attrs.field(validator=_CLI_NAME)
    help: str
    load: Callable[[], Any]


_MCP_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _mcp_tool_name(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if (not isinstance(value, str) or not 0 < len(value) <= 48 or not value[0].isalpha()
            or not set(value) <= _MCP_NAME_CHARS):
        raise ValueError(f"MCP tool name {value!r} must be lowercase letters, digits and '_' (at most 48)")


def _mcp_program_prefix(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and not instance.name.startswith(mcp_prefix(value)):
        raise ValueError(f"MCP tool {instance.name!r} of program {value!r} must be named {mcp_prefix(value)}…")


def mcp_prefix(program: str) -> str:
    """The prefix a program's MCP tools carry: ``leadership_``, ``sprint_runner_``."""
    return program.replace("-", "_").lower() + "_"


@attrs.frozen
class McpTool:
    """A tool ``orch mcp`` offers the model, as ``mcp__orchcore__<name>``.

    Every tool is listed in every mode (Claude Code reads the list once, when
    the server starts); a program's tools carry its name as a prefix, so the
    model can tell whose they are.

    Attributes:
        name: What the model calls (after ``mcp__orchcore__``); lowercase, digits, ``_``.
        description: One line: Claude Code lists it before the model loads the schema.
        input_schema: The JSON schema of the arguments (an ``object``); keep it small.
        call: ``call(arguments, context)`` returns text (or JSON-able data); raise
            ``OrchError`` for a one-line tool error. ``context`` is an ``McpContext``.
        program: The program this tool belongs to; its name must start with ``<program>_``.
    """

    name: str = attrs.field(validator=_mcp_tool_name)
    description: str
    input_schema: dict[str, Any]
    call: Callable[[dict[str, Any], Any], Any]
    program: str | None = attrs.field(default=None, validator=_mcp_program_prefix)


@attrs.frozen
class ImportPlan:
    """What one ``V1Importer`` would do, worked out before anything is written.

    Attributes:
        counts: What it would import, by kind (``{"teams": 4, "agents": 17}``); empty when nothing is new.
        already: What an earlier migration imported already, by kind.
        notes: Lines for the report: what it keeps, what it leaves and why.
        apply: Writes it; called only after every part of the migration planned
            without an error, and not at all for ``--dry-run``.
    """

    counts: dict[str, int] = attrs.field(factory=dict)
    already: dict[str, int] = attrs.field(factory=dict)
    notes: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    apply: Callable[[], None] | None = None


@attrs.frozen
class V1Importer:
    """A plugin's part of ``orch migrate v1``: what it takes from a V1 project besides the session state.

    Attributes:
        name: The part's name in the report (``teams``); one word.
        plan: ``plan(v1)`` reads the ``V1Project`` and returns an ``ImportPlan``;
            an ``OrchError`` it raises stops the whole migration, nothing written.
        description: One line about what it imports.
    """

    name: str = attrs.field(validator=_WORD)
    plan: Callable[[Any], ImportPlan]
    description: str = ""


@attrs.frozen
class HookHandler:
    """Handles Claude Code hook events while orchestration is on for the session.

    Attributes:
        name: The handler's unique name: headings of its context, failure notices,
            ``hook.handled`` timings, ``ProgramSpec.handlers``; one word.
        events: The hook events it handles (``"PreToolUse"`` …), ``"*"`` for all;
            a string is taken as one event.
        handler: ``handler(event, context)`` returns a HookResult, or None for no opinion.
        matcher: Filters events as Claude Code's own matchers do (tool name for tool events).
        timeout_ms: Its budget; a handler over it is a failure and its result is dropped.
    """

    name: str = attrs.field(validator=_WORD)
    events: tuple[str, ...] = attrs.field(converter=_names)
    handler: Callable[[HookEvent, Any], HookResult | None]
    matcher: str = "*"
    timeout_ms: int = 1000

    def handles(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events
