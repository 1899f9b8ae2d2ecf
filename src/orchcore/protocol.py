"""Claude Code's hook protocol: typed inputs that keep every field, and results.

Inputs are parsed leniently: the fields orchcore reads are typed attributes,
and the whole payload stays in ``raw`` so unknown events and fields pass
through untouched.
"""

from __future__ import annotations

from typing import Any

import attrs


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@attrs.frozen
class HookEvent:
    """One hook payload from Claude Code."""

    hook_event_name: str
    session_id: str
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> HookEvent:
        return cls(
            hook_event_name=str(payload.get("hook_event_name") or ""),
            session_id=str(payload.get("session_id") or ""),
            raw=payload,
        )

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def cwd(self) -> str | None:
        return _str_or_none(self.raw.get("cwd"))

    @property
    def agent_id(self) -> str | None:
        """Set only for events fired inside a subagent."""
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
    def prompt(self) -> str | None:
        return _str_or_none(self.raw.get("prompt"))


@attrs.frozen
class HookResult:
    """What one handler wants Claude Code to do; the router merges several.

    Only the fields that make sense for the event are sent (see
    ``../shared/claude-code/REFERENCE.md`` §4): permission decisions for
    PreToolUse, ``block`` for prompts, stops and tool results, context for the
    events that take it.
    """

    permission: str | None = None  # allow | deny | ask | defer (PreToolUse)
    reason: str | None = None
    block: bool = False
    additional_context: str | None = None
    updated_input: dict[str, Any] | None = None
    system_message: str | None = None
    stop: bool = False  # continue: false
    stop_reason: str | None = None
    suppress_output: bool = False
