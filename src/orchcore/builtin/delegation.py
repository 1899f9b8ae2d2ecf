"""Built-in plugin: the agent hierarchy, from what Claude Code's hook events say.

* ``PreToolUse`` of the ``Agent`` tool: a delegation is requested by the agent
  that called it (``agent_id``, or ``main``), for a ``subagent_type``;
* ``SubagentStart``: the subagent is running; Claude Code does not say which
  call started it, so it takes the oldest requested delegation of its type
  (several calls in one turn all fire PreToolUse before any subagent starts);
* ``SubagentStop``: it finished, with its duration and last message;
* ``PostToolUse`` of the ``Agent`` tool: the caller's tool result names the
  ``agentId`` that ran the call, which confirms (or corrects) the link.

Capacity: a delegation counts from the moment it is allowed (several Agent
calls in one model turn fire their PreToolUse before any subagent starts).
The limits — agents per session (``limits.max_agents`` in the config or
``ORCH_MAX_AGENTS``, 20 by default), a team's ``max_parallel``, an agent
definition's ``capacity`` — travel with the event, and its reducer reserves
the slot or denies it inside the store's transaction, so parallel hook
processes cannot both take the last slot. A denied call is answered with a
deny naming the limit and the team's agents that still have room; Claude
Code then does not start the subagent. Pending messages for the agent (by
id, type or team) reach the subagent as context when it starts.

Events from inside a subagent carry its ``agent_id``: attribution never guesses.
The reducers are pure: matching happens in them, from the log alone.
"""

from __future__ import annotations

from orchcore.clock import parse_iso
from orchcore.config_schema import MAX_AGENTS
from orchcore.domain.vocabulary import AgentStatus, TaskStatus
from orchcore.errors import InvalidValue
from orchcore.limits import how_to_change
from orchcore.models import Agent, Delegation, Event, Session
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import EventType, HookHandler

MAIN = "main"
PROMPT_CHARS = 300
MESSAGE_CHARS = 1000


# -- handlers: hook events in, delegation events out ---------------------------


COMMIT_BUDGET_MS = 5000  # the router's store waits at most 5 s for its lock (router.HOOK_BUSY_TIMEOUT_S)


def on_agent_call(event, context):
    tool_id = event.tool_use_id
    if event.tool_name != "Agent" or not tool_id:
        return None
    tool_input = event.tool_input
    agent_type = str(tool_input.get("subagent_type") or "general-purpose")
    definition = _definition(context, agent_type)
    team = definition.team if definition is not None else None
    parent = event.agent_id or MAIN
    state = context.commit("delegation.requested", {
        "id": tool_id,
        "parent": parent,
        "agent_type": agent_type,
        "team": team,
        "description": str(tool_input.get("description") or "")[:200],
        "prompt": str(tool_input.get("prompt") or "")[:PROMPT_CHARS],
        # A recovered call already ran: it takes its slot, whatever the limits say.
        "limits": {} if event.recovered else _limits(context, team, definition),
    })
    delegation = state.state.delegations.get(_key(state, tool_id, parent))
    if delegation is None or delegation.status != "denied":
        return None
    return HookResult.deny(f"{delegation.reason}{_suggestion(context, state, delegation)}")


def _limits(context, team, definition) -> dict:
    limits = {"session": MAX_AGENTS.read(context.config)}
    if team:
        spec = context.plugins.specs("orch_teams").get(team) if context.plugins is not None else None
        active = context.session.state.teams.get(team)
        team_limit = (active.max_parallel if active is not None else None) or (spec.max_parallel if spec else None)
        if team_limit:
            limits["team"] = team_limit
    if definition is not None and definition.capacity:
        limits["agent"] = definition.capacity
    return limits


def _suggestion(context, state, delegation) -> str:
    """When an agent is at its capacity, the agents of its team that still have room (load balancing)."""
    wait = ". Wait for a running subagent to finish, then delegate again."
    team = delegation.team
    if not team or context.plugins is None or "capacity" not in (delegation.reason or ""):
        return wait  # the session or the team is full: no other agent of the team would start either
    in_flight = _in_flight(state)
    free = sorted(
        spec.name for spec in context.plugins.specs("orch_agents").values()
        if spec.team == team and spec.name != defined_name(delegation.agent_type)
        and sum(defined_name(d.agent_type) == spec.name for d in in_flight) < (spec.capacity or 1)
    )
    if not free:
        return wait
    return f". Agents of team {team} with free capacity: {', '.join(free[:3])}."


