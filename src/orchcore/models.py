"""The session state and its parts, as attrs models, with the one cattrs converter.

Claude Code and older tools write fields we do not know yet. Every model keeps
such keys in ``extra`` and writes them back unchanged, so a round trip through
orchcore never drops data: ``unstructure(structure(d)) == d`` for any dict
whose known fields are all present with the right types (a missing field comes
back with its default).
"""

from __future__ import annotations

import copy
import re
from typing import Any, TypeVar, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from orchcore.errors import InvalidValue

T = TypeVar("T")


def _extra() -> Any:
    """The field that keeps unknown keys; merged flat into the JSON object."""
    return attrs.field(factory=dict, metadata={"orch_extra": True})


def _not_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, str) and not value.strip():
        raise InvalidValue(f"{attribute.name} must not be empty")


@attrs.define
class Agent:
    """An agent of the session: a Claude Code subagent or a defined team member."""

    id: str
    name: str = ""
    agent_type: str = ""
    team: str | None = None
    role: str = "worker"  # director | specialist | worker
    status: str = "idle"  # orchcore.domain.vocabulary.AgentStatus
    parent_id: str | None = None
    current_task: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    delegation: str | None = None  # the Agent tool call that started it (its tool_use_id)
    duration_ms: int | None = None
    last_message: str | None = None
    extra: dict[str, Any] = _extra()


@attrs.define
class Task:
    id: str
    title: str = ""
    description: str = ""
    status: str = "pending"  # orchcore.domain.vocabulary.TaskStatus
    priority: str = "normal"  # orchcore.domain.vocabulary.Priority
    assignee: str | None = None
    team: str | None = None
    epic: str | None = None
    sprint: str | None = None
    points: int | None = None
    blockers: list[str] = attrs.field(factory=list)
    created_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None
    extra: dict[str, Any] = _extra()


@attrs.define
class Sprint:
    id: str
    name: str = ""
    epic: str | None = None
    teams: list[str] = attrs.field(factory=list)
    status: str = "planned"  # orchcore.domain.vocabulary.SprintStatus
    goal: str = ""
    duration_days: int | None = None
    started_at: str | None = None
    ended_at: str | None = None
    tasks: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()


@attrs.define
class Epic:
    id: str
    title: str = ""
    description: str = ""
    status: str = "open"  # open | in_progress | done
    created_at: str | None = None
    extra: dict[str, Any] = _extra()


@attrs.define
class Team:
    """A team as it is active in one session (definitions come from plugins)."""

    name: str
    description: str = ""
    lead: str | None = None
    members: list[str] = attrs.field(factory=list)
    max_parallel: int | None = None
    skills: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()


@attrs.define
class Message:
    """A message between agents or teams; ``from``/``to`` on the wire, as in V1."""

    id: str
    sender: str = ""
    recipient: str = ""
    type: str = "note"
    priority: str = "normal"  # orchcore.domain.vocabulary.Priority
    payload: Any = None
    created_at: str | None = None
    status: str = "queued"  # orchcore.domain.vocabulary.MessageStatus
    extra: dict[str, Any] = _extra()


@attrs.define
class Delegation:
    """One call of Claude Code's ``Agent`` tool: who asked for which agent, and what came of it.

    Keyed by the call's ``tool_use_id``; ``parent`` is the asking agent's id
    (``main`` for the main agent); ``agent_id`` is the subagent that ran it.
    """

    id: str
    parent: str = "main"
    agent_type: str = ""
    team: str | None = None
    description: str = ""
    prompt: str = ""
    status: str = "requested"  # requested | running | completed | failed | denied
    reason: str | None = None  # why it was denied
    agent_id: str | None = None
    task: str | None = None
    requested_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    extra: dict[str, Any] = _extra()


@attrs.define
class SessionState:
    agents: dict[str, Agent] = attrs.field(factory=dict)
    tasks: dict[str, Task] = attrs.field(factory=dict)
    messages: list[Message] = attrs.field(factory=list)
    metrics: dict[str, Any] = attrs.field(factory=dict)
    teams: dict[str, Team] = attrs.field(factory=dict)
    sprints: dict[str, Sprint] = attrs.field(factory=dict)
    epics: dict[str, Epic] = attrs.field(factory=dict)
    delegations: dict[str, Delegation] = attrs.field(factory=dict)
    extra: dict[str, Any] = _extra()


@attrs.define
class StatusLineConfig:
    segments: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()


@attrs.define
class RuntimeConfig:
    output_style: str | None = None
    status_line: StatusLineConfig = attrs.field(factory=StatusLineConfig)
    extra: dict[str, Any] = _extra()


@attrs.define
class Session:
    """The state of one Claude Code session, keyed by its ``session_id``."""

    session_id: str
    created_at: str = ""
    updated_at: str = ""
    ended_at: str | None = None
    archived_at: str | None = None  # set while the session is archived for inactivity; its next event revives it
    transcript_path: str | None = None  # Claude Code's own record of the session: what recovery reads
    orchestration_enabled: bool = False
    mode: str = attrs.field(default="default", validator=_not_empty)
    active_teams: list[str] = attrs.field(factory=list)
    current_epic: str | None = None
    current_sprint: str | None = None
    state: SessionState = attrs.field(factory=SessionState)
    runtime_config: RuntimeConfig = attrs.field(factory=RuntimeConfig)
    plugins: dict[str, dict[str, Any]] = attrs.field(factory=dict)  # per-plugin namespaces
    extra: dict[str, Any] = _extra()


