"""How this program words a sprint: its title, its day, its pace and outlook.

The numbers come from ``orchcore.domain.sprints`` (``SprintProgress``), the
questions every program shares (tasks, agents) from ``orchcore.views``; the
latter are re-exported here so the rest of this package reads ``v.find_task``
or ``v.outlook`` alike.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import SprintProgress
from orchcore.api import agent_label, by_status, clip, count, find_task, listing, task_line, unknown_task

__all__ = [  # the shared questions, re-exported, and this package's own
    "agent_label",
    "by_status",
    "clip",
    "count",
    "find_task",
    "listing",
    "task_line",
    "unknown_task",
    "current_sprint",
    "sprint_title",
    "rate",
    "day_text",
    "outlook",
]


# -- the sprint ----------------------------------------------------------


def current_sprint(session: Any) -> Any | None:
    return session.state.sprints.get(session.current_sprint or "")


def sprint_title(sprint: Any) -> str:
    return f"Sprint {sprint.id}" + (f" “{sprint.name}”" if sprint.name and sprint.name != sprint.id else "")


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def day_text(info: SprintProgress) -> str:
    if not info.day:
        return "not started"
    text = f"day {info.day}" + (f"/{info.duration}" if info.duration else "")
    if info.duration and info.day > info.duration:
        text += f" ({info.day - info.duration} over)"
    return text


def outlook(info: SprintProgress) -> str:
    """``on track`` / ``behind`` in one phrase, from ``SprintProgress.on_track`` and the days left."""
    if info.points == 0:
        return "no estimated tasks"
    if info.remaining <= 0:
        return "all points done"
    if info.days_left is None:
        return f"{info.remaining} points to go"
    if info.days_left == 0:
        return f"{info.remaining} points left on the last day"
    needed = f"needs {rate(info.needed)}/day over {count(info.days_left, 'day')} left"
    if info.on_track is None:
        return needed  # the first day, nothing done yet: too early to judge
    return f"{needed} → {'on track' if info.on_track else 'behind'}"