def on_agent_result(event, context):
    if event.tool_name != "Agent" or not event.tool_use_id:
        return None
    if event.hook_event_name == "PostToolUseFailure":  # the call never ran or broke: its slot is free
        context.emit("delegation.finished", {"id": event.tool_use_id, "parent": event.agent_id or MAIN,
                                             "status": "failed"})
        return None
    response = event.tool_response
    if not isinstance(response, dict):
        return None
    data = {"id": event.tool_use_id, "parent": event.agent_id or MAIN,
            "status": str(response.get("status") or "completed")}
    if isinstance(response.get("agentId"), str):
        data["agent_id"] = response["agentId"]
    context.emit("delegation.finished", data)
    return None


def on_subagent_start(event, context):
    if not event.agent_id:
        return None
    data = {"id": event.agent_id, "agent_type": event.agent_type or ""}
    definition = _definition(context, event.agent_type)
    if definition is not None:  # an agent we define: its team and role travel with the event
        data.update(team=definition.team, role=definition.role)
    context.emit("agent.started", data)
    return _deliver_messages(context, event.agent_id, event.agent_type, data.get("team"))


def _deliver_messages(context, agent_id, agent_type, team):
    """Queued messages for this agent (its id, its type or its team) become its starting context."""
    names = {agent_id, agent_type, defined_name(agent_type), team, "all"} - {None, ""}
    from orchcore.messaging import waiting as queued_for

    waiting = queued_for(context.session.state.messages, names)
    if not waiting:
        return None
    context.emit("message.delivered", {"ids": [m.id for m in waiting]})
    lines = [f"- [{m.priority}] from {m.sender or 'someone'}: {_text(m.payload)}" for m in waiting]
    return HookResult.context("Messages waiting for you (orchcore message bus):\n" + "\n".join(lines))


def _text(payload) -> str:
    if isinstance(payload, str):
        return payload
    import json

    return json.dumps(payload, ensure_ascii=False)


def _definition(context, agent_type):
    if not agent_type or context.plugins is None:
        return None
    specs = context.plugins.specs("orch_agents")
    return specs.get(agent_type) or specs.get(defined_name(agent_type))


def defined_name(agent_type):
    """The agent's own name: Claude Code calls an agent that a native plugin ships ``<plugin>:<name>``
    (orchcore's, exported with ``orch export claude-plugin``, are ``orchcore:qa-tester``)."""
    return agent_type.rpartition(":")[2] if agent_type else agent_type


def on_subagent_stop(event, context):
    if event.agent_id:
        message = event.last_assistant_message or ""
        context.emit("agent.stopped", {"id": event.agent_id, "last_message": message[:MESSAGE_CHARS]})
    return None


def on_claude_task(event, context):
    """Claude Code's own tasks (TaskCreated / TaskCompleted) mirrored into the session's tasks."""
    task_id = event.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        return None
    known = task_id in context.session.state.tasks
    if event.hook_event_name == "TaskCreated" and not known:
        data = {"id": task_id, "title": str(event.get("task_subject") or ""),
                "description": str(event.get("task_description") or ""), "source": "claude-code"}
        if isinstance(event.get("team_name"), str):
            data["team"] = event.get("team_name")
        if isinstance(event.get("teammate_name"), str):
            data["assignee"] = event.get("teammate_name")
        context.emit("task.created", data)
    elif event.hook_event_name == "TaskCompleted":
        if not known:  # completed before we saw it created (orchestration turned on late)
            context.emit("task.created", {"id": task_id, "title": str(event.get("task_subject") or ""),
                                          "source": "claude-code"})
        if not known or context.session.state.tasks[task_id].status != TaskStatus.DONE:
            context.emit("task.completed", {"id": task_id})
    return None


def on_teammate_idle(event, context):
    name = event.get("teammate_name")
    if isinstance(name, str) and name:
        data = {"id": name, "name": name, "status": AgentStatus.IDLE}
        if isinstance(event.get("team_name"), str):
            data["team"] = event.get("team_name")
        context.emit("agent.upserted", data)
    return None


