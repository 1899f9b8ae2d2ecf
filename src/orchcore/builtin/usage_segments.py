"""Built-in plugin: usage segments, from Claude Code's status-line input and the session's agents.

From the input Claude Code passes the status command: ``cost``, ``duration``,
``lines``, ``context``, ``five-hour`` and ``seven-day`` (rate limits, which
Claude Code sends only to Claude.ai subscribers). From the session:
``agent-usage`` and ``team-usage``, the tool calls the router counted per
subagent, with the tokens Claude Code reported when the subagent's Agent
call returned (recorded here as ``delegation.usage``).

Every segment renders nothing when its data is absent or malformed: the
input's fields differ between versions and plans, and a status line must
never fail on them. Nothing heavy is imported: this runs on every refresh.
"""

from __future__ import annotations

import math
import time

from orchcore.builtin.status_segments import _paint
from orchcore.plugins import hookimpl
from orchcore.specs import EventType, HookHandler, StatusSegment

MAX_LISTED = 3  # agents or teams on the line; the rest are counted
DAY_S = 24 * 3600


# -- reading the input safely ------------------------------------------------------


def _number(data, *path):
    """The number at ``path`` in nested dicts, or None (a bool, a string or a missing key is not one)."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    if isinstance(data, bool) or not isinstance(data, (int, float)) or not math.isfinite(data):
        return None
    return data


def tokens_text(count: float) -> str:
    """``850``, ``3.4k``, ``1.2M``: token counts as status-line tools show them."""
    if count < 1000:
        return str(int(count))
    if count < 1_000_000:
        return f"{count / 1000:.1f}k".replace(".0k", "k")
    return f"{count / 1_000_000:.1f}M".replace(".0M", "M")


def duration_text(ms: float) -> str:
    """``45s``, ``12m 05s``, ``1h 02m``."""
    seconds = int(ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _level(ctx, text: str, percent: float) -> str:
    """Green, yellow from 50 %, red from 80 %: how close a window is to full."""
    return _paint(ctx, text, "31" if percent >= 80 else "33" if percent >= 50 else "32")


# -- segments from the status-line input -------------------------------------------


def cost(ctx):
    usd = _number(ctx.status_input, "cost", "total_cost_usd")
    return None if usd is None or usd < 0 else _paint(ctx, f"${usd:.2f}", "33")


def duration(ctx):
    ms = _number(ctx.status_input, "cost", "total_duration_ms")
    return None if ms is None or ms < 1000 else duration_text(ms)


def lines(ctx):
    added = _number(ctx.status_input, "cost", "total_lines_added")
    removed = _number(ctx.status_input, "cost", "total_lines_removed")
    if not added and not removed:  # absent, or nothing changed yet
        return None
    return f"{_paint(ctx, f'+{int(added or 0)}', '32')} {_paint(ctx, f'-{int(removed or 0)}', '31')}"


def context(ctx):
    """The share of the context window in use, with its tokens when Claude Code sends the last usage."""
    window = ctx.status_input.get("context_window")
    percent = _number(window, "used_percentage")
    size = _number(window, "context_window_size")
    usage = window.get("current_usage") if isinstance(window, dict) else None
    used = None
    if isinstance(usage, dict):
        parts = [_number(usage, k) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")]
        used = sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None
    if percent is None and used is not None and size:
        percent = used * 100 / size
    if percent is None:
        return None
    text = f"ctx {round(percent)}%"
    if used is not None and size:
        text += f" ({tokens_text(used)}/{tokens_text(size)})"
    return _level(ctx, text, percent)


def _rate_limit(ctx, window: str, label: str):
    limit = ctx.status_input.get("rate_limits")
    percent = _number(limit, window, "used_percentage")
    if percent is None:
        return None
    text = f"{label} {round(percent)}%"
    resets = _number(limit, window, "resets_at")  # epoch seconds
    now = time.time()
    if resets is not None and now < resets < now + 400 * DAY_S:  # a past or absurd time is not shown
        shown = time.localtime(resets)
        clock = time.strftime("%H:%M", shown) if resets - now < DAY_S else time.strftime("%a %H:%M", shown)
        text += f" ↺ {clock}"
    return _level(ctx, text, percent)


def five_hour(ctx):
    return _rate_limit(ctx, "five_hour", "5h")


def seven_day(ctx):
    return _rate_limit(ctx, "seven_day", "7d")


# -- segments from the session: per agent and per team ---------------------------


def agent_usage_rows(session) -> list[dict]:
    """One row per subagent: label, team, whether it works now, tool calls and tokens (None when not reported)."""
    from orchcore.domain.vocabulary import WORKING_AGENT

    counted = session.state.metrics.get("by_agent")
    counted = counted if isinstance(counted, dict) else {}
    reported: dict[str, dict] = {}
    for delegation in session.state.delegations.values():
        usage = delegation.extra.get("usage")
        if delegation.agent_id and isinstance(usage, dict):
            total = reported.setdefault(delegation.agent_id, {"tokens": 0, "tool_uses": 0, "team": delegation.team})
            total["tokens"] += _number(usage, "tokens") or 0
            total["tool_uses"] += _number(usage, "tool_uses") or 0
    rows = []
    for agent_id in {*session.state.agents, *counted, *reported} - {"main"}:
        agent = session.state.agents.get(agent_id)
        calls = _number(counted, agent_id, "tool_calls") or 0
        usage = reported.get(agent_id)
        name = (agent.name or agent.agent_type) if agent is not None else ""
        rows.append({
            # an agent a native plugin ships is "<plugin>:<name>" to Claude Code: its own name is enough here
            "label": name.rpartition(":")[2] or agent_id[:8],
            "team": (agent.team if agent is not None else None) or (usage or {}).get("team"),
            "active": agent is not None and agent.status in WORKING_AGENT,
            # Claude Code's own count once the agent has returned; the router's while it runs
            "tool_calls": usage["tool_uses"] if usage else calls,
            "tokens": usage["tokens"] if usage else None,
        })
    return rows


def _usage_text(label: str, calls: int, tokens) -> str:
    text = f"{label} {calls} tool{'' if calls == 1 else 's'}"
    return text if tokens is None else f"{text} {tokens_text(tokens)} tok"


def _summed(rows: list[dict], key: str, working_first: bool) -> list[tuple[str, int, int, int | None, bool]]:
    """(name, agents, tool calls, tokens or None, working now) per value of ``key``, busiest first.

    With ``working_first``, groups with an agent working now come before the others.
    """
    groups: dict[str, list] = {}
    for row in rows:
        if not row[key]:
            continue
        group = groups.setdefault(row[key], [0, 0, None, False])
        group[0] += 1
        group[1] += row["tool_calls"]
        if row["tokens"] is not None:
            group[2] = (group[2] or 0) + row["tokens"]
        group[3] = group[3] or row["active"]
    ranked = [(name, *group) for name, group in groups.items() if group[1] or group[2]]
    return sorted(ranked, key=lambda g: (working_first and not g[4], -g[2], -(g[3] or 0), g[0]))


def _listed(items: list[str]) -> str:
    more = len(items) - MAX_LISTED
    return " · ".join(items[:MAX_LISTED] + ([f"+{more} more"] if more > 0 else []))


def agent_usage(ctx):
    """Per agent (agents of one type together, ``×N``), those working now first, then the busiest."""
    if ctx.session is None:
        return None
    items = [_usage_text(name if count == 1 else f"{name} ×{count}", calls, tokens)
             for name, count, calls, tokens, _ in _summed(agent_usage_rows(ctx.session), "label", True)]
    return _paint(ctx, _listed(items), "36") if items else None


def team_usage(ctx):
    """Per team, the busiest first."""
    if ctx.session is None:
        return None
    items = [_usage_text(name, calls, tokens)
             for name, _, calls, tokens, _ in _summed(agent_usage_rows(ctx.session), "team", False)]
    return _paint(ctx, _listed(items), "36") if items else None


# -- recording what a returned Agent call used ---------------------------------------


def on_agent_usage(event, context):
    """The Agent tool's result carries the subagent's ``totalTokens`` and ``totalToolUseCount``."""
    response = event.tool_response
    if event.tool_name != "Agent" or not event.tool_use_id or not isinstance(response, dict):
        return None
    tokens, tool_uses = _number(response, "totalTokens"), _number(response, "totalToolUseCount")
    if tokens is None and tool_uses is None:
        return None
    context.emit("delegation.usage", {"id": event.tool_use_id, "parent": event.agent_id or "main",
                                      "tokens": int(tokens or 0), "tool_uses": int(tool_uses or 0)})
    return None


def delegation_usage(session, event):
    from orchcore.builtin.delegation import _key
    from orchcore.errors import InvalidValue

    key = _key(session, event.need("id"), str(event.data.get("parent") or "main"))
    usage = {}
    for name in ("tokens", "tool_uses"):
        value = event.data.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidValue(f"event 'delegation.usage': {name} must be a whole number of 0 or more")
        usage[name] = value
    delegation = session.state.delegations.get(key)
    if delegation is not None:  # a call made before orchestration was on is not tracked
        delegation.extra["usage"] = usage
    return session


@hookimpl
def orch_status_segments():
    return [
        StatusSegment(name="cost", render=cost, description="the session's cost in USD, as Claude Code counts it"),
        StatusSegment(name="duration", render=duration, description="the session's wall-clock time"),
        StatusSegment(name="lines", render=lines, description="lines added and removed in the session"),
        StatusSegment(name="context", render=context, description="the share of the context window in use"),
        StatusSegment(name="five-hour", render=five_hour,
                      description="the five-hour rate limit used, and when it resets (Claude.ai plans)"),
        StatusSegment(name="seven-day", render=seven_day,
                      description="the seven-day rate limit used, and when it resets (Claude.ai plans)"),
        StatusSegment(name="agent-usage", render=agent_usage, description="tool calls and tokens per subagent"),
        StatusSegment(name="team-usage", render=team_usage, description="tool calls and tokens per team"),
    ]


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="delegation-usage", events=["PostToolUse"], matcher="Agent", handler=on_agent_usage)]


@hookimpl
def orch_event_types():
    return [EventType("delegation.usage", delegation_usage,
                      "a returned Agent call's usage, from Claude Code: {id, parent, tokens, tool_uses}")]
