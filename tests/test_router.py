"""``orch hook`` end to end, in-process: the gate, then the router, with the test's plugins and store.

Every case goes through ``orch_hook`` (``orchcore.testing``), which runs the same
path as the console script: the gate answers sessions whose orchestration is
off; the router finds or creates the session, records lifecycle events, runs
the hook handlers plugins registered (each within its time budget, a failing
one isolated and reported), merges their results, records a ``hook.handled``
event and answers in Claude Code's protocol.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import threading
import time
from pathlib import Path

import pytest

from orchcore.entry import run_hook
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
OTHER_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"
NEW_SESSION = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
CAPTURED = Path(__file__).resolve().parents[2] / "shared" / "claude-code" / "captured"

pytestmark = pytest.mark.exercises_hook("orch_hook_handlers")


# -- helpers ----------------------------------------------------------------------------------


def hook_payload(event: str, session: str = SESSION, **fields) -> dict:
    """A payload shaped like Claude Code's: session_id first, then the common fields."""
    return {
        "session_id": session,
        "transcript_path": f"/home/dev/.claude/projects/-w/{session}.jsonl",
        "cwd": "/home/dev/webapp",
        "permission_mode": "default",
        "hook_event_name": event,
        **fields,
    }


_tool_use_ids = itertools.count(1)


def pre_tool_use(tool: str = "Bash", session: str = SESSION, **tool_input) -> dict:
    """A tool call as Claude Code announces it: every call has its own tool_use_id."""
    return hook_payload(
        "PreToolUse", session, tool_name=tool, tool_input=tool_input or {"command": "ls"},
        tool_use_id=f"toolu_{next(_tool_use_ids):02d}",
    )


def handlers(*specs: HookHandler) -> object:
    """A plugin object providing ``specs`` through ``orch_hook_handlers``."""

    class Plugin:
        @hookimpl
        def orch_hook_handlers(self):
            return list(specs)

    return Plugin()


def returning(name: str, result: HookResult | None, events=("*",), **options) -> HookHandler:
    return HookHandler(name=name, events=events, handler=lambda event, context: result, **options)


def types(bus, session: str = SESSION) -> list[str]:
    return [e.type for e in bus.store.events(session)]


def of_type(bus, type: str, session: str = SESSION) -> list:
    return bus.store.events(session, types=[type])


def last(bus, type: str, session: str = SESSION):
    found = of_type(bus, type, session)
    assert found, f"no {type} event in {types(bus, session)}"
    return found[-1]


def silent(run) -> None:
    assert run.exit_code == 0, run.stderr
    assert run.stdout == ""
    assert run.stderr == ""


@pytest.fixture
def enabled(orch_bus):
    """SESSION, tracked with orchestration on."""
    return orch_bus.create_session(SESSION, orchestration_enabled=True)


@pytest.fixture
def release():
    """An event that sleeping handlers wait on; set at teardown so no thread outlives the test by long."""
    done = threading.Event()
    yield done
    done.set()


# -- sessions whose orchestration is off -------------------------------------------------------


def test_an_off_session_passes_through_with_no_output_and_no_event(orch_hook, orch_bus, register_plugin):
    orch_bus.create_session(SESSION)
    calls = []
    register_plugin(handlers(HookHandler("spy", ["*"], lambda e, c: calls.append(e) or HookResult.deny("no"))))

    run = orch_hook(pre_tool_use())

    silent(run)
    assert types(orch_bus) == ["session.created"]
    assert calls == []


def test_the_first_event_of_an_unknown_session_creates_it_with_orchestration_off(orch_hook, orch_bus, orch_project):
    run = orch_hook(pre_tool_use(session=NEW_SESSION))

    silent(run)
    session = orch_bus.store.load(NEW_SESSION)
    assert session is not None
    assert session.orchestration_enabled is False
    assert types(orch_bus, NEW_SESSION) == ["session.created"]
    assert of_type(orch_bus, "session.created", NEW_SESSION)[0].source == "hook"
    assert (orch_project / ".claude" / "state" / "gate" / f"{NEW_SESSION}.off").exists()

    silent(orch_hook(pre_tool_use(session=NEW_SESSION)))  # from now on the gate answers
    assert types(orch_bus, NEW_SESSION) == ["session.created"]


def test_the_project_default_turns_orchestration_on_for_new_sessions(
    orch_hook, orch_bus, orch_project, register_plugin
):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"orchestration": {"enabled": True}}))
    register_plugin(handlers(returning("guard", HookResult.deny("no"), events=["PreToolUse"])))

    run = orch_hook(pre_tool_use(session=NEW_SESSION))

    assert run.exit_code == 0
    assert run.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert orch_bus.store.load(NEW_SESSION).orchestration_enabled is True
    assert types(orch_bus, NEW_SESSION) == ["session.created", "hook.handled"]
    assert (orch_project / ".claude" / "state" / "gate" / f"{NEW_SESSION}.on").exists()


def test_the_project_default_does_not_change_existing_sessions(orch_hook, orch_bus, orch_project):
    orch_bus.create_session(SESSION)
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"orchestration": {"enabled": True}}))

    silent(orch_hook(pre_tool_use()))

    assert orch_bus.store.load(SESSION).orchestration_enabled is False


