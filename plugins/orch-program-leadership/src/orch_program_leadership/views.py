"""What the leadership meeting sees: threads, decisions, and per-team load from the session's state.

All functions here only read: the session (its tasks, agents, teams and the
``leadership`` namespace) and, where a caller has them, the installed team
definitions. They back the injected context, the palette and ``orch leadership``.
"""

from __future__ import annotations

from typing import Any

from orch_program_leadership.events import read_space
from orchcore import api
from orchcore.api import NO_TEAM, TeamLoad

SNIPPET = 160


def snippet(value: str, limit: int = SNIPPET) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# -- teams ---------------------------------------------------------------------


def team_loads(session: Any, team_specs: dict[str, Any] | None = None,
               agent_specs: dict[str, Any] | None = None) -> list[TeamLoad]:
    """Per-team load and completion (``orchcore.domain.load``), with the meeting's allocations."""
    allocations = {name: a.get("agents") for name, a in read_space(session)["allocations"].items()}
    return api.team_loads(session, team_specs, agent_specs, allocations)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


def duration(hours: float) -> str:
    """0.2 -> "12 min", 5.5 -> "5.5 h", 60 -> "2.5 d"."""
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def teams_table(loads: list[TeamLoad]) -> str:
    if not loads:
        return "no teams yet (activate teams, or create tasks with a team)"
    rows = [["team", "agents", "busy", "tasks", "done", "open", "blocked", "done%", "load", "alloc"]]
    for t in loads:
        rows.append([
            t.name, str(len(t.agents)), str(t.busy), str(t.tasks), str(t.done), str(t.open),
            str(len(t.blocked_tasks)), _pct(t.completion), _num(t.load),
            "-" if t.allocated is None else str(t.allocated),
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row) if i]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def findings(loads: list[TeamLoad]) -> list[str]:
    """What a leadership meeting should look at: blockers, overload, idle capacity, allocation gaps."""
    notes: list[str] = []
    for t in loads:
        if t.name == NO_TEAM:
            if t.open:
                notes.append(f"{t.open} open task(s) belong to no team: give them an owner")
            continue
        if t.blocked_tasks:
            shown = ", ".join(t.blocked_tasks[:5]) + (" …" if len(t.blocked_tasks) > 5 else "")
            notes.append(f"{t.name}: {len(t.blocked_tasks)} blocked task(s) ({shown})")
        if t.max_parallel is not None and t.in_progress > t.max_parallel:
            notes.append(f"{t.name}: {t.in_progress} tasks in progress, above its limit of {t.max_parallel}")
        if t.open and not t.agents:
            notes.append(f"{t.name}: {t.open} open task(s) and no agents working for it")
        if t.idle and t.pending:
            notes.append(f"{t.name}: {t.idle} idle agent(s) while {t.pending} task(s) wait: assign them")
        if t.allocated is not None and t.allocated != len(t.agents):
            gap = t.allocated - len(t.agents)
            notes.append(
                f"{t.name}: allocated {t.allocated} agent(s), has {len(t.agents)} "
                f"({'needs' if gap > 0 else 'over by'} {abs(gap)})"
            )
    loaded = [t for t in loads if t.load is not None and t.name != NO_TEAM]
    if len(loaded) >= 2:
        high = max(loaded, key=lambda t: t.load)
        low = min(loaded, key=lambda t: t.load)
        if high.load >= 2 * max(low.load, 0.5) and high.load - low.load >= 1:
            notes.append(
                f"load imbalance: {high.name} carries {high.load:.1f} open tasks per agent, "
                f"{low.name} {low.load:.1f}: consider moving capacity"
            )
    return notes


def performance_text(loads: list[TeamLoad], team: str | None = None) -> str:
    chosen = [t for t in loads if team is None or t.name == team]
    lines = ["Performance by team:"]
    for t in chosen:
        parts = [f"{t.done}/{t.tasks} tasks done ({_pct(t.completion)})"]
        if t.points_total:
            parts.append(f"{t.points_done}/{t.points_total} points")
        if t.avg_cycle_hours is not None:
            parts.append(f"avg cycle {duration(t.avg_cycle_hours)} over {len(t.cycle_hours)} task(s)")
        parts.append(f"{len(t.agents)} agent(s), {t.busy} busy")
        if t.load is not None:
            parts.append(f"{t.load:.1f} open per agent")
        lines.append(f"  {t.name}: " + ", ".join(parts))
    if len(lines) == 1:
        lines.append("  no team data yet")
    notes = findings(chosen if team else loads)
    lines.append("Findings:" if notes else "Findings: nothing needs the meeting's attention")
    lines.extend(f"  - {n}" for n in notes)
    return "\n".join(lines)


# -- threads and decisions -----------------------------------------------------


def _thread_order(thread: dict[str, Any]) -> tuple[str, int]:
    last = thread["posts"][-1]["ts"] if thread.get("posts") else thread.get("opened_at", "")
    return last, int(thread["id"]) if str(thread["id"]).isdigit() else 0


def open_threads(session: Any) -> list[dict[str, Any]]:
    """Open threads, most recently active first."""
    threads = [t for t in read_space(session)["threads"].values() if t.get("status") == "open"]
    return sorted(threads, key=_thread_order, reverse=True)


