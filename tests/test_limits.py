"""The plan's limits, each at its edge and one past it, on every path that can reach it.

The paths: a hook event (the gate and router in-process, and a real ``orch
hook`` process), the CLI's own commands, ``orch state set`` and ``orch events
emit``. The value comes from ``.claude/orchcore.json`` or, winning over it,
from the limit's environment variable. Every refusal is one line naming the
limit's key and how to change it; a hook event is never refused for its size.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchcore.api import HookHandler, hookimpl
from orchcore.errors import LimitExceeded
from orchcore.limits import fit_hook_fields, truncate_text

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
SESSIONS = [f"{n:08x}-1351-45ff-b6d3-4fb1cc1717ee" for n in range(1, 6)]


def configure(project: Path, **limits) -> None:
    """Write ``limits`` (and anything else given as a dict) into the project's .claude/orchcore.json."""
    extra = limits.pop("extra", {})
    (project / ".claude" / "orchcore.json").write_text(json.dumps({"limits": limits, **extra}))


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def refused(result, *fragments: str) -> str:
    """The one-line error of a refused command, checked for each fragment."""
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("orch: error:") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    return result.stderr


def hook(event: str, session: str = SID, **fields) -> dict:
    return {"session_id": session, "transcript_path": "", "cwd": "/", "hook_event_name": event, **fields}


def agent_call(tool_use_id: str, subagent_type: str = "general-purpose") -> dict:
    return hook("PreToolUse", tool_name="Agent", tool_use_id=tool_use_id,
                tool_input={"description": "work", "prompt": "do the work", "subagent_type": subagent_type})


# -- long text fields: cut with a marker, never refused -------------------------------------------


def test_a_text_at_the_limit_is_kept_and_one_byte_more_is_cut_with_a_marker_within_the_limit():
    assert truncate_text("x" * 1024, 1024) == "x" * 1024

    cut = truncate_text("x" * 1025, 1024)

    assert len(cut.encode()) <= 1024
    assert cut.startswith("x" * 800)
    assert cut.endswith(f"… [cut by orchcore: {1025 - cut.index('…'):,} more characters; limits.max_field_kb = 1]")


def test_a_cut_never_splits_a_character_and_counts_characters_not_bytes():
    text = "é" * 1000  # 2 bytes each

    cut = truncate_text(text, 1024)

    kept = cut[:cut.index("…")]
    assert set(kept) == {"é"} and len(cut.encode()) <= 1024
    assert f"{1000 - len(kept):,} more characters" in cut


def test_a_lone_surrogate_from_claude_code_counts_and_stays():
    text = "\ud83d" + "y" * 2000

    cut = truncate_text(text, 1024)

    assert cut.startswith("\ud83d") and "[cut by orchcore" in cut


def test_fitting_cuts_nested_strings_and_leaves_data_that_fits_as_it_is():
    fits = {"title": "short", "tags": ["a", "b"], "n": 3}
    assert fit_hook_fields(fits, 1024) is fits

    data = {"title": "short", "notes": [{"text": "z" * 5000}], "n": 3}
    fitted = fit_hook_fields(data, 1024)

    assert fitted["title"] == "short" and fitted["n"] == 3
    assert "[cut by orchcore" in fitted["notes"][0]["text"]
    assert data["notes"][0]["text"] == "z" * 5000  # the caller's data is not changed