def test_orch_enabled_1_turns_an_off_session_on_for_the_event(orch_hook, orch_bus, register_plugin):
    orch_bus.create_session(SESSION)
    register_plugin(handlers(returning("guard", HookResult.deny("no"))))

    run = orch_hook(pre_tool_use(), env={"ORCH_ENABLED": "1"})

    assert run.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert types(orch_bus) == ["session.created", "hook.handled"]
    assert orch_bus.store.load(SESSION).orchestration_enabled is False  # the stored flag is unchanged


def test_orch_enabled_0_turns_an_on_session_off_for_the_event(orch_hook, orch_bus, enabled, register_plugin):
    register_plugin(handlers(returning("guard", HookResult.deny("no"))))

    silent(orch_hook(pre_tool_use(), env={"ORCH_ENABLED": "0"}))
    silent(orch_hook(hook_payload("Stop", stop_hook_active=False), env={"ORCH_ENABLED": "false"}))

    assert types(orch_bus) == ["session.created"]


# -- SessionStart and SessionEnd --------------------------------------------------------------


def test_session_start_records_session_started_even_when_orchestration_is_off(orch_hook, orch_bus):
    orch_bus.create_session(SESSION)

    silent(orch_hook(hook_payload("SessionStart", source="resume")))

    assert types(orch_bus) == ["session.created", "session.started"]
    started = last(orch_bus, "session.started")
    assert started.data == {"source": "resume", "transcript_path": f"/home/dev/.claude/projects/-w/{SESSION}.jsonl"}
    assert started.source == "hook"


def test_session_start_of_a_new_session_creates_and_starts_it(orch_hook, orch_bus):
    silent(orch_hook(hook_payload("SessionStart", NEW_SESSION, source="startup")))

    assert types(orch_bus, NEW_SESSION) == ["session.created", "session.started"]


def test_session_end_records_session_ended_and_sets_ended_at(orch_hook, orch_bus):
    orch_bus.create_session(SESSION)

    silent(orch_hook(hook_payload("SessionEnd", reason="prompt_input_exit")))

    ended = last(orch_bus, "session.ended")
    assert ended.data == {"reason": "prompt_input_exit"}
    session = orch_bus.store.load(SESSION)
    assert session.ended_at == ended.ts

    silent(orch_hook(hook_payload("SessionStart", source="resume")))  # resumed: live again
    assert orch_bus.store.load(SESSION).ended_at is None


def test_session_start_and_end_of_an_on_session_are_also_routed(orch_hook, orch_bus, enabled, register_plugin):
    register_plugin(handlers(returning("hello", HookResult.context("Sprint 3 is active."), events=["SessionStart"])))

    start = orch_hook(hook_payload("SessionStart", source="startup"))
    end = orch_hook(hook_payload("SessionEnd", reason="other"))

    assert start.answer == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "[hello]\nSprint 3 is active."}
    }
    silent(end)
    assert types(orch_bus) == ["session.created", "session.started", "hook.handled", "session.ended", "hook.handled"]
    assert of_type(orch_bus, "hook.handled")[0].data["source"] == "startup"
    assert of_type(orch_bus, "hook.handled")[1].data["reason"] == "other"


def test_a_session_start_without_source_records_an_empty_source(orch_hook, orch_bus):
    silent(orch_hook(hook_payload("SessionStart", source=None)))

    assert last(orch_bus, "session.started").data["source"] == ""


# -- hook.handled -----------------------------------------------------------------------------


def test_every_routed_event_of_an_on_session_is_recorded_with_handler_timings(orch_hook, orch_bus, enabled,
                                                                            register_plugin):
    register_plugin(handlers(returning("quiet", None), returning("loud", HookResult.allow())), name="p")

    assert orch_hook(pre_tool_use()).answer["hookSpecificOutput"]["permissionDecision"] == "allow"
    silent(orch_hook(hook_payload("Stop", stop_hook_active=False)))  # allow is not a Stop answer

    first, second = of_type(orch_bus, "hook.handled")
    assert first.source == "hook"
    assert first.data["event"] == "PreToolUse"
    assert first.data["tool_name"] == "Bash"
    assert first.data["tool_use_id"].startswith("toolu_")
    assert first.data["permission"] == "allow"
    assert set(first.data["handlers"]) == {"quiet", "loud"}
    for run in first.data["handlers"].values():
        assert run["ok"] is True
        assert isinstance(run["ms"], float) and 0 <= run["ms"] < 1000
    assert second.data["event"] == "Stop"
    metrics = orch_bus.store.load(SESSION).state.metrics
    assert metrics["hook_events"] == {"PreToolUse": 1, "Stop": 1}
    assert metrics["handlers"]["quiet"]["calls"] == 2
    assert metrics["handlers"]["quiet"]["failures"] == 0


def test_an_on_session_whose_handlers_have_nothing_to_say_answers_nothing_but_records_the_event(
    orch_hook, orch_bus, enabled
):
    silent(orch_hook(hook_payload("UserPromptSubmit", prompt="check the project")))

    handled = last(orch_bus, "hook.handled")
    assert {k: v for k, v in handled.data.items() if k != "handlers"} == {
        "event": "UserPromptSubmit", "prompt": "check the project"
    }
    assert set(handled.data["handlers"]) == {"program-palette", "program-context"}  # the built-ins, silent


def test_the_summary_keeps_at_most_200_characters_of_the_prompt(orch_hook, orch_bus, enabled):
    orch_hook(hook_payload("UserPromptSubmit", prompt="p" * 1000))

    assert last(orch_bus, "hook.handled").data["prompt"] == "p" * 200


