"""The root ``orch`` command: core groups, plugin groups loaded on use, one-line errors."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from orchcore import __version__
from orchcore.cli.common import runtime_of
from orchcore.cli.output import error, note
from orchcore.errors import OrchError


class OrchGroup(TyperGroup):
    """Turns OrchError into one line on stderr, and finds plugin sub-commands lazily."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OrchError as exc:
            error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        finally:
            _warn_about_broken_plugins(ctx)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        core = super().list_commands(ctx)
        try:
            plugin_commands = self._plugin_commands(ctx)
        except OrchError:
            plugin_commands = {}  # help must keep working; running such a command shows the error
        return core + sorted(n for n in plugin_commands if n not in core)

    def get_command(self, ctx: typer.Context, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is not None or ctx.parent is not None:
            return command
        try:
            provided = self._plugin_commands(ctx).get(name)
        except OrchError as exc:
            error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        if provided is None:
            return None
        return LazyPluginCommand(name, provided, runtime_of(ctx).plugins)

    def _plugin_commands(self, ctx: typer.Context) -> dict[str, Any]:
        return runtime_of(ctx).plugins.collect("orch_cli_commands")


class LazyPluginCommand(TyperGroup):
    """Stands in for a plugin's sub-command group: help lists it, only running it loads it."""

    def __init__(self, name: str, provided: Any, plugins: Any):
        super().__init__(name=name, help=provided.spec.help)
        self.provided = provided
        self.plugins = plugins

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        return self.load().make_context(info_name, args, parent=parent, **extra)

    def load(self) -> Any:
        name, provided = self.name, self.provided
        try:
            command = typer.main.get_group(provided.spec.load())
        except (Exception, SystemExit) as exc:
            record = self.plugins.records.get(provided.plugin)
            message = f"command {name!r} of plugin {provided.plugin!r} failed to load: {type(exc).__name__}: {exc}"
            if record is not None:
                self.plugins.record_failure(record, message, exc)  # raises when strict
            raise OrchError(message) from None
        command.name = name
        command.help = command.help or provided.spec.help
        return command


def _warn_about_broken_plugins(ctx: typer.Context) -> None:
    """Tell a person at a terminal that a plugin was skipped; scripts read `orch plugins list`."""
    runtime = ctx.find_root().obj
    if runtime is None or "plugins" not in vars(runtime) or not sys.stderr.isatty():
        return
    if ctx.invoked_subcommand == "plugins":
        return
    for record in runtime.plugins.failures():
        note(f"warning: plugin {record.name!r} was skipped: {record.error} (see `orch plugins list`)")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orch (orchcore) {__version__}")
        raise typer.Exit()


def make_app() -> Any:
    # Module by module, not `from orchcore.cli import ...`: this package's __init__ imports this module.
    import orchcore.cli.dashboard_cmd as dashboard_cmd
    import orchcore.cli.demo_cmd as demo_cmd
    import orchcore.cli.events_cmd as events_cmd
    import orchcore.cli.export_cmd as export_cmd
    import orchcore.cli.install_cmd as install_cmd
    import orchcore.cli.mcp_cmd as mcp_cmd
    import orchcore.cli.msg_cmd as msg_cmd
    import orchcore.cli.plugins_cmd as plugins_cmd
    import orchcore.cli.profile_cmd as profile_cmd
    import orchcore.cli.program_cmd as program_cmd
    import orchcore.cli.rollback_cmd as rollback_cmd
    import orchcore.cli.recover_cmd as recover_cmd
    import orchcore.cli.runtime_cmd as runtime_cmd
    import orchcore.cli.migrate_cmd as migrate_cmd
    import orchcore.cli.session_cmd as session_cmd
    import orchcore.cli.state_cmd as state_cmd

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
    app.add_typer(program_cmd.app, name="program")
    app.add_typer(msg_cmd.app, name="msg")
    app.add_typer(runtime_cmd.app, name="runtime")
    app.add_typer(migrate_cmd.app, name="migrate")
    app.add_typer(export_cmd.app, name="export")
    app.command("install")(install_cmd.install)
    app.command("uninstall")(install_cmd.uninstall)
    app.command("doctor")(install_cmd.doctor)
    app.command("dashboard")(dashboard_cmd.dashboard)
    app.command("mcp")(mcp_cmd.mcp)
    app.command("demo")(demo_cmd.demo)
    app.command("profile")(profile_cmd.profile)
    app.command("rollback")(rollback_cmd.rollback)
    app.command("recover")(recover_cmd.recover)
    app.add_typer(recover_cmd.backup_app, name="backup")
    return typer.main.get_command(app)
