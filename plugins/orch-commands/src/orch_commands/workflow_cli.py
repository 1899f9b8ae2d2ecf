"""``orch sprint``: start a sprint, fill it, delegate its tasks, review it, complete it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer

from orch_commands import roster
from orch_commands.args import Param
from orch_commands.cli import (
    ArgsArgument,
    Call,
    check_teams,
    command,
    find_sprint,
    free_id,
    group,
    next_number_id,
    note,
    open_task,
    slug,
    unstructure,
)
from orchcore.api import JsonOption, SessionOption, sprint_day, sprint_progress, sprint_tasks
from orchcore.api import CLOSED_TASK, FLOW_ORDER, PRIORITIES, SprintStatus, TaskStatus, by_urgency
from orchcore.api import ASSIGNMENT_STRATEGIES, OrchError, now, plan_assignments, team_definitions

app = group("Sprints: start one, add tasks, delegate them, review progress, complete it.")

DEFAULT_DAYS = 14
MAX_DAYS = 365

START = (
    Param("name", "the sprint's name (default: Sprint N)", positional=True, greedy=True),
    Param("epic", "the epic's id or title; created when there is none such", aliases=("epic-id",)),
    Param("days", f"how long it runs (default {DEFAULT_DAYS})", kind="days", aliases=("duration", "length")),
    Param("teams", "the teams working in it (activated in the session)", kind="list", aliases=("team",)),
    Param("goal", "what the sprint should achieve"),
    Param("id", "the sprint's id (default: from the name)", aliases=("sprint-id",)),
    Param("replace", "complete the active sprint first instead of refusing", kind="flag"),
)


def _find_epic(session, wanted: str):
    epics = session.state.epics
    if wanted in epics:
        return epics[wanted]
    for epic in epics.values():
        if epic.title.lower() == wanted.lower() or slug(epic.title) == slug(wanted) or epic.id == slug(wanted):
            return epic
    return None


@command(app, "start", START)
def start(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Start a sprint: it becomes the session's current sprint; its epic is created when needed."""
    call = Call(ctx, args, START, "orch sprint start", session, as_json)
    state = call.state(create=True)
    sprints = state.state.sprints
    days = call.get("days", DEFAULT_DAYS)
    if not 1 <= days <= MAX_DAYS:
        raise OrchError(f"a sprint lasts 1 to {MAX_DAYS} days, not {days}")
    teams = call.get("teams", [])
    if teams:
        check_teams(call.plugins, state, teams)

    running = find_sprint(state, None)
    if running is not None and running.status == SprintStatus.ACTIVE and not call.get("replace"):
        raise OrchError(
            f"sprint {running.id} ({running.name}) is still active, day {sprint_day(running)}; "
            "complete it first (orch sprint complete) or pass --replace"
        )

    number = len(sprints) + 1
    name = call.get("name") or f"Sprint {number}"
    if call.get("id"):
        sprint_id = call.get("id")
        if sprint_id in sprints:
            raise OrchError(f"sprint {sprint_id!r} already exists; choose another id")
    else:
        sprint_id = free_id(sprints, slug(name) or f"sprint-{number}")

    epic_id, epic_created = None, False
    if call.get("epic"):
        epic = _find_epic(state, call.get("epic"))
        if epic is None:
            epic_id = slug(call.get("epic"))
            if not epic_id:
                raise OrchError(f"cannot make an epic id from {call.get('epic')!r}; use letters or digits")
            epic_created = True
        else:
            epic_id = epic.id
    elif state.current_epic:
        epic_id = state.current_epic

    seqs = []
    if running is not None and running.status == SprintStatus.ACTIVE:
        seqs.append(call.emit("sprint.completed", {"id": running.id, "reason": "replaced"})[0].seq)
    if epic_created:
        seqs.append(call.emit("epic.created", {"id": epic_id, "title": call.get("epic")})[0].seq)
    if teams:
        definitions = team_definitions(call.plugins.specs("orch_teams"), teams)
        seqs.append(call.emit("session.teams", {"teams": teams, "definitions": definitions})[0].seq)
    data: dict[str, Any] = {"id": sprint_id, "name": name, "teams": teams, "duration_days": days}
    if epic_id:
        data["epic"] = epic_id
    if call.get("goal"):
        data["goal"] = call.get("goal")
    event, state = call.emit("sprint.started", data)
    seqs.append(event.seq)

    sprint = state.state.sprints[sprint_id]
    last_day = (now() + timedelta(days=days - 1)).date().isoformat()
    epic = state.state.epics.get(epic_id) if epic_id else None
    lines = [f"Sprint {sprint.id} \"{sprint.name}\" started: day 1 of {days}, last day {last_day}."]
    if epic is not None:
        lines.append(f"  epic   {epic.id} \"{epic.title}\"" + (" (created now)" if epic_created else ""))
    in_session = ", ".join(state.active_teams) or "-"
    lines.append(f"  teams  {', '.join(sprint.teams) or '-'} (active in the session: {in_session})")
    if sprint.goal:
        lines.append(f"  goal   {sprint.goal}")
    loose = [t for t in state.state.tasks.values()
             if t.status == TaskStatus.PENDING and not t.sprint and epic_id and t.epic == epic_id]
    lines.append(f"  tasks  none yet{f'; {len(loose)} pending task(s) of the epic have no sprint' if loose else ''}")
    lines.append("Next: add tasks (orch sprint add-task TITLE team=T points=N), then delegate them "
                 "(orch sprint delegate, /orchestration:delegate-tasks).")
    call.done(
        {"session_id": call.session_id, "sprint": unstructure(sprint), "epic": unstructure(epic) if epic else None,
         "epic_created": epic_created, "active_teams": state.active_teams, "last_day": last_day, "events": seqs},
        lines,
    )


