"""Built-in plugin: the core event types and their reducers.

Sessions, agents, tasks, sprints and epics, messages, metrics, and generic
state writes. Each reducer is pure: it reads only the state and the event
(timestamps come from ``event.ts``), so replaying the log rebuilds the state.
Bad data raises InvalidValue, which rejects the event and changes nothing.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from orchcore.domain.vocabulary import (
    ENDED_AGENT,
    PRIORITIES,
    AgentStatus,
    MessageStatus,
    SprintStatus,
    TaskStatus,
)
from orchcore import limits
from orchcore.errors import InvalidValue
from orchcore.models import Agent, Epic, Event, Message, Session, Sprint, Task, Team, structure, unstructure
from orchcore.plugins import hookimpl
from orchcore.specs import EventType

# Queued messages per session when the event does not say (limits.max_messages): beyond it a send is refused,
# never silently dropped. The configured value travels in the event (``orchcore.limits.admit``).
MAX_QUEUED_MESSAGES = limits.DEFAULT_MAX_MESSAGES


def _create(collection: dict[str, Any], cls: type, event: Event, kind: str) -> Any:
    """A new ``cls`` from the event's data, stored under its id; an existing id is refused."""
    item_id = event.need("id")
    if item_id in collection:
        raise InvalidValue(f"{kind} {item_id!r} already exists")
    item = collection[item_id] = _merge(None, cls, event.data)
    return item


def _merge(model: Any, cls: type, fields: dict[str, Any]) -> Any:
    """``model`` with ``fields`` written over it, validated by the converter."""
    data = unstructure(model) if model is not None else {}
    data.update(fields)
    return structure(data, cls)


# -- session -----------------------------------------------------------


def _transcript(session: Session, event: Event) -> None:
    path = event.data.get("transcript_path")
    if path is not None:
        if not isinstance(path, str):
            raise InvalidValue(f"event {event.type!r}: transcript_path must be a string")
        session.transcript_path = path or None


def session_created(session: Session, event: Event) -> Session:
    session.created_at = event.ts
    _transcript(session, event)
    if "orchestration_enabled" in event.data:
        session.orchestration_enabled = event.need("orchestration_enabled", bool)
    if "mode" in event.data:
        session.mode = event.need("mode")
    return session


def session_orchestration(session: Session, event: Event) -> Session:
    session.orchestration_enabled = event.need("enabled", bool)
    return session


def session_mode(session: Session, event: Event) -> Session:
    session.mode = event.need("mode")
    if "output_style" in event.data:
        style = event.data["output_style"]
        if style is not None and not isinstance(style, str):
            raise InvalidValue("event 'session.mode': output_style must be a string or null")
        session.runtime_config.output_style = style
    return session


def session_teams(session: Session, event: Event) -> Session:
    teams = event.need("teams", list)
    if not all(isinstance(t, str) and t for t in teams):
        raise InvalidValue("event 'session.teams': teams must be a list of names")
    current = [] if event.data.get("replace") else list(session.active_teams)
    for team in teams:
        if team not in current:
            current.append(team)
    session.active_teams = current
    definitions = event.data.get("definitions") or {}
    if not isinstance(definitions, dict):
        raise InvalidValue("event 'session.teams': definitions must map team names to teams")
    for name, definition in definitions.items():
        if not isinstance(definition, dict):
            raise InvalidValue(f"event 'session.teams': the definition of {name!r} must be an object")
        session.state.teams[name] = _merge(None, Team, {**definition, "name": name})
    return session


def session_started(session: Session, event: Event) -> Session:
    session.ended_at = None  # a resumed session is live again
    _transcript(session, event)
    return session


def session_ended(session: Session, event: Event) -> Session:
    session.ended_at = event.ts
    return session


def state_set(session: Session, event: Event) -> Session:
    from orchcore.statepath import write_path

    if "value" not in event.data:
        raise InvalidValue("event 'state.set' needs 'value'")
    path = event.need("path")
    before = copy.deepcopy(session.state.messages) if limits.touches_messages(path) else None
    new = write_path(session, path, event.data["value"])  # in place: a reducer may change what it gets
    if before is not None:
        _check_queue(before, new.state.messages, limits.message_limit(event.data))
    return new


