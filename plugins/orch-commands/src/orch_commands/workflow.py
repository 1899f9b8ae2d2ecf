"""The workflow pack: ``/orchestration:start-sprint``, ``delegate-tasks``, ``review-progress``.

In a terminal the same work is ``orch sprint start|delegate|review`` (and
``add-task``, ``assign``, ``done``, ``complete``). This module stays light:
the CLI (typer) is imported only when an ``orch sprint`` command runs.
"""

from __future__ import annotations

from orch_commands.specs import slash_command
from orchcore.api import CliCommand, hookimpl

START_SPRINT = slash_command(
    "start-sprint",
    "Start a sprint: its teams, its epic (created if needed) and its duration",
    argument_hint="[name] [epic=EPIC] [days=N|duration=2w] [teams=a,b] [goal=TEXT]",
    intro="Start a sprint in this session's orchestration state.",
    runs=["orch sprint start $ARGUMENTS"],
    model_may_run=["orch sprint add-task"],
    instructions="""
The sprint above now exists in the session's state (the status line and the dashboard show it).

1. Confirm it to the user in two or three lines: sprint id and name, epic (say if it was just created), teams, last day.
2. When the sprint has no tasks yet, propose a first breakdown of the goal or epic into 3-8 tasks (title, team, points, priority). Add them only after the user agrees, one command each:
   `orch sprint add-task "TITLE" team=TEAM points=N priority=normal`
3. Then suggest `/orchestration:delegate-tasks` to hand the tasks to the teams' agents.
""",
)

DELEGATE_TASKS = slash_command(
    "delegate-tasks",
    "Match the sprint's pending tasks with agents that have free capacity",
    argument_hint="[strategy=capacity|skills|round-robin] [priority=critical|high|normal|low] [team=TEAM]",
    intro="Delegate the pending tasks of the current sprint.",
    runs=["orch sprint delegate $ARGUMENTS"],
    model_may_run=["orch sprint assign"],
    instructions="""
Above: the pending tasks (most urgent first) and, for each, the agent suggested by the strategy, with the alternatives and each team's free capacity.

For each task with a suggestion, in the order listed:
1. Record the assignment: `orch sprint assign TASK_ID AGENT`.
2. Delegate it with the Agent tool: `subagent_type` = the suggested agent, `description` = "TASK_ID: title", and a `prompt` holding the task's title, description, its acceptance criteria as you understand them, and the task id.
Independent tasks may be delegated in parallel (several Agent calls in one turn). Never exceed the free capacity shown; a task listed without a suggestion stays pending: tell the user which team is full.
Finish with a short table: task, agent, status.
""",
)

REVIEW_PROGRESS = slash_command(
    "review-progress",
    "The sprint's board, progress, blockers and velocity",
    argument_hint="[sprint=ID]",
    intro="Review the progress of the sprint.",
    runs=["orch sprint review $ARGUMENTS"],
    instructions="""
Above: the sprint's board by status, its progress in tasks and points, its blockers, and its velocity (points done per sprint day) against the velocity needed to finish on time.

Report to the user in this order, briefly:
1. One line: day X of N, done/total points, on track or behind (compare the velocity with the one needed).
2. Blockers first: each blocked task, what blocks it, and one concrete way to unblock it.
3. What is in progress and who has it; what is still pending and unassigned.
4. At most three recommended actions (for example `/orchestration:delegate-tasks` for pending work, moving scope out of the sprint, or pairing on a blocker).
""",
)

COMMANDS = [START_SPRINT, DELEGATE_TASKS, REVIEW_PROGRESS]

# Arguments the tests run each command's lines with, on a session in mid-sprint (tests/conftest.py).
EXAMPLES = {
    "start-sprint": ["Auth sprint epic=auth days=10 teams=engineering,qa --replace",
                     "--name Hardening --duration 2w --team qa --replace"],
    "delegate-tasks": ["strategy=skills priority=normal"],
    "review-progress": [""],
}


@hookimpl
def orch_commands():
    return COMMANDS


@hookimpl
def orch_cli_commands():
    def load():
        from orch_commands.workflow_cli import app

        return app

    return [CliCommand(name="sprint", help="Sprints: start, add tasks, delegate, review, complete.", load=load)]
