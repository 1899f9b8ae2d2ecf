"""Claude Code's hook protocol: typed inputs that keep every field, results, and answers.

Inputs are parsed leniently: the fields orchcore reads are typed properties of
``HookEvent``, and the whole payload stays in ``raw``, so an event or field we
do not know passes through untouched. ``EVENTS`` lists the 33 events of
Claude Code 2.1.328 and the one 2.1.332 added (``PreSkillShellCommand``), with
the field their matcher applies to, what their answer can do
(``../shared/claude-code/REFERENCE.md`` §2 and §4) and, for a newer event, the
first version that knows it.

Handlers return ``HookResult``s; ``merge`` combines them with fixed rules and
``answer`` renders the merged result as the JSON Claude Code reads:

* permission: deny > ask > defer > allow (the strictest wins; its reasons are kept);
* block: any handler that blocks wins; the reasons are joined;
* additional context: concatenated in plugin order, each part headed by the
  handler that wrote it;
* ``updatedInput``: one handler may rewrite a tool's input; when several
  rewrite it differently, the first (in plugin order) is used and the
  conflict is reported, never raised;
* ``systemMessage`` parts are joined; any ``stop`` stops; any
  ``suppress_output`` suppresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

# What an answer can carry, per event.
PERMISSION = "permission"  # hookSpecificOutput.permissionDecision (+ reason)
PERMISSION_REQUEST = "permission_request"  # hookSpecificOutput.decision {behavior}
UPDATED_INPUT = "updated_input"
CONTEXT = "context"  # hookSpecificOutput.additionalContext
BLOCK = "block"  # top-level decision: block + reason
BLOCK_BY_EXIT = "block_by_exit"  # only exit code 2 (+ stderr) blocks


@attrs.frozen
class EventInfo:
    name: str
    matcher_field: str | None = None
    answers: frozenset[str] = frozenset()
    since: str | None = None  # the first Claude Code that knows it; None: 2.1.328 already did


def _event(name: str, matcher: str | None = None, *answers: str, since: str | None = None) -> EventInfo:
    return EventInfo(name, matcher, frozenset(answers), since)


EVENTS: dict[str, EventInfo] = {
    e.name: e
    for e in (
        _event("PreToolUse", "tool_name", PERMISSION, UPDATED_INPUT, CONTEXT),
        _event("PermissionRequest", "tool_name", PERMISSION_REQUEST),
        _event("PostToolUse", "tool_name", BLOCK, CONTEXT),
        _event("PostToolUseFailure", "tool_name", CONTEXT),
        _event("PostToolBatch", None, CONTEXT),
        _event("PermissionDenied", "tool_name"),
        _event("Notification", "notification_type", CONTEXT),
        _event("UserPromptSubmit", None, BLOCK, CONTEXT),
        _event("UserPromptExpansion", "command_name", BLOCK, CONTEXT),
        _event("SessionStart", "source", CONTEXT),
        _event("SessionEnd", "reason"),
        _event("Stop", None, BLOCK, CONTEXT),
        _event("StopFailure", "error"),
        _event("SubagentStart", "agent_type", CONTEXT),
        _event("SubagentStop", "agent_type", BLOCK, CONTEXT),
        _event("PreCompact", "trigger", BLOCK_BY_EXIT),
        _event("PostCompact", "trigger"),
        _event("PreModelSwitch", "to_model", PERMISSION),
        _event("PostModelSwitch", "to_model", CONTEXT),
        _event("Setup", "trigger", CONTEXT),
        _event("TeammateIdle", None, BLOCK_BY_EXIT),
        _event("TaskCreated", None, BLOCK_BY_EXIT),
        _event("TaskCompleted", None, BLOCK_BY_EXIT),
        _event("Elicitation", "mcp_server_name"),
        _event("ElicitationResult", "mcp_server_name"),
        _event("ConfigChange", "source", BLOCK_BY_EXIT),
        _event("WorktreeCreate"),
        _event("WorktreeRemove"),
        _event("InstructionsLoaded", "load_reason"),
        _event("CwdChanged"),
        _event("FileChanged", "file_path"),
        _event("DirectoryAdded", "source"),
        _event("MessageDisplay"),
        # Before a skill's inline `!` command runs (2.1.332): a permission answer as on PreToolUse, but
        # updatedInput is never applied (any value stops the command) and there is no additionalContext.
        _event("PreSkillShellCommand", "tool_name", PERMISSION, since="2.1.332"),
    )
}

# Claude Code runs only command hooks for these; an http hook is skipped with a debug-log line (PROTOCOL.md).
NO_HTTP_HOOK_EVENTS = frozenset({"SessionStart", "Setup"})

MAX_CONTEXT_CHARS = 9500  # Claude Code moves anything over 10,000 characters to a file


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@attrs.frozen
class HookEvent:
    """One hook payload from Claude Code; unknown fields stay in ``raw``.

    ``recovered``: the event never reached orchcore live (the resident runtime
    was down) and was rebuilt from Claude Code's transcript afterwards
    (``orchcore.recovery``); ``occurred_at`` is when the transcript says it
    happened. It already happened: handlers may record it, but their answer
    reaches nobody, so a handler that decides (deny, block) should only take
    note.
    """

    hook_event_name: str
    session_id: str
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)
    recovered: bool = False
    occurred_at: str | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any], recovered: bool = False, occurred_at: str | None = None) -> HookEvent:
        return cls(
            hook_event_name=str(payload.get("hook_event_name") or ""),
            session_id=str(payload.get("session_id") or ""),
            raw=payload,
            recovered=recovered,
            occurred_at=occurred_at,
        )

    @property
    def key(self) -> str | None:
        """What makes this event unique in its session, for the events recovery can rebuild (else None)."""
        return event_key(self.raw)

    @property
    def info(self) -> EventInfo:
        return EVENTS.get(self.hook_event_name) or EventInfo(self.hook_event_name)

    @property
    def known(self) -> bool:
        return self.hook_event_name in EVENTS

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def cwd(self) -> str | None:
        return _str_or_none(self.raw.get("cwd"))

    @property
    def transcript_path(self) -> str | None:
        return _str_or_none(self.raw.get("transcript_path"))

    @property
    def agent_id(self) -> str | None:
        """Set only for events fired inside a subagent: the way to attribute parallel work."""
        return _str_or_none(self.raw.get("agent_id"))

    @property
    def agent_type(self) -> str | None:
        return _str_or_none(self.raw.get("agent_type"))

    @property
    def tool_name(self) -> str | None:
        return _str_or_none(self.raw.get("tool_name"))

    @property
    def tool_input(self) -> dict[str, Any]:
        value = self.raw.get("tool_input")
        return value if isinstance(value, dict) else {}

    @property
    def tool_use_id(self) -> str | None:
        return _str_or_none(self.raw.get("tool_use_id"))

    @property
    def tool_response(self) -> Any:
        return self.raw.get("tool_response")

    @property
    def prompt(self) -> str | None:
        return _str_or_none(self.raw.get("prompt"))

    @property
    def source(self) -> str | None:
        return _str_or_none(self.raw.get("source"))

    @property
    def reason(self) -> str | None:
        return _str_or_none(self.raw.get("reason"))

    @property
    def stop_hook_active(self) -> bool:
        return self.raw.get("stop_hook_active") is True

    @property
    def last_assistant_message(self) -> str | None:
        return _str_or_none(self.raw.get("last_assistant_message"))

    @property
    def matcher_value(self) -> str | None:
        """The value Claude Code's matchers compare against for this event (tool name, source …)."""
        field = self.info.matcher_field
        return _str_or_none(self.raw.get(field)) if field else None


