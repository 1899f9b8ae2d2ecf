"""The tools ``orch mcp`` offers the model: what each does, its schema, and how a call is run.

No MCP here (the SDK is in ``mcp_server``): a tool is a ``McpTool`` spec whose
``call(arguments, context)`` reads the session and changes it only through
``context.emit``, which checks an event exactly as the CLI does (an archived
session is read-only, ``limits.admit``, the reducer's InvalidValue) and
records it with source ``mcp`` and the caller's tool-use id. ``run`` turns
every refusal into a one-line tool error; a refused call changes nothing.

Descriptions and schemas are short on purpose: Claude Code lists every
tool's name and description in the model's context (``tools_size`` measures
them; tests keep the built-ins under 2,000 tokens).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from orchcore import expiry, limits, messaging
from orchcore.domain.vocabulary import CLOSED_TASK, FLOW_ORDER, PRIORITIES, SprintStatus, TaskStatus
from orchcore.errors import OrchError
from orchcore.specs import McpTool

SOURCE = "mcp"
SERVER_NAME = "orchcore"


class McpContext:
    """What a tool's ``call`` gets: the session, ``emit`` (checked like the CLI), the plugins."""

    def __init__(self, runtime: Any, session_id: str, tool: str, tool_use_id: str | None = None):
        self.runtime = runtime
        self.session_id = session_id
        self.tool = tool
        self.tool_use_id = tool_use_id
        self.events: list[Any] = []

    @property
    def plugins(self) -> Any:
        return self.runtime.plugins

    @functools.cached_property
    def session(self) -> Any:
        """The session's state when the call began (created on first use: Claude Code named it).

        Read once per call; what a tool emits comes back from ``emit``.
        """
        return self.runtime.bus.ensure_session(self.session_id, source=SOURCE)

    @property
    def via(self) -> dict[str, Any]:
        """What the log keeps of the call, in the event's data: the tool and Claude Code's tool-use id."""
        return {"tool": self.tool, **({"tool_use_id": self.tool_use_id} if self.tool_use_id else {})}

    def emit(self, type: str, data: dict[str, Any]) -> Any:
        """Record one event as ``orch`` commands do; returns the new state. OrchError when refused."""
        expiry.require_live(self.session)  # an archived session is read-only
        data = limits.admit(self.runtime, self.session_id, type, {**data, "mcp": self.via})
        event, state = self.runtime.bus.emit(self.session_id, type, data, source=SOURCE)
        self.events.append(event)
        return state


# -- arguments ---------------------------------------------------------------


