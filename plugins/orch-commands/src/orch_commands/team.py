"""The team pack: ``/orchestration:activate-team``, ``team-standup``, ``assign-lead``.

In a terminal: ``orch team activate|standup|assign-lead|list|handoff``. Adds the event
types ``team.standup`` (the stand-up marker) and ``team.lead_assigned``.
"""

from __future__ import annotations

from orch_commands import events
from orch_commands.specs import slash_command
from orchcore.api import CliCommand, EventType, hookimpl

ACTIVATE_TEAM = slash_command(
    "activate-team",
    "Activate teams for this session: their agents can be delegated to",
    argument_hint="TEAM [TEAM…] [--replace]",
    intro="Activate teams in this session.",
    runs=["orch team activate $ARGUMENTS"],
    instructions="""
Above: the teams now active in this session, with each team's lead, members and how many of its agents may run at once.

Tell the user in a few lines which teams are active and who leads each. From now on, when you delegate work with the Agent tool, prefer these teams' agents (their names are the `subagent_type` values) and respect each team's parallel limit. If a team has no lead, suggest `/orchestration:assign-lead`.
""",
)

TEAM_STANDUP = slash_command(
    "team-standup",
    "Stand-up per team: each agent's status, current task, and what is done since the last stand-up",
    argument_hint="[TEAM…]",
    intro="Run the stand-up of the active teams.",
    runs=["orch team standup $ARGUMENTS"],
    instructions="""
Above: per team, each agent's status and current task, the tasks completed since the team's previous stand-up, the blocked tasks, and the open tasks nobody has. This stand-up is now recorded: the next one reports from here.

Write the stand-up as a lead would, per team, in at most five lines each:
- done since last time (task ids and titles), doing now (agent -> task), blocked (what and by what);
- then one line of risks or decisions needed.
End with the two or three most useful next steps across teams (for example delegating unowned tasks with `/orchestration:delegate-tasks`).
""",
)

ASSIGN_LEAD = slash_command(
    "assign-lead",
    "Make an agent the lead of a team",
    argument_hint="TEAM AGENT",
    intro="Assign a team lead.",
    runs=["orch team assign-lead $ARGUMENTS"],
    instructions="""
Above: the team's new lead (and the previous one, if any) as now recorded in the session's state.

Confirm the change to the user in one line. When you coordinate this team's work from now on, route its decisions and reviews through this lead: delegate coordination work to the lead's agent (the `subagent_type` named above) and let it split work among the team's members.
""",
)

COMMANDS = [ACTIVATE_TEAM, TEAM_STANDUP, ASSIGN_LEAD]

EXAMPLES = {
    "activate-team": ["engineering qa", "teams=engineering,qa --replace"],
    "team-standup": ["", "engineering"],
    "assign-lead": ["engineering engineering-developer", "team=qa agent=qa-director"],
}

EVENT_TYPES = [
    EventType("team.standup", events.team_standup, "a stand-up was held; the next reports from here: {teams, done?}"),
    EventType("team.lead_assigned", events.team_lead_assigned, "a team's lead changes: {team, lead, previous?}"),
]


@hookimpl
def orch_commands():
    return COMMANDS


@hookimpl
def orch_event_types():
    return EVENT_TYPES


@hookimpl
def orch_cli_commands():
    def load():
        from orch_commands.team_cli import app

        return app

    return [CliCommand(name="team", help="Teams: activate them, hold a stand-up, assign a lead, hand a task over.", load=load)]