# Events keyed by the agent and ``tool_use_id`` (a skill's shell command has its own id, in no transcript).
TOOL_KEYED_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "PreSkillShellCommand")
KEYED_EVENTS = (*TOOL_KEYED_EVENTS, "UserPromptSubmit", "Stop", "SubagentStart", "SubagentStop")


def event_key(payload: dict[str, Any]) -> str | None:
    """The identity of a hook event within its session, the same whether it came live or from the transcript.

    Tool events and a skill's shell command by the agent that made the call
    and ``tool_use_id``; a batch by its first call; a prompt by ``prompt_id``;
    a stop by its prompt and the last message (a blocked Stop fires again with
    another one); a subagent by ``agent_id``.
    """
    name = payload.get("hook_event_name")
    if name not in KEYED_EVENTS:
        return None
    if name == "PostToolBatch":
        calls = payload.get("tool_calls")
        first = calls[0] if isinstance(calls, list) and calls and isinstance(calls[0], dict) else {}
        anchor = _str_or_none(first.get("tool_use_id"))
    elif name in ("UserPromptSubmit", "Stop"):
        anchor = _str_or_none(payload.get("prompt_id"))
    elif name in ("SubagentStart", "SubagentStop"):
        anchor = _str_or_none(payload.get("agent_id"))
    else:
        anchor = _str_or_none(payload.get("tool_use_id"))
    if anchor is None:
        return None
    if name in TOOL_KEYED_EVENTS:
        anchor = f"{_str_or_none(payload.get('agent_id')) or 'main'}:{anchor}"
    if name in ("Stop", "SubagentStop"):
        anchor += ":" + text_digest(_str_or_none(payload.get("last_assistant_message")) or "")
    return f"{name}:{anchor}"


