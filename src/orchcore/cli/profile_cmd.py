"""``orch profile``: where the time and the work went: hook handlers, agents, teams."""

from __future__ import annotations

import typer

from orchcore.cli.common import JsonOption, SessionOption, session_of
from orchcore.cli.output import print_json, table


def profile_data(state) -> dict:
    metrics = state.state.metrics
    handlers = [
        {"handler": name, "calls": h["calls"], "failures": h["failures"],
         "mean_ms": round(h["total_ms"] / h["calls"], 3) if h["calls"] else 0.0, "max_ms": h["max_ms"]}
        for name, h in sorted((metrics.get("handlers") or {}).items())
    ]
    by_agent = metrics.get("by_agent") or {}
    delegations = list(state.state.delegations.values())
    agents = []
    for agent_id in sorted(set(state.state.agents) | set(by_agent)):
        agent = state.state.agents.get(agent_id)
        counts = by_agent.get(agent_id, {})
        agents.append({
            "agent": agent_id, "type": agent.agent_type if agent else "", "team": agent.team if agent else None,
            "status": agent.status if agent else None, "duration_ms": agent.duration_ms if agent else None,
            "tool_calls": counts.get("tool_calls", 0), "failures": counts.get("failures", 0),
            "delegated": sum(d.parent == agent_id for d in delegations),
            "denied": sum(d.parent == agent_id and d.status == "denied" for d in delegations),
        })
    teams: dict[str, dict] = {}
    for row in agents:
        if not row["team"]:
            continue
        team = teams.setdefault(row["team"], {"team": row["team"], "agents": 0, "completed": 0, "tool_calls": 0,
                                              "failures": 0, "total_ms": 0})
        team["agents"] += 1
        team["completed"] += row["status"] == "completed"
        team["tool_calls"] += row["tool_calls"]
        team["failures"] += row["failures"]
        team["total_ms"] += row["duration_ms"] or 0
    return {"handlers": handlers, "agents": agents, "teams": list(teams.values()),
            "hook_events": metrics.get("hook_events") or {}}


def profile(ctx: typer.Context, session: SessionOption = None, as_json: JsonOption = False) -> None:
    """Hook latency per handler (recorded by the router), and work per agent and team."""
    data = profile_data(session_of(ctx, session))
    if as_json:
        print_json(data)
        return
    if data["handlers"]:
        table("hook handlers", ["handler", "calls", "failures", "mean ms", "max ms"],
              [[h["handler"], h["calls"], h["failures"], h["mean_ms"], h["max_ms"]] for h in data["handlers"]])
    if data["agents"]:
        table("agents", ["agent", "type", "team", "status", "ms", "tool calls", "failures", "delegated", "denied"],
              [[a["agent"], a["type"], a["team"], a["status"], a["duration_ms"], a["tool_calls"], a["failures"],
                a["delegated"], a["denied"]] for a in data["agents"]])
    if data["teams"]:
        table("teams", ["team", "agents", "completed", "tool calls", "failures", "agent ms"],
              [[t["team"], t["agents"], t["completed"], t["tool_calls"], t["failures"], t["total_ms"]]
               for t in data["teams"]])
    if not (data["handlers"] or data["agents"]):
        typer.echo("nothing recorded yet (orchestration on records hook latency and agents' work)")