# -- handlers and their answers -----------------------------------------------------------------


def test_a_handler_can_deny_a_tool_call(orch_hook, orch_bus, enabled, register_plugin):
    def no_force_push(event, context):
        if "push --force" in event.tool_input.get("command", ""):
            return HookResult.deny("force-push is not allowed")
        return None

    register_plugin(handlers(HookHandler("no-force-push", ["PreToolUse"], no_force_push, matcher="Bash")))

    denied = orch_hook(pre_tool_use(command="git push --force origin main"))
    allowed = orch_hook(pre_tool_use(command="git status"))

    assert denied.exit_code == 0
    assert denied.stderr == ""
    assert denied.answer == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "force-push is not allowed",
        }
    }
    assert denied.stdout.endswith("}\n") and denied.stdout.count("\n") == 1
    silent(allowed)
    assert [e.data.get("permission") for e in of_type(orch_bus, "hook.handled")] == ["deny", None]


def test_handlers_get_the_event_and_the_session_state(orch_hook, orch_bus, enabled, register_plugin):
    seen = []

    def look(event, context):
        seen.append((event.hook_event_name, event.tool_name, event.get("permission_mode"), context.plugin,
                     context.handler, context.session.session_id, context.session.orchestration_enabled))

    register_plugin(handlers(HookHandler("look", ["PreToolUse"], look)), name="looker")

    orch_hook(pre_tool_use())

    assert seen == [("PreToolUse", "Bash", "default", "looker", "look", SESSION, True)]


def test_several_handlers_merge_deny_beats_allow_and_contexts_are_attributed_in_plugin_order(
    orch_hook, orch_bus, enabled, register_plugin
):
    register_plugin(handlers(
        returning("sprint-context", HookResult(permission="allow", reason="fine", additional_context="Sprint 3.")),
    ), name="first")
    register_plugin(handlers(
        returning("guard", HookResult(permission="deny", reason="not during the freeze",
                                      additional_context="Code freeze until Friday.")),
    ), name="second")
    register_plugin(handlers(returning("asker", HookResult.ask("maybe"))), name="third")

    run = orch_hook(pre_tool_use())

    assert run.answer == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "not during the freeze",
            "additionalContext": "[sprint-context]\nSprint 3.\n\n[guard]\nCode freeze until Friday.",
        }
    }
    assert last(orch_bus, "hook.handled").data["permission"] == "deny"


def test_conflicting_updated_input_uses_the_first_and_is_logged_as_a_plugin_error(
    orch_hook, orch_bus, enabled, register_plugin
):
    register_plugin(handlers(returning("quote", HookResult(updated_input={"command": "ls -la"}))), name="a")
    register_plugin(handlers(returning("rewrite", HookResult(updated_input={"command": "ls -R"}))), name="b")

    run = orch_hook(pre_tool_use())

    assert run.exit_code == 0
    assert run.answer == {"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"command": "ls -la"}}}
    (error,) = of_type(orch_bus, "plugin.error")
    assert error.data == {
        "plugin": "orchcore", "where": "merge",
        "error": "rewrite: its updatedInput differs from quote's and was not used",
    }


def test_an_unknown_permission_is_reported_as_a_plugin_error(orch_hook, orch_bus, enabled, register_plugin):
    register_plugin(handlers(returning("odd", HookResult(permission="maybe"))))

    silent(orch_hook(pre_tool_use()))

    assert last(orch_bus, "plugin.error").data["error"] == "odd: unknown permission 'maybe' ignored"


def test_a_handler_with_a_tool_matcher_is_called_only_for_that_tool(orch_hook, orch_bus, enabled, register_plugin):
    calls = []
    register_plugin(handlers(
        HookHandler("bash-only", ["PreToolUse"], lambda e, c: calls.append(e.tool_name), matcher="Bash"),
        HookHandler("edits", ["PreToolUse"], lambda e, c: calls.append("edits:" + e.tool_name), matcher="Edit|Write"),
        HookHandler("mcp", ["PreToolUse"], lambda e, c: calls.append("mcp:" + e.tool_name), matcher="mcp__.*"),
    ))

    orch_hook(pre_tool_use("Edit", file_path="/w/a.py"))
    orch_hook(pre_tool_use("Bash"))
    orch_hook(pre_tool_use("mcp__memory__create_entities"))

    assert calls == ["edits:Edit", "Bash", "mcp:mcp__memory__create_entities"]
    assert [set(e.data["handlers"]) for e in of_type(orch_bus, "hook.handled")] == [{"edits"}, {"bash-only"}, {"mcp"}]


def test_a_handler_is_called_only_for_its_events(orch_hook, orch_bus, enabled, register_plugin):
    calls = []
    stops = HookHandler("stops", ["Stop", "SubagentStop"], lambda e, c: calls.append(e.hook_event_name))
    register_plugin(handlers(stops))

    orch_hook(pre_tool_use())
    orch_hook(hook_payload("Stop", stop_hook_active=False))
    orch_hook(hook_payload("SubagentStop", agent_id="a1", agent_type="general-purpose", stop_hook_active=False))

    assert calls == ["Stop", "SubagentStop"]


def test_a_handler_for_star_gets_every_event_even_unknown_ones(orch_hook, orch_bus, enabled, register_plugin):
    calls = []
    register_plugin(handlers(HookHandler("all", ["*"], lambda e, c: calls.append(e.hook_event_name), matcher="Bash")))

    for payload in (
        hook_payload("SessionStart", source="startup"),  # its matcher applies to the source: not called
        hook_payload("SessionStart", source="Bash"),
        hook_payload("UserPromptSubmit", prompt="hi"),
        pre_tool_use("Bash"),
        pre_tool_use("Edit"),  # the matcher still applies to tool events
        hook_payload("Stop", stop_hook_active=False),
        hook_payload("FutureEvent", tool_name="Edit"),  # no matcher field: the matcher is ignored
    ):
        orch_hook(payload)

    assert calls == ["SessionStart", "UserPromptSubmit", "PreToolUse", "Stop", "FutureEvent"]


def test_a_handler_returning_none_adds_nothing(orch_hook, orch_bus, enabled, register_plugin):
    register_plugin(handlers(returning("nothing", None), returning("ctx", HookResult.context("hi"))))

    run = orch_hook(hook_payload("UserPromptSubmit", prompt="x"))

    assert run.answer == {"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": "[ctx]\nhi"}}