def joined_prompt_key(payload: dict[str, Any], prompt_id: str | None = None) -> str | None:
    """The identity of a prompt typed while a turn was ending, which shares that turn's ``prompt_id``.

    Claude Code 2.1.332 shows the answer before the turn's Stop hooks ran; a
    prompt typed then is submitted with the ending turn's ``prompt_id`` (its
    transcript line and its Stop get an id of their own), so the prompt id
    alone would call it the turn's first prompt again. Keyed by that turn's id
    and the prompt's text instead; the transcript's side passes the id of the
    prompt before it.
    """
    anchor = prompt_id or _str_or_none(payload.get("prompt_id"))
    prompt = _str_or_none(payload.get("prompt"))
    if anchor is None or prompt is None:
        return None
    return f"UserPromptSubmit:{anchor}:{text_digest(prompt)}"


def text_digest(text: str) -> str:
    """A short stable digest of a text (a key part, not a secret)."""
    import hashlib

    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


_NAME_LIST = re.compile(r"^[A-Za-z0-9_|, -]+$")  # names separated by | or , (seen in 2.1.328)
_STRICT_NAME_LIST = re.compile(r"^[A-Za-z0-9_|]+$")  # StopFailure and FileChanged allow only |
_STRICT_LIST_EVENTS = ("StopFailure", "FileChanged")


def matches(matcher: str | None, event: HookEvent) -> bool:
    """Claude Code's matcher rules: empty/``*`` = all; ``A|B`` or ``A, B`` = exact names; else an unanchored regex."""
    if matcher in (None, "", "*", ".*"):
        return True
    value = event.matcher_value
    if value is None:
        return event.info.matcher_field is None  # events without a matcher field ignore matchers
    strict = event.hook_event_name in _STRICT_LIST_EVENTS
    if (_STRICT_NAME_LIST if strict else _NAME_LIST).match(matcher):
        return value in [name.strip() for name in re.split(r"[|,]", matcher)]
    try:
        return re.search(matcher, value) is not None
    except re.error:
        return False


@attrs.frozen
class HookResult:
    """What one handler wants Claude Code to do; the router merges several.

    Only what the event can carry is sent (``EVENTS``): a permission for
    PreToolUse, ``block`` for prompts, stops and tool results, context for the
    events that take it. ``reason`` explains a permission decision or a block.
    """

    permission: str | None = None  # allow | deny | ask | defer
    reason: str | None = None
    block: bool = False
    additional_context: str | None = None
    updated_input: dict[str, Any] | None = None
    system_message: str | None = None
    stop: bool = False  # continue: false — stops Claude entirely
    stop_reason: str | None = None
    suppress_output: bool = False

    @classmethod
    def allow(cls, reason: str | None = None) -> HookResult:
        return cls(permission="allow", reason=reason)

    @classmethod
    def deny(cls, reason: str) -> HookResult:
        return cls(permission="deny", reason=reason)

    @classmethod
    def ask(cls, reason: str) -> HookResult:
        return cls(permission="ask", reason=reason)

    @classmethod
    def blocking(cls, reason: str) -> HookResult:
        return cls(block=True, reason=reason)

    @classmethod
    def context(cls, text: str) -> HookResult:
        return cls(additional_context=text)


PERMISSION_RANK = {"deny": 4, "ask": 3, "defer": 2, "allow": 1}

_RESULT_TYPES = {
    "permission": (str, type(None)),
    "reason": (str, type(None)),
    "block": (bool,),
    "additional_context": (str, type(None)),
    "updated_input": (dict, type(None)),
    "system_message": (str, type(None)),
    "stop": (bool,),
    "stop_reason": (str, type(None)),
    "suppress_output": (bool,),
}


