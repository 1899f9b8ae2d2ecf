"""``orch debug``: state, events, replay, profile, rollback (the core's, with this pack's arguments and diff)."""

from __future__ import annotations

import json
import math
from typing import Any

import typer

from orch_commands.args import Param
from orch_commands.cli import (
    NAMESPACE,
    ArgsArgument,
    Call,
    checkpoints,
    command,
    compact,
    find_checkpoint,
    group,
    unstructure,
)
from orchcore.api import CLOSED_TASK, OPEN_TASK, ENDED_AGENT, JsonOption, MessageStatus, OrchError, SessionOption
from orchcore.api import names_of

app = group("Debug a session: inspect its state and agents, list and replay its events, profile its hooks, roll it back.")


# -- comparing two states --------------------------------------------------

SCALARS = ("orchestration_enabled", "mode", "current_epic", "current_sprint", "active_teams")
COLLECTIONS = ("tasks", "agents", "sprints", "epics", "teams")


def diff_states(before, after) -> dict[str, Any]:
    """What differs between two states, field by field and item by item."""
    changes: dict[str, Any] = {}
    for name in SCALARS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes[name] = {"from": old, "to": new}
    if before.runtime_config.output_style != after.runtime_config.output_style:
        changes["output_style"] = {"from": before.runtime_config.output_style, "to": after.runtime_config.output_style}
    for name in COLLECTIONS:
        old, new = getattr(before.state, name), getattr(after.state, name)
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        changed = {}
        for key in sorted(set(old) & set(new)):
            if unstructure(old[key]) != unstructure(new[key]):
                was, now_ = getattr(old[key], "status", None), getattr(new[key], "status", None)
                changed[key] = {"status": [was, now_]} if was != now_ else {"fields": _changed_fields(old[key], new[key])}
        if added or removed or changed:
            changes[name] = {"added": added, "removed": removed, "changed": changed}
    if unstructure(before.state.messages) != unstructure(after.state.messages):
        changes["messages"] = {"from": len(before.state.messages), "to": len(after.state.messages)}
    metric_keys = sorted(k for k in set(before.state.metrics) | set(after.state.metrics)
                         if before.state.metrics.get(k) != after.state.metrics.get(k))
    if metric_keys:
        changes["metrics"] = metric_keys
    plugin_keys = sorted(k for k in set(before.plugins) | set(after.plugins)
                         if before.plugins.get(k) != after.plugins.get(k))
    if plugin_keys:
        changes["plugins"] = plugin_keys
    return changes


def _changed_fields(old: Any, new: Any) -> list[str]:
    a, b = unstructure(old), unstructure(new)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def diff_lines(changes: dict[str, Any]) -> list[str]:
    if not changes:
        return ["  no difference"]
    lines = []
    for name, change in changes.items():
        if name in COLLECTIONS:
            bits = [f"+{k}" for k in change["added"]] + [f"-{k}" for k in change["removed"]]
            for key, what in change["changed"].items():
                if "status" in what:
                    bits.append(f"{key} {what['status'][0]} -> {what['status'][1]}")
                else:
                    bits.append(f"{key} ({', '.join(what['fields'])})")
            lines.append(f"  {name}: {'; '.join(bits)}")
        elif name in ("metrics", "plugins"):
            lines.append(f"  {name}: {', '.join(change)}")
        else:
            lines.append(f"  {name}: {json.dumps(change['from'])} -> {json.dumps(change['to'])}")
    return lines


# -- state -----------------------------------------------------------------

STATE = (
    Param("path", "a dotted path into the state, e.g. state.tasks.T-1 or mode", positional=True),
    Param("check", "compare the stored state with the replay of the log (default true)", kind="flag"),
)


def _consistency(call: Call, stored) -> bool | None:
    try:
        return call.runtime.bus.replay(call.session_id) == stored
    except OrchError:
        return None  # e.g. an event type whose plugin is gone: the state cannot be rebuilt here


