"""The dashboard's text: the live snapshot, one team, one task.

Plain text made to be read in two places: by the model (the snapshot is the
context the router injects at every prompt) and by the user (palette answers
show in Claude Code as the reason a prompt was blocked). Every list is cut to
a few items with a count of the rest, so the snapshot stays small however big
the session grows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchcore import api
from orchcore.api import sprint_progress
from orchcore.api import ATTENTION_ORDER, ENDED_AGENT, OPEN_TASK, WORKING_AGENT, TaskStatus, by_urgency

NAME = "all-team_dashboard"
ICON = "▦"
PALETTE_LINE = "palette (type at the prompt): status · team <name> · task <id> · assign <task> <agent> · help"


def message_line(message: Any, width: int = 56) -> str:
    route = f"{message.sender or '?'} → {message.recipient or '?'}"
    text = api.clip(api.payload_text(message.payload), width)
    kind = f" ({message.type})" if message.type and message.type != "note" else ""
    return f"[{message.priority}] {route}{kind}" + (f": {text}" if text else "")


def _more(items: list, shown: int) -> str:
    return f"  … and {len(items) - shown} more" if len(items) > shown else ""


# -- the snapshot --------------------------------------------------------


def header(session: Any, now: datetime | None = None) -> str:
    parts = [f"{ICON} {NAME}", f"session {session.session_id[:8]}"]
    if not session.orchestration_enabled:
        parts.append("orchestration off")
    return " · ".join(parts)


def sprint_section(session: Any, now: datetime | None = None) -> list[str]:
    lines = []
    sprint = session.state.sprints.get(session.current_sprint or "")
    if sprint is not None:
        info = sprint_progress(session, sprint, now)
        day = info.day
        when = f"day {day}" + (f"/{sprint.duration_days}" if sprint.duration_days else "") if day else sprint.status
        text = f"Sprint {sprint.id}" + (f" “{sprint.name}”" if sprint.name and sprint.name != sprint.id else "")
        text += f" · {when} · {info.done_tasks}/{info.tasks} tasks done"
        if info.points:
            text += f" · {info.done_points}/{info.points} points"
        if sprint.goal:
            text += f" · goal: {api.clip(sprint.goal, 60)}"
        lines.append(text)
    elif session.current_sprint:
        lines.append(f"Sprint {session.current_sprint} (not found in state)")
    epic = session.state.epics.get(session.current_epic or "")
    if epic is not None:
        lines.append(f"Epic {epic.id}" + (f" “{api.clip(epic.title, 50)}”" if epic.title else "") + f" · {epic.status}")
    if not lines:
        lines.append("No sprint running.")
    return lines


def teams_section(session: Any, limit: int) -> list[str]:
    known = {n: t for n, t in api.teams(session).items() if t["active"]}
    agents = session.state.agents
    live = {aid: a for aid, a in agents.items() if a.status not in ENDED_AGENT}
    working = {aid: a for aid, a in live.items() if a.status in WORKING_AGENT}
    lines = [f"Teams ({len(known)}) · agents {len(working)} working, {len(live)} live, {len(agents)} seen"]
    for name, team in list(known.items())[:limit]:
        people = api.roster(session, team)
        busy = sum(api.agent_status(session, p)[0] in WORKING_AGENT for p in people)
        open_tasks = [t for t in api.team_tasks(session, team) if t.status in OPEN_TASK]
        text = f"  {name}: {len(people)} people, {busy} working, {api.count(len(open_tasks), 'open task')}"
        if team["lead"]:
            text += f" · lead {team['lead']}"
        if team["max_parallel"]:
            text += f" · max {team['max_parallel']} parallel"
        lines.append(text)
    if len(known) > limit:
        lines.append(f"  … and {len(known) - limit} more teams")
    shown = sorted(working.items(), key=lambda item: item[1].started_at or "")[:limit]
    if shown:
        lines.append("  working: " + " · ".join(
            api.agent_label(session, aid) + (f" on {a.current_task}" if a.current_task else "") for aid, a in shown
        ) + (f" · +{len(working) - limit}" if len(working) > limit else ""))
    return lines


def tasks_section(session: Any, limit: int) -> list[str]:
    tasks = list(session.state.tasks.values())
    if not tasks:
        return ["Tasks: none yet."]
    groups = api.by_status(tasks)
    lines = ["Tasks (" + str(len(tasks)) + "): " + " · ".join(f"{len(g)} {s}" for s, g in groups.items())]
    for status in (s for s in ATTENTION_ORDER if s in OPEN_TASK):
        group = groups.get(status, [])
        if not group:
            continue
        title = {TaskStatus.PENDING: "next pending", TaskStatus.IN_PROGRESS: "in progress"}.get(status, status)
        lines.append(f"  {title}:")
        lines.extend(f"    {api.task_line(session, t)}" for t in group[:limit])
        more = _more(group, limit)
        if more:
            lines.append("  " + more)
    return lines


def messages_section(session: Any, limit: int) -> list[str]:
    waiting = api.queued(session)
    if not waiting:
        return ["Messages: none queued."]
    by_priority: dict[str, int] = {}
    for message in waiting:
        by_priority[message.priority] = by_priority.get(message.priority, 0) + 1
    lines = [f"Messages queued ({len(waiting)}): " + " · ".join(f"{n} {p}" for p, n in by_priority.items())]
    lines.extend(f"  {message_line(m)}" for m in waiting[:limit])
    more = _more(waiting, limit)
    if more:
        lines.append(more)
    return lines


def metrics_section(session: Any, limit: int) -> list[str]:
    metrics = api.scalar_metrics(session)
    parts = [f"{name} {api.number(value)}" for name, value in list(metrics.items())[:limit * 2]]
    if len(metrics) > limit * 2:
        parts.append(f"+{len(metrics) - limit * 2} more")
    events = api.hook_event_total(session)
    if events:
        parts.append(f"hook events {events}")
    errors = session.state.metrics.get("plugin_errors")
    if isinstance(errors, dict) and errors:
        parts.append(f"plugin errors {sum(errors.values())}")
    return ["Metrics: " + (" · ".join(parts) if parts else "none recorded.")]


def snapshot(session: Any, now: datetime | None = None, limit: int = 3) -> str:
    """The whole dashboard: sprint and epic, teams and agents, tasks, messages, metrics."""
    lines = [header(session, now)]
    for section in (
        sprint_section(session, now),
        teams_section(session, limit),
        tasks_section(session, limit),
        messages_section(session, limit),
        metrics_section(session, limit),
    ):
        lines.extend(section)
    return "\n".join(lines)


def render_context(session: Any) -> str:
    """What the model sees at SessionStart and every prompt while the dashboard is active."""
    return snapshot(session, limit=3) + "\n" + PALETTE_LINE


# -- one team, one task ----------------------------------------------------


def team_view(session: Any, team: dict[str, Any], limit: int = 8) -> str:
    head = f"Team {team['name']}"
    if not team["active"]:
        head += " (defined, not active in this session)"
    facts = []
    if team["lead"]:
        facts.append(f"lead {team['lead']}")
    if team["max_parallel"]:
        facts.append(f"max {team['max_parallel']} in parallel")
    if team["skills"]:
        facts.append("skills " + ", ".join(team["skills"]))
    lines = [head + (" — " + " · ".join(facts) if facts else "")]
    if team["description"]:
        lines.append(f"  {api.clip(team['description'], 90)}")
    people = api.roster(session, team)
    lines.append(f"Agents ({len(people)}):" if people else "Agents: none yet.")
    shown = people[:limit * 2]
    width = max((len(p) for p in shown), default=0)
    for person in shown:
        status, current = api.agent_status(session, person)
        mine = [t for t in api.tasks_of(session, person) if t.status in OPEN_TASK]
        role = " (lead)" if person == team["lead"] else ""
        work = ", ".join(f"{t.id} [{t.status}]" for t in sorted(mine, key=by_urgency)[:4])
        if current and current not in {t.id for t in mine}:
            work = f"{current}" + (f", {work}" if work else "")
        lines.append((f"  {person:<{width}}  {status:<12}{role}" + (f"  {work}" if work else "")).rstrip())
    if len(people) > len(shown):
        lines.append(f"  … and {len(people) - len(shown)} more")
    tasks = api.team_tasks(session, team)
    if tasks:
        groups = api.by_status(tasks)
        lines.append(f"Tasks ({len(tasks)}): " + " · ".join(f"{len(g)} {s}" for s, g in groups.items()))
        open_tasks = sorted((t for t in tasks if t.status in OPEN_TASK),
                            key=lambda t: (ATTENTION_ORDER.index(t.status), by_urgency(t)))
        lines.extend(f"  {api.task_line(session, t, show_status=True)}" for t in open_tasks[:limit])
        more = _more(open_tasks, limit)
        if more:
            lines.append(more)
    else:
        lines.append("Tasks: none.")
    return "\n".join(lines)