def test_a_stop_block_makes_claude_continue(orch_hook, orch_bus, enabled, register_plugin):
    register_plugin(handlers(returning("tests-first", HookResult.blocking("run the tests first"), events=["Stop"])))

    run = orch_hook(hook_payload("Stop", stop_hook_active=False, last_assistant_message="done"))

    assert run.exit_code == 0
    assert run.answer == {"decision": "block", "reason": "run the tests first"}
    assert last(orch_bus, "hook.handled").data["block"] is True


def test_a_user_prompt_block_stops_the_prompt(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("palette", HookResult.blocking("handled locally"), events=["UserPromptSubmit"])))

    run = orch_hook(hook_payload("UserPromptSubmit", prompt="/status"))

    assert run.answer == {"decision": "block", "reason": "handled locally"}


def test_a_prompt_typed_while_the_turn_ends_is_a_new_prompt_though_it_comes_with_that_turns_id(
        orch_hook, orch_bus, enabled, register_plugin):
    # Claude Code 2.1.332 submits a prompt typed while the turn's Stop hooks run with the ending turn's prompt_id.
    seen = []
    register_plugin(handlers(HookHandler("palette", ["UserPromptSubmit"],
                                         lambda e, c: seen.append(e.prompt) or HookResult.blocking("answered"))))
    turn = {"prompt_id": "0c1d4f6e-7a1b-4c2d-9e3f-5a6b7c8d9e0f"}

    first = orch_hook(hook_payload("UserPromptSubmit", prompt="fix the login page", **turn))
    joined = orch_hook(hook_payload("UserPromptSubmit", prompt="status", **turn))

    assert first.answer["decision"] == joined.answer["decision"] == "block"
    assert seen == ["fix the login page", "status"]
    prompts = [e.data for e in of_type(orch_bus, "hook.handled") if e.data["event"] == "UserPromptSubmit"]
    assert [(p["prompt"], p["prompt_id"]) for p in prompts] == [
        ("fix the login page", turn["prompt_id"]), ("status", turn["prompt_id"])]


def test_a_prompt_delivered_again_is_not_applied_again_joined_or_not(orch_hook, orch_bus, enabled, register_plugin):
    seen = []
    register_plugin(handlers(HookHandler("palette", ["UserPromptSubmit"], lambda e, c: seen.append(e.prompt))))
    turn = {"prompt_id": "0c1d4f6e-7a1b-4c2d-9e3f-5a6b7c8d9e0f"}

    for prompt in ("fix the login page", "status", "status", "fix the login page"):
        orch_hook(hook_payload("UserPromptSubmit", prompt=prompt, **turn))

    assert seen == ["fix the login page", "status"]
    assert sum(e.data["event"] == "UserPromptSubmit" for e in of_type(orch_bus, "hook.handled")) == 2


def test_a_permission_request_answer(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("ok", HookResult(permission="allow", updated_input={"command": "ls"}))))

    run = orch_hook(hook_payload("PermissionRequest", tool_name="Bash", tool_input={"command": "ls"}))

    assert run.answer == {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest", "decision": {"behavior": "allow", "updatedInput": {"command": "ls"}},
        }
    }


@pytest.mark.parametrize("name", ["TaskCreated", "TaskCompleted", "TeammateIdle", "PreCompact", "ConfigChange"])
def test_a_block_on_an_exit_code_event_exits_2_with_the_reason_on_stderr(orch_hook, orch_bus, enabled,
                                                                      register_plugin, name):
    register_plugin(handlers(returning("no-tasks", HookResult.blocking("no new tasks during the freeze"))))

    run = orch_hook(hook_payload(name, task_id="t1", task_subject="Refactor", trigger="manual", source="user_settings"))

    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == "no new tasks during the freeze\n"
    assert last(orch_bus, "hook.handled").data["block"] is True


def test_a_block_without_reason_on_task_created_still_explains(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("no", HookResult(block=True))))

    run = orch_hook(hook_payload("TaskCreated", task_id="t1", task_subject="x"))

    assert run.exit_code == 2
    assert run.stderr == "blocked by orchcore\n"


def test_task_created_without_a_block_exits_0(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("ctx", HookResult.context("noted"))))

    silent(orch_hook(hook_payload("TaskCreated", task_id="t1", task_subject="x")))


