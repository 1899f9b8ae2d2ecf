"""The sprint's text: the live context, the board, one task, velocity.

Plain text read in two places: by the model (the context the router injects
at every prompt) and by the user (palette answers show in Claude Code as the
reason a prompt was blocked). Lists are cut with a count of the rest, so the
context stays small however many tasks the sprint has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orch_program_sprint import views as v
from orchcore.api import SprintProgress, sprint_progress, sprint_tasks
from orchcore.api import CLOSED_TASK, FLOW_ORDER, SprintStatus, TaskStatus, by_urgency

NAME = "sprint_execution"
ICON = "▶"
# Board columns in the order work moves through them (cancelled and unknown statuses after them).
COLUMNS = tuple(s for s in FLOW_ORDER if s != TaskStatus.CANCELLED)
PALETTE_LINE = ("palette (type at the prompt): board · task <id> · assign <task> <agent> · auto-assign · "
                "block <task> <reason…> · unblock <task> · done <task> · velocity · help")


def board_tasks(session: Any) -> tuple[Any | None, list[Any]]:
    """The current sprint and its tasks; without a sprint, every task not in a finished sprint."""
    sprint = v.current_sprint(session)
    if sprint is not None:
        return sprint, sprint_tasks(session, sprint)
    finished = {s.id for s in session.state.sprints.values() if s.status == SprintStatus.COMPLETED}
    return None, [t for t in session.state.tasks.values() if t.sprint not in finished or t.sprint is None]


def columns(tasks: list[Any]) -> dict[str, list[Any]]:
    groups = v.by_status(tasks)
    ordered = {c: groups.pop(c) for c in COLUMNS if c in groups}
    ordered.update(groups)  # cancelled and unknown statuses last
    return ordered


def headline(session: Any, sprint: Any | None, now: datetime | None = None) -> list[str]:
    if sprint is None:
        return [f"{ICON} {NAME} · no sprint running (start one: /orchestration:start-sprint, or "
                "`orch events emit sprint.started -d '{\"id\": \"S-1\", \"name\": \"Sprint 1\", \"duration_days\": 10}'`)"]
    info = sprint_progress(session, sprint, now)
    head = f"{ICON} {NAME} · {v.sprint_title(sprint)} · {v.day_text(info)}"
    epic = session.state.epics.get(sprint.epic or session.current_epic or "")
    if epic is not None:
        head += f" · epic {epic.id}" + (f" “{v.clip(epic.title, 40)}”" if epic.title else "")
    lines = [head]
    if sprint.goal:
        lines.append(f"Goal: {v.clip(sprint.goal, 100)}")
    lines.append(progress_line(info))
    return lines


def progress_line(info: SprintProgress) -> str:
    text = f"Progress: {info.done_points}/{info.points} points"
    if info.points:
        text += f" ({info.point_percent}%)"
    text += f" · {info.done_tasks}/{info.tasks} tasks done"
    if info.unestimated:
        text += f" ({info.unestimated} unestimated)"
    text += f" · velocity {v.rate(info.velocity)} pts/day · {v.outlook(info)}"
    return text


def board_lines(session: Any, tasks: list[Any], limit: int, inline: bool) -> list[str]:
    if not tasks:
        return ["Board: no tasks yet."]
    lines = ["Board:"]
    for status, group in columns(tasks).items():
        title = f"{status.replace('_', ' ')} ({len(group)})"
        if status in CLOSED_TASK:
            ids = [t.id for t in group]
            lines.append(f"  {title}: {v.listing(ids, limit * 2)}")
        elif inline:
            shown = " · ".join(v.task_line(session, t, width=36) for t in group[:limit])
            more = f" · +{len(group) - limit} more" if len(group) > limit else ""
            lines.append(f"  {title}: {shown}{more}")
        else:
            lines.append(f"  {title}:")
            lines.extend(f"    {v.task_line(session, t)}" for t in group[:limit])
            if len(group) > limit:
                lines.append(f"    … and {len(group) - limit} more")
    return lines


def assignment_lines(session: Any, tasks: list[Any], limit: int) -> list[str]:
    by_agent: dict[str, list[str]] = {}
    for task in sorted(tasks, key=by_urgency):
        if task.assignee and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.REVIEW):
            by_agent.setdefault(v.agent_label(session, task.assignee), []).append(task.id)
    unassigned = sum(1 for t in tasks if t.status == TaskStatus.PENDING and not t.assignee)
    parts = [f"{name} {', '.join(ids)}" for name, ids in list(by_agent.items())[:limit * 2]]
    if len(by_agent) > limit * 2:
        parts.append(f"+{len(by_agent) - limit * 2} more agents")
    parts.append(f"{unassigned} pending unassigned")
    return ["Assignments: " + " · ".join(parts)]


def blocker_lines(session: Any, tasks: list[Any], limit: int) -> list[str]:
    blocked = sorted((t for t in tasks if t.status == TaskStatus.BLOCKED), key=by_urgency)
    if not blocked:
        return ["Blockers: none."]
    lines = [f"Blockers ({len(blocked)}):"]
    for task in blocked[:limit]:
        why = "; ".join(v.clip(b, 50) for b in task.blockers[-2:]) or "no reason recorded"
        who = f" ({v.agent_label(session, task.assignee)})" if task.assignee else ""
        lines.append(f"  {task.id}{who}: {why}")
    if len(blocked) > limit:
        lines.append(f"  … and {len(blocked) - limit} more")
    return lines


def render_context(session: Any, now: datetime | None = None) -> str:
    """What the model sees at SessionStart and every prompt while the sprint program is active."""
    sprint, tasks = board_tasks(session)
    lines = headline(session, sprint, now)
    if sprint is None and tasks:
        lines.append(f"Backlog ({len(tasks)} tasks outside a finished sprint):")
    lines += board_lines(session, tasks, limit=4, inline=True)
    lines += assignment_lines(session, tasks, limit=4)
    lines += blocker_lines(session, tasks, limit=3)
    lines.append(PALETTE_LINE)
    return "\n".join(lines)


def board_view(session: Any, now: datetime | None = None) -> str:
    """The ``board`` palette command: every column, one task a line."""
    sprint, tasks = board_tasks(session)
    lines = headline(session, sprint, now)
    lines += board_lines(session, tasks, limit=8, inline=False)
    lines += blocker_lines(session, tasks, limit=5)
    return "\n".join(lines)


def velocity_view(session: Any, now: datetime | None = None) -> str:
    sprint = v.current_sprint(session)
    lines = []
    if sprint is not None:
        info = sprint_progress(session, sprint, now)
        lines.append(f"Velocity — {v.sprint_title(sprint)}, {v.day_text(info)}")
        lines.append(f"  done {info.done_points} of {info.points} points, {info.done_tasks} of {info.tasks} tasks"
                     + (f"; {info.unestimated} unestimated" if info.unestimated else ""))
        if info.day:
            lines.append(f"  velocity {v.rate(info.velocity)} points/day "
                         f"({info.done_points} points in {v.count(info.day, 'day')})")
        lines.append(f"  {v.outlook(info)}")
        if info.finish_day and info.duration:
            when = "within the sprint" if info.finish_day <= info.duration else "after the sprint ends"
            lines.append(f"  at this pace the last point lands on day {info.finish_day} ({when})")
    else:
        lines.append("Velocity — no sprint running")
    history = [s for s in session.state.sprints.values() if s.status == SprintStatus.COMPLETED]
    if history:
        lines.append("Finished sprints:")
        rates = []
        for past in sorted(history, key=lambda s: s.ended_at or "")[-5:]:
            info = sprint_progress(session, past, now)
            rates.append(info.velocity or 0)
            lines.append(f"  {v.sprint_title(past)}: {info.done_points} points in "
                         f"{v.count(info.day or 0, 'day')} = {v.rate(info.velocity)}/day")
        lines.append(f"  average {v.rate(sum(rates) / len(rates))} points/day")
    return "\n".join(lines)
