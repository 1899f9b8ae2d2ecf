"""Usage segments: cost, time, lines, context window, rate limits, and tool calls and tokens per agent and team."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from orchcore.builtin import usage_segments
from orchcore.errors import InvalidValue
from orchcore.plugins import hookimpl
from orchcore.specs import AgentSpec, SegmentContext

CAPTURED = Path(__file__).resolve().parents[2] / "shared" / "claude-code" / "captured"
SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
INPUT_SEGMENTS = ["cost", "duration", "lines", "context", "five-hour", "seven-day"]
ALL_SEGMENTS = [*INPUT_SEGMENTS, "agent-usage", "team-usage"]

# What 2.1.328 sends a few turns into a session (the shape of captured/statusline-input.json, with usage).
MID_SESSION = {
    "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
    "version": "2.1.328",
    "cost": {"total_cost_usd": 1.2345, "total_duration_ms": 754_000, "total_api_duration_ms": 98_000,
             "total_lines_added": 120, "total_lines_removed": 30},
    "context_window": {"total_input_tokens": 84_000, "total_output_tokens": 2_100, "context_window_size": 200_000,
                       "current_usage": {"input_tokens": 4_000, "output_tokens": 2_100,
                                         "cache_creation_input_tokens": 30_000, "cache_read_input_tokens": 50_000},
                       "used_percentage": 42, "remaining_percentage": 58},
    "exceeds_200k_tokens": False,
}


@pytest.fixture
def session(orch_bus):
    """An orchestrated session whose own status line shows the named segments."""
    def start(segments: list[str]) -> str:
        orch_bus.create_session(SID, orchestration_enabled=True)
        orch_bus.emit(SID, "state.set", {"path": "runtime_config.status_line.segments", "value": segments})
        return SID

    return start


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def payload(event: str, agent_id: str | None = None, **fields) -> dict:
    data = {"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": event, **fields}
    if agent_id:
        data.update(agent_id=agent_id, agent_type=fields.get("agent_type", "general-purpose"))
    return data


def run_subagent(orch_hook, call_id: str, agent_type: str, agent_id: str, tools: int,
                 returned: dict | None = None) -> None:
    """The hook events of one delegation: the Agent call, its start, its tool calls, and (if given) its result."""
    orch_hook(payload("PreToolUse", tool_name="Agent", tool_use_id=call_id,
                      tool_input={"description": "work", "prompt": "do it", "subagent_type": agent_type}))
    orch_hook(payload("SubagentStart", agent_id, agent_type=agent_type))
    for n in range(tools):
        orch_hook(payload("PreToolUse", agent_id, agent_type=agent_type, tool_name="Bash",
                          tool_use_id=f"{call_id}-bash-{n}", tool_input={"command": "true"}))
    if returned is not None:
        orch_hook(payload("SubagentStop", agent_id, agent_type=agent_type, stop_hook_active=False))
        orch_hook(payload("PostToolUse", tool_name="Agent", tool_use_id=call_id, tool_input={},
                          tool_response={"status": "completed", "agentId": agent_id, **returned}))


# -- from Claude Code's status-line input -------------------------------------------


@pytest.mark.skipif(not (CAPTURED / "statusline-input.json").exists(), reason="../shared/claude-code is not here")
def test_the_captured_first_input_shows_the_cost_and_hides_what_it_does_not_carry_yet(session, orch_statusline):
    captured = json.loads((CAPTURED / "statusline-input.json").read_text())
    sid = session([*INPUT_SEGMENTS, "model"])

    # 450 ms, no lines changed, no usage yet (used_percentage null), no rate limits (an API-key session)
    assert orch_statusline(sid, {**captured, "session_id": sid}) == "$0.00 │ Opus 5.5\n"


def test_a_session_under_way_shows_cost_time_lines_and_context(session, orch_statusline):
    sid = session(INPUT_SEGMENTS)

    assert orch_statusline(sid, MID_SESSION) == "$1.23 │ 12m 34s │ +120 -30 │ ctx 42% (84k/200k)\n"


def test_durations_read_as_seconds_minutes_then_hours():
    assert [usage_segments.duration_text(ms) for ms in (45_400, 754_000, 3_725_000)] == ["45s", "12m 34s", "1h 02m"]


def test_token_counts_read_as_status_line_tools_show_them():
    assert [usage_segments.tokens_text(n) for n in (850, 3_400, 84_000, 1_000_000, 1_250_000)] == [
        "850", "3.4k", "84k", "1M", "1.2M"]


def test_context_is_worked_out_from_the_last_usage_when_claude_code_sends_no_percentage(session, orch_statusline):
    sid = session(["context"])
    window = {**MID_SESSION["context_window"], "used_percentage": None}

    assert orch_statusline(sid, {"context_window": window}) == "ctx 42% (84k/200k)\n"


def test_context_turns_yellow_then_red_as_the_window_fills(session, orch_statusline):
    sid = session(["context"])

    def shown(percent):
        return orch_statusline(sid, {"context_window": {"used_percentage": percent}}, color=True)

    assert shown(20) == "\033[32mctx 20%\033[0m\n"
    assert shown(65) == "\033[33mctx 65%\033[0m\n"
    assert shown(91) == "\033[31mctx 91%\033[0m\n"


def test_rate_limits_show_what_is_used_and_when_the_window_resets(session, orch_statusline, utc):
    sid = session(["five-hour", "seven-day"])
    in_two_hours = (int(time.time()) // 3600 + 2) * 3600
    in_three_days = in_two_hours + 3 * 24 * 3600
    limits = {"five_hour": {"used_percentage": 23, "resets_at": in_two_hours},
              "seven_day": {"used_percentage": 81, "resets_at": in_three_days}}

    line = orch_statusline(sid, {"rate_limits": limits})

    hour = time.strftime("%H:00", time.gmtime(in_two_hours))
    day = time.strftime("%a %H:00", time.gmtime(in_three_days))
    assert line == f"5h 23% ↺ {hour} │ 7d 81% ↺ {day}\n"


@pytest.mark.parametrize("resets_at", [1_000, time.time() * 1000], ids=["past", "in-milliseconds"])
def test_a_reset_time_already_past_or_out_of_reach_is_left_out(session, orch_statusline, resets_at):
    sid = session(["five-hour"])

    line = orch_statusline(sid, {"rate_limits": {"five_hour": {"used_percentage": 97, "resets_at": resets_at}}})

    assert line == "5h 97%\n"


def test_a_plan_without_the_seven_day_window_shows_only_the_five_hour_one(session, orch_statusline):
    sid = session(["five-hour", "seven-day"])

    assert orch_statusline(sid, {"rate_limits": {"five_hour": {"used_percentage": 5}}}) == "5h 5%\n"


@pytest.mark.parametrize("status", [
    {},
    {"cost": "1.20", "context_window": [], "rate_limits": None},
    {"cost": {"total_cost_usd": True, "total_duration_ms": "long", "total_lines_added": None},
     "context_window": {"used_percentage": float("nan"), "current_usage": "x", "context_window_size": 0},
     "rate_limits": {"five_hour": 40, "seven_day": {"used_percentage": "81%", "resets_at": "soon"}}},
    {"cost": {"total_cost_usd": -1}, "context_window": {"current_usage": {"input_tokens": 10}}},
])
def test_missing_or_malformed_fields_render_nothing_and_never_raise(status):
    context = SegmentContext(session=None, status_input=status, color=False)

    assert [getattr(usage_segments, name.replace("-", "_"))(context) for name in ALL_SEGMENTS] == [None] * 8


def test_without_usage_data_the_line_is_the_one_it_was(session, orch_statusline):
    sid = session([*ALL_SEGMENTS, "model"])

    assert orch_statusline(sid, {"model": {"display_name": "Opus 5.5"}, "cost": None}) == "Opus 5.5\n"


def test_usage_segments_are_chosen_by_name_in_the_project_configuration(orch_project, orch_bus, orch_statusline):
    config = {"statusline": {"segments": ["model", "context", "cost"]}}
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps(config))
    orch_bus.create_session(SID, orchestration_enabled=True)

    assert orch_statusline(SID, MID_SESSION) == "Opus 5.5 │ ctx 42% (84k/200k) │ $1.23\n"


# -- per agent and per team, from the session -------------------------------------


@pytest.mark.skipif(not (CAPTURED / "nested-delegation.jsonl").exists(), reason="../shared/claude-code is not here")
def test_the_captured_nested_delegation_shows_its_agents_tool_calls_and_tokens(session, orch_hook, orch_bus,
                                                                               orch_statusline):
    sid = session(["agent-usage"])
    for line in (CAPTURED / "nested-delegation.jsonl").read_bytes().splitlines():
        assert orch_hook(line).exit_code == 0

    # three general-purpose agents; Claude Code reported 15 tokens and 1, 2 and 2 tool uses
    assert orch_statusline(sid) == "general-purpose ×3 5 tools 45 tok\n"
    assert orch_bus.replay(sid) == orch_bus.store.get(sid)


def test_a_running_agent_shows_the_tool_calls_counted_so_far_and_comes_first(session, orch_hook, orch_statusline):
    sid = session(["agent-usage"])
    run_subagent(orch_hook, "toolu_1", "reviewer", "agent-r", 4, {"totalTokens": 12_400, "totalToolUseCount": 4})
    run_subagent(orch_hook, "toolu_2", "tester", "agent-t", 1)

    assert orch_statusline(sid) == "tester 1 tool · reviewer 4 tools 12.4k tok\n"


def test_teams_add_up_their_agents_work_busiest_first(session, orch_hook, orch_statusline, register_plugin):
    class Agents:
        @hookimpl
        def orch_agents(self):
            return [AgentSpec(name="backend", description="b", team="engineering", capacity=2),
                    AgentSpec(name="frontend", description="f", team="engineering"),
                    AgentSpec(name="tester", description="t", team="qa")]

    register_plugin(Agents(), name="test-agents")
    sid = session(["team-usage"])
    run_subagent(orch_hook, "toolu_1", "backend", "agent-b", 3, {"totalTokens": 2_000, "totalToolUseCount": 3})
    run_subagent(orch_hook, "toolu_2", "frontend", "agent-f", 2, {"totalTokens": 1_500, "totalToolUseCount": 2})
    run_subagent(orch_hook, "toolu_3", "tester", "agent-t", 1, {"totalTokens": 900, "totalToolUseCount": 1})
    run_subagent(orch_hook, "toolu_4", "tester", "agent-t2", 1)  # still running

    assert orch_statusline(sid) == "engineering 5 tools 3.5k tok · qa 2 tools 900 tok\n"


def test_an_agent_a_native_plugin_ships_shows_by_its_own_name(session, orch_hook, orch_statusline):
    sid = session(["agent-usage"])
    run_subagent(orch_hook, "toolu_1", "orchcore:qa-tester", "agent-q", 2)

    assert orch_statusline(sid) == "qa-tester 2 tools\n"


def test_many_agents_are_cut_to_the_busiest_three(session, orch_hook, orch_statusline):
    sid = session(["agent-usage"])
    for n in range(5):
        run_subagent(orch_hook, f"toolu_{n}", f"worker{n}", f"agent-{n}", n + 1, {"totalTokens": 10, "totalToolUseCount": n + 1})

    assert orch_statusline(sid) == "worker4 5 tools 10 tok · worker3 4 tools 10 tok · worker2 3 tools 10 tok · +2 more\n"


def test_no_subagent_work_renders_nothing(session, orch_hook, orch_statusline):
    sid = session(["agent-usage", "team-usage", "model"])
    orch_hook(payload("PreToolUse", tool_name="Bash", tool_use_id="toolu_main", tool_input={"command": "true"}))

    assert orch_statusline(sid, {"model": {"display_name": "Opus 5.5"}}) == "Opus 5.5\n"


def test_usage_that_is_not_a_count_is_refused_with_the_field_named(session, orch_bus):
    sid = session([])

    with pytest.raises(InvalidValue, match="tokens must be a whole number"):
        orch_bus.emit(sid, "delegation.usage", {"id": "toolu_1", "tokens": -5})
