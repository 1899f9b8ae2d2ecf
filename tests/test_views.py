"""orchcore.views: the read-only questions every program asks of a session, answered one way."""

from __future__ import annotations

from orchcore import views

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


def session(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_bus.emit(SID, "session.teams", {"teams": ["qa"], "definitions": {"qa": {"lead": "qa-lead",
                                                                                 "members": ["qa-lead", "qa-tester"]}}})
    orch_bus.emit(SID, "task.created", {"id": "T-1", "title": "e2e suite", "points": 3})
    orch_bus.emit(SID, "task.created", {"id": "T-2", "title": "load test", "points": 5})
    orch_bus.emit(SID, "task.completed", {"id": "T-2"})
    orch_bus.emit(SID, "agent.upserted", {"id": "a1", "name": "qa-tester", "agent_type": "qa-tester",
                                          "status": "active"})
    return orch_bus.store.get(SID)


def test_tasks_are_found_by_id_case_insensitively(orch_bus):
    state = session(orch_bus)

    assert views.find_task(state, "t-1").id == "T-1"
    assert views.find_task(state, "T-9") is None
    assert "T-1" in views.unknown_task(state, "T-9")


def test_agents_resolve_by_id_name_or_team_roster(orch_bus):
    state = session(orch_bus)

    assert views.resolve_agent(state, "a1") == ("a1", None)
    assert views.resolve_agent(state, "qa-tester") == ("a1", None)
    assert views.resolve_agent(state, "qa-lead") == ("qa-lead", None)  # defined by the team, not started
    missing, why = views.resolve_agent(state, "qa-testr")
    assert missing is None and "did you mean qa-tester" in why


def test_words_are_lower_case_and_split_at_punctuation():
    assert views.words("Load-test the API!") == {"load", "test", "the", "api"}


def test_the_shared_palette_commands_describe_and_assign_a_task(orch_bus):
    from orchcore import palette_commands
    from orchcore.hookcontext import HookContext

    state = session(orch_bus)
    context = HookContext(session=state, plugin="p", handler="h")

    described = palette_commands.task(["t-1"], context)
    answer = palette_commands.assign(["T-1", "qa-tester"], context)

    assert described.splitlines()[0] == "T-1 — e2e suite" and "3 points" in described
    assert answer.startswith("T-1 “e2e suite” → qa-tester") and answer.endswith("status in_progress")
    assert context.emitted == [("task.assigned", {"id": "T-1", "assignee": "a1"})]
    assert palette_commands.assign(["T-2", "qa-tester"], context) == "T-2 is done; reopen it before assigning it"
