"""The state pack: ``/orchestration:enable-orchestration``, ``set-mode``, ``checkpoint-state``.

In a terminal: ``orch orchestration enable|disable|set-mode|status`` and
``orch checkpoint create|list``. A checkpoint is the core's
(``create_checkpoint``, event type ``checkpoint.created``).
"""

from __future__ import annotations

from orch_commands.specs import slash_command
from orchcore.api import CliCommand, hookimpl

ENABLE_ORCHESTRATION = slash_command(
    "enable-orchestration",
    "Turn orchestration on for this session, optionally with a program and teams",
    argument_hint="[PROGRAM] [TEAM…] [mode=PROGRAM] [teams=a,b]",
    intro="Turn orchestration on for this Claude Code session (other sessions are not affected).",
    runs=["orch orchestration enable $ARGUMENTS"],
    instructions="""
Above: this session's orchestration status after the change: its mode (program), active teams, current sprint, and what is available (programs, teams, the /orchestration commands).

Tell the user in two or three lines that orchestration is on for this session and what that means: hook events are now routed to the orchestration plugins, the status line shows the session's state, and a program (if one is active) gives you its live state with every prompt. Then suggest the next step that fits what is missing: `/orchestration:set-mode PROGRAM` when no program is active, `/orchestration:activate-team TEAM` when no team is, `/orchestration:start-sprint` when there is no sprint.
""",
)

SET_MODE = slash_command(
    "set-mode",
    "Switch this session's mode (program); it takes effect on the next prompt",
    argument_hint="PROGRAM|default",
    intro="Switch the session's mode.",
    runs=["orch orchestration set-mode $ARGUMENTS"],
    instructions="""
Above: the session's new mode and output style, and whether orchestration is on.

Confirm the switch in one line. The program's live state reaches you with the user's next prompt (no restart needed): from then on follow that program's instructions. If the output says orchestration is off, say that the program becomes active once orchestration is on (`/orchestration:enable-orchestration`).
""",
)

CHECKPOINT_STATE = slash_command(
    "checkpoint-state",
    "Record a named checkpoint of the session's state to roll back to later",
    argument_hint="[NAME] [note=TEXT]",
    intro="Checkpoint the session's orchestration state.",
    runs=["orch checkpoint create $ARGUMENTS"],
    instructions="""
Above: the checkpoint just recorded (its name and the event it marks) and the session's other checkpoints.

Confirm it in one line, and tell the user how to return to it: `/orchestration:rollback checkpoint=NAME` (in a terminal: orch rollback --to NAME). Nothing is ever deleted by a rollback: it records the old state as a new event, so a rollback can itself be undone.
""",
)

COMMANDS = [ENABLE_ORCHESTRATION, SET_MODE, CHECKPOINT_STATE]

EXAMPLES = {
    "enable-orchestration": ["", "engineering mode=default"],
    "set-mode": ["default", "mode=default"],
    "checkpoint-state": ["before-refactor note=\"all green\"", ""],
}


@hookimpl
def orch_commands():
    return COMMANDS


@hookimpl
def orch_cli_commands():
    def load_orchestration():
        from orch_commands.state_cli import orchestration_app

        return orchestration_app

    def load_checkpoint():
        from orch_commands.state_cli import checkpoint_app

        return checkpoint_app

    return [
        CliCommand(name="orchestration", help="Orchestration for one session: enable, disable, set-mode, status.",
                   load=load_orchestration),
        CliCommand(name="checkpoint", help="Named checkpoints of a session's state: create, list.",
                   load=load_checkpoint),
    ]