def _check_queue(before: list[Message], after: list[Message], limit: int) -> None:
    """Messages written by path keep the queue's rules: known priorities, one id each, at most ``limit`` queued.

    A write that does not add to a queue already over a lowered limit passes.
    """
    ids = [m.id for m in after]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidValue(f"message id {', '.join(map(repr, repeated))} would be there twice")
    for message in after:
        if message.priority not in PRIORITIES:
            raise InvalidValue(f"message {message.id!r}: priority must be one of {', '.join(PRIORITIES)}")
    queued = sum(m.status == MessageStatus.QUEUED for m in after)
    if queued > limit and queued > sum(m.status == MessageStatus.QUEUED for m in before):
        raise limits.queue_full(queued, limit)


# -- agents ------------------------------------------------------------


def agent_upserted(session: Session, event: Event) -> Session:
    agent_id = event.need("id")
    agent = _merge(session.state.agents.get(agent_id), Agent, event.data)
    if agent.started_at is None:
        agent.started_at = event.ts
    session.state.agents[agent_id] = agent
    return session


def agent_status(session: Session, event: Event) -> Session:
    agent_id = event.need("id")
    agent = session.state.agents.get(agent_id)
    if agent is None:
        raise InvalidValue(f"no agent {agent_id!r} in this session")
    agent.status = event.need("status")
    if agent.status in ENDED_AGENT:
        agent.ended_at = event.ts
        agent.current_task = None
    return session


# -- tasks -------------------------------------------------------------


def task_created(session: Session, event: Event) -> Session:
    task = _create(session.state.tasks, Task, event, "task")
    task.created_at = task.updated_at = event.ts
    if task.sprint and task.sprint in session.state.sprints:
        session.state.sprints[task.sprint].tasks.append(task.id)
    return session


def task_updated(session: Session, event: Event) -> Session:
    task_id = event.need("id")
    if task_id not in session.state.tasks:
        raise InvalidValue(f"no task {task_id!r} in this session")
    task = _merge(session.state.tasks[task_id], Task, event.data)
    task.updated_at = event.ts
    if task.status == TaskStatus.DONE and task.completed_at is None:
        task.completed_at = event.ts
    session.state.tasks[task_id] = task
    return session


def task_assigned(session: Session, event: Event) -> Session:
    task_id = event.need("id")
    assignee = event.need("assignee")
    task = session.state.tasks.get(task_id)
    if task is None:
        raise InvalidValue(f"no task {task_id!r} in this session")
    task.assignee = assignee
    task.updated_at = event.ts
    if task.status == TaskStatus.PENDING:
        task.status = TaskStatus.IN_PROGRESS
    agent = session.state.agents.get(assignee)
    if agent is not None:
        agent.current_task = task_id
        agent.status = AgentStatus.BUSY
    return session


def task_completed(session: Session, event: Event) -> Session:
    task_id = event.need("id")
    task = session.state.tasks.get(task_id)
    if task is None:
        raise InvalidValue(f"no task {task_id!r} in this session")
    task.status = TaskStatus.DONE
    task.completed_at = task.updated_at = event.ts
    agent = session.state.agents.get(task.assignee or "")
    if agent is not None and agent.current_task == task_id:
        agent.current_task = None
        if agent.status == AgentStatus.BUSY:
            agent.status = AgentStatus.IDLE  # (a subagent that already finished stays "completed")
    return session


# -- sprints and epics -------------------------------------------------


def epic_created(session: Session, event: Event) -> Session:
    epic = _create(session.state.epics, Epic, event, "epic")
    epic.created_at = event.ts
    session.current_epic = epic.id
    return session


def sprint_started(session: Session, event: Event) -> Session:
    sprint = _create(session.state.sprints, Sprint, event, "sprint")
    sprint.status = SprintStatus.ACTIVE
    sprint.started_at = event.ts
    session.current_sprint = sprint.id
    if sprint.epic:
        session.current_epic = sprint.epic
    return session


