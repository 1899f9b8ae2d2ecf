"""Built-in plugin: the agent hierarchy, from what Claude Code's hook events say.

* ``PreToolUse`` of the ``Agent`` tool: a delegation is requested by the agent
  that called it (``agent_id``, or ``main``), for a ``subagent_type``;
* ``SubagentStart``: the subagent is running; Claude Code does not say which
  call started it, so it takes the oldest requested delegation of its type
  (several calls in one turn all fire PreToolUse before any subagent starts);
* ``SubagentStop``: it finished, with its duration and last message;
* ``PostToolUse`` of the ``Agent`` tool: the caller's tool result names the
  ``agentId`` that ran the call, which confirms (or corrects) the link.

Events from inside a subagent carry its ``agent_id``: attribution never guesses.
The reducers are pure: matching happens in them, from the log alone.
"""

from __future__ import annotations

from orchcore.clock import parse_iso
from orchcore.errors import InvalidValue
from orchcore.models import Agent, Delegation, Event, Session
from orchcore.plugins import hookimpl
from orchcore.specs import EventType, HookHandler

MAIN = "main"
PROMPT_CHARS = 300
MESSAGE_CHARS = 1000


# -- handlers: hook events in, delegation events out ---------------------------


def on_agent_call(event, context):
    tool_id = event.tool_use_id
    if event.tool_name != "Agent" or not tool_id:
        return None
    tool_input = event.tool_input
    context.emit("delegation.requested", {
        "id": tool_id,
        "parent": event.agent_id or MAIN,
        "agent_type": str(tool_input.get("subagent_type") or "general-purpose"),
        "description": str(tool_input.get("description") or "")[:200],
        "prompt": str(tool_input.get("prompt") or "")[:PROMPT_CHARS],
    })
    return None


def on_agent_result(event, context):
    response = event.tool_response
    if event.tool_name != "Agent" or not event.tool_use_id or not isinstance(response, dict):
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
    return None


def _definition(context, agent_type):
    if not agent_type or context.plugins is None:
        return None
    return context.plugins.specs("orch_agents").get(agent_type)


def on_subagent_stop(event, context):
    if event.agent_id:
        message = event.last_assistant_message or ""
        context.emit("agent.stopped", {"id": event.agent_id, "last_message": message[:MESSAGE_CHARS]})
    return None


@hookimpl
def orch_hook_handlers():
    return [
        HookHandler(name="delegation-requested", events=["PreToolUse"], matcher="Agent", handler=on_agent_call),
        HookHandler(name="delegation-finished", events=["PostToolUse"], matcher="Agent", handler=on_agent_result),
        HookHandler(name="subagent-started", events=["SubagentStart"], handler=on_subagent_start),
        HookHandler(name="subagent-stopped", events=["SubagentStop"], handler=on_subagent_stop),
    ]


# -- reducers -------------------------------------------------------------------


def _need(event: Event, key: str) -> str:
    value = event.data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidValue(f"event {event.type!r} needs {key!r}")
    return value


def _key(session: Session, tool_use_id: str, parent: str) -> str:
    """Delegations are the Agent calls' tool_use_ids; one reused by another caller gets its own key."""
    known = session.state.delegations.get(tool_use_id)
    return tool_use_id if known is None or known.parent == parent else f"{tool_use_id}#{parent}"


def delegation_requested(session: Session, event: Event) -> Session:
    parent_id = str(event.data.get("parent") or MAIN)
    delegation_id = _key(session, _need(event, "id"), parent_id)
    if delegation_id in session.state.delegations:
        return session  # the same call seen twice (a retried hook): nothing new
    parent = session.state.agents.get(parent_id)
    session.state.delegations[delegation_id] = Delegation(
        id=delegation_id,
        parent=parent_id,
        agent_type=str(event.data.get("agent_type") or ""),
        description=str(event.data.get("description") or ""),
        prompt=str(event.data.get("prompt") or ""),
        task=parent.current_task if parent else None,
        requested_at=event.ts,
    )
    return session


def agent_started(session: Session, event: Event) -> Session:
    agent_id = _need(event, "id")
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
    agent.status = "active"
    agent.started_at = event.ts
    if delegation is not None:
        delegation.status, delegation.agent_id, delegation.started_at = "running", agent_id, event.ts
        agent.delegation = delegation.id
        agent.parent_id = delegation.parent
        agent.current_task = agent.current_task or delegation.task
    session.state.agents[agent_id] = agent
    return session


def agent_stopped(session: Session, event: Event) -> Session:
    agent_id = _need(event, "id")
    agent = session.state.agents.get(agent_id) or Agent(id=agent_id, status="active")
    agent.status = "completed"
    agent.ended_at = event.ts
    agent.last_message = str(event.data.get("last_message") or "") or agent.last_message
    if agent.started_at:
        elapsed = parse_iso(event.ts) - parse_iso(agent.started_at)
        agent.duration_ms = int(elapsed.total_seconds() * 1000)
    session.state.agents[agent_id] = agent
    return session


def delegation_finished(session: Session, event: Event) -> Session:
    delegation_id = _key(session, _need(event, "id"), str(event.data.get("parent") or MAIN))
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