def _text(arguments: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = arguments.get(key)
    if value is None or value == "":
        if required:
            raise OrchError(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise OrchError(f"{key} must be a string")
    return value


def _task(session: Any, arguments: dict[str, Any]) -> Any:
    from orchcore.views import find_task, unknown_task

    task_id = _text(arguments, "id", required=True)
    task = find_task(session, task_id)
    if task is None:
        raise OrchError(unknown_task(session, task_id))
    return task


def _points(arguments: dict[str, Any]) -> int | None:
    points = arguments.get("points")
    if points is None:
        return None
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
        raise OrchError(f"points must be a whole number from 0 to 100, not {points!r}")
    return points


def _priority(arguments: dict[str, Any]) -> str | None:
    priority = _text(arguments, "priority")
    if priority is not None and priority not in PRIORITIES:
        raise OrchError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    return priority


def _next_id(tasks: dict[str, Any]) -> str:
    numbers = [int(key[2:]) for key in tasks if key.startswith("T-") and key[2:].isdigit()]
    return f"T-{max(numbers, default=0) + 1}"


# -- the tools ---------------------------------------------------------------


def board(arguments: dict[str, Any], context: McpContext) -> str:
    from orchcore.views import task_line

    session = context.session
    state = session.state
    lines = []
    sprint = state.sprints.get(session.current_sprint or "")
    lines.append(f"sprint: {sprint.id} \"{sprint.name}\" ({sprint.status})" if sprint else "sprint: none")
    for status in FLOW_ORDER:
        tasks = [t for t in state.tasks.values() if t.status == status]
        if tasks:
            lines.append(f"{status} ({len(tasks)}):")
            lines += [f"  {task_line(session, t, width=80)}" for t in tasks]
    if not state.tasks:
        lines.append("tasks: none")
    load: dict[str, int] = {}
    for task in state.tasks.values():
        if task.assignee and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.REVIEW):
            load[task.assignee] = load.get(task.assignee, 0) + 1
    agents = [f"{a.name or a.id} ({a.type or '-'}, {a.status}, {load.pop(a.id, 0)} open)"
              for a in state.agents.values()]
    agents += [f"{name} ({count} open)" for name, count in sorted(load.items())]
    lines.append("agents: " + ("; ".join(agents) if agents else "none"))
    queued = messaging.waiting(state.messages, {m.recipient for m in state.messages})
    lines.append(f"messages queued: {len(queued)}")
    lines += [f"  [{m.priority}] {m.sender} -> {m.recipient}: {m.payload[:80]}" for m in queued[:10]]
    return "\n".join(lines)


def task_create(arguments: dict[str, Any], context: McpContext) -> str:
    session = context.session
    title = _text(arguments, "title", required=True)
    data: dict[str, Any] = {"id": _next_id(session.state.tasks), "title": title,
                            "priority": _priority(arguments) or "normal"}
    for key in ("description", "team"):
        if _text(arguments, key):
            data[key] = arguments[key]
    if _points(arguments) is not None:
        data["points"] = arguments["points"]
    if session.current_sprint:
        data["sprint"] = session.current_sprint
    if session.current_epic:
        data["epic"] = session.current_epic
    state = context.emit("task.created", data)
    task = state.state.tasks[data["id"]]
    return f"{task.id} created: {task.title} [{task.priority}]" + (f" in sprint {task.sprint}" if task.sprint else "")


def task_update(arguments: dict[str, Any], context: McpContext) -> str:
    task = _task(context.session, arguments)
    data: dict[str, Any] = {"id": task.id}
    for key in ("title", "description", "team"):
        if _text(arguments, key) is not None:
            data[key] = arguments[key]
    if _priority(arguments):
        data["priority"] = arguments["priority"]
    if _points(arguments) is not None:
        data["points"] = arguments["points"]
    status = _text(arguments, "status")
    if status is not None:
        if status not in FLOW_ORDER:
            raise OrchError(f"status must be one of {', '.join(FLOW_ORDER)}, not {status!r}")
        data["status"] = status
    if len(data) == 1:
        raise OrchError("nothing to change: give title, description, team, priority, points or status")
    task = context.emit("task.updated", data).state.tasks[task.id]
    return f"{task.id} [{task.status}] {task.title}"


def task_assign(arguments: dict[str, Any], context: McpContext) -> str:
    task = _task(context.session, arguments)
    agent = _text(arguments, "agent", required=True)
    if task.status in CLOSED_TASK:
        raise OrchError(f"task {task.id} is {task.status}: it cannot be assigned")
    task = context.emit("task.assigned", {"id": task.id, "assignee": agent}).state.tasks[task.id]
    return f"{task.id} assigned to {agent} ({task.status})"


def task_close(arguments: dict[str, Any], context: McpContext) -> str:
    task = _task(context.session, arguments)
    status = _text(arguments, "status") or TaskStatus.DONE
    if status not in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise OrchError(f"status must be done or cancelled, not {status!r}")
    if task.status == status:
        raise OrchError(f"task {task.id} is already {status}")
    if status == TaskStatus.DONE:
        context.emit("task.completed", {"id": task.id})
    else:
        context.emit("task.updated", {"id": task.id, "status": status})
    return f"{task.id} {status}"


def sprint_start(arguments: dict[str, Any], context: McpContext) -> str:
    session = context.session
    running = session.state.sprints.get(session.current_sprint or "")
    if running is not None and running.status == SprintStatus.ACTIVE:
        raise OrchError(f"sprint {running.id} ({running.name}) is still active; end it first (sprint_end)")
    days = arguments.get("days", 14)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise OrchError(f"days must be a whole number from 1 to 365, not {days!r}")
    number = len(session.state.sprints) + 1
    name = _text(arguments, "name") or f"Sprint {number}"
    sprint_id = f"sprint-{number}"
    while sprint_id in session.state.sprints:
        number += 1
        sprint_id = f"sprint-{number}"
    data: dict[str, Any] = {"id": sprint_id, "name": name, "duration_days": days}
    if _text(arguments, "goal"):
        data["goal"] = arguments["goal"]
    if session.current_epic:
        data["epic"] = session.current_epic
    context.emit("sprint.started", data)
    return f"sprint {sprint_id} \"{name}\" started ({days} days)"


def sprint_end(arguments: dict[str, Any], context: McpContext) -> str:
    session = context.session
    sprint_id = _text(arguments, "id") or session.current_sprint
    sprint = session.state.sprints.get(sprint_id or "")
    if sprint is None:
        raise OrchError("no current sprint to end" if not sprint_id else f"no sprint {sprint_id!r} in this session")
    if sprint.status == SprintStatus.COMPLETED:
        raise OrchError(f"sprint {sprint.id} is already completed")
    context.emit("sprint.completed", {"id": sprint.id})
    return f"sprint {sprint.id} completed"


def blocker(arguments: dict[str, Any], context: McpContext) -> str:
    session = context.session
    task = _task(session, arguments)
    reason = _text(arguments, "reason", required=True)
    by = arguments.get("blocked_by") or []
    if not isinstance(by, list) or not all(isinstance(b, str) for b in by):
        raise OrchError("blocked_by must be a list of task ids")
    missing = [b for b in by if b not in session.state.tasks]
    if missing:
        raise OrchError(f"no task {', '.join(missing)} in this session to block it")
    data = {"id": task.id, "status": TaskStatus.BLOCKED, "blocker": reason,
            "blockers": sorted(set(task.blockers) | set(by))}
    context.emit("task.updated", data)
    return f"{task.id} blocked: {reason}"


def msg_send(arguments: dict[str, Any], context: McpContext) -> str:
    context.session  # noqa: B018 - creates the session when Claude Code's is new
    data, event = messaging.send(
        context.runtime, context.session_id, _text(arguments, "from") or "main", _text(arguments, "to", True),
        _text(arguments, "text", True) or "", _text(arguments, "priority") or "normal",
        _text(arguments, "type") or "note", source=SOURCE, mcp=context.via)
    context.events.append(event)
    return f"{data['id']} queued for {data['to']} ({data['priority']})"


def msg_receive(arguments: dict[str, Any], context: McpContext) -> str:
    name = _text(arguments, "as") or "main"
    team = _text(arguments, "team")
    limit = arguments.get("limit", 10)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
        raise OrchError(f"limit must be a whole number from 1 to 100, not {limit!r}")
    expiry.require_live(context.session)
    rows = messaging.take(context.runtime, context.session_id, {name, "all"} | ({team} if team else set()),
                          limit=limit, source=SOURCE, mcp=context.via)
    if not rows:
        return f"no messages for {name}"
    return "\n".join(f"{r['id']} [{r['priority']}] {r['from']} -> {r['to']}: {r['payload']}" for r in rows)


def decision(arguments: dict[str, Any], context: McpContext) -> str:
    data = {"text": _text(arguments, "text", required=True), "by": _text(arguments, "by") or "main"}
    for key in ("rationale", "task"):
        if _text(arguments, key):
            data[key] = arguments[key]
    state = context.emit("decision.made", data)
    made = state.state.extra["decisions"][-1]
    return f"{made['id']} recorded: {made['text']}"


def checkpoint(arguments: dict[str, Any], context: McpContext) -> str:
    from orchcore import checkpoints

    expiry.require_live(context.session)
    made, _ = checkpoints.create(context.runtime, context.session_id, _text(arguments, "name"),
                                 _text(arguments, "note") or "", source=SOURCE)
    return f"checkpoint {made.name} after event {made.seq} (orch rollback --to {made.name})"


# -- schemas -----------------------------------------------------------------


def _schema(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_S = {"type": "string"}
_PRIORITY = {"enum": list(PRIORITIES)}
_POINTS = {"type": "integer"}

BUILTIN_TOOLS = (
    McpTool("board", "The session's board: sprint, tasks by status, agents and their load, queued messages.",
            _schema(), board),
    McpTool("task_create", "Create a task (in the current sprint); returns its id.",
            _schema(("title",), title=_S, description=_S, priority=_PRIORITY, team=_S, points=_POINTS),
            task_create),
    McpTool("task_update", "Change a task's fields or status.",
            _schema(("id",), id=_S, title=_S, description=_S, priority=_PRIORITY, team=_S, points=_POINTS,
                    status={"enum": list(FLOW_ORDER)}), task_update),
    McpTool("task_assign", "Assign a task to an agent (name, type or id); it moves to in_progress.",
            _schema(("id", "agent"), id=_S, agent=_S), task_assign),
    McpTool("task_close", "Close a task: done (default) or cancelled.",
            _schema(("id",), id=_S, status={"enum": ["done", "cancelled"]}), task_close),
    McpTool("sprint_start", "Start a sprint; it becomes current (end the active one first).",
            _schema((), name=_S, days={"type": "integer"}, goal=_S), sprint_start),
    McpTool("sprint_end", "Complete the current sprint (or the one named).", _schema((), id=_S), sprint_end),
    McpTool("blocker", "Mark a task blocked: why, and by which tasks.",
            _schema(("id", "reason"), id=_S, reason=_S, blocked_by={"type": "array", "items": _S}), blocker),
    McpTool("msg_send", "Queue a message for an agent (id, name or type), a team, or all; "
            "an agent type gets it when next delegated.",
            _schema(("to", "text"), to=_S, text=_S, priority=_PRIORITY, type=_S, **{"from": _S}), msg_send),
    McpTool("msg_receive", "Take the messages waiting for an agent (default main), its team and all.",
            _schema((), team=_S, limit={"type": "integer"}, **{"as": _S}), msg_receive),
    McpTool("decision", "Record a decision, with its rationale and task.",
            _schema(("text",), text=_S, rationale=_S, task=_S, by=_S), decision),
    McpTool("checkpoint", "Mark the state under a name to roll back to.", _schema((), name=_S, note=_S),
            checkpoint),
)
BUILTIN_NAMES = tuple(tool.name for tool in BUILTIN_TOOLS)


def tools(plugins: Any) -> dict[str, McpTool]:
    """Every tool offered: the built-ins, then the plugins' (a plugin's tool named like a built-in is skipped)."""
    offered = {tool.name: tool for tool in BUILTIN_TOOLS}
    for name, provided in plugins.collect("orch_mcp_tools").items():
        if name in offered:
            plugins.record_failure(provided.plugin, f"orch_mcp_tools: {name!r} is a built-in tool of orchcore")
            continue
        offered[name] = provided.spec
    return offered


def listing(offered: dict[str, McpTool]) -> list[dict[str, Any]]:
    """The tool list as ``tools/list`` answers it (name, description, inputSchema)."""
    return [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in offered.values()]


def tools_size(offered: dict[str, McpTool]) -> dict[str, int]:
    """The list's size in the model's context: characters of its JSON, and tokens as characters / 4."""
    chars = len(json.dumps(listing(offered), ensure_ascii=False, separators=(",", ":")))
    return {"tools": len(offered), "chars": chars, "tokens": (chars + 3) // 4}


def run(runtime: Any, session_id: str | None, offered: dict[str, McpTool], name: str, arguments: Any,
        tool_use_id: str | None = None) -> tuple[str, bool]:
    """Call one tool: (text, is_error). Every refusal is one line, and a refused call changed nothing."""
    tool = offered.get(name)
    if tool is None:
        return f"unknown tool {name!r} (tools: {', '.join(offered)})", True
    if not session_id:
        return "no session: orch mcp runs inside Claude Code (CLAUDE_CODE_SESSION_ID) or with --session", True
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return "the arguments must be an object", True
    context = McpContext(runtime, session_id, name, tool_use_id)
    try:
        answer = tool.call(arguments, context)
    except OrchError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__, True
    except Exception as exc:  # a plugin's tool that crashed: an error for the model, never a dead server
        return f"{name} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", True
    if answer is None:
        return "ok", False
    return (answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False, default=str)), False


def state_resource(runtime: Any, session_id: str) -> str:
    """The session's state as JSON, for the ``orchcore://session/state`` resource."""
    from orchcore.models import unstructure

    return json.dumps(unstructure(runtime.store.get(session_id)), ensure_ascii=False, default=str)