# -- unknown events -----------------------------------------------------------------------------


def test_an_unknown_event_passes_through_and_its_fields_are_kept(orch_hook, orch_bus, enabled, register_plugin):
    seen = []

    def everything(event, context):
        seen.append(event.raw)
        return HookResult(permission="deny", reason="r", additional_context="c", block=True)

    register_plugin(handlers(HookHandler("all", ["*"], everything)))
    payload = hook_payload(
        "FutureEvent", tool_name="Hologram", tool_use_id="toolu_9", agent_id="a1", agent_type="Explore",
        source="wormhole", reason="curiosity", future_field={"nested": [1, {"deep": None}]},
    )

    run = orch_hook(payload)

    silent(run)  # nothing it could carry is sent, and it never blocks by exit code
    assert seen == [payload]
    handled = last(orch_bus, "hook.handled")
    assert handled.data == {
        "event": "FutureEvent", "handlers": {"all": handled.data["handlers"]["all"]},
        "tool_name": "Hologram", "tool_use_id": "toolu_9", "agent_id": "a1", "agent_type": "Explore",
        "source": "wormhole", "reason": "curiosity", "permission": "deny", "block": True,
    }


def test_an_unknown_event_of_an_off_session_passes_through(orch_hook, orch_bus):
    orch_bus.create_session(SESSION)

    silent(orch_hook(hook_payload("FutureEvent", anything=[1, 2, 3])))

    assert types(orch_bus) == ["session.created"]


# -- failing handlers -------------------------------------------------------------------------


def test_a_raising_handler_is_skipped_recorded_and_reported_once_per_session(
    orch_hook, orch_bus, orch_plugin_manager, enabled, register_plugin
):
    def boom(event, context):
        raise RuntimeError("the plugin is broken")

    register_plugin(handlers(HookHandler("boom", ["*"], boom)), name="broken")
    register_plugin(handlers(returning("guard", HookResult.deny("no rm"))), name="good")

    first = orch_hook(pre_tool_use())
    second = orch_hook(pre_tool_use())

    assert first.exit_code == 0
    assert first.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert first.answer["systemMessage"] == (
        "orchcore: hook handler 'boom' (plugin 'broken') raised RuntimeError: the plugin is broken; it was skipped. "
        "See `orch events list --type plugin.error`."
    )
    assert second.answer == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "no rm",
        }
    }
    errors = of_type(orch_bus, "plugin.error")
    assert [e.data for e in errors] == [
        {"plugin": "broken", "where": "hook handler boom", "error": "raised RuntimeError: the plugin is broken"}
    ] * 2
    assert [e.data for e in of_type(orch_bus, "hook.failure_reported")] == [{"handler": "boom", "plugin": "broken"}]
    assert orch_bus.store.load(SESSION).plugins["router"]["reported"] == [{"handler": "boom", "plugin": "broken"}]
    assert of_type(orch_bus, "hook.handled")[0].data["handlers"]["boom"]["ok"] is False
    assert orch_plugin_manager.records["broken"].status == "error"
    assert "raised RuntimeError" in orch_plugin_manager.records["broken"].error


def test_a_failure_is_reported_again_in_another_session(orch_hook, orch_bus, enabled, register_plugin):
    orch_bus.create_session(OTHER_SESSION, orchestration_enabled=True)
    register_plugin(handlers(HookHandler("boom", ["*"], lambda e, c: 1 / 0)), name="broken")

    assert "ZeroDivisionError" in orch_hook(pre_tool_use()).answer["systemMessage"]
    assert "ZeroDivisionError" in orch_hook(pre_tool_use(session=OTHER_SESSION)).answer["systemMessage"]
    assert orch_hook(pre_tool_use()).answer is None


def test_the_failure_notice_is_added_to_the_handlers_own_system_messages(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("note", HookResult(system_message="sprint 3 ends today"))), name="a")
    register_plugin(handlers(HookHandler("boom", ["*"], lambda e, c: [][1])), name="b")

    message = orch_hook(hook_payload("Stop", stop_hook_active=False)).answer["systemMessage"]

    first, second = message.split("\n")
    assert first == "sprint 3 ends today"
    assert second.startswith("orchcore: hook handler 'boom' (plugin 'b') raised IndexError")


def test_a_handler_over_its_budget_is_skipped_and_the_hook_does_not_wait(
    orch_hook, orch_bus, enabled, register_plugin, release
):
    def slow(event, context):
        context.emit("metric.recorded", {"name": "slow_started"})
        release.wait(2.0)  # "sleeps 2 s" unless the test is over
        return HookResult.deny("too late")

    register_plugin(handlers(HookHandler("slow", ["PreToolUse"], slow, timeout_ms=50)), name="sluggish")
    register_plugin(handlers(returning("ctx", HookResult.context("on time"))), name="fast")

    started = time.perf_counter()
    run = orch_hook(pre_tool_use())
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert run.exit_code == 0
    assert run.answer["hookSpecificOutput"] == {"hookEventName": "PreToolUse", "additionalContext": "[ctx]\non time"}
    assert run.answer["systemMessage"].startswith(
        "orchcore: hook handler 'slow' (plugin 'sluggish') ran over its 50 ms budget; it was skipped."
    )
    assert last(orch_bus, "plugin.error").data["error"] == "ran over its 50 ms budget"
    timing = last(orch_bus, "hook.handled").data["handlers"]["slow"]
    assert timing["ok"] is False
    assert 40 <= timing["ms"] < 1000
    assert "slow_started" not in orch_bus.store.load(SESSION).state.metrics  # not committed


