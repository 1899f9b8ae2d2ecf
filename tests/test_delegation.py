"""The agent hierarchy, from Claude Code's own hook events (the captured nested delegation of 2.1.328)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CAPTURED = Path(__file__).resolve().parents[2] / "shared" / "claude-code" / "captured" / "nested-delegation.jsonl"
SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
FIRST, SECOND, THIRD = "a381af95d01b45698", "a7360dc3bb1844f44", "afe3c92bfdf29008d"


def payload(event: str, agent_id: str | None = None, **fields) -> dict:
    data = {"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": event, **fields}
    if agent_id:
        data.update(agent_id=agent_id, agent_type=fields.get("agent_type", "general-purpose"))
    return data


def agent_call(tool_use_id: str, subagent_type: str, caller: str | None = None) -> dict:
    return payload("PreToolUse", caller, tool_name="Agent", tool_use_id=tool_use_id,
                   tool_input={"description": f"work for {subagent_type}", "prompt": "do the work",
                               "subagent_type": subagent_type})


@pytest.fixture
def enabled(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    return orch_bus


@pytest.mark.skipif(not CAPTURED.exists(), reason="../shared/claude-code/captured is not beside this checkout")
def test_the_captured_nested_delegation_yields_the_three_level_hierarchy(enabled, orch_hook):
    for line in CAPTURED.read_bytes().splitlines():
        assert orch_hook(line).exit_code == 0

    state = enabled.store.get(SID).state
    first, second, third = (state.agents[a] for a in (FIRST, SECOND, THIRD))
    assert (first.parent_id, second.parent_id, third.parent_id) == ("main", FIRST, SECOND)
    assert {a.agent_type for a in (first, second, third)} == {"general-purpose"}
    assert [a.status for a in (first, second, third)] == ["completed"] * 3
    assert (first.last_message, second.last_message, third.last_message) == (
        "All done.", "All done.", "subagent finished")
    assert all(a.duration_ms is not None and a.duration_ms >= 0 for a in (first, second, third))
    assert first.duration_ms >= second.duration_ms >= third.duration_ms  # each contains the next
    # (the capture's scripted model reused one tool_use_id for all three calls: each caller has its own)
    assert sorted(d.parent for d in state.delegations.values()) == sorted(["main", FIRST, SECOND])
    assert {d.status for d in state.delegations.values()} == {"completed"}
    assert enabled.replay(SID) == enabled.store.get(SID)


def test_parallel_calls_of_different_types_are_linked_by_type(enabled, orch_hook):
    orch_hook(agent_call("toolu_a", "engineering-backend"))
    orch_hook(agent_call("toolu_b", "qa-tester"))
    orch_hook(payload("SubagentStart", "agent-qa", agent_type="qa-tester"))
    orch_hook(payload("SubagentStart", "agent-be", agent_type="engineering-backend"))

    state = enabled.store.get(SID).state
    assert state.delegations["toolu_a"].agent_id == "agent-be"
    assert state.delegations["toolu_b"].agent_id == "agent-qa"
    assert state.agents["agent-qa"].delegation == "toolu_b"


def test_the_agent_tools_result_corrects_a_wrong_guess(enabled, orch_hook):
    orch_hook(agent_call("toolu_1", "worker"))
    orch_hook(agent_call("toolu_2", "worker", caller="boss"))
    orch_hook(payload("SubagentStart", "agent-x", agent_type="worker"))  # guessed: toolu_1 (oldest)
    orch_hook(payload("SubagentStart", "agent-y", agent_type="worker"))
    orch_hook(payload("PostToolUse", "boss", tool_name="Agent", tool_use_id="toolu_2",
                      tool_input={}, tool_response={"status": "completed", "agentId": "agent-x"}))

    state = enabled.store.get(SID).state
    assert state.delegations["toolu_2"].agent_id == "agent-x"
    assert state.agents["agent-x"].parent_id == "boss"
    assert state.delegations["toolu_2"].status == "completed"
    assert enabled.replay(SID) == enabled.store.get(SID)


def test_events_inside_a_subagent_are_attributed_by_its_agent_id(enabled, orch_hook):
    orch_hook(agent_call("toolu_1", "worker"))
    orch_hook(payload("SubagentStart", "agent-w", agent_type="worker"))
    orch_hook(payload("PreToolUse", "agent-w", tool_name="Bash", tool_use_id="t", tool_input={"command": "ls"}))

    handled = [e for e in enabled.store.events(SID) if e.type == "hook.handled"]
    assert handled[-1].data["agent_id"] == "agent-w"


def test_with_orchestration_off_no_hierarchy_is_recorded(orch_bus, orch_hook):
    orch_bus.create_session(SID)
    orch_hook(agent_call("toolu_1", "worker"))
    orch_hook(payload("SubagentStart", "agent-w", agent_type="worker"))

    assert orch_bus.store.get(SID).state.agents == {}


def test_parallel_processes_replaying_interleaved_subagent_events_lose_nothing(orch_project, subprocess_env):
    import subprocess
    import sys

    from orchcore.runtime import Runtime

    runtime = Runtime(project=orch_project)
    runtime.bus.create_session(SID, orchestration_enabled=True)
    runtime.close()
    orch = str(Path(sys.executable).with_name("orch"))
    env = {**subprocess_env, "ORCH_RUNTIME": "0", "CLAUDE_PROJECT_DIR": str(orch_project)}

    def feed(n: int) -> None:
        agent = f"agent-{n:02d}"
        for item in (agent_call(f"toolu_{n:02d}", f"type-{n:02d}"),
                     payload("SubagentStart", agent, agent_type=f"type-{n:02d}"),
                     payload("PostToolUse", agent, tool_name="Bash", tool_use_id=f"b{n}", tool_input={},
                             tool_response={}),
                     payload("SubagentStop", agent, agent_type=f"type-{n:02d}", last_assistant_message=f"done {n}")):
            done = subprocess.run([orch, "hook"], input=json.dumps(item).encode(), env=env, capture_output=True,
                                  timeout=120)
            assert done.returncode == 0, done.stderr

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(feed, range(16)))

    runtime = Runtime(project=orch_project)
    state = runtime.store.get(SID).state
    handled = [e for e in runtime.store.events(SID) if e.type == "hook.handled"]
    assert len(handled) == 64
    for n in range(16):
        agent = state.agents[f"agent-{n:02d}"]
        assert (agent.status, agent.last_message, agent.delegation) == ("completed", f"done {n}", f"toolu_{n:02d}")
        assert [e.data["event"] for e in handled if e.data.get("agent_id") == agent.id] == [
            "SubagentStart", "PostToolUse", "SubagentStop"]
    assert runtime.bus.replay(SID) == runtime.store.get(SID)
    runtime.close()


# -- capacity, tasks and messages -------------------------------------------------------------

from orchcore.plugins import hookimpl  # noqa: E402
from orchcore.specs import AgentSpec, TeamSpec  # noqa: E402


class Organisation:
    @hookimpl
    def orch_teams(self):
        return [TeamSpec(name="engineering", lead="eng-lead", members=["eng-backend", "eng-frontend"],
                         max_parallel=3)]

    @hookimpl
    def orch_agents(self):
        return [AgentSpec(name="eng-backend", description="backend", team="engineering", capacity=1),
                AgentSpec(name="eng-frontend", description="frontend", team="engineering", capacity=2)]


@pytest.fixture
def organisation(enabled, register_plugin):
    register_plugin(Organisation(), name="organisation")
    return enabled


def test_a_call_beyond_an_agents_capacity_is_denied_and_a_teammate_with_room_suggested(organisation, orch_hook):
    first = orch_hook(agent_call("toolu_1", "eng-backend"))
    second = orch_hook(agent_call("toolu_2", "eng-backend"))  # before any subagent started: counted already

    assert first.answer is None
    reason = second.answer["hookSpecificOutput"]["permissionDecisionReason"]
    assert second.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "eng-backend already runs 1 times, its capacity (1)" in reason
    assert "Agents of team engineering with free capacity: eng-frontend" in reason
    assert organisation.store.get(SID).state.delegations["toolu_2"].status == "denied"


def test_a_team_at_max_parallel_denies_further_calls(organisation, orch_hook):
    for n, agent_type in enumerate(["eng-backend", "eng-frontend", "eng-frontend"]):
        assert orch_hook(agent_call(f"toolu_{n}", agent_type)).answer is None

    denied = orch_hook(agent_call("toolu_9", "eng-frontend")).answer

    assert "team engineering already runs 3 agents, its max_parallel (3)" in \
        denied["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_session_limit_comes_from_the_environment_or_config(organisation, orch_hook, monkeypatch):
    monkeypatch.setenv("ORCH_MAX_AGENTS", "1")
    orch_hook(agent_call("toolu_1", "general-purpose"))

    denied = orch_hook(agent_call("toolu_2", "general-purpose")).answer

    assert "the session already runs 1 agents, its limit (limits.max_agents = 1; raise" in \
        denied["hookSpecificOutput"]["permissionDecisionReason"]


def test_a_finished_subagent_frees_its_slot(organisation, orch_hook):
    orch_hook(agent_call("toolu_1", "eng-backend"))
    orch_hook(payload("SubagentStart", "agent-1", agent_type="eng-backend"))
    orch_hook(payload("SubagentStop", "agent-1", agent_type="eng-backend", last_assistant_message="ok"))
    orch_hook(payload("PostToolUse", tool_name="Agent", tool_use_id="toolu_1", tool_input={},
                      tool_response={"status": "completed", "agentId": "agent-1"}))

    assert orch_hook(agent_call("toolu_2", "eng-backend")).answer is None


def test_a_delegated_task_is_linked_to_its_agent_and_closes_when_it_completes(organisation, orch_hook):
    organisation.emit(SID, "task.created", {"id": "T-101", "title": "Payment API"})
    orch_hook(payload("PreToolUse", tool_name="Agent", tool_use_id="toolu_1",
                      tool_input={"description": "Implement T-101", "prompt": "Build the API",
                                  "subagent_type": "eng-backend"}))
    orch_hook(payload("SubagentStart", "agent-1", agent_type="eng-backend"))
    running = organisation.store.get(SID).state

    orch_hook(payload("SubagentStop", "agent-1", agent_type="eng-backend", last_assistant_message="done"))
    finished = organisation.store.get(SID).state

    assert running.delegations["toolu_1"].task == "T-101"
    assert (running.tasks["T-101"].assignee, running.tasks["T-101"].status) == ("agent-1", "in_progress")
    assert running.agents["agent-1"].current_task == "T-101" and running.agents["agent-1"].team == "engineering"
    assert finished.tasks["T-101"].status == "done"


def test_messages_for_an_agent_type_reach_the_subagent_when_it_starts(organisation, orch_hook):
    organisation.emit(SID, "message.sent", {"id": "M-1", "from": "qa", "to": "eng-backend", "priority": "normal",
                                            "payload": "use idempotency keys"})
    organisation.emit(SID, "message.sent", {"id": "M-2", "from": "lead", "to": "engineering",
                                            "priority": "critical", "payload": "freeze at 5pm"})
    organisation.emit(SID, "message.sent", {"id": "M-3", "from": "pm", "to": "qa", "payload": "not for you"})
    orch_hook(agent_call("toolu_1", "eng-backend"))

    answer = orch_hook(payload("SubagentStart", "agent-1", agent_type="eng-backend")).answer

    context = answer["hookSpecificOutput"]["additionalContext"]
    assert context.index("[critical] from lead: freeze at 5pm") < context.index("[normal] from qa: use idempotency")
    assert "not for you" not in context
    statuses = {m.id: m.status for m in organisation.store.get(SID).state.messages}
    assert statuses == {"M-3": "queued"}  # the delivered ones left the queue


ORGANISATION_SOURCE = '''
from orchcore.plugins import hookimpl
from orchcore.specs import AgentSpec, TeamSpec


@hookimpl
def orch_teams():
    return [TeamSpec(name="fake-eng", members=["fake-backend"], max_parallel=5)]


@hookimpl
def orch_agents():
    return [AgentSpec(name="fake-backend", description="backend", team="fake-eng", capacity=2)]
'''


def test_parallel_calls_cannot_take_the_same_last_slot(orch_project, subprocess_env, tmp_path):
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from orchcore.runtime import Runtime
    from orchcore.testing import write_distribution

    site = tmp_path / "site"
    write_distribution(site, "orchtest-org", "1.0", {"orchtest-org": "orchtest_org"},
                       {"orchtest_org.py": ORGANISATION_SOURCE})
    runtime = Runtime(project=orch_project)
    runtime.bus.create_session(SID, orchestration_enabled=True)
    runtime.close()
    orch = str(Path(sys.executable).with_name("orch"))
    env = {**subprocess_env, "ORCH_RUNTIME": "0", "CLAUDE_PROJECT_DIR": str(orch_project), "PYTHONPATH": str(site)}

    def call(n: int) -> dict | None:
        done = subprocess.run([orch, "hook"], input=json.dumps(agent_call(f"toolu_{n}", "fake-backend")).encode(),
                              env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(call, range(8)))

    allowed = [a for a in answers if a is None]
    denied = [a for a in answers if a and a["hookSpecificOutput"]["permissionDecision"] == "deny"]
    assert (len(allowed), len(denied)) == (2, 6)  # capacity 2: exactly two, however the processes raced


def test_claude_codes_own_tasks_are_mirrored_into_the_sessions_tasks(enabled, orch_hook):
    orch_hook(payload("TaskCreated", task_id="7", task_subject="Write the migration",
                      task_description="add the column", teammate_name="ada", team_name="backend"))
    orch_hook(payload("TaskCreated", task_id="7", task_subject="Write the migration"))  # seen twice: one task
    created = enabled.store.get(SID).state.tasks["7"]
    orch_hook(payload("TaskCompleted", task_id="7", task_subject="Write the migration"))
    orch_hook(payload("TaskCompleted", task_id="8", task_subject="Late one"))  # never saw it created
    orch_hook(payload("TeammateIdle", teammate_name="ada", team_name="backend"))

    state = enabled.store.get(SID).state
    assert (created.title, created.description, created.team, created.assignee, created.status) == (
        "Write the migration", "add the column", "backend", "ada", "pending")
    assert created.extra == {"source": "claude-code"}
    assert state.tasks["7"].status == "done" and state.tasks["8"].status == "done"
    assert (state.agents["ada"].status, state.agents["ada"].team) == ("idle", "backend")


def test_orch_profile_shows_handler_latency_and_work_per_agent_and_team(organisation, orch_hook, orch_cli):
    orch_hook(agent_call("toolu_1", "eng-backend"))
    orch_hook(payload("SubagentStart", "agent-1", agent_type="eng-backend"))
    orch_hook(payload("PreToolUse", "agent-1", tool_name="Bash", tool_use_id="b1", tool_input={"command": "ls"}))
    orch_hook(payload("PostToolUseFailure", "agent-1", tool_name="Bash", tool_use_id="b1", tool_input={},
                      error="exit 1"))
    orch_hook(payload("SubagentStop", "agent-1", agent_type="eng-backend", last_assistant_message="done"))

    data = orch_cli("profile", "--json", session=SID).json()

    handlers = {h["handler"]: h for h in data["handlers"]}
    assert handlers["delegation-requested"]["calls"] == 1 and handlers["delegation-requested"]["failures"] == 0
    agents = {a["agent"]: a for a in data["agents"]}
    assert (agents["agent-1"]["tool_calls"], agents["agent-1"]["failures"], agents["agent-1"]["team"]) == (
        1, 1, "engineering")
    assert agents["main"]["delegated"] == 1 and agents["main"]["tool_calls"] == 1
    (team,) = data["teams"]
    assert (team["team"], team["completed"], team["failures"]) == ("engineering", 1, 1)


def test_a_call_that_failed_or_never_started_frees_its_slot(organisation, orch_hook):
    orch_hook(agent_call("toolu_1", "eng-backend"))
    orch_hook(payload("PostToolUseFailure", tool_name="Agent", tool_use_id="toolu_1", tool_input={},
                      error="interrupted"))

    assert orch_hook(agent_call("toolu_2", "eng-backend")).answer is None
    assert organisation.store.get(SID).state.delegations["toolu_1"].status == "failed"


def test_a_requested_slot_expires_when_no_subagent_ever_starts(organisation, orch_hook):
    from orchcore.builtin import delegation

    orch_hook(agent_call("toolu_1", "eng-backend"))
    state = organisation.store.get(SID)
    requested = state.state.delegations["toolu_1"].requested_at
    from datetime import timedelta

    from orchcore.clock import parse_iso

    later = (parse_iso(requested) + timedelta(seconds=delegation.REQUEST_EXPIRY_S + 1)).isoformat()

    assert delegation._in_flight(state, requested) and not delegation._in_flight(state, later)


def test_an_agent_of_a_native_plugin_is_its_definition_under_the_plugins_prefix(organisation, orch_hook, orch_cli):
    """Claude Code names the agents of an installed plugin ``<plugin>:<name>`` (orch export claude-plugin)."""
    first = orch_hook(agent_call("toolu_1", "orchcore:eng-backend"))
    second = orch_hook(agent_call("toolu_2", "eng-backend"))  # the same agent, by its own name: at capacity
    orch_cli("msg", "send", "eng-backend", "the schema changed", session=SID)

    started = orch_hook(payload("SubagentStart", agent_id="a1", agent_type="orchcore:eng-backend"))

    delegations = organisation.store.get(SID).state.delegations
    assert first.answer is None and delegations["toolu_1"].team == "engineering"
    assert second.answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "the schema changed" in started.answer["hookSpecificOutput"]["additionalContext"]
