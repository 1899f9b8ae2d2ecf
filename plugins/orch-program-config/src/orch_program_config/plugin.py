"""The config_manager program: its spec, its event type and the ``orch config`` group.

Kept light: orchcore imports this module on the hook path; the views and
palette are imported when orchcore asks for the program, actions and the CLI
only when they run.
"""

from __future__ import annotations

from pathlib import Path

from orchcore.api import CliCommand, ProgramSpec, hookimpl

from orch_program_config.events import EVENT_TYPES

PROGRAM = "config_manager"
ICON = "⚙"


@hookimpl
def orch_programs():
    from orch_program_config.palette import PALETTE
    from orch_program_config.views import render_context

    output_style = Path(__file__).with_name("output_style.md").read_text(encoding="utf-8")

    return [ProgramSpec(
        name=PROGRAM,
        description="View and change teams, agents, workflows and settings through validated commands",
        output_style=output_style,
        icon=ICON,
        render_context=render_context,
        palette=PALETTE,
    )]


@hookimpl
def orch_event_types():
    return EVENT_TYPES


def _load_cli():
    from orch_program_config.cli import app

    return app


@hookimpl
def orch_cli_commands():
    return [CliCommand(name="config", help="Show, check and change the project config (.claude/orchcore.json).",
                       load=_load_cli)]