def test_a_handler_over_its_budget_while_running_another_plugins_code_is_that_plugins_failure(
    orch_hook, orch_bus, orch_plugin_manager, enabled, register_plugin, release
):
    """The built-in program handlers run programs' code this way (``HookContext.acting_for``)."""

    def host(event, context):
        with context.acting_for("guest", "the guest's step"):
            release.wait(2.0)  # the guest's code is slow
        return None

    register_plugin(handlers(HookHandler("host", ["PreToolUse"], host, timeout_ms=50)), name="hosting")
    register_plugin(object(), name="guest")

    message = orch_hook(pre_tool_use()).answer["systemMessage"]

    assert message.startswith(
        "orchcore: hook handler 'host' (plugin 'guest') ran over its 50 ms budget (in the guest's step); "
        "it was skipped."
    )
    assert last(orch_bus, "plugin.error").data == {
        "plugin": "guest", "where": "hook handler host", "error": "ran over its 50 ms budget (in the guest's step)",
    }
    assert orch_plugin_manager.records["guest"].status == "error"
    assert orch_plugin_manager.records["hosting"].status == "active"


def test_a_handler_over_its_budget_after_the_other_plugins_code_returned_is_its_own_failure(
    orch_hook, orch_bus, orch_plugin_manager, enabled, register_plugin, release
):
    def host(event, context):
        with context.acting_for("guest", "the guest's step"):
            pass  # the guest's code was quick
        release.wait(2.0)  # the host's own code is slow
        return None

    register_plugin(handlers(HookHandler("host", ["PreToolUse"], host, timeout_ms=50)), name="hosting")
    register_plugin(object(), name="guest")

    orch_hook(pre_tool_use())

    assert last(orch_bus, "plugin.error").data["plugin"] == "hosting"
    assert last(orch_bus, "plugin.error").data["error"] == "ran over its 50 ms budget"
    assert orch_plugin_manager.records["guest"].status == "active"


def guest_failures(*plugins: str) -> HookHandler:
    """A handler that fails on behalf of one plugin after the other, as program-palette does for programs."""
    from orchcore.errors import PluginFault

    turn = iter(plugins)

    def host(event, context):
        raise PluginFault(next(turn), "raised KeyError: 'board'")

    return HookHandler("host", ["PreToolUse"], host)


def test_two_plugins_failing_in_the_same_handler_are_each_reported_once_per_session(
    orch_hook, orch_bus, enabled, register_plugin
):
    register_plugin(handlers(guest_failures("alpha", "beta", "alpha", "beta")), name="hosting")

    messages = [orch_hook(pre_tool_use()).answer for _ in range(4)]

    assert "(plugin 'alpha')" in messages[0]["systemMessage"]
    assert "(plugin 'beta')" in messages[1]["systemMessage"]
    assert messages[2:] == [None, None]
    assert orch_bus.store.load(SESSION).plugins["router"]["reported"] == [
        {"handler": "host", "plugin": "alpha"}, {"handler": "host", "plugin": "beta"},
    ]
    assert len(of_type(orch_bus, "plugin.error")) == 4  # each failure is recorded; only the notice is once


def test_a_session_recorded_when_notices_named_only_the_handler_keeps_its_record(
    orch_hook, orch_bus, enabled, register_plugin
):
    """Such a notice was about the handler's own plugin: that one is not told again; another plugin's is."""
    orch_bus.emit(SESSION, "hook.failure_reported", {"handler": "host"}, "hook")  # as recorded then
    assert orch_bus.store.load(SESSION).plugins["router"]["reported"] == ["host"]
    register_plugin(handlers(guest_failures("hosting", "guest", "guest")), name="hosting")

    messages = [orch_hook(pre_tool_use()).answer for _ in range(3)]

    assert messages[0] is None  # its own failure: told before
    assert "hook handler 'host' (plugin 'guest')" in messages[1]["systemMessage"]
    assert messages[2] is None
    reported = orch_bus.store.load(SESSION).plugins["router"]["reported"]
    assert reported == ["host", {"handler": "host", "plugin": "guest"}]


@pytest.mark.parametrize(
    ("value", "kind"), [({"permission": "deny"}, "dict"), ("deny", "str"), (True, "bool"), ([HookResult()], "list")]
)
def test_a_handler_returning_something_else_than_a_hook_result_is_a_failure(
    orch_hook, orch_bus, enabled, register_plugin, value, kind
):
    register_plugin(handlers(HookHandler("odd", ["*"], lambda e, c: value)), name="odd-plugin")

    run = orch_hook(pre_tool_use())

    assert run.answer == {
        "systemMessage": f"orchcore: hook handler 'odd' (plugin 'odd-plugin') returned {kind}, not a HookResult; "
        "it was skipped. See `orch events list --type plugin.error`."
    }
    assert last(orch_bus, "plugin.error").data["error"] == f"returned {kind}, not a HookResult"
    assert last(orch_bus, "hook.handled").data["handlers"]["odd"]["ok"] is False


