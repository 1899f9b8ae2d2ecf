"""A sprint's day, its tasks and its progress: one answer for every program and command.

The decisions, where the copies this replaces disagreed:

- **The sprint's day** counts whole days (24 h) since it started, from 1:
  day 1 is the first 24 hours; an ended sprint stays on the day it ended;
  a clock behind the start still says day 1. A sprint that has not started
  (no readable ``started_at``) has no day: ``None``, not day 1, so nothing
  computes a pace for a sprint that has not run.
- **The clock** is ``orchcore.clock.now()`` unless a caller passes ``now``;
  ``ORCH_NOW`` pins it (it replaces the orch-commands pack's own
  ``ORCH_COMMANDS_NOW``, which only that pack's tests used).
- **The sprint's tasks** are those the sprint lists and those naming it,
  in the order the session holds them (the order they were created),
  whichever way a task joined: the copies listed one kind first and
  disagreed on which.
- **Progress** leaves cancelled tasks out of every count; percentages
  round to the nearest whole percent and reach 100 only when all is done.
- **Velocity** is points done per sprint day so far, today counting as a
  day: ``0.0`` once the sprint runs and nothing is done (a pace measured
  as zero), ``None`` before it has a day (no pace at all). It is not
  rounded; displays round it.
- **Points needed per day** are the remaining points over the days left
  *after* today (velocity counts today as spent). ``0.0`` when nothing
  remains; ``None`` without a deadline (no duration, or not started) and
  ``None`` when no day is left: on the last day and after it no pace can
  fit the remaining points into the plan, and ``on_track`` says ``False``
  instead of pretending the rest is one more day's work.
- **On track** compares the velocity with the pace needed; ``None`` when
  there is no deadline, and on the first day while nothing is done (too
  early to judge); ``True`` once nothing remains.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from orchcore import clock
from orchcore.domain.vocabulary import SprintStatus, TaskStatus

__all__ = ["SprintProgress", "percent", "sprint_day", "sprint_progress", "sprint_tasks"]


def sprint_tasks(session: Any, sprint: Any) -> list[Any]:
    """The sprint's tasks (listed by it, or naming it), in the order the session holds them."""
    listed = set(sprint.tasks)
    return [t for t in session.state.tasks.values() if t.sprint == sprint.id or t.id in listed]


def sprint_day(sprint: Any, now: datetime | None = None) -> int | None:
    """1 on the day a sprint starts, 2 a day later …; the day it ended once ended; None before it starts."""
    started = clock.read_iso(sprint.started_at)
    if started is None:
        return None
    end = clock.read_iso(sprint.ended_at) or now or clock.now()
    return max((end - started).days, 0) + 1


@attrs.frozen
class SprintProgress:
    """Where a sprint stands: its counts, its day, and the pace it has and needs (see the module's rules)."""

    tasks: int  # tasks not cancelled
    done_tasks: int
    points: int  # story points of the tasks not cancelled (unestimated ones count 0)
    done_points: int
    unestimated: int  # tasks without points
    day: int | None  # the sprint's day; None before it starts
    duration: int | None  # the planned length in days, when there is one
    active: bool = True  # the sprint still runs (a completed one has no outlook)

    @property
    def remaining(self) -> int:
        return self.points - self.done_points

    @property
    def days_left(self) -> int | None:
        """Days after today until the planned end (0 on the last day and after it); None without a plan."""
        if not self.duration or not self.day:
            return None
        return max(self.duration - self.day, 0)

    @property
    def velocity(self) -> float | None:
        """Points done per sprint day so far (today counts); None before the sprint has a day."""
        return self.done_points / self.day if self.day else None

    @property
    def needed(self) -> float | None:
        """Points per day the days after today need; 0.0 when nothing remains, None without days to plan."""
        if self.remaining <= 0:
            return 0.0
        if not self.days_left:
            return None
        return self.remaining / self.days_left

    @property
    def on_track(self) -> bool | None:
        """Does the velocity make the plan? None without a plan or on a first day with nothing done yet."""
        if self.remaining <= 0:
            return True
        if self.days_left is None:
            return None
        if self.days_left == 0:
            return False  # out of days with points left
        if self.day == 1 and not self.done_points:
            return None  # too early to judge
        return (self.velocity or 0.0) >= (self.needed or 0.0)

    @property
    def finish_day(self) -> int | None:
        """The sprint day the last point lands on at the current velocity; None without a pace or work left.

        Computed in whole numbers (points × day ÷ points done, rounded up), so
        30 points at 2 points in 3 days land on day 45, not on a float's 46.
        """
        if not self.velocity or self.remaining <= 0 or not self.day:
            return None
        return -(-self.points * self.day // self.done_points)

    @property
    def task_percent(self) -> int:
        """Tasks done, in whole percent (see ``percent``); 0 without tasks."""
        return percent(self.done_tasks, self.tasks) if self.tasks else 0

    @property
    def point_percent(self) -> int | None:
        """Points done, in whole percent (see ``percent``); None when no task is estimated."""
        return percent(self.done_points, self.points) if self.points else None


def percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` to the nearest whole percent, but 100 only when all of it is done.

    The copies rounded tasks down and points to the nearest; one rule now:
    2 of 30 is 7 %, and 299 of 300 is 99 %, never a 100 % that is not done.
    """
    value = round(100 * part / whole)
    return min(value, 99) if part < whole else value


def sprint_progress(
    session: Any, sprint: Any, now: datetime | None = None, statuses: dict[str, str] | None = None
) -> SprintProgress:
    """The sprint's progress now; ``statuses`` (task id -> status) counts tasks as they will be after a change."""
    changed = statuses or {}
    members = sprint_tasks(session, sprint)
    status = {t.id: changed.get(t.id, t.status) for t in members}
    tasks = [t for t in members if status[t.id] != TaskStatus.CANCELLED]
    done = [t for t in tasks if status[t.id] == TaskStatus.DONE]
    return SprintProgress(
        tasks=len(tasks),
        done_tasks=len(done),
        points=sum(t.points or 0 for t in tasks),
        done_points=sum(t.points or 0 for t in done),
        unestimated=sum(t.points is None for t in tasks),
        day=sprint_day(sprint, now),
        duration=sprint.duration_days,
        active=sprint.status != SprintStatus.COMPLETED,
    )
