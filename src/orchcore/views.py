"""Read-only questions about a session's state, for programs: which task, which agent, which team.

Shared by every program (dashboard, sprint runner, …) so that "T-1",
"engineering-backend" or "qa" mean the same thing in each. Everything here
takes an ``orchcore.models.Session`` and returns plain data; nothing writes
state (programs do that through events). ``plugins`` is the plugin manager a
palette command gets in its context: with it, teams and agents that
installed plugins define count as known even before a session has activated
them. The domain's words (statuses, priorities), its sprint arithmetic, team
load and automatic assignment live in ``orchcore.domain``.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from typing import Any

from orchcore import clock
from orchcore.domain.vocabulary import (
    ATTENTION_ORDER,
    ENDED_AGENT,
    WORKING_AGENT,
    AgentStatus,
    Priority,
    TaskStatus,
    by_urgency,
    status_rank,
)


# -- text --------------------------------------------------------------


def clip(value: Any, width: int = 60) -> str:
    """One line of at most ``width`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def count(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def words(text: str) -> set[str]:
    """Lower-case words of a text, for matching skills."""
    out, word = set(), []
    for char in text.lower() + " ":
        if char.isalnum():
            word.append(char)
        elif word:
            out.add("".join(word))
            word = []
    return out


# -- tasks -------------------------------------------------------------


def by_status(tasks: list[Any]) -> dict[str, list[Any]]:
    """Tasks grouped by status in attention order (unknown statuses last, by name), each group by urgency."""
    groups: dict[str, list[Any]] = {}
    for task in tasks:
        groups.setdefault(task.status, []).append(task)
    order = sorted(groups, key=lambda status: (status_rank(status, ATTENTION_ORDER), status))
    return {status: sorted(groups[status], key=by_urgency) for status in order}


def find_task(session: Any, ref: str) -> Any | None:
    """The task with this id (case-insensitive when that is unambiguous), else None."""
    tasks = session.state.tasks
    if ref in tasks:
        return tasks[ref]
    folded = [task for key, task in tasks.items() if key.casefold() == ref.casefold()]
    return folded[0] if len(folded) == 1 else None


def unknown_task(session: Any, ref: str) -> str:
    ids = list(session.state.tasks)
    if not ids:
        return f"no task {ref!r}: this session has no tasks yet"
    close = difflib.get_close_matches(ref, ids, n=3, cutoff=0.8)
    hint = f"did you mean {', '.join(close)}?" if close else f"tasks: {listing(ids)}"
    return f"no task {ref!r} in this session ({hint})"


# -- agents ------------------------------------------------------------


def agent_label(session: Any, assignee: str | None) -> str:
    """How to show an assignee: an agent's name, else its type and short id, else the text as given."""
    if not assignee:
        return "unassigned"
    agent = session.state.agents.get(assignee)
    if agent is None or agent.name == assignee:
        return assignee
    if agent.name:
        return agent.name
    if agent.agent_type and agent.agent_type != assignee:
        return f"{agent.agent_type} ({assignee[:8]})"
    return assignee


def names_of(session: Any, assignee: str | None) -> set[str]:
    """Every name an assignee answers to: its id, and its agent's name and type."""
    if not assignee:
        return set()
    agent = session.state.agents.get(assignee)
    names = {assignee}
    if agent is not None:
        names.update(n for n in (agent.name, agent.agent_type) if n)
    return names


def plugin_specs(plugins: Any, hook: str) -> dict[str, Any]:
    """Specs installed plugins provide; nothing when there is no manager or collecting fails."""
    if plugins is None:
        return {}
    try:
        return dict(plugins.specs(hook))
    except Exception:  # a conflict between other plugins must not break the palette
        return {}


def defined_agents(session: Any, plugins: Any = None) -> list[str]:
    """Names of agents the session's teams (or installed plugins) define."""
    names: list[str] = []
    for team in teams(session, plugins).values():
        for name in [team["lead"], *team["members"]]:
            if name and name not in names:
                names.append(name)
    for name in plugin_specs(plugins, "orch_agents"):
        if name not in names:
            names.append(name)
    return names


def resolve_agent(session: Any, ref: str, plugins: Any = None) -> tuple[str | None, str | None]:
    """(assignee, None) for an agent this session knows, else (None, why not).

    An agent's id wins; then a live agent's name; then a name a team or an
    agent definition gives (a role not started yet); then a live agent's
    type when only one agent has it.
    """
    agents = session.state.agents
    if ref in agents:
        return ref, None
    live = {aid: a for aid, a in agents.items() if a.status not in ENDED_AGENT}
    named = [aid for aid, a in live.items() if a.name == ref]
    if len(named) == 1:
        return named[0], None
    defined = defined_agents(session, plugins)
    if ref in defined or named:
        return ref, None
    typed = [aid for aid, a in live.items() if a.agent_type == ref]
    if len(typed) == 1:
        return typed[0], None
    if len(typed) > 1:
        return None, f"{len(typed)} running agents are of type {ref!r} ({listing(typed, 4)}): name one by its id"
    for key in [*agents, *defined]:
        if key.casefold() == ref.casefold():
            return key, None
    known = [agent_label(session, aid) for aid in live] + [n for n in defined if n not in live]
    known = list(dict.fromkeys(known))
    if not known:
        return None, f"no agent {ref!r}: this session has no agents or teams yet"
    close = difflib.get_close_matches(ref, known, n=3, cutoff=0.8)
    hint = f"did you mean {', '.join(close)}?" if close else f"agents: {listing(known)}"
    return None, f"no agent {ref!r} in this session ({hint})"


def agent_status(session: Any, name: str) -> tuple[str, str | None]:
    """(status, current task) of the live agent(s) answering to ``name``; ``not started`` if none."""
    found = [a for aid, a in session.state.agents.items() if name in names_of(session, aid)]
    if not found:
        return "not started", None
    live = [a for a in found if a.status not in ENDED_AGENT] or found
    best = sorted(live, key=lambda a: (a.status not in WORKING_AGENT, a.status != AgentStatus.BLOCKED))[0]
    return best.status, best.current_task


# -- teams -------------------------------------------------------------


def _team(name: str, source: Any = None, origin: str = "session") -> dict[str, Any]:
    return {
        "name": name,
        "description": getattr(source, "description", "") or "",
        "lead": getattr(source, "lead", None),
        "members": list(getattr(source, "members", ()) or ()),
        "max_parallel": getattr(source, "max_parallel", None),
        "skills": list(getattr(source, "skills", ()) or ()),
        "origin": origin,
    }


def teams(session: Any, plugins: Any = None) -> dict[str, dict[str, Any]]:
    """Teams by name: the session's definitions over installed plugins' ones, plus teams only named.

    ``active`` says whether the session runs it (in ``active_teams``, or
    defined in the session's own state).
    """
    found: dict[str, dict[str, Any]] = {}
    for name, spec in plugin_specs(plugins, "orch_teams").items():
        found[name] = _team(name, spec, "plugin")
    for name, team in session.state.teams.items():
        found[name] = _team(name, team, "session")
    for name in session.active_teams:
        found.setdefault(name, _team(name))
    for agent in session.state.agents.values():
        if agent.team:
            found.setdefault(agent.team, _team(agent.team, origin="agents"))
    active = set(session.active_teams) | set(session.state.teams)
    for name, team in found.items():
        team["active"] = name in active or team["origin"] == "agents"
    return found


def find_team(session: Any, ref: str, plugins: Any = None) -> dict[str, Any] | None:
    known = teams(session, plugins)
    if ref in known:
        return known[ref]
    folded = [t for n, t in known.items() if n.casefold() == ref.casefold()]
    return folded[0] if len(folded) == 1 else None


def roster(session: Any, team: dict[str, Any]) -> list[str]:
    """Who is in a team: its lead, its members, and the session's agents that say they are in it."""
    names = [n for n in [team["lead"], *team["members"]] if n]
    for aid, agent in session.state.agents.items():
        if agent.team == team["name"]:
            label = agent.name or aid
            if not names_of(session, aid) & set(names):
                names.append(label)
    return list(dict.fromkeys(names))


def tasks_of(session: Any, member: str) -> list[Any]:
    return [t for t in session.state.tasks.values() if member in names_of(session, t.assignee)]


def team_tasks(session: Any, team: dict[str, Any]) -> list[Any]:
    """Tasks of the team, or assigned to one of its people."""
    people = set(roster(session, team))
    return [
        t for t in session.state.tasks.values()
        if t.team == team["name"] or names_of(session, t.assignee) & people
    ]


# -- messages, metrics (sprints: orchcore.domain.sprints) ------------------


def queued(session: Any) -> list[Any]:
    """Messages still waiting, most urgent first, then oldest."""
    from orchcore.messaging import waiting

    return waiting(session.state.messages)


def payload_text(payload: Any) -> str:
    if payload is None:
        return ""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict):
        for key in ("subject", "summary", "title", "text", "message", "body"):
            if isinstance(payload.get(key), str):
                return payload[key]
    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(payload)


def scalar_metrics(session: Any) -> dict[str, Any]:
    """Metrics that are single numbers or short strings (the router's own tables are left out)."""
    return {
        name: value for name, value in sorted(session.state.metrics.items())
        if isinstance(value, (int, float, str)) and not isinstance(value, bool)
    }


def hook_event_total(session: Any) -> int:
    counts = session.state.metrics.get("hook_events")
    if not isinstance(counts, dict):
        return 0
    return sum(v for v in counts.values() if isinstance(v, (int, float)) and not isinstance(v, bool))


def number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return clip(value, 30)


# -- a task, described ----------------------------------------------------


def task_line(session: Any, task: Any, width: int = 48, show_status: bool = False) -> str:
    """One task on one line: id, [status], !priority, title, (points), → assignee, — last blocker."""
    parts = [task.id]
    if show_status:
        parts.append(f"[{task.status}]")
    if task.priority not in (Priority.NORMAL, ""):
        parts.append(f"!{task.priority}")
    parts.append(clip(task.title or "(untitled)", width))
    if task.points is not None:
        parts.append(f"({count(task.points, 'pt')})")
    if task.assignee:
        parts.append(f"→ {agent_label(session, task.assignee)}")
    if task.status == TaskStatus.BLOCKED and task.blockers:
        parts.append(f"— {clip(task.blockers[-1], 40)}")
    return " ".join(parts)


def describe_task(session: Any, task: Any, now: datetime | None = None) -> str:
    """A task in a few lines: status, points, who has it, where it belongs, blockers, when."""
    lines = [f"{task.id} — {task.title or '(untitled)'}"]
    facts = [f"status {task.status}", f"priority {task.priority}"]
    facts.append(f"{task.points} points" if task.points is not None else "not estimated")
    lines.append("  " + " · ".join(facts))
    who = f"assignee {agent_label(session, task.assignee)}"
    if task.assignee:
        status, _ = agent_status(session, task.assignee)
        who += f" ({status})" if status != "not started" else ""
    if task.team:
        who += f" · team {task.team}"
    skills = task.extra.get("skills")
    if isinstance(skills, list) and skills:
        who += " · skills " + ", ".join(map(str, skills))
    lines.append("  " + who)
    where = []
    if task.sprint:
        sprint = session.state.sprints.get(task.sprint)
        where.append(f"sprint {task.sprint}" + (f" “{sprint.name}”" if sprint and sprint.name else ""))
    if task.epic:
        epic = session.state.epics.get(task.epic)
        where.append(f"epic {task.epic}" + (f" “{clip(epic.title, 40)}”" if epic and epic.title else ""))
    if where:
        lines.append("  " + " · ".join(where))
    if task.blockers:
        lines.append("  blockers: " + "; ".join(clip(b, 60) for b in task.blockers[-3:]))
    times = [f"{label} {ago(ts, now)}" for label, ts in
             (("created", task.created_at), ("updated", task.updated_at), ("done", task.completed_at)) if ts]
    if times:
        lines.append("  " + " · ".join(times))
    if task.description:
        lines.append("  " + clip(task.description, 240))
    return "\n".join(lines)


def ago(ts: str, now: datetime | None = None) -> str:
    """``5min ago``, ``2h ago``, ``3d ago`` (the timestamp itself when it cannot be read)."""
    when = clock.read_iso(ts)
    if when is None:
        return ts
    seconds = int(((now or clock.now()) - when).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return ts
