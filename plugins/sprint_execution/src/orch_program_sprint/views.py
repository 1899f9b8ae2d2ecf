"""Read-only questions about a sprint: its pace, its outlook, who can take work.

The questions every program shares (tasks, agents, teams, sprint days and
points) come from ``orchcore.views``; they are re-exported here so the rest
of this package reads ``v.find_task`` or ``v.progress`` alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchcore.views import (
    ENDED_AGENT,
    OPEN_STATUSES,
    PRIORITIES,
    PRIORITY_RANK,
    STATUS_ORDER,
    WORKING_AGENT,
    agent_label,
    agent_status,
    by_status,
    clip,
    count,
    defined_agents,
    find_task,
    find_team,
    hook_event_total,
    listing,
    names_of,
    now_utc,
    number,
    parse_ts,
    payload_text,
    plugin_specs,
    points,
    queued,
    resolve_agent,
    roster,
    scalar_metrics,
    sprint_day,
    task_line,
    sprint_tasks,
    task_sort_key,
    tasks_of,
    team_tasks,
    teams,
    unknown_task,
    words,
)

__all__ = [  # the shared questions, re-exported, and this package's own
    "ENDED_AGENT",
    "OPEN_STATUSES",
    "PRIORITIES",
    "PRIORITY_RANK",
    "STATUS_ORDER",
    "WORKING_AGENT",
    "agent_label",
    "agent_status",
    "by_status",
    "clip",
    "count",
    "defined_agents",
    "find_task",
    "find_team",
    "hook_event_total",
    "listing",
    "names_of",
    "now_utc",
    "number",
    "parse_ts",
    "payload_text",
    "plugin_specs",
    "points",
    "queued",
    "resolve_agent",
    "roster",
    "scalar_metrics",
    "sprint_day",
    "task_line",
    "sprint_tasks",
    "task_sort_key",
    "tasks_of",
    "team_tasks",
    "teams",
    "unknown_task",
    "words",
    "current_sprint",
    "sprint_title",
    "progress",
    "rate",
    "day_text",
    "outlook",
    "agent_facts",
    "assignee_for",
]


# -- the sprint ----------------------------------------------------------


def current_sprint(session: Any) -> Any | None:
    return session.state.sprints.get(session.current_sprint or "")


def sprint_title(sprint: Any) -> str:
    return f"Sprint {sprint.id}" + (f" “{sprint.name}”" if sprint.name and sprint.name != sprint.id else "")


def progress(session: Any, sprint: Any, now: datetime | None = None) -> dict[str, Any]:
    """Where a sprint stands: tasks and points done, day N of M, velocity and what it needs.

    Velocity is points completed per sprint day so far (today counts as a
    day). ``needed`` is the rate the remaining points need over the days
    left after today; ``finish_day`` projects the day the points run out at
    the current velocity.
    """
    tasks = [t for t in sprint_tasks(session, sprint) if t.status != "cancelled"]
    done_pts, all_pts = points(tasks)
    day = sprint_day(sprint, now)
    velocity = done_pts / day if day else None
    remaining = all_pts - done_pts
    duration = sprint.duration_days
    days_left = max(duration - day, 0) if duration and day else None
    finish_day = None
    if velocity and remaining > 0:
        finish_day = -(-all_pts // velocity)  # ceil
    return {
        "tasks": len(tasks),
        "done": sum(t.status == "done" for t in tasks),
        "done_points": done_pts,
        "points": all_pts,
        "unestimated": sum(t.points is None for t in tasks),
        "remaining": remaining,
        "day": day,
        "duration": duration,
        "velocity": velocity,
        "days_left": days_left,
        "needed": (remaining / days_left if days_left else None) if remaining > 0 else 0,
        "finish_day": int(finish_day) if finish_day else None,
    }


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def day_text(info: dict[str, Any]) -> str:
    if not info["day"]:
        return "not started"
    text = f"day {info['day']}" + (f"/{info['duration']}" if info["duration"] else "")
    if info["duration"] and info["day"] > info["duration"]:
        text += f" ({info['day'] - info['duration']} over)"
    return text


def outlook(info: dict[str, Any]) -> str:
    """``on track`` / ``behind`` in one phrase, from the velocity and the days left."""
    if info["points"] == 0:
        return "no estimated tasks"
    if info["remaining"] <= 0:
        return "all points done"
    if not info["duration"] or not info["day"]:
        return f"{info['remaining']} points to go"
    if info["days_left"] == 0:
        return f"{info['remaining']} points left on the last day"
    needed = f"needs {rate(info['needed'])}/day over {count(info['days_left'], 'day')} left"
    if not info["velocity"] and info["day"] <= 1:
        return needed  # the first day, nothing done yet: too early to judge
    verdict = "on track" if (info["velocity"] or 0) >= info["needed"] else "behind"
    return f"{needed} → {verdict}"


# -- who can take work -----------------------------------------------------


def agent_facts(session: Any, name: str, plugins: Any = None) -> dict[str, Any]:
    """Capacity, skills and role of a team member: its agent definition, else the session's agent."""
    spec = plugin_specs(plugins, "orch_agents").get(name)
    agent = session.state.agents.get(name) or next(
        (a for a in session.state.agents.values() if a.name == name and a.status not in ENDED_AGENT), None
    )
    extra = agent.extra if agent is not None else {}
    capacity = getattr(spec, "capacity", None) or extra.get("capacity")
    skills = list(getattr(spec, "skills", ()) or ()) or list(extra.get("skills") or [])
    role = getattr(spec, "role", None) or (agent.role if agent is not None else "worker")
    return {
        "capacity": capacity if isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 0 else 1,
        "skills": [str(s).lower() for s in skills],
        "role": role,
    }


def assignee_for(session: Any, name: str) -> str:
    """What to record as the assignee of a team member: its running agent's id when there is one."""
    if name in session.state.agents:
        return name
    running = [aid for aid, a in session.state.agents.items() if a.name == name and a.status not in ENDED_AGENT]
    return running[0] if len(running) == 1 else name