@pytest.fixture
def enabled(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    return orch_bus


def task_created(description: str) -> dict:
    return hook("TaskCreated", task_id="7", task_subject="Write the migration", task_description=description)


def test_a_task_description_at_the_configured_limit_is_kept_and_a_longer_one_is_cut(orch_project, enabled, orch_hook):
    configure(orch_project, max_field_kb=1)

    assert orch_hook(task_created("d" * 1024)).exit_code == 0
    assert enabled.store.get(SID).state.tasks["7"].description == "d" * 1024

    assert orch_hook(hook("TaskCreated", task_id="8", task_subject="Next", task_description="e" * 1025)).exit_code == 0
    cut = enabled.store.get(SID).state.tasks["8"].description
    assert cut.startswith("e" * 800) and cut.endswith("; limits.max_field_kb = 1]") and len(cut) <= 1024


def test_the_field_limit_from_the_environment_wins_over_the_file(orch_project, enabled, orch_hook, monkeypatch):
    configure(orch_project, max_field_kb=64)
    monkeypatch.setenv("ORCH_MAX_FIELD_KB", "2")

    orch_hook(task_created("d" * 5000))

    assert enabled.store.get(SID).state.tasks["7"].description.endswith("; limits.max_field_kb = 2]")


def test_a_huge_task_description_through_orch_hook_is_cut_and_the_event_recorded(orch_project, subprocess_env):
    from orchcore.runtime import Runtime

    runtime = Runtime(project=orch_project)
    runtime.bus.create_session(SID, orchestration_enabled=True)
    runtime.close()
    orch = str(Path(sys.executable).with_name("orch"))
    env = {**subprocess_env, "ORCH_RUNTIME": "0", "CLAUDE_PROJECT_DIR": str(orch_project)}

    done = subprocess.run([orch, "hook"], input=json.dumps(task_created("big " * 1_300_000)).encode(), env=env,
                          capture_output=True, timeout=120)

    assert done.returncode == 0 and done.stderr == b""
    runtime = Runtime(project=orch_project)
    description = runtime.store.get(SID).state.tasks["7"].description
    assert len(description.encode()) <= 32 * 1024  # 5.2 MB arrived; the default limit is 32 KB
    assert description.endswith(f"… [cut by orchcore: {5_200_000 - description.index('…'):,} more characters; "
                                "limits.max_field_kb = 32]")
    assert [e.type for e in runtime.store.events(SID)][-2:] == ["task.created", "hook.handled"]
    runtime.close()


# -- the message queue -----------------------------------------------------------------------------


@pytest.fixture
def session(orch_bus):
    orch_bus.create_session(SID)
    return orch_bus


def send(orch_cli, text: str = "hello"):
    return orch_cli("msg", "send", "qa", text, session=SID)


def test_the_queue_takes_messages_up_to_the_configured_limit_and_refuses_the_next(orch_project, session, orch_cli):
    configure(orch_project, max_messages=3)
    for n in range(3):
        ok(send(orch_cli, f"m{n}"))

    refused(send(orch_cli, "one too many"), "the message queue is full (3 queued, limits.max_messages = 3)",
            "raise limits.max_messages in .claude/orchcore.json (or set ORCH_MAX_MESSAGES)")
    assert len(session.store.get(SID).state.messages) == 3
    assert ok(orch_cli("msg", "status", "--json", session=SID)).json()["limit"] == 3


def test_the_queue_limit_from_the_environment_wins_and_may_be_above_the_default(orch_project, session, orch_cli,
                                                                                monkeypatch):
    configure(orch_project, max_messages=3)
    monkeypatch.setenv("ORCH_MAX_MESSAGES", "101")
    for n in range(100):
        session.emit(SID, "message.sent", {"id": f"M-{n}", "from": "a", "to": "b", "limits": {"messages": 101}})

    ok(send(orch_cli, "the 101st"))
    refused(send(orch_cli, "the 102nd"), "(101 queued, limits.max_messages = 101)")
    assert session.replay(SID) == session.store.get(SID)  # the limit is in the log: replay decides the same


def test_events_emit_of_a_message_is_held_to_the_configured_limit(orch_project, session, orch_cli):
    configure(orch_project, max_messages=2)
    for n in range(2):
        ok(orch_cli("events", "emit", "message.sent", "-d", json.dumps({"id": f"M-{n}", "to": "qa"}), session=SID))

    refused(orch_cli("events", "emit", "message.sent", "-d", '{"id": "M-9", "to": "qa"}', session=SID),
            "limits.max_messages = 2")


def test_a_message_emitted_without_its_limit_is_held_to_the_default(session):
    for n in range(100):
        session.emit(SID, "message.sent", {"id": f"M-{n}", "to": "qa"})

    with pytest.raises(LimitExceeded, match=r"\(100 queued, limits.max_messages = 100\)"):
        session.emit(SID, "message.sent", {"id": "M-x", "to": "qa"})


def messages(count: int, **fields) -> str:
    return json.dumps([{"id": f"M-{n}", "from": "a", "to": "qa", **fields} for n in range(count)])


def test_state_set_of_the_messages_is_held_to_the_same_limit(orch_project, session, orch_cli):
    configure(orch_project, max_messages=5)

    ok(orch_cli("state", "set", "state.messages", messages(5), session=SID))
    refused(orch_cli("state", "set", "state.messages", messages(6), session=SID),
            "the message queue is full (6 queued, limits.max_messages = 5)")
    assert len(session.store.get(SID).state.messages) == 5


def test_state_set_with_the_default_limit_refuses_150_messages(session, orch_cli):
    refused(orch_cli("state", "set", "state.messages", messages(150), session=SID), "limits.max_messages = 100")
    ok(orch_cli("state", "set", "state.messages", messages(100), session=SID))
    # delivered (or read) ones are not queued: they do not count
    ok(orch_cli("state", "set", "state.messages", messages(150, status="read"), session=SID))


def test_state_set_of_messages_keeps_their_shape(session, orch_cli):
    ok(orch_cli("state", "set", "state.messages", messages(2), session=SID))

    refused(orch_cli("state", "set", "state.messages.1.priority", "urgent", session=SID),
            "priority must be one of critical, high, normal, low")
    refused(orch_cli("state", "set", "state.messages.1.id", "M-0", session=SID), "'M-0' would be there twice")
    refused(orch_cli("state", "set", "state", json.dumps({"messages": json.loads(messages(101))}), session=SID),
            "limits.max_messages = 100")


def test_a_delivered_message_leaves_the_queue_and_the_log_keeps_it(session, orch_cli):
    ok(send(orch_cli, "m0"))
    ok(send(orch_cli, "m1"))

    got = ok(orch_cli("msg", "receive", "--as", "qa", "--json", session=SID)).json()

    assert [m["payload"] for m in got] == ["m0", "m1"]
    assert session.store.get(SID).state.messages == []
    status = ok(orch_cli("msg", "status", "--json", session=SID)).json()
    assert (status["queued"], status["delivered"]) == (0, 2)
    delivered = [e for e in session.store.events(SID) if e.type == "message.delivered"]
    assert delivered[0].data["ids"] == [m["id"] for m in got]


def test_a_full_queue_has_room_again_once_messages_are_received(orch_project, session, orch_cli):
    configure(orch_project, max_messages=2)
    ok(send(orch_cli, "a"))
    ok(send(orch_cli, "b"))
    refused(send(orch_cli, "c"), "limits.max_messages = 2")

    ok(orch_cli("msg", "receive", "--as", "qa", session=SID))

    ok(send(orch_cli, "c"))
    ok(send(orch_cli, "d"))
    assert session.replay(SID) == session.store.get(SID)


def test_messages_delivered_to_a_starting_subagent_leave_the_queue(enabled, orch_hook):
    enabled.emit(SID, "message.sent", {"id": "M-1", "from": "lead", "to": "qa-tester", "payload": "look at T-7"})
    enabled.emit(SID, "message.sent", {"id": "M-2", "from": "lead", "to": "engineering", "payload": "not yours"})

    answer = orch_hook(hook("SubagentStart", agent_id="agent-1", agent_type="qa-tester")).answer

    assert "look at T-7" in answer["hookSpecificOutput"]["additionalContext"]
    assert [m.id for m in enabled.store.get(SID).state.messages] == ["M-2"]


# -- concurrent orchestrated sessions per project -------------------------------------------------


def create(orch_cli, session_id: str, *flags: str):
    return orch_cli("session", "create", session_id, *flags)


def orchestrated(store) -> set[str]:
    return {i.session_id for i in store.sessions() if i.orchestration_enabled}


def test_session_create_enable_stops_at_the_configured_number_of_sessions(orch_project, orch_store, orch_cli):
    configure(orch_project, max_sessions=2)
    ok(create(orch_cli, SESSIONS[0], "--enable"))
    ok(create(orch_cli, SESSIONS[1], "--enable"))

    refused(create(orch_cli, SESSIONS[2], "--enable"),
            "this project already has 2 orchestrated sessions active (limits.max_sessions = 2)",
            "raise limits.max_sessions in .claude/orchcore.json (or set ORCH_MAX_SESSIONS)")
    assert not orch_store.has_session(SESSIONS[2])  # nothing written
    ok(create(orch_cli, SESSIONS[2]))  # without orchestration it is just tracked


def test_the_session_limit_from_the_environment_wins(orch_project, orch_store, orch_cli, monkeypatch):
    configure(orch_project, max_sessions=5)
    monkeypatch.setenv("ORCH_MAX_SESSIONS", "1")
    ok(create(orch_cli, SESSIONS[0], "--enable"))

    refused(create(orch_cli, SESSIONS[1], "--enable"), "(limits.max_sessions = 1)")


def test_every_way_of_turning_orchestration_on_is_held_to_the_limit(orch_project, orch_store, orch_cli):
    configure(orch_project, max_sessions=1)
    ok(create(orch_cli, SESSIONS[0], "--enable"))
    ok(create(orch_cli, SESSIONS[1]))

    refused(orch_cli("session", "enable", session=SESSIONS[1]), "limits.max_sessions = 1")
    refused(orch_cli("state", "set", "orchestration_enabled", "true", session=SESSIONS[1]), "limits.max_sessions = 1")
    refused(orch_cli("events", "emit", "session.orchestration", "-d", '{"enabled": true}', session=SESSIONS[1]),
            "limits.max_sessions = 1")
    assert orchestrated(orch_store) == {SESSIONS[0]}
    ok(orch_cli("session", "enable", session=SESSIONS[0]))  # one already on is not one more


def test_ended_and_disabled_sessions_free_their_place(orch_project, orch_bus, orch_cli):
    configure(orch_project, max_sessions=1)
    ok(create(orch_cli, SESSIONS[0], "--enable"))
    ok(create(orch_cli, SESSIONS[1]))
    refused(orch_cli("session", "enable", session=SESSIONS[1]))

    orch_bus.emit(SESSIONS[0], "session.ended", {"reason": "exit"})
    ok(orch_cli("session", "enable", session=SESSIONS[1]))

    ok(orch_cli("session", "disable", session=SESSIONS[1]))
    ok(create(orch_cli, SESSIONS[2], "--enable"))


def test_an_archived_session_frees_its_place(orch_project, orch_bus, orch_cli):
    if "session.archived" not in orch_bus.types:
        pytest.skip("no session.archived event type installed")
    configure(orch_project, max_sessions=1)
    ok(create(orch_cli, SESSIONS[0], "--enable"))
    refused(create(orch_cli, SESSIONS[1], "--enable"))

    orch_bus.emit(SESSIONS[0], "session.archived", {"last_activity": "2026-01-01T00:00:00Z", "after_hours": 24})

    ok(create(orch_cli, SESSIONS[1], "--enable"))


def start(session_id: str) -> dict:
    return hook("SessionStart", session_id, source="startup")


def test_a_new_session_past_the_limit_starts_off_and_is_told_once(orch_project, orch_store, orch_hook):
    configure(orch_project, max_sessions=2, extra={"orchestration": {"enabled": True}})
    for session_id in SESSIONS[:2]:
        assert orch_hook(start(session_id)).exit_code == 0

    third = orch_hook(start(SESSIONS[2]))

    assert third.exit_code == 0
    message = third.answer["systemMessage"]
    assert message.startswith(f"orchcore: orchestration stays off for session {SESSIONS[2]}")
    assert "(limits.max_sessions = 2)" in message and "ORCH_MAX_SESSIONS" in message
    assert orchestrated(orch_store) == set(SESSIONS[:2])
    assert orch_store.has_session(SESSIONS[2])
    # its next events pass through in silence: the user was told once
    prompt = hook("UserPromptSubmit", SESSIONS[2], prompt="hello")
    assert orch_hook(prompt).answer is None
    assert orch_hook(agent_call("toolu_1") | {"session_id": SESSIONS[2]}).answer is None


def test_a_new_session_at_the_limit_is_refused_through_orch_hook_too(orch_project, subprocess_env):
    configure(orch_project, max_sessions=1, extra={"orchestration": {"enabled": True}})
    orch = str(Path(sys.executable).with_name("orch"))
    env = {**subprocess_env, "ORCH_RUNTIME": "0", "CLAUDE_PROJECT_DIR": str(orch_project)}

    def run(session_id: str) -> subprocess.CompletedProcess:
        return subprocess.run([orch, "hook"], input=json.dumps(start(session_id)).encode(), env=env,
                              capture_output=True, timeout=120)

    first, second = run(SESSIONS[0]), run(SESSIONS[1])

    assert first.returncode == 0 and "systemMessage" not in first.stdout.decode()
    assert second.returncode == 0 and second.stderr == b""
    assert "(limits.max_sessions = 1)" in json.loads(second.stdout)["systemMessage"]
    listed = subprocess.run([orch, "session", "list", "--json"], env=env, capture_output=True, timeout=120)
    flags = {s["session_id"]: s["orchestration_enabled"] for s in json.loads(listed.stdout)}
    assert flags == {SESSIONS[0]: True, SESSIONS[1]: False}


def test_a_forced_on_session_is_not_refused(orch_project, orch_hook, orch_store):
    """ORCH_ENABLED=1 forces orchestration for that process whatever the flags say; the limit counts flags."""
    configure(orch_project, max_sessions=1, extra={"orchestration": {"enabled": True}})
    orch_hook(start(SESSIONS[0]))

    run = orch_hook(start(SESSIONS[1]), env={"ORCH_ENABLED": "1"})

    assert run.exit_code == 0 and (run.answer or {}).get("systemMessage") is None


# -- agents per session ----------------------------------------------------------------------------


def test_delegations_stop_at_the_configured_number_of_agents(orch_project, enabled, orch_hook):
    configure(orch_project, max_agents=2)
    for n in range(2):
        assert orch_hook(agent_call(f"toolu_{n}")).answer is None  # allowed: no answer

    denied = orch_hook(agent_call("toolu_2")).answer["hookSpecificOutput"]

    assert denied["permissionDecision"] == "deny"
    assert "the session already runs 2 agents, its limit (limits.max_agents = 2; raise limits.max_agents in " \
           ".claude/orchcore.json (or set ORCH_MAX_AGENTS))" in denied["permissionDecisionReason"]


def test_the_agent_limit_from_the_environment_wins(orch_project, enabled, orch_hook, monkeypatch):
    configure(orch_project, max_agents=5)
    monkeypatch.setenv("ORCH_MAX_AGENTS", "1")
    assert orch_hook(agent_call("toolu_0")).answer is None

    assert orch_hook(agent_call("toolu_1")).answer["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_a_delegation_emitted_from_the_cli_is_held_to_the_agent_limit(orch_project, enabled, orch_cli):
    configure(orch_project, max_agents=1)

    def emit(n: int):
        data = json.dumps({"id": f"toolu_{n}", "agent_type": "general-purpose"})
        return ok(orch_cli("events", "emit", "delegation.requested", "-d", data, session=SID))

    emit(0)
    emit(1)

    delegations = enabled.store.get(SID).state.delegations
    assert (delegations["toolu_0"].status, delegations["toolu_1"].status) == ("requested", "denied")
    assert "(limits.max_agents = 1;" in delegations["toolu_1"].reason


def test_at_the_default_twenty_agents_the_twenty_first_is_denied(enabled, orch_hook):
    for n in range(20):
        assert orch_hook(agent_call(f"toolu_{n}")).answer is None

    denied = orch_hook(agent_call("toolu_20")).answer["hookSpecificOutput"]

    assert "runs 20 agents, its limit (limits.max_agents = 20;" in denied["permissionDecisionReason"]


class Mailer:
    """A plugin whose hook handler queues a message per prompt: the hook path into the queue."""

    @hookimpl
    def orch_hook_handlers(self):
        def queue(event, context):
            context.emit("message.sent", {"id": f"M-{len(context.session.state.messages)}", "to": "qa",
                                          "payload": event.prompt})

        return [HookHandler(name="mailer", events=["UserPromptSubmit"], handler=queue)]


def test_a_hook_handler_is_held_to_the_configured_queue_limit_and_its_text_is_cut(
        orch_project, enabled, orch_hook, register_plugin):
    configure(orch_project, max_messages=2, max_field_kb=1)
    register_plugin(Mailer(), name="mailer")
    orch_hook(hook("UserPromptSubmit", prompt="p" * 3000))
    orch_hook(hook("UserPromptSubmit", prompt="second"))

    third = orch_hook(hook("UserPromptSubmit", prompt="third"))

    queued = enabled.store.get(SID).state.messages
    assert [m.payload for m in queued][1:] == ["second"]
    assert queued[0].payload.endswith("; limits.max_field_kb = 1]")
    assert "the message queue is full (2 queued, limits.max_messages = 2)" in third.answer["systemMessage"]