ADD_TASK = (
    Param("title", "what is to be done", positional=True, greedy=True),
    Param("team", "the team it belongs to"),
    Param("points", "its size in story points", kind="int", aliases=("pts", "estimate")),
    Param("priority", "how urgent", kind="choice", choices=PRIORITIES, aliases=("prio",)),
    Param("description", "details", aliases=("desc",)),
    Param("skills", "skills it needs (matched by strategy=skills)", kind="list", aliases=("skill",)),
    Param("sprint", "the sprint (default: the current one; 'none' for the backlog)"),
    Param("epic", "the epic (default: the sprint's)"),
    Param("blocked-by", "ids of tasks that block it", kind="list", aliases=("blockers", "depends-on")),
    Param("id", "the task's id (default: T-N)", aliases=("task-id",)),
)


@command(app, "add-task", ADD_TASK)
def add_task(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Add a task to the current sprint (or another, or the backlog)."""
    call = Call(ctx, args, ADD_TASK, "orch sprint add-task", session, as_json)
    state = call.state()
    if not call.get("title"):
        raise OrchError("orch sprint add-task: give the task a title (orch sprint add-task \"Write the login form\")")
    tasks = state.state.tasks
    task_id = call.get("id") or next_number_id(tasks, "T")
    if task_id in tasks:
        raise OrchError(f"task {task_id!r} already exists")
    sprint = None if call.get("sprint", "").lower() == "none" else find_sprint(state, call.get("sprint"))
    if call.get("team"):
        check_teams(call.plugins, state, [call.get("team")])
    points = call.get("points")
    if points is not None and not 0 <= points <= 100:
        raise OrchError(f"points must be between 0 and 100, not {points}")
    blockers = call.get("blocked-by", [])
    missing = [b for b in blockers if b not in tasks]
    if missing:
        raise OrchError(f"no task {', '.join(missing)} in this session to block it")
    data: dict[str, Any] = {"id": task_id, "title": call.get("title"), "priority": call.get("priority", "normal")}
    for key in ("team", "points", "description"):
        if call.get(key) is not None:
            data[key] = call.get(key)
    if sprint is not None:
        data["sprint"] = sprint.id
    epic = call.get("epic") or (sprint.epic if sprint else None) or state.current_epic
    if epic:
        data["epic"] = epic
    if blockers:
        data["blockers"] = blockers
        data["status"] = TaskStatus.BLOCKED
    if call.get("skills"):
        data["skills"] = call.get("skills")
    event, state = call.emit("task.created", data)
    task = state.state.tasks[task_id]
    where = f"sprint {sprint.id}" if sprint else "the backlog (no current sprint)"
    call.done(
        {"session_id": call.session_id, "task": unstructure(task), "seq": event.seq},
        f"{task.id} added to {where}: {task.title} [{task.priority}"
        f"{f', {task.points} pts' if task.points is not None else ''}{f', team {task.team}' if task.team else ''}]",
    )


ASSIGN = (
    Param("task", "the task's id", positional=True, aliases=("id",)),
    Param("agent", "who takes it: an agent name (subagent type) or a live agent id", positional=True,
          aliases=("to", "assignee")),
)


@command(app, "assign", ASSIGN)
def assign(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Assign a task to an agent (it moves to in_progress); says the agent's and team's load against capacity."""
    call = Call(ctx, args, ASSIGN, "orch sprint assign", session, as_json)
    state = call.state()
    task_id, agent = call.get("task"), call.get("agent")
    if not task_id or not agent:
        raise OrchError("orch sprint assign: give a task and an agent (orch sprint assign T-1 engineering-developer)")
    task = open_task(state, task_id, "it cannot be assigned")
    known = {agent_id for m in roster.build(call.plugins, state, teams=roster.ALL)[0].values() for agent_id in m.ids}
    if known and agent not in known:
        note(f"{agent!r} is not a known agent of this session's teams; assigning anyway")
    event, state = call.emit("task.assigned", {"id": task_id, "assignee": agent})
    task = state.state.tasks[task_id]
    capacity = _capacity_after(call, state, agent)
    lines = [f"{task.id} assigned to {agent} ({task.status}): {task.title}"]
    if capacity is not None:
        team = capacity["team"]
        limit = "" if team is None else (f"; team {team['name']}: {team['running']}"
                                          f"{'' if team['max_parallel'] is None else '/' + str(team['max_parallel'])}"
                                          " in progress")
        lines.append(f"  capacity: {agent} runs {capacity['running']} of {capacity['capacity']}{limit}")
        for over in capacity["over"]:
            note(f"{over} is over capacity now; orch sprint delegate shows who has room")
    call.done({"session_id": call.session_id, "task": unstructure(task), "seq": event.seq, "capacity": capacity},
              lines)


def _capacity_after(call: Call, state, agent: str) -> dict[str, Any] | None:
    """The assignee's load against its capacity, and its team's against max_parallel (None: not a known member)."""
    members, teams = roster.build(call.plugins, state, teams=roster.ALL)
    member = next((m for m in members.values() if agent in m.ids), None)
    if member is None:
        return None
    team = teams.get(member.team) if member.team else None
    over = [agent] if member.running > member.capacity else []
    if team is not None and team.max_parallel is not None and team.running > team.max_parallel:
        over.append(f"team {team.name}")
    return {
        "agent": member.name, "running": member.running, "capacity": member.capacity,
        "team": None if team is None else {"name": team.name, "running": team.running,
                                           "max_parallel": team.max_parallel},
        "over": over,
    }


DONE = (Param("tasks", "ids of the tasks that are done", kind="list", positional=True, aliases=("task", "id")),)


@command(app, "done", DONE)
def done(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Mark tasks done."""
    call = Call(ctx, args, DONE, "orch sprint done", session, as_json)
    state = call.state()
    ids = call.get("tasks", [])
    if not ids:
        raise OrchError("orch sprint done: give the ids of the tasks that are done (orch sprint done T-1 T-2)")
    missing = [i for i in ids if i not in state.state.tasks]
    if missing:
        raise OrchError(f"no task {', '.join(missing)} in this session")
    seqs = []
    for task_id in ids:
        if state.state.tasks[task_id].status != TaskStatus.DONE:
            event, _ = call.emit("task.completed", {"id": task_id})
            seqs.append(event.seq)
    call.done({"session_id": call.session_id, "done": ids, "events": seqs}, f"done: {', '.join(ids)}")


COMPLETE = (Param("sprint", "the sprint's id (default: the current one)", positional=True, aliases=("id",)),)


@command(app, "complete", COMPLETE)
def complete(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Complete a sprint; its unfinished tasks stay where they are."""
    call = Call(ctx, args, COMPLETE, "orch sprint complete", session, as_json)
    state = call.state()
    sprint = find_sprint(state, call.get("sprint"))
    if sprint is None:
        raise OrchError("no current sprint to complete; name one (orch sprint complete ID)")
    if sprint.status == SprintStatus.COMPLETED:
        raise OrchError(f"sprint {sprint.id} is already completed")
    event, state = call.emit("sprint.completed", {"id": sprint.id})
    report = progress(state, state.state.sprints[sprint.id])
    call.done({"session_id": call.session_id, "seq": event.seq, **report},
              f"Sprint {sprint.id} completed on day {report['day']}: {report['progress']['done_tasks']}/"
              f"{report['progress']['tasks']} tasks, {report['progress']['done_points']} points, "
              f"velocity {report['velocity']} points/day.")


# -- review ----------------------------------------------------------------


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def progress(session, sprint) -> dict[str, Any]:
    """The numbers of a sprint (orchcore.domain.sprints): board, progress, blockers, pace (rounded to 0.01)."""
    tasks = sprint_tasks(session, sprint)
    board: dict[str, list] = {status: [] for status in FLOW_ORDER}
    for task in sorted(tasks, key=by_urgency):
        board.setdefault(task.status, []).append(task)
    pace = sprint_progress(session, sprint)
    blockers = [_blocker(session, t) for t in tasks if _is_blocked(session, t)]
    return {
        "sprint": unstructure(sprint),
        "day": pace.day,
        "days_left": pace.days_left,
        "progress": {
            "tasks": pace.tasks, "done_tasks": pace.done_tasks, "percent": pace.task_percent,
            "points": pace.points, "done_points": pace.done_points,
        },
        "velocity": _rounded(pace.velocity),
        "needed_velocity": _rounded(pace.needed),
        "on_track": pace.on_track if pace.active else None,
        "board": {status: [_task_row(t) for t in items] for status, items in board.items()},
        "blockers": blockers,
    }


def _is_blocked(session, task) -> bool:
    """Marked blocked, or still waiting for a task that is not done."""
    if task.status == TaskStatus.BLOCKED:
        return True
    if task.status in CLOSED_TASK:
        return False
    tasks = session.state.tasks
    return any(b not in tasks or tasks[b].status != TaskStatus.DONE for b in task.blockers)


def _blocker(session, task) -> dict[str, Any]:
    tasks = session.state.tasks
    return {
        "task": task.id, "title": task.title, "status": task.status, "assignee": task.assignee,
        "blocked_by": [{"id": b, "status": tasks[b].status if b in tasks else "unknown"} for b in task.blockers],
    }


def _task_row(task) -> dict[str, Any]:
    return {"id": task.id, "title": task.title, "priority": task.priority, "points": task.points,
            "team": task.team, "assignee": task.assignee, "blockers": list(task.blockers)}


def _row_text(row: dict[str, Any]) -> str:
    bits = [row["priority"]] + ([f"{row['points']} pts"] if row["points"] is not None else [])
    bits += [f"team {row['team']}"] if row["team"] else []
    who = f" @{row['assignee']}" if row["assignee"] else ""
    return f"{row['id']} {row['title']} [{', '.join(bits)}]{who}"


REVIEW = (Param("sprint", "the sprint's id or name (default: the current one)", positional=True, aliases=("id",)),)


@command(app, "review", REVIEW)
def review(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """The sprint's board by status, progress, blockers and velocity."""
    call = Call(ctx, args, REVIEW, "orch sprint review", session, as_json)
    state = call.state()
    sprint = find_sprint(state, call.get("sprint"))
    if sprint is None:
        others = ", ".join(sorted(state.state.sprints)) or "none"
        call.done({"session_id": call.session_id, "sprint": None, "sprints": sorted(state.state.sprints)},
                  f"No current sprint in this session (sprints: {others}). "
                  "Start one with /orchestration:start-sprint or orch sprint start.")
        return
    report = progress(state, sprint)
    p = report["progress"]
    length = f" of {sprint.duration_days}" if sprint.duration_days else ""
    left = f", {report['days_left']} day(s) left" if report["days_left"] is not None else ""
    lines = [
        f"Sprint {sprint.id} \"{sprint.name}\": {sprint.status}, day {report['day']}{length}{left}"
        f"; epic {sprint.epic or '-'}; teams {', '.join(sprint.teams) or '-'}",
    ]
    if sprint.goal:
        lines.append(f"Goal: {sprint.goal}")
    lines.append(f"Progress: {p['done_tasks']}/{p['tasks']} tasks done ({p['percent']}%), "
                 f"{p['done_points']}/{p['points']} points")
    pace = f"Velocity: {'-' if report['velocity'] is None else report['velocity']} points/day"
    remaining = p["points"] - p["done_points"]
    if sprint.status == SprintStatus.ACTIVE and report["needed_velocity"] is not None:
        verdict = {True: "on track", False: "behind", None: "too early to judge"}[report["on_track"]]
        pace += f"; {report['needed_velocity']} points/day needed for the rest ({verdict})"
    elif sprint.status == SprintStatus.ACTIVE and report["days_left"] == 0 and remaining > 0:
        pace += f"; no day left for the {remaining} remaining points (behind)"
    lines.append(pace)
    lines.append("Board:")
    for status, rows in report["board"].items():
        if not rows and status == TaskStatus.CANCELLED:
            continue
        lines.append(f"  {status} ({len(rows)})")
        lines += [f"    {_row_text(row)}" for row in rows]
    if report["blockers"]:
        lines.append("Blockers:")
        for b in report["blockers"]:
            by = ", ".join(f"{x['id']} ({x['status']})" for x in b["blocked_by"]) or "no blocking task recorded"
            who = f", @{b['assignee']}" if b["assignee"] else ""
            lines.append(f"  {b['task']} {b['title']} ({b['status']}{who}): blocked by {by}")
    else:
        lines.append("Blockers: none")
    call.done({"session_id": call.session_id, **report}, lines)


# -- delegate --------------------------------------------------------------

DELEGATE = (
    Param("strategy", "how to choose an agent: most free capacity, best skill match, or in turn",
          kind="choice", choices=ASSIGNMENT_STRATEGIES, positional=True, aliases=("by",)),
    Param("priority", "only tasks at least this urgent", kind="choice", choices=PRIORITIES,
          aliases=("min-priority", "prio")),
    Param("team", "only tasks and agents of these teams", kind="list", aliases=("teams",)),
    Param("sprint", "the sprint (default: the current one; without one, the backlog)"),
    Param("limit", "at most this many tasks", kind="int"),
)


@command(app, "delegate", DELEGATE)
def delegate(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """The pending tasks and who automatic assignment would give them to (nothing is assigned)."""
    call = Call(ctx, args, DELEGATE, "orch sprint delegate", session, as_json)
    state = call.state()
    strategy = call.get("strategy", "capacity")
    wanted_teams = call.get("team") or None
    if wanted_teams:
        check_teams(call.plugins, state, wanted_teams)
    sprint = find_sprint(state, call.get("sprint"))
    if call.get("limit") is not None and call.get("limit") < 1:
        raise OrchError("limit must be 1 or more")
    planned = plan_assignments(state, call.plugins, sprint=sprint, strategy=strategy,
                              min_priority=call.get("priority"), teams=wanted_teams, limit=call.get("limit"))
    members, _ = roster.build(call.plugins, state, wanted_teams)
    pending = planned.tasks
    decided = {d.task.id: d for d in planned.decisions}
    plan = []
    for task in pending:
        decision = decided.get(task.id)
        entry: dict[str, Any] = {"task": _task_row(task), "suggested": None, "alternatives": [],
                                 "reason": decision.why if decision else planned.problem or ""}
        if decision is not None and decision.member is not None:
            m = decision.member
            entry["suggested"] = {"agent": m.name, "team": decision.team.name, "role": m.role,
                                  "free_after": m.free, "skills": sorted(m.skills)}
            entry["alternatives"] = decision.alternatives
        plan.append(entry)
    teams = {t.name: t for t in planned.teams}

    scope = f"sprint {sprint.id}" if sprint else "the backlog (no current sprint)"
    lines = [f"Pending tasks in {scope}: {len(pending)} (strategy {strategy}"
             f"{', priority ≥ ' + call.get('priority') if call.get('priority') else ''})"]
    if not pending:
        lines.append("  nothing to delegate")
    for entry in plan:
        lines.append(f"  {_row_text(entry['task'])}")
        if entry["suggested"]:
            s = entry["suggested"]
            also = f"; also: {', '.join(entry['alternatives'])}" if entry["alternatives"] else ""
            where = f" ({s['team']} {s['role']})" if s["team"] else ""
            lines.append(f"    -> {s['agent']}{where}{also}")
        else:
            lines.append(f"    -> nobody: {entry['reason']}")
    if teams:
        lines.append("Team capacity (running / max parallel, after these suggestions):")
        for team in teams.values():
            cap = "no limit" if team.max_parallel is None else f"{team.running}/{team.max_parallel}"
            lines.append(f"  {team.name}: {cap}; lead {team.lead or '-'}")
    call.done(
        {"session_id": call.session_id, "sprint": sprint.id if sprint else None, "strategy": strategy,
         "priority": call.get("priority"), "tasks": plan,
         "teams": {n: t.as_dict() for n, t in teams.items()},
         "agents": {n: m.as_json() for n, m in sorted(members.items())}},
        lines,
    )


# -- every task, and an epic's plan -----------------------------------------

TASKS = (
    Param("status", "only tasks with these statuses", kind="list", positional=True),
    Param("team", "only tasks of this team"),
    Param("sprint", "only tasks of this sprint ('none': the backlog)"),
    Param("assignee", "only tasks of this agent (also agent)", aliases=("agent",)),
)


def _dependencies(session, task) -> dict[str, Any]:
    """What a task waits for (with each one's status) and which tasks wait for it."""
    tasks = session.state.tasks
    return {
        "blocked_by": [{"id": b, "status": tasks[b].status if b in tasks else "unknown"} for b in task.blockers],
        "blocks": sorted(t.id for t in tasks.values() if task.id in t.blockers),
    }


@command(app, "tasks", TASKS)
def tasks(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Every task of the session (any sprint, or none) with its status, assignee and dependencies."""
    call = Call(ctx, args, TASKS, "orch sprint tasks", session, as_json)
    state = call.state()
    statuses = call.get("status", [])
    unknown = [s for s in statuses if s not in FLOW_ORDER]
    if unknown:
        raise OrchError(f"unknown task status {', '.join(unknown)}; statuses: {', '.join(FLOW_ORDER)}")
    wanted_sprint = call.get("sprint")
    sprint_id = None
    if wanted_sprint and wanted_sprint.lower() != "none":
        sprint_id = find_sprint(state, wanted_sprint).id
    rows = []
    for task in sorted(state.state.tasks.values(), key=lambda t: (FLOW_ORDER.index(t.status)
                                                                  if t.status in FLOW_ORDER else len(FLOW_ORDER),
                                                                  *by_urgency(t))):
        if statuses and task.status not in statuses:
            continue
        if call.get("team") and task.team != call.get("team"):
            continue
        if wanted_sprint and task.sprint != sprint_id:
            continue
        if call.get("assignee") and task.assignee != call.get("assignee"):
            continue
        rows.append({**_task_row(task), "status": task.status, "sprint": task.sprint, "epic": task.epic,
                     **_dependencies(state, task)})
    lines = [f"{len(rows)} of {len(state.state.tasks)} task(s)"]
    for row in rows:
        where = f"sprint {row['sprint']}" if row["sprint"] else "backlog"
        lines.append(f"  {row['status']:<11} {_row_text(row)} ({where})")
        if row["blocked_by"]:
            lines.append("      waits for " + ", ".join(f"{b['id']} ({b['status']})" for b in row["blocked_by"]))
        if row["blocks"]:
            lines.append(f"      blocks {', '.join(row['blocks'])}")
    call.done({"session_id": call.session_id, "tasks": rows, "total": len(state.state.tasks)}, lines)


EPIC = (Param("epic", "the epic's id or title (default: the current one)", positional=True, greedy=True,
              aliases=("id",)),)


@command(app, "epic", EPIC)
def epic(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """An epic's plan: its tasks per sprint (and backlog) and team, points, and what is not yet allocated."""
    call = Call(ctx, args, EPIC, "orch sprint epic", session, as_json)
    state = call.state()
    wanted = call.get("epic") or state.current_epic
    if not wanted:
        raise OrchError("no current epic in this session; name one (orch sprint epic ID) "
                        "or start a sprint with epic=NAME")
    found = _find_epic(state, wanted)
    if found is None:
        raise OrchError(f"no epic {wanted!r} in this session (epics: {', '.join(sorted(state.state.epics)) or 'none'})")
    sprints = state.state.sprints
    ours = sorted((t for t in state.state.tasks.values()
                   if t.epic == found.id or (t.sprint in sprints and sprints[t.sprint].epic == found.id)),
                  key=by_urgency)
    groups: dict[str | None, dict[str, list]] = {}
    for task in ours:
        groups.setdefault(task.sprint, {}).setdefault(task.team or "-", []).append(task)
    order = [s for s in sprints if s in groups] + [s for s in groups if s not in sprints]
    plan = []
    for key in order:
        sprint = sprints.get(key) if key else None
        plan.append({
            "sprint": key, "name": sprint.name if sprint else None, "status": sprint.status if sprint else None,
            "teams": {team: {"tasks": [_task_row(t) | {"status": t.status} for t in items],
                             "points": sum(t.points or 0 for t in items),
                             "done": sum(t.status == TaskStatus.DONE for t in items)}
                      for team, items in sorted(groups[key].items())},
        })
    open_tasks = [t for t in ours if t.status not in CLOSED_TASK]
    summary = {
        "tasks": len(ours), "done": sum(t.status == TaskStatus.DONE for t in ours),
        "points": sum(t.points or 0 for t in ours),
        "done_points": sum(t.points or 0 for t in ours if t.status == TaskStatus.DONE),
        "no_sprint": [t.id for t in open_tasks if not t.sprint],
        "no_team": [t.id for t in open_tasks if not t.team],
        "unassigned": [t.id for t in open_tasks if not t.assignee],
    }
    lines = [f"Epic {found.id} \"{found.title}\" ({found.status}): {summary['done']}/{summary['tasks']} tasks done, "
             f"{summary['done_points']}/{summary['points']} points"]
    if not ours:
        lines.append("  no tasks yet: add them with orch sprint add-task TITLE epic=" + found.id + " team=T points=N")
    for group in plan:
        head = (f"sprint {group['sprint']} \"{group['name']}\" ({group['status']})" if group["name"]
                else f"sprint {group['sprint']} (unknown)" if group["sprint"] else "backlog (no sprint)")
        lines.append(f"  {head}")
        for team, part in group["teams"].items():
            lines.append(f"    team {team}: {len(part['tasks'])} task(s), {part['points']} points, {part['done']} done")
            lines += [f"      {row['status']:<11} {_row_text(row)}" for row in part["tasks"]]
    for key, label in (("no_sprint", "not in a sprint"), ("no_team", "without a team"), ("unassigned", "unassigned")):
        if summary[key]:
            lines.append(f"  open and {label}: {', '.join(summary[key])}")
    call.done({"session_id": call.session_id, "epic": unstructure(found), "plan": plan, "summary": summary}, lines)