def floor_thread(session: Any) -> dict[str, Any] | None:
    """The thread that has the floor: the open one with the latest activity."""
    threads = open_threads(session)
    return threads[0] if threads else None


def thread_line(thread: dict[str, Any]) -> str:
    posts = thread.get("posts") or []
    head = f"#{thread['id']} {thread['title']} ({thread['status']}, {len(posts)} post{'s' if len(posts) != 1 else ''}"
    if thread.get("participants"):
        head += f"; {', '.join(thread['participants'])}"
    head += ")"
    if posts:
        last = posts[-1]
        head += f"\n    last: {last['author']}: {snippet(last['text'])}"
    elif thread["status"] == "closed" and thread.get("outcome"):
        head += f"\n    outcome: {snippet(thread['outcome'])}"
    return head


def threads_text(session: Any, include_closed: bool = False) -> str:
    threads = read_space(session)["threads"]
    shown = list(threads.values()) if include_closed else open_threads(session)
    if include_closed:
        shown.sort(key=_thread_order, reverse=True)
    closed = sum(t["status"] == "closed" for t in threads.values())
    if not shown:
        hint = "; `threads all` lists the closed ones" if closed and not include_closed else ""
        return f"no open threads{hint}. Open one with: new-thread <title…>"
    lines = [f"{len(shown)} thread(s)" + (f" ({closed} closed not shown)" if closed and not include_closed else "")]
    lines.extend(thread_line(t) for t in shown)
    return "\n".join(lines)


def thread_text(thread: dict[str, Any]) -> str:
    lines = [f"#{thread['id']} {thread['title']}",
             f"  {thread['status']}, opened by {thread['opened_by']} at {thread['opened_at'][:16].replace('T', ' ')}"]
    if thread.get("team"):
        lines[-1] += f", team {thread['team']}"
    for post in thread.get("posts") or []:
        lines.append(f"  {post['n']}. {post['author']} ({post['ts'][:16].replace('T', ' ')}): {post['text']}")
    if not thread.get("posts"):
        lines.append("  no posts yet: post <id> <text…> (or `orch leadership post` for a director)")
    if thread["status"] == "closed":
        lines.append(f"  closed by {thread.get('closed_by', 'chair')}" + (
            f": {thread['outcome']}" if thread.get("outcome") else ""))
    return "\n".join(lines)


def decision_line(decision: dict[str, Any]) -> str:
    line = f"{decision['id']} {decision['date']} [{decision['owner']}] {decision['decision']}"
    if decision.get("rationale"):
        line += f" — because {decision['rationale']}"
    if decision.get("thread"):
        line += f" (thread #{decision['thread']})"
    return line


def decisions_text(session: Any, owner: str | None = None, limit: int = 10) -> str:
    decisions = read_space(session)["decisions"]
    chosen = [d for d in decisions if owner is None or d["owner"] == owner or d.get("team") == owner]
    if not chosen:
        whose = f" for {owner}" if owner else ""
        return f"no decisions{whose} yet. Record one with: decide <owner> <decision…> -- <rationale…>"
    shown = chosen[-limit:] if limit else chosen
    head = f"{len(chosen)} decision(s)" + (f", the last {len(shown)}" if len(shown) < len(chosen) else "")
    return "\n".join([head, *(decision_line(d) for d in reversed(shown))])


# -- the injected context --------------------------------------------------------


PALETTE_HINT = (
    "Palette (typed by the user, answered without you): threads, thread <id>, new-thread <title>, "
    "post <id> <text>, close-thread <id>, decisions, decide <owner> <decision> -- <rationale>, "
    "allocate <team> <n>, teams, perf. From Bash: `orch leadership --help`."
)


def render_context(session: Any) -> str:
    """The live state of the meeting, for the model at SessionStart and every prompt."""
    ns = read_space(session)
    loads = team_loads(session)
    directors = [
        f"{d} ({t.name})" for t in loads for d in t.directors
    ]
    lines = ["You chair the leadership meeting of the director agents."]
    lines.append("Directors: " + (", ".join(directors) if directors else "none in this session yet"))

    threads = open_threads(session)
    closed = sum(t["status"] == "closed" for t in ns["threads"].values())
    lines.append(f"\nOpen threads ({len(threads)} open, {closed} closed):" if threads else
                 f"\nOpen threads: none ({closed} closed)")
    for thread in threads[:5]:
        lines.append("  " + thread_line(thread).replace("\n", "\n  "))
    if threads:
        lines.append(f"  The floor: #{threads[0]['id']} (a director's final answer is posted there)")

    decisions = ns["decisions"]
    lines.append(f"\nRecent decisions ({len(decisions)} in the log):" if decisions else "\nDecisions: none logged yet")
    for decision in reversed(decisions[-5:]):
        lines.append("  " + snippet(decision_line(decision), 240))

    lines.append("\nTeams (load and completion):")
    lines.append("  " + teams_table(loads).replace("\n", "\n  "))
    notes = findings(loads)
    if notes:
        lines.append("Needs attention:")
        lines.extend(f"  - {n}" for n in notes[:6])
    lines.append("\n" + PALETTE_HINT)
    return "\n".join(lines)
