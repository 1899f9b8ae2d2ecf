"""The dashboard: one frame of a session's orchestration state, as data and as a rich renderable.

``snapshot`` reduces a session to what a person watches (teams, agents and
their status, tasks by status, the message queue, metrics, the latest
events), bounded so that a session with hundreds of tasks renders in
milliseconds; ``render`` turns snapshots into a frame. ``orch dashboard``
shows frames as the state changes.
"""

from __future__ import annotations

from typing import Any

from orchcore.domain.vocabulary import (
    ATTENTION_ORDER,
    WORKING_AGENT,
    by_urgency,
    status_rank,
)
from orchcore.messaging import waiting
from orchcore.models import Event, Session

TOP_TASKS = 8
TOP_MESSAGES = 10
LATEST_EVENTS = 10


def snapshot(session: Session, events: list[Event], last_seq: int) -> dict[str, Any]:
    """What the dashboard shows of one session, as plain data (also what --json prints)."""
    state = session.state

    def who(agent_id: str | None) -> str | None:  # agents by name where the session knows them
        agent = state.agents.get(agent_id or "")
        return (agent.name or agent_id) if agent is not None else agent_id

    by_status: dict[str, list[Any]] = {}
    for task in state.tasks.values():
        by_status.setdefault(task.status, []).append(task)
    tasks = {
        status: {
            "count": len(items),
            "top": [
                {"id": t.id, "title": t.title, "assignee": who(t.assignee), "priority": t.priority, "points": t.points}
                for t in sorted(items, key=by_urgency)[:TOP_TASKS]
            ],
        }
        for status, items in sorted(by_status.items(), key=lambda kv: (status_rank(kv[0], ATTENTION_ORDER), kv[0]))
    }
    queued = waiting(state.messages)
    teams = []
    for name in sorted(set(session.active_teams) | set(state.teams)):
        team = state.teams.get(name)
        members = [a for a in state.agents.values() if a.team == name]
        teams.append({
            "name": name,
            "active": name in session.active_teams,
            "lead": team.lead if team else None,
            "members": len(team.members) if team else len(members),
            "max_parallel": team.max_parallel if team else None,
            "busy": sum(a.status in WORKING_AGENT for a in members),
        })
    sprint = state.sprints.get(session.current_sprint or "")
    return {
        "session_id": session.session_id,
        "orchestration_enabled": session.orchestration_enabled,
        "mode": session.mode,
        "updated_at": session.updated_at,
        "last_seq": last_seq,
        "epic": session.current_epic,
        "sprint": None if sprint is None else {
            "id": sprint.id, "name": sprint.name, "status": sprint.status,
            "started_at": sprint.started_at, "duration_days": sprint.duration_days,
        },
        "teams": teams,
        "agents": [
            {"id": a.id, "name": a.name or a.agent_type, "team": a.team, "role": a.role, "status": a.status,
             "task": a.current_task, "parent": a.parent_id}
            for a in sorted(state.agents.values(), key=lambda a: (a.status not in WORKING_AGENT, a.id))
        ],
        "tasks": tasks,
        "messages": {
            "queued": len(queued),
            "top": [
                {"id": m.id, "from": m.sender, "to": m.recipient, "priority": m.priority, "type": m.type,
                 "text": _short(m.payload)}
                for m in queued[:TOP_MESSAGES]
            ],
        },
        "metrics": {k: v for k, v in sorted(state.metrics.items()) if not isinstance(v, dict)},
        "events": [
            {"seq": e.seq, "ts": e.ts, "type": e.type, "source": e.source, "summary": _short(e.data)}
            for e in events[-LATEST_EVENTS:]
        ],
    }


def _short(value: Any, width: int = 60) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render(snapshots: list[dict[str, Any]]) -> Any:
    """A rich renderable: one panel per session."""
    from rich.console import Group
    from rich.text import Text

    if not snapshots:
        return Text("no active sessions (Claude Code creates them through `orch hook`)", style="dim")
    return Group(*[_panel(s) for s in snapshots])


def _panel(snap: dict[str, Any]) -> Any:
    from rich.columns import Columns
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    flag = "[green]on[/green]" if snap["orchestration_enabled"] else "[dim]off[/dim]"
    sprint = snap["sprint"]
    sprint_text = f"{sprint['name'] or sprint['id']} ({sprint['status']})" if sprint else "-"
    header = Text.from_markup(
        f"[bold]{snap['session_id']}[/bold]  orchestration {flag}  mode [bold]{snap['mode']}[/bold]  "
        f"epic {snap['epic'] or '-'}  sprint {sprint_text}  event {snap['last_seq']}"
    )

    teams = Table(title="teams", title_justify="left", show_edge=False, header_style="bold")
    for column in ("team", "lead", "members", "busy"):
        teams.add_column(column)
    for t in snap["teams"]:
        cap = f"/{t['max_parallel']}" if t["max_parallel"] else ""
        teams.add_row(("● " if t["active"] else "○ ") + t["name"], t["lead"] or "-", str(t["members"]),
                      f"{t['busy']}{cap}")

    agents = Table(title=f"agents ({len(snap['agents'])})", title_justify="left", show_edge=False,
                   header_style="bold")
    for column in ("agent", "team", "status", "task"):
        agents.add_column(column, overflow="ellipsis", no_wrap=True)
    for a in snap["agents"][:15]:
        style = {"active": "green", "busy": "green", "blocked": "red", "failed": "red"}.get(a["status"], "")
        agents.add_row(a["name"] or a["id"], a["team"] or "-", Text(a["status"], style=style), a["task"] or "-")

    tasks = Table(title="tasks", title_justify="left", show_edge=False, header_style="bold")
    for column in ("status", "n", "top"):
        tasks.add_column(column, overflow="ellipsis")
    for status, group in snap["tasks"].items():
        top = ", ".join(f"{t['id']}" + (f"→{t['assignee']}" if t["assignee"] else "") for t in group["top"][:4])
        tasks.add_row(status, str(group["count"]), top)

    messages = Table(title=f"messages ({snap['messages']['queued']} queued)", title_justify="left",
                     show_edge=False, header_style="bold")
    for column in ("prio", "from → to", "text"):
        messages.add_column(column, overflow="ellipsis", no_wrap=True)
    for m in snap["messages"]["top"]:
        style = {"critical": "bold red", "high": "yellow"}.get(m["priority"], "")
        messages.add_row(Text(m["priority"], style=style), f"{m['from']} → {m['to']}", m["text"])

    metrics = Text("  ".join(f"{k}={v}" for k, v in snap["metrics"].items()) or "no metrics yet", style="cyan")
    events = Table(title="latest events", title_justify="left", show_edge=False, header_style="bold")
    for column in ("seq", "type", "source", "data"):
        events.add_column(column, overflow="ellipsis", no_wrap=True)
    for e in snap["events"]:
        events.add_row(str(e["seq"]), e["type"], e["source"], e["summary"])

    body = Group(header, Columns([teams, agents]), Columns([tasks, messages]), metrics, events)
    return Panel(body, border_style="blue")