def sprint_completed(session: Session, event: Event) -> Session:
    sprint_id = event.need("id")
    sprint = session.state.sprints.get(sprint_id)
    if sprint is None:
        raise InvalidValue(f"no sprint {sprint_id!r} in this session")
    sprint.status = SprintStatus.COMPLETED
    sprint.ended_at = event.ts
    if session.current_sprint == sprint_id:
        session.current_sprint = None
    return session


# -- messages ----------------------------------------------------------


def message_sent(session: Session, event: Event) -> Session:
    event.need("id")
    message = _merge(None, Message, {k: v for k, v in event.data.items() if k != "limits"})
    message.created_at = event.ts
    queue_message(session, message, limits.message_limit(event.data))
    return session


def queue_message(session: Session, message: Message, limit: int) -> None:
    """Put ``message`` in the queue by the queue's rules: a known priority, a new id, at most ``limit`` queued."""
    if message.priority not in PRIORITIES:
        raise InvalidValue(f"message priority must be one of {', '.join(PRIORITIES)}")
    if any(m.id == message.id for m in session.state.messages):
        raise InvalidValue(f"message {message.id!r} already exists")
    queued = sum(m.status == MessageStatus.QUEUED for m in session.state.messages)
    if queued >= limit:
        raise limits.queue_full(queued, limit)
    message.status = MessageStatus.QUEUED
    session.state.messages.append(message)


def message_delivered(session: Session, event: Event) -> Session:
    """Delivered messages leave the queue (the state); the log keeps them, with their ``status`` if given."""
    ids = event.need("ids", list)
    if not all(isinstance(i, str) for i in ids):
        raise InvalidValue("event 'message.delivered': ids must be message ids (strings)")
    status = event.data.get("status", MessageStatus.DELIVERED)
    if not isinstance(status, str) or not status:
        raise InvalidValue("event 'message.delivered': status must be a non-empty string")
    delivered = set(ids)
    session.state.messages = [m for m in session.state.messages if m.id not in delivered]
    return session


# -- decisions ----------------------------------------------------------


