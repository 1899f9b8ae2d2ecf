"""``orch team``: activate teams, list them, hold a stand-up, assign a lead, hand a task over."""

from __future__ import annotations

import uuid
from typing import Any

import typer

from orch_commands import roster
from orch_commands.args import Param
from orch_commands.cli import (
    NAMESPACE,
    ArgsArgument,
    Call,
    check_teams,
    command,
    group,
    open_task,
)
from orchcore.api import PRIORITIES, AgentStatus, JsonOption, OrchError, SessionOption, TaskStatus
from orchcore.api import team_definitions

app = group("Teams: activate them, hold a stand-up, assign a lead, hand a task over.")


def _defined(call: Call, state) -> list[str]:
    return sorted(set(call.plugins.specs("orch_teams")) | set(state.state.teams))


def _team_line(name: str, team: Any) -> str:
    limit = "no limit" if team.max_parallel is None else f"{team.max_parallel} in parallel"
    members = ", ".join(team.members) or "no members listed"
    return f"  {name}: lead {team.lead or '-'}; {limit}; members {members}"


ACTIVATE = (
    Param("teams", "the teams to activate", kind="list", positional=True, aliases=("team", "name")),
    Param("replace", "make these the only active teams", kind="flag", aliases=("only",)),
)


@command(app, "activate", ACTIVATE)
def activate(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Activate teams for this session (checked against the installed team definitions)."""
    call = Call(ctx, args, ACTIVATE, "orch team activate", session, as_json)
    state = call.state(create=True)
    teams = call.get("teams", [])
    if not teams:
        defined = ", ".join(_defined(call, state)) or "none installed"
        raise OrchError(f"orch team activate: name the teams to activate (defined: {defined})")
    check_teams(call.plugins, state, teams)
    definitions = team_definitions(call.plugins.specs("orch_teams"), teams)
    data = {"teams": teams, "replace": bool(call.get("replace")), "definitions": definitions}
    event, state = call.emit("session.teams", data)
    active = {name: state.state.teams[name] for name in state.active_teams if name in state.state.teams}
    lines = [f"Active teams: {', '.join(state.active_teams)}"]
    lines += [_team_line(name, team) for name, team in active.items()]
    lines += [f"  {name}: no definition installed" for name in state.active_teams if name not in active]
    call.done(
        {"session_id": call.session_id, "seq": event.seq, "active_teams": state.active_teams,
         "teams": {name: {"lead": t.lead, "members": t.members, "max_parallel": t.max_parallel, "skills": t.skills}
                   for name, t in active.items()}},
        lines,
    )


LIST = ()


@command(app, "list", LIST)
def list_teams(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """The defined teams, and which are active in the session."""
    call = Call(ctx, args, LIST, "orch team list", session, as_json)
    state = call.state()
    specs = call.plugins.specs("orch_teams")
    rows = []
    for name in _defined(call, state):
        team = state.state.teams.get(name) or specs[name]
        rows.append({"name": name, "active": name in state.active_teams, "lead": team.lead,
                     "members": list(team.members), "max_parallel": team.max_parallel})
    lines = [f"{'*' if r['active'] else ' '} {r['name']}: lead {r['lead'] or '-'}, "
             f"{len(r['members'])} member(s), max parallel {r['max_parallel'] or '-'}" for r in rows]
    call.done({"session_id": call.session_id, "teams": rows}, lines or ["no teams defined (install a teams plugin)"])


STANDUP = (
    Param("teams", "the teams (default: the active ones)", kind="list", positional=True, aliases=("team",)),
    Param("record", "record the stand-up, so the next one reports from here (default true)", kind="flag"),
)


def _standup(call: Call, state, team: str, last: dict[str, Any] | None) -> dict[str, Any]:
    members, teams = roster.build(call.plugins, state, [team])
    ids = {agent_id for m in members.values() for agent_id in m.ids}
    tasks = state.state.tasks
    since = (last or {}).get("ts")

    def ours(task) -> bool:
        return task.team == team or (task.assignee is not None and task.assignee in ids)

    done = [t for t in tasks.values()
            if ours(t) and t.status == TaskStatus.DONE and (since is None or (t.completed_at or "") > since)]
    blocked = [t for t in tasks.values() if ours(t) and t.status == TaskStatus.BLOCKED]
    unowned = [t for t in tasks.values() if t.team == team and t.status == TaskStatus.PENDING and not t.assignee]
    rows = []
    lead = teams[team].lead if team in teams else None
    for member in sorted(members.values(), key=lambda m: (m.name != lead, roster.member_order(m))):
        current = member.current_task
        rows.append({
            "agent": member.name, "role": member.role, "status": member.status, "current_task": current,
            "current_title": tasks[current].title if current in tasks else None,
            "done_since": [t.id for t in done if t.assignee in member.ids],
        })
    load = teams.get(team)
    return {
        "team": team, "lead": load.lead if load else None, "previous": last,
        "agents": rows,
        "done_since": [{"id": t.id, "title": t.title, "assignee": t.assignee, "completed_at": t.completed_at}
                       for t in done],
        "blocked": [{"id": t.id, "title": t.title, "assignee": t.assignee, "blocked_by": list(t.blockers)}
                    for t in blocked],
        "unowned": [{"id": t.id, "title": t.title, "priority": t.priority} for t in unowned],
    }


@command(app, "standup", STANDUP)
def standup(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Per team: each agent's status and current task, and what is done since the last stand-up."""
    call = Call(ctx, args, STANDUP, "orch team standup", session, as_json)
    state = call.state()
    teams = call.get("teams") or list(state.active_teams)
    if not teams:
        call.done({"session_id": call.session_id, "teams": [], "recorded": None},
                  "No team is active in this session: activate one first (/orchestration:activate-team TEAM, "
                  "or orch team activate TEAM).")
        return
    check_teams(call.plugins, state, teams)
    previous = state.plugins.get(NAMESPACE, {}).get("standups", {})
    reports = [_standup(call, state, team, previous.get(team)) for team in teams]
    recorded = None
    if call.get("record", True):
        done = {r["team"]: [t["id"] for t in r["done_since"]] for r in reports}
        event, _ = call.emit("team.standup", {"teams": teams, "done": done})
        recorded = event.seq
    lines = []
    for r in reports:
        last = r["previous"]
        since = f"since the stand-up of {last['ts']}" if last else "since the start (first stand-up)"
        lines.append(f"{r['team']}: lead {r['lead'] or '-'}; {since}")
        if not r["agents"]:
            lines.append("  no agents known for this team")
        for a in r["agents"]:
            doing = f"{a['current_task']} {a['current_title'] or ''}".strip() if a["current_task"] else "-"
            lines.append(f"  {a['agent']:<28} {a['status']:<9} {doing}")
        done = ", ".join(f"{t['id']} {t['title']}" + (f" ({t['assignee']})" if t["assignee"] else "")
                         for t in r["done_since"]) or "nothing"
        lines.append(f"  done {since.split(' (')[0]}: {done}")
        if r["blocked"]:
            lines.append("  blocked: " + "; ".join(
                f"{t['id']} {t['title']} (by {', '.join(t['blocked_by']) or '?'})" for t in r["blocked"]))
        if r["unowned"]:
            lines.append("  unowned: " + "; ".join(f"{t['id']} {t['title']} [{t['priority']}]" for t in r["unowned"]))
    lines.append(f"Recorded as event {recorded}." if recorded else "Not recorded (record=false).")
    call.done({"session_id": call.session_id, "teams": reports, "recorded": recorded}, lines)


ASSIGN_LEAD = (
    Param("team", "the team", positional=True),
    Param("agent", "the new lead: an agent name (subagent type)", positional=True, aliases=("lead", "to")),
    Param("force", "accept an agent that is not known to this team", kind="flag"),
)


@command(app, "assign-lead", ASSIGN_LEAD)
def assign_lead(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Make an agent the lead of a team (it joins the team's members if needed)."""
    call = Call(ctx, args, ASSIGN_LEAD, "orch team assign-lead", session, as_json)
    state = call.state()
    team, agent = call.get("team"), call.get("agent")
    if not team or not agent:
        raise OrchError("orch team assign-lead: give a team and an agent (orch team assign-lead qa qa-director)")
    if team not in state.state.teams:
        if team in call.plugins.specs("orch_teams"):
            raise OrchError(f"team {team} is not active in this session; activate it first (orch team activate {team})")
        raise OrchError(f"no team {team!r} (defined: {', '.join(_defined(call, state)) or 'none'})")
    members, _ = roster.build(call.plugins, state, roster.ALL)
    known = {m.name for m in members.values() if m.team == team} | set(state.state.teams[team].members)
    if agent not in known and not call.get("force"):
        choices = ", ".join(sorted(known)) or "none known"
        raise OrchError(f"{agent!r} is not an agent of team {team} ({choices}); pass --force to make it lead anyway")
    previous = state.state.teams[team].lead
    data = {"team": team, "lead": agent}
    if previous:
        data["previous"] = previous
    event, state = call.emit("team.lead_assigned", data)
    was = f" (was {previous})" if previous and previous != agent else ""
    call.done({"session_id": call.session_id, "seq": event.seq, "team": team, "lead": agent, "previous": previous},
              f"{agent} now leads {team}{was}.")


HANDOFF = (
    Param("task", "the task's id", positional=True, aliases=("id",)),
    Param("team", "the team that takes it over", positional=True, aliases=("to",)),
    Param("agent", "an agent of that team to assign it to at once", aliases=("assignee",)),
    Param("note", "what the new team needs to know (kept in the handoff message)", aliases=("context", "message")),
    Param("priority", "the handoff message's priority (default: the task's)", kind="choice", choices=PRIORITIES,
          aliases=("prio",)),
    Param("from", "who hands it over (default: main)", aliases=("sender",)),
)


@command(app, "handoff", HANDOFF)
def handoff(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Hand a task over to another team: it moves there, unassigned, with a handoff message carrying its context."""
    call = Call(ctx, args, HANDOFF, "orch team handoff", session, as_json)
    state = call.state()
    task_id, team = call.get("task"), call.get("team")
    if not task_id or not team:
        raise OrchError("orch team handoff: give a task and the team taking it (orch team handoff T-1 qa note=...)")
    task = open_task(state, task_id, "there is nothing to hand over")
    if team == task.team:
        raise OrchError(f"task {task_id} is already team {team}'s")
    check_teams(call.plugins, state, [team])
    previous = {"team": task.team, "assignee": task.assignee, "status": task.status}
    update: dict[str, Any] = {"id": task_id, "team": team, "assignee": None}
    if task.status in (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW):
        update["status"] = TaskStatus.PENDING  # the new team starts it again; a blocked task stays blocked
    seqs = [call.emit("task.updated", update)[0].seq]
    for agent in state.state.agents.values():  # the old assignee's live agent is free again
        if agent.current_task == task_id:
            freed = {"id": agent.id, "current_task": None}
            if agent.status == AgentStatus.BUSY:
                freed["status"] = AgentStatus.IDLE
            seqs.append(call.emit("agent.upserted", freed)[0].seq)
    recipient = call.get("agent") or team
    was = f"{previous['team'] or 'no team'}" + (f" (@{previous['assignee']})" if previous["assignee"] else "")
    context = {"task": task_id, "title": task.title, "description": task.description, "status": task.status,
               "from_team": previous["team"], "from_assignee": previous["assignee"], "note": call.get("note") or ""}
    text = (f"handoff of {task_id} \"{task.title}\" from {was} (was {task.status})"
            + (f": {call.get('note')}" if call.get("note") else ""))
    priority = call.get("priority") or (task.priority if task.priority in PRIORITIES else "normal")
    message = {"id": f"M-{uuid.uuid4().hex[:8]}", "from": call.get("from") or "main", "to": recipient,
               "type": "handoff", "priority": priority, "payload": text, "handoff": context}
    seqs.append(call.emit("message.sent", message)[0].seq)
    if call.get("agent"):
        seqs.append(call.emit("task.assigned", {"id": task_id, "assignee": call.get("agent")})[0].seq)
    after = call.runtime.store.get(call.session_id).state.tasks[task_id]
    lines = [f"{task_id} handed over from {was} to {team} ({after.status}"
             + (f", @{after.assignee}" if after.assignee else ", unassigned") + f"): {task.title}",
             f"  handoff message {message['id']} queued for {recipient} ({priority})"
             + (f": {call.get('note')}" if call.get("note") else ""),
             f"  {recipient} reads it with: orch msg receive --as {recipient}"
             + ("" if call.get("agent") else f" (or --as AGENT --team {team})")]
    call.done({"session_id": call.session_id, "task": task_id, "previous": previous, "team": team,
               "assignee": after.assignee, "status": after.status, "message": message, "events": seqs}, lines)