@attrs.frozen
class Event:
    """One entry of a session's append-only log."""

    seq: int
    session_id: str
    ts: str
    type: str
    source: str
    data: dict[str, Any] = attrs.field(factory=dict)

    def need(self, key: str, kind: type = str) -> Any:
        """``data[key]`` when it is a ``kind`` (a non-empty one for text); else the event is refused.

        Reducers use it for the fields an event cannot do without, so a bad
        event is rejected with one line naming the field, before it is stored.
        ``True`` is not an ``int`` here, as it is in Python.
        """
        value = self.data.get(key)
        wrong_kind = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
        if wrong_kind or (kind is str and not value):
            raise InvalidValue(f"event {self.type!r} needs {key!r} ({kind.__name__})")
        return value


MODELS_WITH_EXTRA = (
    Agent, Task, Sprint, Epic, Team, Message, Delegation, SessionState, StatusLineConfig, RuntimeConfig, Session,
)
_RENAMES: dict[type, dict[str, str]] = {Message: {"sender": "from", "recipient": "to"}}


def _strict(kind: type, check: Any) -> Any:
    name = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}[kind]

    def structure(value: Any, _: type) -> Any:
        if not check(value):
            raise InvalidValue(f"expected {name}, got {value!r}")
        return float(value) if kind is float else value

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True)
    # cattrs would coerce "maybe" to True and "3" to 3: state must not be guessed.
    conv.register_structure_hook(str, _strict(str, lambda v: isinstance(v, str)))
    conv.register_structure_hook(bool, _strict(bool, lambda v: isinstance(v, bool)))
    conv.register_structure_hook(
        int, _strict(int, lambda v: isinstance(v, int) and not isinstance(v, bool))
    )
    conv.register_structure_hook(
        float, _strict(float, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    )
    conv.register_structure_hook_factory(lambda t: get_origin(t) is list, _only(list, list_structure_factory, conv))
    conv.register_structure_hook_factory(lambda t: get_origin(t) is dict, _only(dict, mapping_structure_factory, conv))
    structure_factory, unstructure_factory = _keeping_extra(conv)
    conv.register_structure_hook_factory(lambda cls: cls in MODELS_WITH_EXTRA, structure_factory)
    conv.register_unstructure_hook_factory(lambda cls: cls in MODELS_WITH_EXTRA, unstructure_factory)
    return conv


def _only(kind: type, factory: Any, conv: cattrs.Converter) -> Any:
    """cattrs builds a list from any iterable ("qa" -> ["q", "a"]); state must be the real thing."""
    name = {list: "a list", dict: "an object"}[kind]

    def make(type_: Any) -> Any:
        inner = factory(type_, conv)

        def structure(value: Any, t: Any) -> Any:
            if not isinstance(value, kind):
                raise InvalidValue(f"expected {name}, got {value!r}")
            return inner(value, t)

        return structure

    return make


def _keeping_extra(conv: cattrs.Converter) -> tuple[Any, Any]:
    """Hook factories for models with ``extra``; cattrs builds each class's code on first use."""

    def parts(cls: type) -> tuple[dict[str, Any], set[str]]:
        renames = _RENAMES.get(cls, {})
        overrides = {f.name: override(omit=True) for f in attrs.fields(cls) if f.metadata.get("orch_extra")}
        overrides.update({name: override(rename=key) for name, key in renames.items()})
        known = {renames.get(f.name, f.name) for f in attrs.fields(cls) if not f.metadata.get("orch_extra")}
        return overrides, known

    def structure_factory(cls: type) -> Any:
        overrides, known = parts(cls)
        base = make_dict_structure_fn(cls, conv, **overrides)

        def structure(value: Any, _: type) -> Any:
            if not isinstance(value, dict):
                raise InvalidValue(f"expected an object for {cls.__name__}, got {type(value).__name__}")
            obj = base(value, cls)
            obj.extra = {k: copy.deepcopy(v) for k, v in value.items() if k not in known}
            return obj

        return structure

    def unstructure_factory(cls: type) -> Any:
        overrides, _ = parts(cls)
        base = make_dict_unstructure_fn(cls, conv, **overrides)

        def unstructure(obj: Any) -> dict[str, Any]:
            out = base(obj)
            for key, val in obj.extra.items():
                out.setdefault(key, copy.deepcopy(val))
            return out

        return unstructure

    return structure_factory, unstructure_factory


converter = _make_converter()


def structure(data: Any, cls: type[T]) -> T:
    """Build a model from plain data; a wrong type raises InvalidValue naming where."""
    try:
        return converter.structure(data, cls)
    except InvalidValue:
        raise
    except Exception as exc:  # cattrs raises (nested) exception groups
        raise InvalidValue(_describe(exc, cls)) from None


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


def _describe(exc: Exception, cls: type) -> str:
    from cattrs.v import format_exception

    def fmt(err: BaseException, type_: Any) -> str:
        return str(err) if isinstance(err, InvalidValue) else format_exception(err, type_)

    try:
        messages = cattrs.transform_error(exc, path=cls.__name__, format_exception=fmt)
    except Exception:
        messages = [str(exc)]
    return "; ".join(_wire_names(m) for m in messages[:3])


def _wire_names(message: str) -> str:
    """Error paths name the JSON keys users write (``from``), not Python's (``sender``)."""
    for renames in _RENAMES.values():
        for attribute, key in renames.items():
            message = re.sub(rf"\.{attribute}\b", f".{key}", message)
    return message
