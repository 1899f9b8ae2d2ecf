"""Claude Code's hook protocol as orchcore speaks it (``orchcore.protocol``).

* ``matches``: Claude Code's matcher rules (REFERENCE.md §1.3);
* ``merge``: several handlers' results become one, by fixed rules
  (deny > ask > defer > allow; any block wins; contexts concatenated with
  attribution; the first ``updatedInput`` wins and a differing one is reported);
* ``answer``: a merged result becomes the JSON Claude Code reads, with only the
  fields the event can carry (REFERENCE.md §4) and ``hookEventName`` always the
  event that ran;
* ``EVENTS``: the 33 events of Claude Code 2.1.328 (REFERENCE.md §2) and
  ``PreSkillShellCommand``, added in 2.1.332 (PROTOCOL.md, "Added 2026-12").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchcore.protocol import (
    BLOCK,
    BLOCK_BY_EXIT,
    CONTEXT,
    EVENTS,
    MAX_CONTEXT_CHARS,
    PERMISSION,
    PERMISSION_REQUEST,
    HookEvent,
    HookResult,
    answer,
    blocks_by_exit_code,
    matches,
    merge,
)

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "claude-code" / "REFERENCE.md"

# The 33 events of REFERENCE.md §2, as listed there (the binary's array `gc`).
# The payload 2.1.332 sent for `` !`echo PROBE-MARKER $ARGUMENTS` `` in a project skill run as ``/probe argx``.
SKILL_SHELL_COMMAND = {
    "session_id": SESSION, "cwd": "/w", "prompt_id": "0cd68d24-f6d3-4ce7-9e08-c4e8100dc9f2",
    "permission_mode": "bypassPermissions", "effort": {"level": "medium"}, "hook_event_name": "PreSkillShellCommand",
    "tool_name": "Bash", "tool_input": {"command": "echo PROBE-MARKER argx"},
    "tool_use_id": "6647f993-4834-45fe-8721-b5e61e42be06:inner:preamble-0", "command_name": "probe",
    "command_source": "projectSettings", "invoked_by": "user",
}

REFERENCE_EVENTS = (
    "PreToolUse, PostToolUse, PostToolUseFailure, PostToolBatch, Notification, UserPromptSubmit, "
    "UserPromptExpansion, SessionStart, SessionEnd, Stop, StopFailure, SubagentStart, SubagentStop, "
    "PreCompact, PostCompact, PreModelSwitch, PostModelSwitch, PermissionRequest, PermissionDenied, Setup, "
    "TeammateIdle, TaskCreated, TaskCompleted, Elicitation, ElicitationResult, ConfigChange, WorktreeCreate, "
    "WorktreeRemove, InstructionsLoaded, CwdChanged, FileChanged, DirectoryAdded, MessageDisplay"
).split(", ")

# Events whose answer can carry hookSpecificOutput.additionalContext (REFERENCE.md §4).
CONTEXT_EVENTS = {
    "PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "Notification", "UserPromptSubmit",
    "UserPromptExpansion", "SessionStart", "Stop", "SubagentStart", "SubagentStop", "PostModelSwitch", "Setup",
}
# Events whose top-level {"decision": "block", "reason": …} is honoured.
BLOCK_EVENTS = {"PostToolUse", "Stop", "SubagentStop", "UserPromptSubmit", "UserPromptExpansion"}
# Events blocked only by exit code 2 with the reason on stderr.
EXIT_CODE_EVENTS = {"PreCompact", "TeammateIdle", "TaskCreated", "TaskCompleted", "ConfigChange"}


def event(name: str = "PreToolUse", **fields) -> HookEvent:
    return HookEvent.from_payload({"session_id": SESSION, "hook_event_name": name, "cwd": "/w", **fields})


def bash(**fields) -> HookEvent:
    return event("PreToolUse", tool_name="Bash", tool_input={"command": "ls"}, tool_use_id="toolu_1", **fields)


def tool(name: str) -> HookEvent:
    return event("PreToolUse", tool_name=name, tool_input={}, tool_use_id="toolu_1")


def specific(result: dict | None) -> dict:
    assert result is not None
    return result["hookSpecificOutput"]


# -- EVENTS ----------------------------------------------------------------------------------


def test_events_lists_the_33_events_of_claude_code_2_1_328_and_the_one_2_1_332_added():
    assert len(REFERENCE_EVENTS) == 33
    assert sorted(EVENTS) == sorted([*REFERENCE_EVENTS, "PreSkillShellCommand"])
    assert all(info.name == name for name, info in EVENTS.items())
    assert {name: info.since for name, info in EVENTS.items() if info.since} == {"PreSkillShellCommand": "2.1.332"}


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"{REFERENCE} is not checked out beside the repository")
def test_the_event_list_in_this_test_is_the_one_in_reference_md():
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## 2. Hook events", 1)[1].split("\n## 3.", 1)[0]
    listed = re.search(r"^`([A-Za-z, ]+)`$", section, re.MULTILINE)
    assert listed is not None
    assert listed.group(1).split(", ") == REFERENCE_EVENTS
    table = re.findall(r"^\| ([A-Z][A-Za-z]+(?: / [A-Z][A-Za-z]+)?) \|", section, re.MULTILINE)
    in_table = {name for row in table for name in row.split(" / ")} - {"Event"}  # the header row
    assert in_table == set(REFERENCE_EVENTS)


def test_events_know_which_answers_each_event_can_carry():
    assert {n for n, i in EVENTS.items() if CONTEXT in i.answers} == CONTEXT_EVENTS
    assert {n for n, i in EVENTS.items() if BLOCK in i.answers} == BLOCK_EVENTS
    assert {n for n, i in EVENTS.items() if BLOCK_BY_EXIT in i.answers} == EXIT_CODE_EVENTS
    assert {n for n, i in EVENTS.items() if PERMISSION in i.answers} == {
        "PreToolUse", "PreModelSwitch", "PreSkillShellCommand"}
    assert {n for n, i in EVENTS.items() if PERMISSION_REQUEST in i.answers} == {"PermissionRequest"}


def test_events_know_the_field_their_matcher_applies_to():
    assert EVENTS["PreToolUse"].matcher_field == "tool_name"
    assert EVENTS["PermissionRequest"].matcher_field == "tool_name"
    assert EVENTS["PreSkillShellCommand"].matcher_field == "tool_name"  # Bash or PowerShell
    assert EVENTS["SessionStart"].matcher_field == "source"
    assert EVENTS["PreCompact"].matcher_field == "trigger"
    assert EVENTS["Notification"].matcher_field == "notification_type"
    for name in ("PostToolBatch", "UserPromptSubmit", "Stop", "TeammateIdle", "TaskCreated", "TaskCompleted"):
        assert EVENTS[name].matcher_field is None, name


# -- HookEvent ------------------------------------------------------------------------------


def test_hook_event_keeps_every_field_of_the_payload():
    payload = {
        "session_id": SESSION, "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "ls"}, "future_field": {"nested": [1, 2]},
    }
    parsed = HookEvent.from_payload(payload)

    assert parsed.raw == payload
    assert parsed.get("future_field") == {"nested": [1, 2]}
    assert parsed.known is True
    assert parsed.tool_name == "Bash"
    assert parsed.tool_input == {"command": "ls"}


def test_hook_event_properties_are_lenient_about_wrong_types():
    parsed = event(
        "PreToolUse", tool_name=7, tool_input=["not", "a", "dict"], prompt=None, agent_id={"x": 1},
        stop_hook_active="yes", source=3,
    )

    assert parsed.tool_name is None
    assert parsed.tool_input == {}
    assert parsed.prompt is None
    assert parsed.agent_id is None
    assert parsed.stop_hook_active is False
    assert parsed.source is None
    assert parsed.matcher_value is None


def test_an_unknown_event_is_not_known_and_has_no_matcher_field():
    parsed = event("FutureEvent", tool_name="Bash")

    assert parsed.known is False
    assert parsed.info.matcher_field is None
    assert parsed.info.answers == frozenset()


# -- matches --------------------------------------------------------------------------------


@pytest.mark.parametrize("matcher", [None, "", "*", ".*"])
def test_an_empty_star_or_dot_star_matcher_matches_everything(matcher):
    assert matches(matcher, tool("Bash"))
    assert matches(matcher, tool("mcp__memory__create_entities"))
    assert matches(matcher, event("PreToolUse"))  # even without a tool name
    assert matches(matcher, event("Stop"))


def test_a_plain_name_matches_that_tool_exactly():
    assert matches("Bash", tool("Bash"))
    assert not matches("Bash", tool("Edit"))
    assert not matches("Bash", tool("BashOutput"))  # a name list is exact, not a prefix
    assert not matches("Bash", tool("bash"))  # and case-sensitive


def test_a_pipe_list_matches_each_named_tool_exactly():
    assert matches("Bash|Edit", tool("Bash"))
    assert matches("Bash|Edit", tool("Edit"))
    assert not matches("Bash|Edit", tool("Write"))
    assert not matches("Bash|Edit", tool("MultiEdit"))
    assert not matches("Bash|Edit", tool("Bash|Edit"))


def test_anything_else_is_an_unanchored_regex():
    assert matches("mcp__memory__.*", tool("mcp__memory__create_entities"))
    assert not matches("mcp__memory__.*", tool("mcp__github__search"))
    assert matches("Edit$", tool("MultiEdit"))  # unanchored: finds Edit at the end
    assert matches("^Multi", tool("MultiEdit"))
    assert not matches("^Edit", tool("MultiEdit"))
    assert matches("Write|Edit.*", tool("NotebookEdit"))


def test_an_invalid_regex_matches_nothing_instead_of_raising():
    assert matches("Bash(", tool("Bash(")) is False
    assert matches("[", tool("Bash")) is False


def test_the_matcher_applies_to_the_events_own_field():
    assert matches("startup|resume", event("SessionStart", source="startup"))
    assert not matches("startup|resume", event("SessionStart", source="compact"))
    assert matches("manual", event("PreCompact", trigger="manual"))
    assert not matches("manual", event("PreCompact", trigger="auto"))
    assert matches("permission_prompt", event("Notification", notification_type="permission_prompt"))


def test_events_without_a_matcher_field_ignore_matchers():
    assert matches("Bash", event("Stop"))
    assert matches("Bash", event("UserPromptSubmit", prompt="hi"))
    assert matches("Bash", event("TaskCreated", task_id="t1"))
    assert matches("no(such)thing", event("PostToolBatch", tool_calls=[]))
    assert matches("Bash", event("FutureEvent", tool_name="Edit"))  # unknown events have no matcher field


def test_a_tool_event_without_a_tool_name_matches_only_match_all_matchers():
    assert not matches("Bash", event("PreToolUse"))
    assert not matches("Bash", event("PreToolUse", tool_name=42))
    assert matches("*", event("PreToolUse", tool_name=42))


def test_comma_and_space_separated_names_are_a_name_list_as_in_claude_code():
    assert matches("Bash, Edit", tool("Bash"))
    assert matches("Bash,Edit", tool("Edit"))
    assert matches("my-tool", tool("my-tool"))
    assert not matches("my-tool", tool("xmy-toolx"))  # a name, not an unanchored regex


# -- merge: permissions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decisions", "winner"),
    [
        (["allow", "deny"], "deny"),
        (["deny", "allow"], "deny"),
        (["allow", "ask"], "ask"),
        (["ask", "deny", "allow"], "deny"),
        (["defer", "allow"], "defer"),
        (["ask", "defer"], "ask"),
        (["deny", "defer", "ask"], "deny"),
        (["allow", "allow"], "allow"),
    ],
)
def test_the_strictest_permission_wins(decisions, winner):
    results = [(f"h{i}", HookResult(permission=p, reason=f"because {i}")) for i, p in enumerate(decisions)]

    merged = merge(results)

    assert merged.result.permission == winner
    assert merged.conflicts == ()


def test_only_the_winning_decisions_reasons_are_kept_in_plugin_order():
    merged = merge([
        ("a", HookResult.allow("fine by a")),
        ("b", HookResult.deny("b says no")),
        ("c", HookResult.ask("c wants to ask")),
        ("d", HookResult.deny("d says no too")),
        ("e", HookResult(permission="deny")),  # no reason: nothing to add
    ])

    assert merged.result.permission == "deny"
    assert merged.result.reason == "b says no; d says no too"


def test_results_without_a_permission_leave_it_unset():
    merged = merge([("a", HookResult.context("hello")), ("b", HookResult())])

    assert merged.result.permission is None
    assert merged.result.reason is None


def test_an_unknown_permission_value_is_ignored_and_reported():
    merged = merge([("a", HookResult(permission="maybe", reason="?")), ("b", HookResult.allow("ok"))])

    assert merged.result.permission == "allow"
    assert merged.result.reason == "ok"
    assert merged.conflicts == ("a: unknown permission 'maybe' ignored",)


def test_merge_ignores_anything_that_is_not_a_hook_result():
    merged = merge([("a", {"permission": "deny"}), ("b", None), ("c", HookResult.allow())])  # type: ignore[list-item]

    assert merged.result.permission == "allow"


def test_merge_of_nothing_is_an_empty_result():
    merged = merge([])

    assert merged.result == HookResult()
    assert merged.conflicts == ()
    assert answer("PreToolUse", merged.result) is None


# -- merge: blocks --------------------------------------------------------------------------


def test_any_block_wins_and_all_block_reasons_are_joined():
    merged = merge([
        ("a", HookResult.allow("a allows")),
        ("b", HookResult.blocking("tests are red")),
        ("c", HookResult.context("ctx")),
        ("d", HookResult.blocking("lint failed")),
    ])

    assert merged.result.block is True
    assert merged.result.reason == "tests are red; lint failed"  # not the allow's reason


def test_a_block_without_reason_keeps_block_and_no_reason():
    merged = merge([("a", HookResult(block=True))])

    assert merged.result.block is True
    assert merged.result.reason is None


# -- merge: additional context --------------------------------------------------------------


def test_contexts_are_concatenated_in_plugin_order_under_their_handlers_name():
    merged = merge([
        ("sprint", HookResult.context("Sprint 3 is active.\n")),
        ("quiet", HookResult.allow()),
        ("team", HookResult.context("  Team qa is idle.  ")),
    ])

    assert merged.result.additional_context == "[sprint]\nSprint 3 is active.\n\n[team]\nTeam qa is idle."


def test_a_context_longer_than_the_limit_is_cut_and_says_so():
    merged = merge([("a", HookResult.context("x" * 6000)), ("b", HookResult.context("y" * 6000))])

    context = merged.result.additional_context
    assert context is not None
    assert len(context) <= MAX_CONTEXT_CHARS < 10_000  # Claude Code moves 10,000+ characters to a file
    assert context.startswith("[a]\nxxx")
    assert "[b]\nyyy" in context
    assert context.endswith("\n[… context cut by orchcore]")


def test_a_context_at_the_limit_is_not_cut():
    text = "z" * (MAX_CONTEXT_CHARS - len("[a]\n"))
    merged = merge([("a", HookResult.context(text))])

    assert merged.result.additional_context == "[a]\n" + text


# -- merge: updatedInput, messages, stop, suppress_output -----------------------------------


def test_the_first_updated_input_is_used_and_a_differing_later_one_is_reported():
    merged = merge([
        ("first", HookResult(updated_input={"command": "ls -a"})),
        ("same", HookResult(updated_input={"command": "ls -a"})),
        ("other", HookResult(updated_input={"command": "rm -rf /"})),
    ])

    assert merged.result.updated_input == {"command": "ls -a"}
    assert merged.conflicts == ("other: its updatedInput differs from first's and was not used",)


def test_system_messages_are_joined_in_order():
    merged = merge([
        ("a", HookResult(system_message="one")), ("b", HookResult()), ("c", HookResult(system_message="two")),
    ])

    assert merged.result.system_message == "one\ntwo"


def test_any_stop_stops_and_the_stop_reasons_are_joined():
    merged = merge([
        ("a", HookResult(stop=True, stop_reason="budget spent")),
        ("b", HookResult()),
        ("c", HookResult(stop=True)),
        ("d", HookResult(stop=True, stop_reason="sprint over")),
    ])

    assert merged.result.stop is True
    assert merged.result.stop_reason == "budget spent; sprint over"


def test_no_stop_means_continue():
    assert merge([("a", HookResult(stop_reason="ignored without stop"))]).result.stop is False
    assert merge([("a", HookResult(stop_reason="ignored without stop"))]).result.stop_reason is None


def test_any_suppress_output_suppresses():
    assert merge([("a", HookResult()), ("b", HookResult(suppress_output=True))]).result.suppress_output is True
    assert merge([("a", HookResult())]).result.suppress_output is False


# -- answer: PreToolUse ---------------------------------------------------------------------


def test_pre_tool_use_deny_answer():
    assert answer("PreToolUse", HookResult.deny("no rm")) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "no rm",
        }
    }


@pytest.mark.parametrize("permission", ["allow", "deny", "ask", "defer"])
def test_pre_tool_use_carries_every_permission_decision(permission):
    out = specific(answer("PreToolUse", HookResult(permission=permission)))

    assert out == {"hookEventName": "PreToolUse", "permissionDecision": permission}


def test_pre_tool_use_carries_updated_input_and_context():
    result = HookResult(permission="allow", updated_input={"command": "ls -la"}, additional_context="[a]\nnote")

    assert answer("PreToolUse", result) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "updatedInput": {"command": "ls -la"},
            "additionalContext": "[a]\nnote",
        }
    }


def test_a_block_on_pre_tool_use_becomes_a_deny():
    out = answer("PreToolUse", HookResult.blocking("not now"))

    assert out == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "not now",
        }
    }
    assert "decision" not in out  # the top-level block is not a PreToolUse field


def test_an_unknown_permission_is_never_sent():
    assert answer("PreToolUse", HookResult(permission="maybe")) is None


# -- answer: PermissionRequest --------------------------------------------------------------


def test_permission_request_allow_carries_the_updated_input():
    out = answer("PermissionRequest", HookResult(permission="allow", updated_input={"command": "ls"}))

    assert out == {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {"behavior": "allow", "updatedInput": {"command": "ls"}},
        }
    }


def test_permission_request_deny_carries_the_reason_as_message():
    out = answer("PermissionRequest", HookResult.deny("not in this sprint"))

    assert out == {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {"behavior": "deny", "message": "not in this sprint"},
        }
    }


def test_permission_request_has_no_permission_decision_field():
    out = specific(answer("PermissionRequest", HookResult.allow("ok")))

    assert "permissionDecision" not in out
    assert "permissionDecisionReason" not in out
    assert out["decision"] == {"behavior": "allow"}


def test_a_block_on_permission_request_becomes_a_deny():
    out = answer("PermissionRequest", HookResult.blocking("blocked"))

    assert specific(out)["decision"] == {"behavior": "deny", "message": "blocked"}


@pytest.mark.parametrize("permission", ["ask", "defer"])
def test_permission_request_cannot_ask_or_defer(permission):
    assert answer("PermissionRequest", HookResult(permission=permission, reason="why")) is None


def test_permission_request_deny_does_not_carry_updated_input():
    out = answer("PermissionRequest", HookResult(permission="deny", updated_input={"x": 1}))

    assert specific(out) == {"hookEventName": "PermissionRequest", "decision": {"behavior": "deny"}}


# -- answer: blocks -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BLOCK_EVENTS))
def test_events_that_honour_a_block_get_decision_block_and_the_reason(name):
    out = answer(name, HookResult.blocking("keep going: tests are red"))

    assert out == {"decision": "block", "reason": "keep going: tests are red"}


def test_a_block_without_reason_still_gets_a_reason():
    assert answer("Stop", HookResult(block=True)) == {"decision": "block", "reason": "blocked by orchcore"}


@pytest.mark.parametrize("name", sorted(EXIT_CODE_EVENTS))
def test_events_blocked_by_exit_code_get_no_json_block(name):
    result = HookResult.blocking("no")

    assert answer(name, result) is None
    assert blocks_by_exit_code(name, result) is True


def test_blocks_by_exit_code_only_for_a_block_on_those_events():
    assert blocks_by_exit_code("TaskCreated", HookResult.context("x")) is False
    assert blocks_by_exit_code("TaskCreated", HookResult.deny("x")) is False
    for name in sorted(set(EVENTS) - EXIT_CODE_EVENTS):
        assert blocks_by_exit_code(name, HookResult.blocking("x")) is False, name
    assert blocks_by_exit_code("FutureEvent", HookResult.blocking("x")) is False


@pytest.mark.parametrize("name", ["SessionStart", "PostToolUseFailure", "SessionEnd", "Notification", "FutureEvent"])
def test_a_block_on_an_event_that_cannot_block_is_dropped(name):
    out = answer(name, HookResult.blocking("no"))

    assert out is None or "decision" not in out


# -- answer: context ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONTEXT_EVENTS))
def test_events_that_carry_context_get_it_in_hook_specific_output(name):
    assert answer(name, HookResult.context("[a]\nnote")) == {
        "hookSpecificOutput": {"hookEventName": name, "additionalContext": "[a]\nnote"}
    }


@pytest.mark.parametrize("name", sorted(set(EVENTS) - CONTEXT_EVENTS))
def test_events_that_cannot_carry_context_get_no_hook_specific_output(name):
    assert answer(name, HookResult.context("[a]\nnote")) is None


def test_an_unknown_event_gets_no_hook_specific_output():
    result = HookResult(permission="deny", reason="r", additional_context="c", updated_input={"a": 1}, block=True)

    assert answer("FutureEvent", result) is None


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_hook_event_name_always_equals_the_event(name):
    everything = HookResult(
        permission="allow", reason="r", block=True, additional_context="c", updated_input={"a": 1},
        system_message="m",
    )

    out = answer(name, everything)

    assert out is not None
    if "hookSpecificOutput" in out:
        assert out["hookSpecificOutput"]["hookEventName"] == name
    assert set(out) <= {"hookSpecificOutput", "decision", "reason", "systemMessage", "continue", "stopReason",
                        "suppressOutput"}


# -- answer: PreModelSwitch -----------------------------------------------------------------


@pytest.mark.parametrize("permission", ["allow", "deny", "ask"])
def test_pre_model_switch_carries_allow_deny_and_ask(permission):
    out = answer("PreModelSwitch", HookResult(permission=permission, reason="budget"))

    assert specific(out) == {
        "hookEventName": "PreModelSwitch", "permissionDecision": permission, "permissionDecisionReason": "budget",
    }


def test_pre_model_switch_never_gets_defer():
    assert answer("PreModelSwitch", HookResult(permission="defer", reason="later")) is None
    merged = merge([("a", HookResult(permission="defer")), ("b", HookResult(additional_context="x"))]).result
    assert answer("PreModelSwitch", merged) is None


def test_pre_model_switch_gets_no_updated_input():
    out = answer("PreModelSwitch", HookResult(permission="allow", updated_input={"model": "x"}))

    assert specific(out) == {"hookEventName": "PreModelSwitch", "permissionDecision": "allow"}


# -- PreSkillShellCommand (2.1.332) ---------------------------------------------------------


def test_a_skill_shell_command_reads_like_a_tool_call_and_matches_on_the_shell():
    skill = HookEvent.from_payload(SKILL_SHELL_COMMAND)

    assert (skill.tool_name, skill.tool_input) == ("Bash", {"command": "echo PROBE-MARKER argx"})
    assert skill.get("command_name") == "probe" and skill.get("invoked_by") == "user"
    assert matches("Bash", skill) and not matches("Edit|Write", skill)


def test_a_skill_shell_command_is_keyed_by_its_own_id():
    key = HookEvent.from_payload(SKILL_SHELL_COMMAND).key

    assert key == "PreSkillShellCommand:main:6647f993-4834-45fe-8721-b5e61e42be06:inner:preamble-0"


@pytest.mark.parametrize("permission", ["allow", "deny", "ask", "defer"])
def test_pre_skill_shell_command_carries_a_permission_like_pre_tool_use(permission):
    out = answer("PreSkillShellCommand", HookResult(permission=permission, reason="sprint frozen"))

    assert specific(out) == {"hookEventName": "PreSkillShellCommand", "permissionDecision": permission,
                             "permissionDecisionReason": "sprint frozen"}


def test_pre_skill_shell_command_never_gets_updated_input_or_context():
    # 2.1.332 never applies updatedInput there, and any value stops the command; it has no additionalContext.
    out = answer("PreSkillShellCommand", HookResult(permission="allow", updated_input={"command": "ls"},
                                                    additional_context="note"))

    assert specific(out) == {"hookEventName": "PreSkillShellCommand", "permissionDecision": "allow"}


def test_a_block_on_a_skill_shell_command_is_a_denial():
    out = answer("PreSkillShellCommand", HookResult.blocking("no shell in this mode"))

    assert specific(out) == {"hookEventName": "PreSkillShellCommand", "permissionDecision": "deny",
                             "permissionDecisionReason": "no shell in this mode"}
    assert not blocks_by_exit_code("PreSkillShellCommand", HookResult.blocking("x"))


# -- answer: common fields ------------------------------------------------------------------


def test_system_message_stop_and_suppress_output_are_top_level_on_any_event():
    result = HookResult(system_message="heads up", stop=True, stop_reason="sprint over", suppress_output=True)

    for name in ("PreToolUse", "SessionEnd", "TaskCreated", "FutureEvent"):
        assert answer(name, result) == {
            "systemMessage": "heads up", "continue": False, "stopReason": "sprint over", "suppressOutput": True,
        }


def test_stop_without_reason_has_no_stop_reason():
    assert answer("Stop", HookResult(stop=True)) == {"continue": False}


@pytest.mark.parametrize("name", sorted(EVENTS) + ["FutureEvent"])
def test_an_empty_result_answers_nothing(name):
    assert answer(name, HookResult()) is None
