"""The root ``orch`` command: core groups, plugin groups loaded on use, one-line errors."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from orchcore import __version__
from orchcore.cli.output import error
from orchcore.errors import OrchError


def runtime_of(ctx: typer.Context):
    """The Runtime shared by every command of one invocation (tests pass their own as ``obj``)."""
    root = ctx.find_root()
    if root.obj is None:
        from orchcore.runtime import Runtime

        root.obj = Runtime()
    return root.obj


class OrchGroup(TyperGroup):
    """Turns OrchError into one line on stderr, and finds plugin sub-commands lazily."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OrchError as exc:
            error(str(exc))
            raise typer.Exit(exc.exit_code) from None

    def list_commands(self, ctx: typer.Context) -> list[str]:
        core = super().list_commands(ctx)
        return core + sorted(n for n in self._plugin_commands(ctx) if n not in core)

    def get_command(self, ctx: typer.Context, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is not None or ctx.parent is not None:
            return command
        provided = self._plugin_commands(ctx).get(name)
        if provided is None:
            return None
        try:
            plugin_app = provided.spec.load()
            command = typer.main.get_command(plugin_app)
        except Exception as exc:
            plugins = runtime_of(ctx).plugins
            record = plugins.records.get(provided.plugin)
            message = f"command {name!r} of plugin {provided.plugin!r} failed to load: {type(exc).__name__}: {exc}"
            if record is not None:
                plugins.record_failure(record, message, exc)
            error(message)
            raise typer.Exit(1) from None
        command.name = name
        if not command.help:
            command.help = provided.spec.help
        return command

    def _plugin_commands(self, ctx: typer.Context) -> dict[str, Any]:
        try:
            return runtime_of(ctx).plugins.collect("orch_cli_commands")
        except OrchError:
            return {}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orch (orchcore) {__version__}")
        raise typer.Exit()


def make_app() -> Any:
    from orchcore.cli import events_cmd, plugins_cmd, session_cmd, state_cmd

    app = typer.Typer(
        cls=OrchGroup,
        name="orch",
        help="orchcore: a session-aware orchestration runtime for Claude Code.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
        ] = False,
    ) -> None:
        runtime_of(ctx)

    app.add_typer(plugins_cmd.app, name="plugins")
    app.add_typer(session_cmd.app, name="session")
    app.add_typer(state_cmd.app, name="state")
    app.add_typer(events_cmd.app, name="events")
    return typer.main.get_command(app)
