"""Every hook a plugin can implement. All are prefixed ``orch_``.

Registration hooks return an iterable of frozen specs (``ProgramSpec``,
``TeamSpec`` … from ``orchcore.api``), each with a ``name``; the core collects
them per kind and refuses duplicates.
They take no arguments, so a plugin's contribution is data the core can list,
render and cache without running anything.

Each hook's reference (when the core calls it, what is cached, every field
of its spec, a working example) is in ``docs/plugin-hooks.md``.

A plugin imports everything it uses from ``orchcore.api`` (CONTRIBUTING.md,
"What a plugin may import"), the marker included::

    from orchcore.api import hookimpl

Then declare the module in your ``pyproject.toml``:

.. code-block:: toml

    [project.entry-points.orchcore]
    my-plugin = "my_package.plugin"
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from orchcore.specs import (
    AgentSpec,
    CliCommand,
    CommandSpec,
    EventType,
    HookHandler,
    McpTool,
    ProgramSpec,
    StatusSegment,
    StoreBackend,
    Subscriber,
    TeamSpec,
    V1Importer,
)

PROJECT_NAME = "orchcore"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def orch_programs() -> Iterable[ProgramSpec]:
    """Programs: output styles that turn the main agent into a specialised runtime.

    Reference: docs/plugin-hooks.md#orch_programs

    Example::

        from orchcore.api import ProgramSpec, hookimpl


        @hookimpl
        def orch_programs():
            return [ProgramSpec(
                name="standup",
                description="Daily stand-up facilitator",
                output_style="You run the team's stand-up. Ask each lead ...",
                mode="standup",
                commands=["orchestration:team-standup"],
            )]
    """


@hookspec
def orch_commands() -> Iterable[CommandSpec]:
    """Slash commands, written by ``orch install`` under ``.claude/commands/``.

    Reference: docs/plugin-hooks.md#orch_commands

    Example::

        from orchcore.api import CommandSpec, hookimpl


        @hookimpl
        def orch_commands():
            return [CommandSpec(
                command="review-progress",
                description="Show sprint progress",
                body="Sprint: !`orch state get current_sprint`",
                allowed_tools=["Bash(orch:*)"],
            )]
    """


@hookspec
def orch_status_segments() -> Iterable[StatusSegment]:
    """Status-line segments; ``orch statusline`` composes them in configured order.

    Reference: docs/plugin-hooks.md#orch_status_segments

    Example::

        from orchcore.api import StatusSegment, TaskStatus, hookimpl


        @hookimpl
        def orch_status_segments():
            def pending(ctx):
                tasks = ctx.session.state.tasks.values() if ctx.session else []
                return f"{sum(t.status == TaskStatus.PENDING for t in tasks)} pending"
            return [StatusSegment(name="pending-tasks", render=pending)]
    """


@hookspec
def orch_teams() -> Iterable[TeamSpec]:
    """Team definitions: who leads, who is in it, how many may run at once.

    Reference: docs/plugin-hooks.md#orch_teams

    Example::

        from orchcore.api import TeamSpec, hookimpl


        @hookimpl
        def orch_teams():
            return [TeamSpec(name="qa", lead="qa-director",
                             members=["qa-director", "qa-tester"], max_parallel=2)]
    """


@hookspec
def orch_agents() -> Iterable[AgentSpec]:
    """Agent definitions, written by ``orch install`` to ``.claude/agents/``.

    Reference: docs/plugin-hooks.md#orch_agents

    Example::

        from orchcore.api import AgentSpec, hookimpl


        @hookimpl
        def orch_agents():
            return [AgentSpec(name="qa-tester", description="Writes and runs tests",
                              team="qa", role="worker", tools=["Read", "Bash"],
                              prompt="You test the change you are given ...")]
    """


@hookspec
def orch_store_backends() -> Iterable[StoreBackend]:
    """Session store implementations, chosen by ``store.backend`` in the config.

    Reference: docs/plugin-hooks.md#orch_store_backends

    Example::

        from orchcore.api import StoreBackend, hookimpl


        @hookimpl
        def orch_store_backends():
            def open_store(state_dir, options):
                from my_package.store import RedisStore  # a subclass of orchcore.api.SessionStore
                return RedisStore(options.get("url", "redis://127.0.0.1:6379"))
            return [StoreBackend(name="redis", factory=open_store)]
    """


@hookspec
def orch_event_types() -> Iterable[EventType]:
    """Event types and their reducers (pure functions: state, event -> new state).

    Reference: docs/plugin-hooks.md#orch_event_types

    Example::

        from orchcore.api import EventType, hookimpl


        @hookimpl
        def orch_event_types():
            def decided(session, event):
                log = session.plugins.setdefault("decisions", {}).setdefault("log", [])
                log.append(event.data)
                return session
            return [EventType(name="decision.recorded", reducer=decided)]
    """


@hookspec
def orch_event_subscribers() -> Iterable[Subscriber]:
    """Callbacks run after an event is committed (notifications, side effects).

    A subscriber that raises is isolated: the event stays committed, the
    failure is recorded as a ``plugin.error`` event.

    Reference: docs/plugin-hooks.md#orch_event_subscribers

    Example::

        from orchcore.api import Subscriber, hookimpl


        @hookimpl
        def orch_event_subscribers():
            def notify(event, session):
                print(f"task {event.data['id']} done")
            return [Subscriber(name="notify-done", callback=notify, types=["task.completed"])]
    """


@hookspec
def orch_cli_commands() -> Iterable[CliCommand]:
    """Sub-command groups for ``orch``; ``load`` is called only when the group is used.

    A group is a module-level ``typer.Typer`` in a module of its own, which
    ``load`` imports and returns, so typer never reaches the hook path
    (CONTRIBUTING.md, "A CLI group for your plugin").

    Reference: docs/plugin-hooks.md#orch_cli_commands

    Example::

        # greet/plugin.py: the hooks (no typer here)
        from orchcore.api import CliCommand, hookimpl


        def load():
            from greet.cli import app

            return app


        @hookimpl
        def orch_cli_commands():
            return [CliCommand(name="greet", help="Say hello", load=load)]

    greet/cli.py::

        import typer

        app = typer.Typer(help="Say hello")


        @app.command()
        def hello():
            print("hello")
    """


@hookspec
def orch_hook_handlers() -> Iterable[HookHandler]:
    """Handlers for Claude Code hook events, run while orchestration is on.

    Reference: docs/plugin-hooks.md#orch_hook_handlers

    Example::

        from orchcore.api import HookHandler, HookResult, hookimpl


        @hookimpl
        def orch_hook_handlers():
            def no_force_push(event, context):
                if "push --force" in event.tool_input.get("command", ""):
                    return HookResult(permission="deny", reason="force-push is not allowed")
                return None
            return [HookHandler(name="no-force-push", events=["PreToolUse"],
                                matcher="Bash", handler=no_force_push)]
    """


@hookspec
def orch_v1_importers() -> Iterable[V1Importer]:
    """Parts of a V1 project a plugin imports in ``orch migrate v1``, besides the session state.

    Reference: docs/plugin-hooks.md#orch_v1_importers

    Example::

        from orchcore.api import ImportPlan, V1Importer, hookimpl


        def plan(v1):
            workflows = v1.json("orchestration/workflows.json")  # None when V1 has none
            if workflows is None:
                return ImportPlan()
            return ImportPlan(counts={"workflows": len(workflows)}, apply=lambda: save(v1.target, workflows))


        @hookimpl
        def orch_v1_importers():
            return [V1Importer(name="workflows", plan=plan)]
    """


@hookspec
def orch_mcp_tools() -> Iterable[McpTool]:
    """Tools ``orch mcp`` offers the model besides the built-in ones (``mcp__orchcore__<name>``).

    ``call(arguments, context)`` runs in the session's MCP server; it changes
    state only through ``context.emit(type, data)``, which checks the event as
    the CLI does (an archived session, the project's limits, the reducer) and
    records it with source ``mcp``. Raise ``OrchError`` for a tool error.
    A program's tools are always listed, named with the program as prefix.

    Reference: docs/plugin-hooks.md#orch_mcp_tools

    Example::

        from orchcore.api import McpTool, OrchError, hookimpl


        def praise(arguments, context):
            task = context.session.state.tasks.get(arguments["task"])
            if task is None:
                raise OrchError(f"no task {arguments['task']!r} in this session")
            context.emit("task.updated", {"id": task.id, "praised": True})
            return f"{task.id} praised"


        @hookimpl
        def orch_mcp_tools():
            return [McpTool(name="standup_praise", description="Praise a task's work.",
                            input_schema={"type": "object", "properties": {"task": {"type": "string"}},
                                          "required": ["task"]},
                            call=praise, program="standup")]
    """