@command(app, "state", STATE)
def state(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """The session's state: an overview, or the value at a path; and whether it equals its replayed log."""
    from orchcore.api import get_path

    call = Call(ctx, args, STATE, "orch debug state", session, as_json)
    stored = call.state()
    last = call.last_seq()
    consistent = _consistency(call, stored) if call.get("check", True) else None
    verdict = {True: "the stored state equals the replayed log", False: "THE STORED STATE DIFFERS FROM THE REPLAYED LOG",
               None: "not compared with the log"}[consistent]
    if call.get("path"):
        value = get_path(stored, call.get("path"))
        shown = json.dumps(value, indent=2, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
        call.done({"session_id": call.session_id, "path": call.get("path"), "value": value, "last_seq": last,
                   "consistent": consistent},
                  [f"{call.get('path')} (session {call.session_id}, event {last}; {verdict}):", shown])
        return
    s = stored.state
    by_status: dict[str, int] = {}
    for task in s.tasks.values():
        by_status[task.status] = by_status.get(task.status, 0) + 1
    lines = [
        f"Session {stored.session_id} at event {last}: {verdict}",
        f"  orchestration {'on' if stored.orchestration_enabled else 'off'}; mode {stored.mode}; "
        f"output style {stored.runtime_config.output_style or '-'}",
        f"  teams: active {', '.join(stored.active_teams) or '-'}; known {', '.join(sorted(s.teams)) or '-'}",
        f"  epic {stored.current_epic or '-'}; sprint {stored.current_sprint or '-'} "
        f"(sprints: {', '.join(sorted(s.sprints)) or '-'})",
        f"  tasks: {', '.join(f'{n} {k}' for k, n in sorted(by_status.items())) or 'none'}",
    ]
    for task in sorted(s.tasks.values(), key=lambda t: t.id)[:20]:
        lines.append(f"    {task.id} {task.status} {task.title}" + (f" @{task.assignee}" if task.assignee else ""))
    lines.append(f"  agents: {len(s.agents)}")
    for agent in list(s.agents.values())[:20]:
        lines.append(f"    {agent.id} {agent.agent_type or agent.name or '-'} {agent.status}"
                     + (f" team {agent.team}" if agent.team else "")
                     + (f" on {agent.current_task}" if agent.current_task else ""))
    queued = sum(m.status == MessageStatus.QUEUED for m in s.messages)
    lines.append(f"  messages: {len(s.messages)} ({queued} queued)")
    handled = sum((s.metrics.get("hook_events") or {}).values()) if isinstance(s.metrics.get("hook_events"), dict) else 0
    lines.append(f"  metrics: {', '.join(sorted(s.metrics)) or '-'} ({handled} hook events handled)")
    lines.append(f"  plugin namespaces: {', '.join(sorted(stored.plugins)) or '-'}")
    cps = checkpoints(call.runtime, call.session_id)
    marks = ", ".join(f"{n} (event {c['seq']})" for n, c in cps.items())
    lines.append(f"  checkpoints: {marks or '-'}")
    call.done({"session_id": call.session_id, "last_seq": last, "consistent": consistent,
               "session": unstructure(stored), "checkpoints": list(cps.values())}, lines)


# -- agents ----------------------------------------------------------------

AGENTS = (Param("agent", "only this agent (id, name or type)", positional=True),)


def _agent_report(state, agent, definitions, teams) -> dict[str, Any]:
    """One agent: what it is, what it works on, what waits for it, and what does not add up."""
    tasks = state.state.tasks
    names = names_of(state, agent.id)
    kind = agent.agent_type or agent.name
    problems = []
    current = tasks.get(agent.current_task) if agent.current_task else None
    if agent.current_task and current is None:
        problems.append(f"its current task {agent.current_task} does not exist")
    elif current is not None and current.status in CLOSED_TASK:
        problems.append(f"its current task {current.id} is {current.status}")
    elif current is not None and current.assignee and current.assignee not in names:
        problems.append(f"its current task {current.id} is assigned to {current.assignee}")
    if agent.status in ENDED_AGENT and agent.current_task:
        problems.append(f"it is {agent.status} but still holds {agent.current_task}")
    if kind and definitions and kind not in definitions:
        problems.append(f"no installed agent definition {kind!r}")
    if agent.team and teams and agent.team not in teams:
        problems.append(f"its team {agent.team!r} is not defined")
    inbox = {*names, "all", *([agent.team] if agent.team else [])}
    waiting = [m for m in state.state.messages if m.status == MessageStatus.QUEUED and m.recipient in inbox]
    assigned = sorted(t.id for t in tasks.values() if t.status in OPEN_TASK and t.assignee in names)
    return {
        "id": agent.id, "type": kind or None, "team": agent.team, "role": agent.role, "status": agent.status,
        "current_task": agent.current_task, "open_tasks": assigned, "queued_messages": [m.id for m in waiting],
        "started_at": agent.started_at, "ended_at": agent.ended_at, "defined": bool(kind) and kind in definitions,
        "problems": problems,
    }


@command(app, "agents", AGENTS)
def agents(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """The session's agents: status, current task, definition, waiting messages, and what does not add up."""
    call = Call(ctx, args, AGENTS, "orch debug agents", session, as_json)
    state = call.state()
    definitions = call.plugins.specs("orch_agents")
    teams = set(call.plugins.specs("orch_teams")) | set(state.state.teams)
    chosen = list(state.state.agents.values())
    if call.get("agent"):
        wanted = call.get("agent")
        chosen = [a for a in chosen if wanted in names_of(state, a.id)]
        if not chosen:
            known = ", ".join(sorted(state.state.agents)) or "none"
            raise OrchError(f"no agent {wanted!r} in this session (agents: {known})")
    reports = [_agent_report(state, agent, definitions, teams) for agent in chosen]
    # Work and mail addressed to nobody the session knows: an assignee or recipient that is a typo, or gone.
    known = {n for a in state.state.agents.values() for n in names_of(state, a.id)} | set(definitions) | teams
    orphans = sorted({t.assignee for t in state.state.tasks.values()
                      if t.status in OPEN_TASK and t.assignee and t.assignee not in known})
    undeliverable = sorted({m.recipient for m in state.state.messages if m.status == MessageStatus.QUEUED
                            and m.recipient not in known | {"all", "main"}})
    lines = [f"{len(reports)} agent(s) in session {call.session_id}"]
    for r in reports:
        lines.append(f"  {r['id']} {r['type'] or '-'} [{r['status']}] team {r['team'] or '-'}, role {r['role']}"
                     f"{'' if r['defined'] else ', no definition'}")
        lines.append(f"    current task {r['current_task'] or '-'}; open tasks {', '.join(r['open_tasks']) or '-'}; "
                     f"{len(r['queued_messages'])} message(s) waiting")
        lines += [f"    ! {problem}" for problem in r["problems"]]
    if not call.get("agent"):
        if orphans:
            lines.append(f"Open tasks assigned to no known agent: {', '.join(orphans)}")
        if undeliverable:
            lines.append(f"Queued messages for no known agent or team: {', '.join(undeliverable)}")
    problems = sum(len(r["problems"]) for r in reports) + (0 if call.get("agent") else len(orphans) + len(undeliverable))
    lines.append("No problems found." if not problems else f"{problems} problem(s) found.")
    call.done({"session_id": call.session_id, "agents": reports, "unknown_assignees": orphans,
               "undeliverable_to": undeliverable, "problems": problems}, lines)


# -- events ----------------------------------------------------------------

EVENTS = (
    Param("type", "only these event types", kind="list", aliases=("types", "t")),
    Param("after", "only events after this sequence number", kind="int", aliases=("from",)),
    Param("since", "only events after this checkpoint", aliases=("checkpoint",)),
    Param("limit", "at most this many, the newest (default 30; 0 for all)", kind="int", aliases=("n", "last")),
    Param("source", "only events from this source (hook, cli, …)"),
)


@command(app, "events", EVENTS)
def list_events(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """The session's events, oldest first (the newest of them; a last line says when the limit left some out)."""
    call = Call(ctx, args, EVENTS, "orch debug events", session, as_json)
    call.runtime.store.require(call.session_id)
    after = call.get("after", 0)
    if call.get("since"):
        if "after" in call.values:
            raise OrchError("give after=SEQ or since=CHECKPOINT, not both")
        after = find_checkpoint(call.runtime, call.session_id, call.get("since"))["seq"]
    limit = call.get("limit", 30)
    if limit < 0 or after < 0:
        raise OrchError("limit and after must be 0 or more")
    source, types = call.get("source"), call.get("type") or None
    # One more than the limit tells whether the limit cut the list; a source is filtered here, over all of them.
    found = call.runtime.store.events(call.session_id, after=after, types=types,
                                      limit=limit + 1 if limit and not source else None, newest=True)
    if source:
        found = [e for e in found if e.source == source]
    total = len(found)
    if limit and not source and total > limit:
        total = len(call.runtime.store.events(call.session_id, after=after, types=types))
    found = found[-limit:] if limit else found
    rows = [unstructure(e) for e in found]
    lines = [f"{e.seq:>6}  {e.ts}  {e.type:<22} {e.source:<8} {compact(_shown_data(e), 110)}" for e in found]
    if len(found) < total:
        lines.append(f"showing the newest {len(found)} of {total} events; limit=0 for all")
    call.done({"session_id": call.session_id, "events": rows, "total": total}, lines or ["no events match"])


def _shown_data(event) -> Any:
    if event.type == "state.restored":  # the snapshot is the whole state: too long to show in a line
        return {k: v for k, v in event.data.items() if k != "snapshot"}
    return event.data


# -- replay ----------------------------------------------------------------

REPLAY = (
    Param("target", "an event number or a checkpoint name", positional=True),
    Param("upto", "fold the log up to this event", kind="int", aliases=("to", "seq")),
    Param("checkpoint", "fold the log up to this checkpoint", aliases=("cp",)),
    Param("full", "print the whole replayed state", kind="flag"),
)


def _target(call: Call, seq_key: str) -> tuple[int | None, str | None]:
    """(seq, checkpoint name) from to=/upto=, checkpoint= or a bare word (a number or a checkpoint)."""
    seq, name = call.get(seq_key), call.get("checkpoint")
    bare = call.get("target")
    if bare is not None:
        if bare.isdigit():
            seq = int(bare) if seq is None else seq
        else:
            name = bare if name is None else name
    if seq is not None and name is not None:
        cp = find_checkpoint(call.runtime, call.session_id, name)
        if cp["seq"] != seq:
            raise OrchError(f"give an event number or a checkpoint, not both (checkpoint {name} is event {cp['seq']})")
    if name is not None:
        seq = find_checkpoint(call.runtime, call.session_id, name)["seq"]
    return seq, name


@command(app, "replay", REPLAY)
def replay(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Rebuild the state from the log (up to an event or checkpoint) and compare it with the current state."""
    call = Call(ctx, args, REPLAY, "orch debug replay", session, as_json)
    current = call.state()
    last = call.last_seq()
    upto, name = _target(call, "upto")
    if upto is not None and not 1 <= upto <= last:
        raise OrchError(f"event {upto} is not in this session's log (events 1 to {last})")
    rebuilt = call.runtime.bus.replay(call.session_id, upto=upto)
    point = f"checkpoint {name} (event {upto})" if name else (f"event {upto}" if upto else f"the end (event {last})")
    changes = diff_states(rebuilt, current)
    equal = (rebuilt == current) if upto is None or upto == last else None
    lines = [f"Replayed {upto or last} of {last} events, up to {point}."]
    if equal is not None:
        lines.append("The stored state equals the replayed log." if equal
                     else "THE STORED STATE DIFFERS FROM THE REPLAYED LOG:")
    lines.append(f"At that point: mode {rebuilt.mode}, orchestration {'on' if rebuilt.orchestration_enabled else 'off'}, "
                 f"teams {', '.join(rebuilt.active_teams) or '-'}, sprint {rebuilt.current_sprint or '-'}, "
                 f"{len(rebuilt.state.tasks)} tasks, {len(rebuilt.state.agents)} agents, "
                 f"{len(rebuilt.state.messages)} messages.")
    if equal is None or not equal:
        lines.append("Changed since then (then -> now):")
        lines += diff_lines(changes)
    if call.get("full"):
        lines.append(json.dumps(unstructure(rebuilt), indent=2, ensure_ascii=False))
    call.done({"session_id": call.session_id, "upto": upto or last, "checkpoint": name, "last_seq": last,
               "equals_stored": equal, "changes_since": changes, "state": unstructure(rebuilt)}, lines)


# -- profile ---------------------------------------------------------------

PROFILE = (
    Param("top", "only the N costliest handlers", kind="int", positional=True),
    Param("recent", "how many recent hook events the percentiles use (default 500)", kind="int"),
)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))], 3)


@command(app, "profile", PROFILE)
def profile(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Hook latency per handler (recorded by the router) and hook events per type."""
    call = Call(ctx, args, PROFILE, "orch debug profile", session, as_json)
    stored = call.state()
    metrics = stored.state.metrics
    handlers = metrics.get("handlers") if isinstance(metrics.get("handlers"), dict) else {}
    hook_events = metrics.get("hook_events") if isinstance(metrics.get("hook_events"), dict) else {}
    recent = call.get("recent", 500)
    if recent < 1:
        raise OrchError("recent must be 1 or more")
    samples: dict[str, list[float]] = {}
    for event in call.runtime.store.events(call.session_id, types=["hook.handled"], limit=recent, newest=True):
        for name, run in (event.data.get("handlers") or {}).items():
            if isinstance(run, dict) and isinstance(run.get("ms"), (int, float)):
                samples.setdefault(name, []).append(float(run["ms"]))
    try:
        provided = call.plugins.collect("orch_hook_handlers")
    except OrchError:
        provided = {}
    rows = []
    for name, stats in handlers.items():
        if not isinstance(stats, dict):
            continue
        calls = stats.get("calls", 0) or 0
        spec = provided.get(name)
        rows.append({
            "handler": name, "plugin": spec.plugin if spec else None, "calls": calls,
            "failures": stats.get("failures", 0), "total_ms": stats.get("total_ms", 0.0),
            "avg_ms": round(stats.get("total_ms", 0.0) / calls, 3) if calls else None,
            "p50_ms": _percentile(samples.get(name, []), 0.5), "p95_ms": _percentile(samples.get(name, []), 0.95),
            "max_ms": stats.get("max_ms"), "budget_ms": spec.spec.timeout_ms if spec else None,
        })
    rows.sort(key=lambda r: (-(r["total_ms"] or 0), r["handler"]))
    top = call.get("top")
    if top is not None:
        if top < 1:
            raise OrchError("top must be 1 or more")
        rows = rows[:top]
    total_events = sum(v for v in hook_events.values() if isinstance(v, (int, float)))
    if not rows:
        lines = ["No hook handler has run in this session yet (orchestration off, hooks not wired, "
                 "or no handler matched)."]
    else:
        lines = [f"Hook handlers of session {call.session_id} ({total_events} hook events handled; "
                 f"p50/p95 over the last {recent}):",
                 f"  {'handler':<26} {'plugin':<18} {'calls':>6} {'fail':>5} {'avg ms':>8} {'p50 ms':>8} "
                 f"{'p95 ms':>8} {'max ms':>8} {'total ms':>10} {'budget':>7}"]

        def cell(value: Any) -> str:
            return "-" if value is None else str(value)

        for r in rows:
            lines.append(f"  {r['handler']:<26} {cell(r['plugin']):<18} {r['calls']:>6} {r['failures']:>5} "
                         f"{cell(r['avg_ms']):>8} {cell(r['p50_ms']):>8} {cell(r['p95_ms']):>8} "
                         f"{cell(r['max_ms']):>8} {cell(r['total_ms']):>10} {cell(r['budget_ms']):>7}")
    if hook_events:
        busiest = sorted(hook_events.items(), key=lambda kv: -kv[1])
        lines.append("Hook events: " + ", ".join(f"{k} {v}" for k, v in busiest))
    call.done({"session_id": call.session_id, "handlers": rows, "hook_events": hook_events, "recent": recent}, lines)


# -- rollback --------------------------------------------------------------

ROLLBACK = (
    Param("target", "an event number or a checkpoint name", positional=True),
    Param("to", "the event whose state to return to", kind="int", aliases=("seq", "upto")),
    Param("checkpoint", "the checkpoint to return to", aliases=("cp",)),
    Param("dry-run", "show what would change; change nothing", kind="flag", aliases=("preview",)),
)


def _without_our_record(changes: dict[str, Any]) -> dict[str, Any]:
    """A rollback always adds to its own record (plugins.orch-commands.rollbacks): not news."""
    shown = [k for k in changes.get("plugins", []) if k != NAMESPACE]
    if shown:
        changes["plugins"] = shown
    else:
        changes.pop("plugins", None)
    return changes


def rollback_now(call: Call) -> None:
    """Rebuild the state after event N and record it as a new ``state.restored`` event (the core's rollback)."""
    from orchcore.api import require_live, roll_back

    current = require_live(call.state())
    to, name = _target(call, "to")
    if to is None:
        cps = ", ".join(f"{n} (event {c['seq']})" for n, c in checkpoints(call.runtime, call.session_id).items())
        raise OrchError(f"{call.command}: name a target: --to SEQ or --checkpoint NAME (checkpoints: {cps or 'none'})")
    point = f"checkpoint {name} (event {to})" if name else f"event {to}"
    done = roll_back(call.runtime, call.session_id, to, name, preview=bool(call.get("dry-run")))
    changes = _without_our_record(diff_states(current, done.after))
    if done.event is None:
        call.done({"session_id": call.session_id, "dry_run": True, "to_seq": to, "checkpoint": name,
                   "undone": done.undone, "changes": changes},
                  [f"Rolling back to {point} would undo {done.undone} event(s) (nothing changed yet):",
                   *diff_lines(changes)])
        return
    seq = done.event.seq
    lines = [f"Rolled back to {point}: {done.undone} event(s) undone, recorded as event {seq} (nothing deleted; "
             f"undo with: orch rollback --to {seq - 1}).", "Changed (before -> now):", *diff_lines(changes)]
    call.done({"session_id": call.session_id, "seq": seq, "to_seq": to, "checkpoint": name, "undone": done.undone,
               "changes": changes, "session": unstructure(done.after)}, lines)


@command(app, "rollback", ROLLBACK)
def rollback(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Roll the state back to an event or checkpoint: recorded as a new event, nothing is deleted."""
    rollback_now(Call(ctx, args, ROLLBACK, "orch debug rollback", session, as_json))