def decision_made(session: Session, event: Event) -> Session:
    """A decision joins ``state.decisions`` (``D-1``, ``D-2`` …), with who took it and when."""
    text = event.need("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue("a decision needs its text")
    log = session.state.extra.setdefault("decisions", [])
    entry = {"id": f"D-{len(log) + 1}", "text": text, "at": event.ts}
    for key in ("rationale", "task", "by"):
        value = event.data.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidValue(f"event 'decision.made': {key} must be a string")
        if value:
            entry[key] = value
    if entry.get("task") and entry["task"] not in session.state.tasks:
        raise InvalidValue(f"no task {entry['task']!r} in this session")
    log.append(entry)
    return session


# -- metrics and plugins -----------------------------------------------


def metric_recorded(session: Session, event: Event) -> Session:
    name = event.need("name")
    value = event.data.get("value", 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValue("event 'metric.recorded': value must be a number")
    op = event.data.get("op", "inc")
    if not math.isfinite(value):
        raise InvalidValue("event 'metric.recorded': value must be a finite number")
    metrics = session.state.metrics
    if op == "inc":
        current = metrics.get(name, 0)
        metrics[name] = (current if isinstance(current, (int, float)) else 0) + value
    elif op == "set":
        metrics[name] = value
    else:
        raise InvalidValue("event 'metric.recorded': op must be 'inc' or 'set'")
    if not math.isfinite(metrics[name]):
        raise InvalidValue(f"metric {name!r} would overflow")
    return session


def hook_handled(session: Session, event: Event) -> Session:
    """Counts per hook event, tool calls and failures per agent, and calls, failures and latency per handler."""
    name = event.need("event")
    metrics = session.state.metrics
    counts = metrics.setdefault("hook_events", {})
    counts[name] = counts.get(name, 0) + 1
    who = event.data.get("agent_id") or "main"
    if name in ("PreToolUse", "PostToolUseFailure") and isinstance(event.data.get("tool_name"), str):
        per_agent = metrics.setdefault("by_agent", {}).setdefault(who, {"tool_calls": 0, "failures": 0})
        per_agent["tool_calls" if name == "PreToolUse" else "failures"] += 1
    handlers = event.data.get("handlers") or {}
    if not isinstance(handlers, dict):
        raise InvalidValue("event 'hook.handled': handlers must map handler names to timings")
    stats = metrics.setdefault("handlers", {})
    for handler, run in handlers.items():
        if not isinstance(run, dict) or not isinstance(run.get("ms"), (int, float)):
            raise InvalidValue("event 'hook.handled': each handler needs its 'ms'")
        entry = stats.setdefault(handler, {"calls": 0, "failures": 0, "total_ms": 0.0, "max_ms": 0.0})
        entry["calls"] += 1
        entry["failures"] += 0 if run.get("ok", True) else 1
        entry["total_ms"] = round(entry["total_ms"] + run["ms"], 3)
        entry["max_ms"] = max(entry["max_ms"], run["ms"])
    return session


def failure_reported(session: Session, event: Event) -> Session:
    """One entry per notice: ``{"handler", "plugin"}``.

    An event recorded before notices named the plugin (no ``plugin``) adds the
    handler's name, as it did then; the router reads both.
    """
    reported = session.plugins.setdefault("router", {}).setdefault("reported", [])
    handler = event.need("handler")
    entry = {"handler": handler, "plugin": event.need("plugin")} if "plugin" in event.data else handler
    if entry not in reported:
        reported.append(entry)
    return session


def plugin_error(session: Session, event: Event) -> Session:
    plugin = event.need("plugin")
    errors = session.state.metrics.setdefault("plugin_errors", {})
    if isinstance(errors, dict):
        errors[plugin] = errors.get(plugin, 0) + 1
    return session


CORE_EVENT_TYPES = [
    EventType("session.created", session_created, "a session starts being tracked"),
    EventType("session.orchestration", session_orchestration, "orchestration turned on or off: {enabled}"),
    EventType("session.mode", session_mode, "the session's mode (program) changes: {mode, output_style?}"),
    EventType("session.teams", session_teams, "teams activated: {teams, replace?, definitions?}"),
    EventType("session.started", session_started, "Claude Code started or resumed the session: {source, transcript_path?}"),
    EventType("session.ended", session_ended, "Claude Code ended the session: {reason?}"),
    EventType("hook.handled", hook_handled, "a hook event was routed: {event, tool_name?, agent_id?, handlers, answer?}"),
    EventType("hook.failure_reported", failure_reported,
              "the user was told once that a plugin failed in a handler: {handler, plugin?}"),
    EventType("state.set", state_set, "a value written at a state path: {path, value, limits?: {messages}}"),
    EventType("agent.upserted", agent_upserted, "an agent appears or changes: {id, ...fields}"),
    EventType("agent.status", agent_status, "an agent's status changes: {id, status}"),
    EventType("task.created", task_created, "a task is created: {id, title, ...fields}"),
    EventType("task.updated", task_updated, "a task's fields change: {id, ...fields}"),
    EventType("task.assigned", task_assigned, "a task is assigned: {id, assignee}"),
    EventType("task.completed", task_completed, "a task is done: {id}"),
    EventType("epic.created", epic_created, "an epic is created and becomes current: {id, title}"),
    EventType("sprint.started", sprint_started, "a sprint starts and becomes current: {id, name, epic?, teams?}"),
    EventType("sprint.completed", sprint_completed, "a sprint ends: {id}"),
    EventType("message.sent", message_sent, "a message is queued: {id, from, to, type, priority, payload, limits?: {messages}}"),
    EventType("message.delivered", message_delivered, "messages delivered, and so out of the queue: {ids, status?}"),
    EventType("decision.made", decision_made, "a decision is recorded: {text, rationale?, task?, by?}"),
    EventType("metric.recorded", metric_recorded, "a metric changes: {name, value, op: inc|set}"),
    EventType("plugin.error", plugin_error, "a plugin failed and was skipped: {plugin, where, error}"),
]


@hookimpl
def orch_event_types():
    return CORE_EVENT_TYPES