@hookimpl
def orch_hook_handlers():
    return [
        HookHandler(name="claude-tasks", events=["TaskCreated", "TaskCompleted"], handler=on_claude_task),
        HookHandler(name="teammate-idle", events=["TeammateIdle"], handler=on_teammate_idle),
        # It commits (the capacity check happens in the store's transaction), so its budget covers the wait for
        # the store's lock under parallel subagents: cut off, the call would go on unaccounted.
        HookHandler(name="delegation-requested", events=["PreToolUse"], matcher="Agent", handler=on_agent_call,
                    timeout_ms=COMMIT_BUDGET_MS),
        HookHandler(name="delegation-finished", events=["PostToolUse", "PostToolUseFailure"], matcher="Agent",
                    handler=on_agent_result),
        HookHandler(name="subagent-started", events=["SubagentStart"], handler=on_subagent_start),  # + its messages
        HookHandler(name="subagent-stopped", events=["SubagentStop"], handler=on_subagent_stop),
    ]


# -- reducers -------------------------------------------------------------------


def _key(session: Session, tool_use_id: str, parent: str) -> str:
    """Delegations are the Agent calls' tool_use_ids; one reused by another caller gets its own key."""
    known = session.state.delegations.get(tool_use_id)
    return tool_use_id if known is None or known.parent == parent else f"{tool_use_id}#{parent}"


REQUEST_EXPIRY_S = 600  # a call allowed here but stopped elsewhere (another hook, the user) frees its slot


def _in_flight(session: Session, now: str | None = None) -> list[Delegation]:
    """Delegations holding a slot: running ones, and requested ones not yet expired."""
    def holds(d: Delegation) -> bool:
        if d.status == "running":
            return True
        if d.status != "requested":
            return False
        if now is None or d.requested_at is None:
            return True
        return (parse_iso(now) - parse_iso(d.requested_at)).total_seconds() < REQUEST_EXPIRY_S

    return [d for d in session.state.delegations.values() if holds(d)]


def delegation_requested(session: Session, event: Event) -> Session:
    parent_id = str(event.data.get("parent") or MAIN)
    delegation_id = _key(session, event.need("id"), parent_id)
    if delegation_id in session.state.delegations:
        return session  # the same call seen twice (a retried hook): nothing new
    parent = session.state.agents.get(parent_id)
    team = event.data.get("team") if isinstance(event.data.get("team"), str) else None
    delegation = Delegation(
        id=delegation_id,
        parent=parent_id,
        agent_type=str(event.data.get("agent_type") or ""),
        team=team,
        description=str(event.data.get("description") or ""),
        prompt=str(event.data.get("prompt") or ""),
        task=_task_of(session, event) or (parent.current_task if parent else None),
        requested_at=event.ts,
    )
    delegation.reason = _over_capacity(session, delegation, event.data.get("limits") or {})
    if delegation.reason:
        delegation.status = "denied"
    session.state.delegations[delegation_id] = delegation
    return session


def _task_of(session: Session, event: Event) -> str | None:
    """A task the call names in its description or prompt (``T-101``), when the session has it."""
    text = f"{event.data.get('description') or ''} {event.data.get('prompt') or ''}"
    for word in text.replace(",", " ").replace("(", " ").replace(")", " ").replace(":", " ").split():
        word = word.strip(".;")
        if word in session.state.tasks:
            return word
    return None


def _over_capacity(session: Session, delegation: Delegation, limits: dict) -> str | None:
    """Why this delegation may not start now, or None: decided here, in the store's transaction."""
    in_flight = _in_flight(session, delegation.requested_at)
    session_limit = limits.get("session")
    if isinstance(session_limit, int) and len(in_flight) >= session_limit:
        return (f"orchcore: the session already runs {len(in_flight)} agents, its limit "
                f"({MAX_AGENTS.name} = {session_limit}; {how_to_change(MAX_AGENTS)})")
    team_limit = limits.get("team")
    if delegation.team and isinstance(team_limit, int):
        running = sum(d.team == delegation.team for d in in_flight)
        if running >= team_limit:
            return f"orchcore: team {delegation.team} already runs {running} agents, its max_parallel ({team_limit})"
    agent_limit = limits.get("agent")
    if isinstance(agent_limit, int):
        running = sum(defined_name(d.agent_type) == defined_name(delegation.agent_type) for d in in_flight)
        if running >= agent_limit:
            return f"orchcore: {delegation.agent_type} already runs {running} times, its capacity ({agent_limit})"
    return None


