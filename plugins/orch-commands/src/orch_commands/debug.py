"""The debug pack: ``/orchestration:inspect-state``, ``list-events``, ``replay-events``,
``profile-hooks`` and ``rollback``.

In a terminal: ``orch debug state|agents|events|replay|profile|rollback``; the
core's ``orch rollback --to SEQ|CHECKPOINT`` does what ``orch debug rollback``
does. A rollback is the core's (``roll_back``, event type ``state.restored``):
it records the whole state at its target as a new event, so nothing is
deleted and replaying the full log still gives the stored state.
"""

from __future__ import annotations

from orch_commands.specs import slash_command
from orchcore.api import CliCommand, hookimpl

INSPECT_STATE = slash_command(
    "inspect-state",
    "Inspect the session's orchestration state (all of it, or one path)",
    argument_hint="[PATH, e.g. state.tasks or mode]",
    intro="Inspect this session's orchestration state.",
    runs=["orch debug state $ARGUMENTS"],
    instructions="""
Above: the session's state (an overview, or the value at the path asked for), the number of its last event, and whether the stored state still equals the replay of its event log.

Answer the user's question about the state from this output only; quote ids and values exactly. If the check says the stored state differs from the replayed log, say so first: that is a bug to report (nothing is lost: the log is kept, and `/orchestration:replay-events` rebuilds the state from it).
""",
)

LIST_EVENTS = slash_command(
    "list-events",
    "List the session's recent events (filter by type, since an event or a checkpoint)",
    argument_hint="[type=TYPE] [limit=N] [after=SEQ|since=CHECKPOINT]",
    intro="List this session's events.",
    runs=["orch debug events $ARGUMENTS"],
    instructions="""
Above: the session's events, oldest first (sequence number, time, type, source, data).

Explain what happened in this stretch of the log in a few lines, grouped by what it means (delegations, tasks, messages, mode changes), not event by event. Point out anything unusual: failures (`plugin.error`), denied tool calls, rollbacks (`state.restored`).
""",
)

REPLAY_EVENTS = slash_command(
    "replay-events",
    "Replay the event log up to an event or checkpoint and compare with the current state",
    argument_hint="[upto=SEQ|checkpoint=NAME]",
    intro="Replay this session's event log.",
    runs=["orch debug replay $ARGUMENTS"],
    instructions="""
Above: the state rebuilt from the log up to the point asked for (or all of it), and how it differs from the current state.

Tell the user what the state was at that point and what changed since, in plain words. If they want to go back there, the command is `/orchestration:rollback` with the same point (`to=SEQ` or `checkpoint=NAME`).
""",
)

PROFILE_HOOKS = slash_command(
    "profile-hooks",
    "Hook latency per handler, and hook events per type, for this session",
    argument_hint="[top=N]",
    intro="Profile the orchestration hooks of this session.",
    runs=["orch debug profile $ARGUMENTS"],
    instructions="""
Above: per hook handler its calls, failures, average, p95 and worst latency (as recorded by the router), and how many hook events of each type were handled.

Summarise: which handlers cost the most in total and at worst, any failures, and whether any handler comes near its time budget. Suggest a fix only where the numbers call for one (for example denying a slow plugin with ORCH_PLUGINS_DENY while it is fixed).
""",
)

ROLLBACK = slash_command(
    "rollback",
    "Roll the session's state back to an event or a checkpoint (recorded as a new event; nothing is deleted)",
    argument_hint="to=SEQ | checkpoint=NAME",
    intro="Roll back this session's orchestration state.",
    runs=["orch debug rollback $ARGUMENTS"],
    instructions="""
Above: the rollback that was just recorded: the point the state returned to, how many events it undid, and what changed (mode, teams, sprint, tasks, agents, messages).

Tell the user in a few lines what the state is now and what was undone. Work you or your subagents did in files is NOT rolled back: only the orchestration state is. Since the rollback is itself an event, it can be undone by rolling back to the event just before it.
""",
)

COMMANDS = [INSPECT_STATE, LIST_EVENTS, REPLAY_EVENTS, PROFILE_HOOKS, ROLLBACK]

EXAMPLES = {
    "inspect-state": ["", "mode", "state.tasks"],
    "list-events": ["", "type=task.created limit=5", "since=before-sprint"],
    "replay-events": ["", "upto=2", "checkpoint=before-sprint"],
    "profile-hooks": ["", "top=3"],
    "rollback": ["checkpoint=before-sprint", "to=2"],
}


@hookimpl
def orch_commands():
    return COMMANDS


@hookimpl
def orch_cli_commands():
    def load_debug():
        from orch_commands.debug_cli import app

        return app

    return [
        CliCommand(name="debug", help="Debug a session: state, agents, events, replay, profile, rollback.", load=load_debug),
    ]
