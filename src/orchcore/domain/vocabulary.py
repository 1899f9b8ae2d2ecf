"""The words of the domain: task statuses, priorities and agent statuses, each defined once.

Each is a ``StrEnum``: a member *is* its string (``TaskStatus.DONE == "done"``),
so stored state, events and JSON keep plain strings while code names the
values it means, and a misspelt status is an ``AttributeError`` instead of a
comparison that is silently never true. Statuses outside these sets (written
by another tool) are kept as they are; the orders below put them last.

Two task orders exist on purpose, one for each question:

- ``FLOW_ORDER``: the order work moves through (a board's columns, a
  sprint review): pending, in progress, blocked, review, done, cancelled.
- ``ATTENTION_ORDER``: what a person watching should read first (the
  dashboards): blocked, in progress, review, pending, done, cancelled.
  ``orch dashboard`` used to put in-progress before blocked while the
  programs put blocked first; blocked first won, as a blocked task is the
  one that needs somebody.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "ATTENTION_ORDER",
    "AgentStatus",
    "CLOSED_TASK",
    "ENDED_AGENT",
    "FLOW_ORDER",
    "MessageStatus",
    "OPEN_TASK",
    "PRIORITIES",
    "Priority",
    "SprintStatus",
    "TaskStatus",
    "WORKING_AGENT",
    "by_urgency",
    "priority_rank",
    "status_rank",
]


class TaskStatus(StrEnum):
    """Where a task is. Declared in the order work moves through (``FLOW_ORDER``)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    REVIEW = "review"
    DONE = "done"
    CANCELLED = "cancelled"


FLOW_ORDER: tuple[TaskStatus, ...] = tuple(TaskStatus)
ATTENTION_ORDER: tuple[TaskStatus, ...] = (
    TaskStatus.BLOCKED, TaskStatus.IN_PROGRESS, TaskStatus.REVIEW, TaskStatus.PENDING,
    TaskStatus.DONE, TaskStatus.CANCELLED,
)
# Still to be finished (counts against a sprint, a team, a stop policy) / finished, one way or the other.
OPEN_TASK: tuple[TaskStatus, ...] = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.REVIEW)
CLOSED_TASK: tuple[TaskStatus, ...] = (TaskStatus.DONE, TaskStatus.CANCELLED)


class Priority(StrEnum):
    """How urgent a task or a message is. Declared most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITIES: tuple[Priority, ...] = tuple(Priority)


class AgentStatus(StrEnum):
    """What an agent (a subagent Claude Code runs, or a team member) is doing."""

    IDLE = "idle"
    ACTIVE = "active"
    BUSY = "busy"
    BLOCKED = "blocked"
    COMPLETED = "completed"
    FAILED = "failed"


# Working now / finished for good (a live agent is any that has not ended).
WORKING_AGENT: tuple[AgentStatus, ...] = (AgentStatus.ACTIVE, AgentStatus.BUSY)
ENDED_AGENT: tuple[AgentStatus, ...] = (AgentStatus.COMPLETED, AgentStatus.FAILED)


class MessageStatus(StrEnum):
    """Where a message between agents is."""

    QUEUED = "queued"
    DELIVERED = "delivered"
    READ = "read"


class SprintStatus(StrEnum):
    """Where a sprint is: planned, running, or over."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"


def priority_rank(priority: str | None) -> int:
    """0 for ``critical`` … 3 for ``low``; an unknown priority ranks after ``low``."""
    try:
        return PRIORITIES.index(priority)  # type: ignore[arg-type]
    except ValueError:
        return len(PRIORITIES)


def status_rank(status: str, order: tuple[str, ...] = ATTENTION_ORDER) -> int:
    """A status's place in ``order``; an unknown status comes after every known one."""
    try:
        return order.index(status)
    except ValueError:
        return len(order)


def by_urgency(task: Any) -> tuple:
    """The one order of tasks: most urgent first, then oldest, then by id.

    Used wherever tasks are listed or picked, so the board, the review and
    automatic assignment agree on which task comes first.
    """
    return (priority_rank(task.priority), task.created_at or "", task.id)