def test_events_a_handler_emits_are_committed_only_when_it_succeeds(orch_hook, orch_bus, enabled, register_plugin):
    def counts(event, context):
        context.emit("metric.recorded", {"name": "tool_calls"})
        context.emit("state.set", {"path": "state.metrics.last_tool", "value": event.tool_name})
        return None

    def half_done(event, context):
        context.emit("metric.recorded", {"name": "half_done"})
        raise ValueError("changed my mind")

    def wrong_answer(event, context):
        context.emit("metric.recorded", {"name": "wrong_answer"})
        return "deny"

    register_plugin(handlers(
        HookHandler("counts", ["PreToolUse"], counts),
        HookHandler("half-done", ["PreToolUse"], half_done),
        HookHandler("wrong-answer", ["PreToolUse"], wrong_answer),
    ), name="emitters")

    orch_hook(pre_tool_use())
    orch_hook(pre_tool_use("Edit"))

    session = orch_bus.store.load(SESSION)
    assert session.state.metrics["tool_calls"] == 2
    assert "half_done" not in session.state.metrics
    assert "wrong_answer" not in session.state.metrics
    assert session.state.metrics["last_tool"] == "Edit"
    emitted = [e for e in orch_bus.store.events(SESSION) if e.source.startswith("handler:")]
    assert [(e.type, e.source) for e in emitted] == [
        ("metric.recorded", "handler:counts"), ("state.set", "handler:counts")
    ] * 2
    hook_events = [e.type for e in orch_bus.store.events(SESSION)]
    first_handled = hook_events.index("hook.handled")
    assert hook_events.index("metric.recorded") < first_handled  # committed before the event is recorded


def test_strict_plugins_make_a_raising_handler_exit_1_with_the_error_on_stderr(
    orch_hook, orch_bus, enabled, register_plugin
):
    register_plugin(handlers(HookHandler("boom", ["*"], lambda e, c: 1 / 0)), name="broken")
    register_plugin(handlers(returning("guard", HookResult.deny("no"))), name="good")

    run = orch_hook(pre_tool_use(), env={"ORCH_STRICT_PLUGINS": "1"})

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.startswith(
        "orch hook: PluginError: plugin 'broken': hook handler 'boom' raised ZeroDivisionError"
    )
    assert run.stderr.count("\n") == 1


def test_strict_plugins_leave_working_handlers_alone(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("guard", HookResult.deny("no"))))

    run = orch_hook(pre_tool_use(), env={"ORCH_STRICT_PLUGINS": "1"})

    assert run.exit_code == 0
    assert run.answer["hookSpecificOutput"]["permissionDecision"] == "deny"


# -- input the router cannot route ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "logged"),
    [
        (b"", "passed through: empty input"),
        (b"{not json", "passed through: input is not JSON"),
        (b"[1, 2]", "passed through: input is a JSON list, not an object"),
        (json.dumps({"session_id": SESSION}).encode(), "passed through: no hook_event_name"),
        (json.dumps({"session_id": "../../etc", "hook_event_name": "Stop"}).encode(),
         "passed through: Stop: session_id is not a Claude Code session id"),
    ],
)
def test_input_that_cannot_be_routed_passes_through_and_is_logged(orch_hook, orch_bus, orch_project, data, logged):
    silent(orch_hook(data))

    log = (orch_project / ".claude" / "state" / "hook.log").read_text()
    assert logged in log
    assert orch_bus.store.sessions() == []