def agent_started(session: Session, event: Event) -> Session:
    agent_id = event.need("id")
    agent_type = str(event.data.get("agent_type") or "")
    pending = [d for d in session.state.delegations.values() if d.status == "requested" and d.agent_id is None]
    matching = [d for d in pending if d.agent_type == agent_type] or pending
    delegation = min(matching, key=lambda d: (d.requested_at or "", d.id)) if matching else None
    agent = session.state.agents.get(agent_id) or Agent(id=agent_id)
    agent.agent_type = agent.agent_type or agent_type
    agent.name = agent.name or agent_type
    if isinstance(event.data.get("team"), str):
        agent.team = event.data["team"]
    if isinstance(event.data.get("role"), str):
        agent.role = event.data["role"]
    agent.status = AgentStatus.ACTIVE
    agent.started_at = event.ts
    if delegation is not None:
        delegation.status, delegation.agent_id, delegation.started_at = "running", agent_id, event.ts
        agent.delegation = delegation.id
        agent.parent_id = delegation.parent
        agent.current_task = agent.current_task or delegation.task
    task = session.state.tasks.get(agent.current_task or "")
    if task is not None and task.status in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS):
        task.assignee, task.status, task.updated_at = agent_id, TaskStatus.IN_PROGRESS, event.ts  # the task runs here now
    session.state.agents[agent_id] = agent
    return session


def agent_stopped(session: Session, event: Event) -> Session:
    agent_id = event.need("id")
    agent = session.state.agents.get(agent_id) or Agent(id=agent_id, status=AgentStatus.ACTIVE)
    agent.status = AgentStatus.COMPLETED
    agent.ended_at = event.ts
    agent.last_message = str(event.data.get("last_message") or "") or agent.last_message
    if agent.started_at:
        elapsed = parse_iso(event.ts) - parse_iso(agent.started_at)
        agent.duration_ms = int(elapsed.total_seconds() * 1000)
    task = session.state.tasks.get(agent.current_task or "")
    if task is not None and task.assignee == agent_id and task.status == TaskStatus.IN_PROGRESS:
        task.status, task.completed_at, task.updated_at = TaskStatus.DONE, event.ts, event.ts  # its delegation completed
    session.state.agents[agent_id] = agent
    return session


def delegation_finished(session: Session, event: Event) -> Session:
    delegation_id = _key(session, event.need("id"), str(event.data.get("parent") or MAIN))
    delegation = session.state.delegations.get(delegation_id)
    if delegation is None:
        return session  # the call was made before orchestration was on
    status = str(event.data.get("status") or "completed")
    delegation.status = "completed" if status == "completed" else status
    delegation.completed_at = event.ts
    agent_id = event.data.get("agent_id")
    if isinstance(agent_id, str) and agent_id != delegation.agent_id:
        _relink(session, delegation, agent_id)  # the guess at SubagentStart was wrong: Claude Code says so
    return session


def _relink(session: Session, delegation: Delegation, agent_id: str) -> None:
    previous = session.state.agents.get(delegation.agent_id or "")
    if previous is not None and previous.delegation == delegation.id:
        previous.delegation = previous.parent_id = None
    for other in session.state.delegations.values():
        if other.agent_id == agent_id and other is not delegation:
            other.agent_id, other.status = None, "requested" if other.completed_at is None else other.status
    delegation.agent_id = agent_id
    agent = session.state.agents.get(agent_id)
    if agent is not None:
        agent.delegation, agent.parent_id = delegation.id, delegation.parent


@hookimpl
def orch_event_types():
    return [
        EventType("delegation.requested", delegation_requested,
                  "an agent called the Agent tool: {id, parent, agent_type, description, prompt}"),
        EventType("agent.started", agent_started,
                  "a subagent started: {id, agent_type, team?, role?}; linked to its delegation"),
        EventType("agent.stopped", agent_stopped, "a subagent finished: {id, last_message}"),
        EventType("delegation.finished", delegation_finished, "the Agent tool returned: {id, status, agent_id?}"),
    ]
