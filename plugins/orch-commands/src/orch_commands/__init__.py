"""First-party orchcore command packs: ``/orchestration:*`` slash commands that are also ``orch`` commands.

Four plugins, one per pack (entry points in the group ``orchcore``):
``commands-workflow`` (orch_commands.workflow), ``commands-team``
(orch_commands.team), ``commands-state`` (orch_commands.state) and
``commands-debug`` (orch_commands.debug).
"""

__version__ = "0.1.0"

PACKS = {
    "commands-workflow": "orch_commands.workflow",
    "commands-team": "orch_commands.team",
    "commands-state": "orch_commands.state",
    "commands-debug": "orch_commands.debug",
}