def test_outside_an_orchcore_project_nothing_is_logged(orch_hook, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()

    silent(orch_hook(b"{not json", env={"CLAUDE_PROJECT_DIR": str(bare)}))

    assert list(bare.iterdir()) == []


def test_a_corrupt_database_passes_through_and_is_logged(orch_hook, orch_project):
    state = orch_project / ".claude" / "state"
    state.mkdir(parents=True)
    (state / "orchcore.db").write_bytes(b"this is not an SQLite database\n" * 200)

    run = orch_hook(pre_tool_use())

    silent(run)
    log = (state / "hook.log").read_text()
    first = log.splitlines()[0]
    assert "passed through PreToolUse: StoreFault:" in first
    assert "is not an SQLite database" in first
    assert "PreToolUse: kept in " in log  # in the journal, for when the store works again (tests/test_journal.py)


def test_strict_plugins_do_not_turn_a_corrupt_database_into_a_silent_pass(orch_hook, orch_project):
    state = orch_project / ".claude" / "state"
    state.mkdir(parents=True)
    (state / "orchcore.db").write_bytes(b"garbage" * 1000)

    run = orch_hook(pre_tool_use(), env={"ORCH_STRICT_PLUGINS": "1"})

    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.startswith("orch hook: StoreFault:")


# -- the captured nested delegation -------------------------------------------------------------


@pytest.mark.skipif(not CAPTURED.is_dir(), reason=f"the captured Claude Code payloads ({CAPTURED}) are not checked out")
def test_the_captured_nested_delegation_is_recorded_event_by_event(orch_hook, orch_bus, enabled, register_plugin):
    lines = (CAPTURED / "nested-delegation.jsonl").read_bytes().splitlines(keepends=True)
    payloads = [json.loads(line) for line in lines]
    dispatched = []
    spy = HookHandler("spy", ["*"], lambda e, c: dispatched.append((e.hook_event_name, e.agent_id)))
    register_plugin(handlers(spy))

    for line in lines:
        run = orch_hook(line)  # the bytes Claude Code wrote, unchanged
        silent(run)

    handled = of_type(orch_bus, "hook.handled")
    assert len(handled) == len(payloads) == 24
    assert [e.data["event"] for e in handled] == [p["hook_event_name"] for p in payloads]
    assert [e.data.get("agent_id") for e in handled] == [p.get("agent_id") for p in payloads]
    assert [e.data.get("tool_name") for e in handled] == [p.get("tool_name") for p in payloads]
    assert dispatched == [(p["hook_event_name"], p.get("agent_id")) for p in payloads]
    assert {e.data.get("agent_id") for e in handled} == {
        None, "a381af95d01b45698", "a7360dc3bb1844f44", "afe3c92bfdf29008d"
    }
    assert types(orch_bus)[:3] == ["session.created", "session.started", "hook.handled"]
    assert types(orch_bus)[-2:] == ["session.ended", "hook.handled"]
    seqs = [e.seq for e in orch_bus.store.events(SESSION)]
    assert seqs == list(range(1, len(seqs) + 1))
    stored = orch_bus.store.load(SESSION)
    assert orch_bus.replay(SESSION) == stored
    assert stored.ended_at is not None
    assert stored.state.metrics["hook_events"] == {
        "SessionStart": 1, "UserPromptSubmit": 1, "PreToolUse": 7, "SubagentStart": 3, "PostToolUse": 7,
        "SubagentStop": 3, "Stop": 1, "SessionEnd": 1,
    }


# -- bugs -----------------------------------------------------------------------------------------


def test_a_lone_surrogate_in_the_event_name_never_escapes(orch_hook):
    run = orch_hook(b'{"session_id": 1, "hook_event_name": "Pre\\ud800ToolUse"}')

    assert run.exit_code == 0


def test_a_lone_surrogate_in_the_prompt_does_not_lose_the_handlers_answer(orch_hook, orch_bus, enabled,
                                                                          register_plugin):
    register_plugin(handlers(returning("palette", HookResult.blocking("handled locally"))))
    data = json.dumps(hook_payload("UserPromptSubmit", prompt="emoji cut in half: \ud83d")).encode()

    run = orch_hook(data)

    assert run.answer == {"decision": "block", "reason": "handled locally"}


def test_an_answer_quoting_a_lone_surrogate_is_still_written(orch_runtime, orch_bus, enabled, register_plugin):
    register_plugin(handlers(HookHandler(
        "quote", ["PreToolUse"], lambda e, c: HookResult.deny(f"not allowed: {e.tool_input.get('command')}")
    )))
    data = json.dumps(pre_tool_use(command="echo \udc80")).encode()
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")  # what sys.stdout is in `orch hook`

    code = run_hook(data, dict(os.environ), stdout, io.StringIO(), runtime=orch_runtime)
    stdout.flush()

    assert code == 0
    assert json.loads(raw.getvalue())["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_a_handler_returning_a_malformed_hook_result_is_isolated(orch_hook, orch_bus, enabled, register_plugin):
    register_plugin(handlers(returning("sloppy", HookResult(permission=["deny"], additional_context=42))), name="a")
    register_plugin(handlers(returning("guard", HookResult.deny("no rm"))), name="b")

    run = orch_hook(pre_tool_use())

    assert run.answer is not None
    assert run.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert last(orch_bus, "plugin.error").data["plugin"] == "a"


def test_a_handler_emitting_an_invalid_event_is_isolated(orch_hook, orch_bus, enabled, register_plugin):
    def bad_emit(event, context):
        context.emit("no.such.type", {"x": 1})
        return HookResult.allow()

    register_plugin(handlers(HookHandler("bad-emit", ["*"], bad_emit)), name="a")
    register_plugin(handlers(returning("guard", HookResult.deny("no rm"))), name="b")

    run = orch_hook(pre_tool_use())

    assert run.answer is not None
    assert run.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert last(orch_bus, "plugin.error").data["plugin"] == "a"


def test_a_handler_emitting_data_nested_too_deep_is_isolated_like_any_invalid_event(orch_hook, orch_bus, enabled,
                                                                                      register_plugin, orch_project):
    deep: dict = {}
    node = deep
    for _ in range(400):  # far deeper than JSON orchcore takes, and than json.dumps could recurse
        node["next"] = {}
        node = node["next"]

    def deep_emit(event, context):
        context.emit("metric.recorded", {"name": "n", "extra": deep})
        return HookResult.allow()

    register_plugin(handlers(HookHandler("deep-emit", ["*"], deep_emit)), name="a")
    register_plugin(handlers(returning("guard", HookResult.deny("no rm"))), name="b")

    run = orch_hook(pre_tool_use())

    assert run.exit_code == 0 and run.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    error = last(orch_bus, "plugin.error").data
    assert error["plugin"] == "a" and "deeper than orchcore's limit of 100 levels" in error["error"]
    log = orch_project / ".claude" / "state" / "hook.log"
    assert not log.exists() or "RecursionError" not in log.read_text()


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def test_the_answer_is_strict_json_even_when_a_handler_returns_nan(orch_hook, enabled, register_plugin):
    register_plugin(handlers(returning("ratio", HookResult(updated_input={"ratio": float("nan")}))), name="a")
    register_plugin(handlers(returning("guard", HookResult.deny("no rm"))), name="b")

    run = orch_hook(pre_tool_use())

    answer = json.loads(run.stdout, parse_constant=_reject_constant)
    assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