def result_problem(result: HookResult) -> str | None:
    """Why a handler's result cannot be sent to Claude Code, or None when it can."""
    for name, types in _RESULT_TYPES.items():
        value = getattr(result, name)
        if not isinstance(value, types):
            return f"returned a HookResult whose {name} is a {type(value).__name__}"
    if result.updated_input is not None:
        import json

        try:
            json.dumps(result.updated_input, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return f"returned an updated_input that is not plain JSON ({exc})"
    return None


@attrs.frozen
class Merged:
    """The merged result and what did not merge cleanly (reported, never raised)."""

    result: HookResult
    conflicts: tuple[str, ...] = ()


def merge(results: Iterable[tuple[str, HookResult]]) -> Merged:
    """Combine handler results (in plugin order) with the rules in this module's docstring."""
    results = [(name, r) for name, r in results if isinstance(r, HookResult)]
    conflicts: list[str] = []

    decided = [(n, r) for n, r in results if r.permission in PERMISSION_RANK]
    permission, permission_reasons = None, []
    if decided:
        permission = max((r.permission for _, r in decided), key=PERMISSION_RANK.__getitem__)
        permission_reasons = [r.reason for _, r in decided if r.permission == permission and r.reason]
    for name, r in results:
        if r.permission is not None and r.permission not in PERMISSION_RANK:
            conflicts.append(f"{name}: unknown permission {r.permission!r} ignored")

    blockers = [r for _, r in results if r.block]
    block_reasons = [r.reason for r in blockers if r.reason]

    contexts = [f"[{name}]\n{r.additional_context.strip()}" for name, r in results if r.additional_context]
    context = "\n\n".join(contexts) or None
    if context and len(context) > MAX_CONTEXT_CHARS:
        context = context[: MAX_CONTEXT_CHARS - 40].rstrip() + "\n[… context cut by orchcore]"

    rewrites = [(name, r.updated_input) for name, r in results if r.updated_input is not None]
    updated_input = rewrites[0][1] if rewrites else None
    for name, other in rewrites[1:]:
        if other != updated_input:
            conflicts.append(f"{name}: its updatedInput differs from {rewrites[0][0]}'s and was not used")

    messages = [r.system_message for _, r in results if r.system_message]
    stoppers = [r for _, r in results if r.stop]
    merged = HookResult(
        permission=permission,
        reason="; ".join(block_reasons if blockers else permission_reasons) or None,
        block=bool(blockers),
        additional_context=context,
        updated_input=updated_input,
        system_message="\n".join(messages) or None,
        stop=bool(stoppers),
        stop_reason="; ".join(r.stop_reason for r in stoppers if r.stop_reason) or None,
        suppress_output=any(r.suppress_output for _, r in results),
    )
    return Merged(merged, tuple(conflicts))


def answer(event_name: str, result: HookResult) -> dict[str, Any] | None:
    """The JSON object to print for ``event_name``, or None for a silent pass-through.

    Fields the event cannot carry are left out, so Claude Code never rejects
    the answer; ``hookEventName`` always equals the event that ran.
    """
    can = (EVENTS.get(event_name) or EventInfo(event_name)).answers
    out: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    permission = result.permission
    if result.block and BLOCK not in can and (PERMISSION in can or PERMISSION_REQUEST in can):
        permission = "deny"  # a block on a permission event is a denial
    if permission and PERMISSION in can:
        allowed = ("allow", "deny", "ask") if event_name == "PreModelSwitch" else tuple(PERMISSION_RANK)
        if permission in allowed:
            specific["permissionDecision"] = permission
            if result.reason:
                specific["permissionDecisionReason"] = result.reason
    if permission in ("allow", "deny") and PERMISSION_REQUEST in can:
        decision: dict[str, Any] = {"behavior": permission}
        if permission == "allow" and result.updated_input is not None:
            decision["updatedInput"] = result.updated_input
        if permission == "deny" and result.reason:
            decision["message"] = result.reason
        specific["decision"] = decision
    if result.updated_input is not None and UPDATED_INPUT in can:
        specific["updatedInput"] = result.updated_input
    if result.additional_context and CONTEXT in can:
        specific["additionalContext"] = result.additional_context
    if result.block and BLOCK in can:
        out["decision"] = "block"
        out["reason"] = result.reason or "blocked by orchcore"
    if result.system_message:
        out["systemMessage"] = result.system_message
    if result.stop:
        out["continue"] = False
        if result.stop_reason:
            out["stopReason"] = result.stop_reason
    if result.suppress_output:
        out["suppressOutput"] = True
    if specific:
        out["hookSpecificOutput"] = {"hookEventName": event_name, **specific}
    return out or None


def blocks_by_exit_code(event_name: str, result: HookResult) -> bool:
    """Events whose block is only an exit code 2 with the reason on stderr (TaskCreated …)."""
    info = EVENTS.get(event_name)
    return bool(result.block and info and BLOCK_BY_EXIT in info.answers)
