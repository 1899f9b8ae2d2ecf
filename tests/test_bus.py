"""The event bus: the one way session state changes.

``emit`` appends an event and applies its reducer (the core's reducers are the
built-in ``core-events`` plugin) in one store transaction, then notifies the
subscribers plugins registered. Replaying the log rebuilds the state exactly.
"""

from __future__ import annotations

import pytest

from orchcore.bus import EventBus
from orchcore.errors import InvalidValue, OrchError, PluginError, StatePathError, UnknownEventType, UnknownSession
from orchcore.models import Event, Session
from orchcore.plugins import hookimpl
from orchcore.specs import EventType, Subscriber

OTHER_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"


@pytest.fixture
def session(orch_bus, session_id) -> Session:
    """A tracked session with orchestration on."""
    return orch_bus.create_session(session_id, orchestration_enabled=True, mode="scrum-master")


@pytest.fixture
def emit(orch_bus, session_id, session):
    """``emit(type, **data)`` on the session; returns the new state."""

    def emit_(type: str, **data) -> Session:
        return orch_bus.emit(session_id, type, data)[1]

    return emit_


def last_event(orch_bus, session_id) -> Event:
    return orch_bus.store.events(session_id, limit=1, newest=True)[0]


# -- sessions ------------------------------------------------------------------


def test_create_session_starts_the_log_with_session_created(orch_bus, session_id):
    state = orch_bus.create_session(session_id, orchestration_enabled=True, mode="scrum-master")

    (event,) = orch_bus.store.events(session_id)
    assert event.seq == 1
    assert event.type == "session.created"
    assert event.source == "orch"
    assert event.data == {"orchestration_enabled": True, "mode": "scrum-master"}
    assert state.session_id == session_id
    assert state.orchestration_enabled is True
    assert state.mode == "scrum-master"
    assert state.created_at == state.updated_at == event.ts
    assert orch_bus.store.load(session_id) == state


def test_create_session_without_fields_uses_the_defaults(orch_bus, session_id):
    state = orch_bus.create_session(session_id)

    assert state.orchestration_enabled is False
    assert state.mode == "default"


def test_a_second_session_created_is_rejected(orch_bus, session_id, session):
    with pytest.raises(InvalidValue, match=f"session {session_id} already exists"):
        orch_bus.create_session(session_id, mode="other")

    assert orch_bus.store.load(session_id) == session
    assert len(orch_bus.store.events(session_id)) == 1


def test_ensure_session_creates_a_missing_session(orch_bus, session_id):
    state = orch_bus.ensure_session(session_id, mode="solo")

    assert state.mode == "solo"
    assert [e.type for e in orch_bus.store.events(session_id)] == ["session.created"]


def test_ensure_session_is_idempotent(orch_bus, session_id):
    first = orch_bus.ensure_session(session_id, mode="solo")
    second = orch_bus.ensure_session(session_id, mode="solo")
    third = orch_bus.ensure_session(session_id, mode="something else")

    assert first == second == third
    assert third.mode == "solo"
    assert len(orch_bus.store.events(session_id)) == 1


def test_emit_to_an_unknown_session_raises_unknown_session(orch_bus, session_id):
    with pytest.raises(UnknownSession):
        orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})


def test_every_event_sets_updated_at_to_its_timestamp(orch_bus, session_id, session):
    event, state = orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    assert state.updated_at == event.ts
    assert state.created_at == session.created_at


def test_emit_records_the_source(orch_bus, session_id, session):
    event, _ = orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"}, source="hook:PostToolUse")

    assert event.source == "hook:PostToolUse"
    assert last_event(orch_bus, session_id).source == "hook:PostToolUse"


def test_session_orchestration_turns_orchestration_off_and_on(emit):
    assert emit("session.orchestration", enabled=False).orchestration_enabled is False
    assert emit("session.orchestration", enabled=True).orchestration_enabled is True


def test_session_mode_sets_the_mode_and_output_style(emit):
    state = emit("session.mode", mode="standup", output_style="Standup Facilitator")

    assert state.mode == "standup"
    assert state.runtime_config.output_style == "Standup Facilitator"


def test_session_mode_without_output_style_keeps_it(emit):
    emit("session.mode", mode="standup", output_style="Standup Facilitator")

    state = emit("session.mode", mode="review")

    assert state.mode == "review"
    assert state.runtime_config.output_style == "Standup Facilitator"


def test_session_mode_with_null_output_style_clears_it(emit):
    emit("session.mode", mode="standup", output_style="Standup Facilitator")

    assert emit("session.mode", mode="default", output_style=None).runtime_config.output_style is None


def test_session_teams_activates_teams_once_each_in_order(emit):
    emit("session.teams", teams=["backend", "qa"])

    state = emit("session.teams", teams=["qa", "frontend"])

    assert state.active_teams == ["backend", "qa", "frontend"]


def test_session_teams_with_replace_replaces_the_active_teams(emit):
    emit("session.teams", teams=["backend", "qa"])

    assert emit("session.teams", teams=["design"], replace=True).active_teams == ["design"]


def test_session_teams_definitions_become_teams_in_state(emit):
    state = emit(
        "session.teams",
        teams=["qa"],
        definitions={"qa": {"lead": "qa-director", "members": ["qa-director", "qa-tester"], "max_parallel": 2}},
    )

    team = state.state.teams["qa"]
    assert team.name == "qa"
    assert team.lead == "qa-director"
    assert team.members == ["qa-director", "qa-tester"]
    assert team.max_parallel == 2


def test_session_ended_records_when(orch_bus, session_id, session):
    event, state = orch_bus.emit(session_id, "session.ended", {"reason": "logout"})

    assert state.ended_at == event.ts


# -- state.set -----------------------------------------------------------------


def test_state_set_writes_a_value_at_a_path(emit):
    state = emit("state.set", path="state.metrics.velocity", value=21)

    assert state.state.metrics["velocity"] == 21


def test_state_set_writes_a_typed_field(emit):
    assert emit("state.set", path="current_sprint", value="S-3").current_sprint == "S-3"


def test_state_set_cannot_write_kept_fields(orch_bus, session_id, session):
    with pytest.raises(StatePathError, match="session_id is kept by orchcore"):
        orch_bus.emit(session_id, "state.set", {"path": "session_id", "value": OTHER_SESSION})

    assert orch_bus.store.load(session_id) == session


def test_state_set_needs_a_value(orch_bus, session_id, session):
    with pytest.raises(InvalidValue, match="needs 'value'"):
        orch_bus.emit(session_id, "state.set", {"path": "mode"})


# -- agents --------------------------------------------------------------------


def test_agent_upserted_adds_an_agent(orch_bus, session_id, session):
    event, state = orch_bus.emit(
        session_id,
        "agent.upserted",
        {"id": "qa-tester-1", "name": "QA tester", "agent_type": "qa-tester", "team": "qa", "status": "active"},
    )

    agent = state.state.agents["qa-tester-1"]
    assert agent.name == "QA tester"
    assert agent.agent_type == "qa-tester"
    assert agent.team == "qa"
    assert agent.role == "worker"
    assert agent.status == "active"
    assert agent.started_at == event.ts


def test_agent_upserted_merges_into_an_existing_agent(emit):
    first = emit("agent.upserted", id="qa-tester-1", name="QA tester", team="qa")

    state = emit("agent.upserted", id="qa-tester-1", status="busy")

    agent = state.state.agents["qa-tester-1"]
    assert agent.name == "QA tester"
    assert agent.team == "qa"
    assert agent.status == "busy"
    assert agent.started_at == first.state.agents["qa-tester-1"].started_at


def test_agent_upserted_keeps_unknown_fields(emit):
    state = emit("agent.upserted", id="qa-tester-1", model="sonnet")

    assert state.state.agents["qa-tester-1"].extra == {"model": "sonnet"}


def test_agent_status_changes_the_status(emit):
    emit("agent.upserted", id="qa-tester-1")

    assert emit("agent.status", id="qa-tester-1", status="blocked").state.agents["qa-tester-1"].status == "blocked"


@pytest.mark.parametrize("final", ["completed", "failed"])
def test_agent_status_completed_or_failed_ends_the_agent(orch_bus, session_id, emit, final):
    emit("agent.upserted", id="qa-tester-1", current_task="T-1")

    event, state = orch_bus.emit(session_id, "agent.status", {"id": "qa-tester-1", "status": final})

    agent = state.state.agents["qa-tester-1"]
    assert agent.status == final
    assert agent.ended_at == event.ts
    assert agent.current_task is None


# -- tasks ---------------------------------------------------------------------


def test_task_created_adds_a_task(orch_bus, session_id, session):
    event, state = orch_bus.emit(
        session_id,
        "task.created",
        {"id": "T-1", "title": "Add /health endpoint", "priority": "high", "team": "backend", "points": 3},
    )

    task = state.state.tasks["T-1"]
    assert task.title == "Add /health endpoint"
    assert task.status == "pending"
    assert task.priority == "high"
    assert task.team == "backend"
    assert task.points == 3
    assert task.created_at == task.updated_at == event.ts
    assert task.completed_at is None


def test_task_created_in_a_current_sprint_joins_the_sprint(emit):
    emit("sprint.started", id="S-1", name="Sprint 1")

    state = emit("task.created", id="T-1", title="Write docs", sprint="S-1")

    assert state.state.sprints["S-1"].tasks == ["T-1"]


def test_task_updated_merges_fields(emit):
    emit("task.created", id="T-1", title="Write docs", priority="low")

    task = emit("task.updated", id="T-1", priority="critical", blockers=["T-0"]).state.tasks["T-1"]

    assert task.title == "Write docs"
    assert task.priority == "critical"
    assert task.blockers == ["T-0"]


def test_task_updated_to_done_sets_completed_at(orch_bus, session_id, emit):
    emit("task.created", id="T-1", title="Write docs")

    event, state = orch_bus.emit(session_id, "task.updated", {"id": "T-1", "status": "done"})

    assert state.state.tasks["T-1"].completed_at == event.ts
    assert state.state.tasks["T-1"].updated_at == event.ts


def test_task_assigned_starts_a_pending_task_and_makes_the_agent_busy(emit):
    emit("agent.upserted", id="backend-dev")
    emit("task.created", id="T-1", title="Add /health endpoint")

    state = emit("task.assigned", id="T-1", assignee="backend-dev")

    assert state.state.tasks["T-1"].assignee == "backend-dev"
    assert state.state.tasks["T-1"].status == "in_progress"
    assert state.state.agents["backend-dev"].current_task == "T-1"
    assert state.state.agents["backend-dev"].status == "busy"


def test_task_assigned_keeps_a_non_pending_status(emit):
    emit("task.created", id="T-1", title="Review", status="review")

    assert emit("task.assigned", id="T-1", assignee="qa-lead").state.tasks["T-1"].status == "review"


def test_task_completed_finishes_the_task_and_frees_the_agent(orch_bus, session_id, emit):
    emit("agent.upserted", id="backend-dev")
    emit("task.created", id="T-1", title="Add /health endpoint")
    emit("task.assigned", id="T-1", assignee="backend-dev")

    event, state = orch_bus.emit(session_id, "task.completed", {"id": "T-1"})

    assert state.state.tasks["T-1"].status == "done"
    assert state.state.tasks["T-1"].completed_at == event.ts
    assert state.state.agents["backend-dev"].current_task is None
    assert state.state.agents["backend-dev"].status == "idle"


# -- epics and sprints ---------------------------------------------------------


def test_epic_created_adds_the_epic_and_makes_it_current(orch_bus, session_id, session):
    event, state = orch_bus.emit(session_id, "epic.created", {"id": "EPIC-7", "title": "Observability"})

    assert state.state.epics["EPIC-7"].title == "Observability"
    assert state.state.epics["EPIC-7"].created_at == event.ts
    assert state.current_epic == "EPIC-7"


def test_sprint_started_adds_an_active_current_sprint(orch_bus, session_id, session):
    event, state = orch_bus.emit(
        session_id,
        "sprint.started",
        {"id": "S-3", "name": "Sprint 3", "epic": "EPIC-7", "teams": ["backend", "qa"], "goal": "Ship it"},
    )

    sprint = state.state.sprints["S-3"]
    assert sprint.status == "active"
    assert sprint.started_at == event.ts
    assert sprint.teams == ["backend", "qa"]
    assert sprint.goal == "Ship it"
    assert state.current_sprint == "S-3"
    assert state.current_epic == "EPIC-7"


def test_sprint_completed_ends_the_current_sprint(orch_bus, session_id, emit):
    emit("sprint.started", id="S-3", name="Sprint 3")

    event, state = orch_bus.emit(session_id, "sprint.completed", {"id": "S-3"})

    assert state.state.sprints["S-3"].status == "completed"
    assert state.state.sprints["S-3"].ended_at == event.ts
    assert state.current_sprint is None


# -- messages ------------------------------------------------------------------


def test_message_sent_queues_a_message_with_from_and_to(orch_bus, session_id, session):
    event, state = orch_bus.emit(
        session_id,
        "message.sent",
        {
            "id": "m-1",
            "from": "qa-lead",
            "to": "backend-lead",
            "type": "question",
            "priority": "high",
            "payload": {"text": "Which port does /health use?"},
        },
    )

    (message,) = state.state.messages
    assert message.sender == "qa-lead"
    assert message.recipient == "backend-lead"
    assert message.type == "question"
    assert message.priority == "high"
    assert message.payload == {"text": "Which port does /health use?"}
    assert message.status == "queued"
    assert message.created_at == event.ts


def test_delivered_messages_leave_the_queue(emit):
    emit("message.sent", id="m-1", **{"from": "a", "to": "b"})
    emit("message.sent", id="m-2", **{"from": "a", "to": "c"})

    state = emit("message.delivered", ids=["m-1"])

    assert [(m.id, m.status) for m in state.state.messages] == [("m-2", "queued")]


def test_a_delivery_with_a_status_leaves_the_queue_too_and_the_log_keeps_the_status(emit, orch_bus, session_id):
    emit("message.sent", id="m-1", **{"from": "a", "to": "b"})

    assert emit("message.delivered", ids=["m-1"], status="read").state.messages == []
    assert orch_bus.store.events(session_id, types=["message.delivered"])[-1].data["status"] == "read"


# -- metrics -------------------------------------------------------------------


def test_metric_recorded_counts_up_by_one_by_default(emit):
    emit("metric.recorded", name="tool_calls")

    assert emit("metric.recorded", name="tool_calls").state.metrics["tool_calls"] == 2


def test_metric_recorded_increments_by_a_value(emit):
    emit("metric.recorded", name="cost_usd", value=0.25)

    assert emit("metric.recorded", name="cost_usd", value=0.5).state.metrics["cost_usd"] == 0.75


def test_metric_recorded_set_replaces_the_value(emit):
    emit("metric.recorded", name="velocity", value=13)

    assert emit("metric.recorded", name="velocity", value=21, op="set").state.metrics["velocity"] == 21


# -- rejected events -----------------------------------------------------------


def test_an_unknown_event_type_raises_and_names_the_known_types(orch_bus, session_id, session):
    with pytest.raises(UnknownEventType) as caught:
        orch_bus.emit(session_id, "task.exploded", {"id": "T-1"})

    message = str(caught.value)
    assert "'task.exploded'" in message
    for known in ("session.created", "task.created", "message.sent", "metric.recorded"):
        assert known in message
    assert len(orch_bus.store.events(session_id)) == 1


INVALID = [
    pytest.param("session.orchestration", {"enabled": "yes"}, "needs 'enabled'", id="orchestration-not-bool"),
    pytest.param("session.mode", {}, "needs 'mode'", id="mode-missing"),
    pytest.param("session.mode", {"mode": ""}, "needs 'mode'", id="mode-empty"),
    pytest.param("session.mode", {"mode": "x", "output_style": 3}, "output_style", id="output-style-not-str"),
    pytest.param("session.teams", {"teams": "qa"}, "needs 'teams'", id="teams-not-list"),
    pytest.param("session.teams", {"teams": ["qa", 3]}, "list of names", id="teams-not-names"),
    pytest.param("session.teams", {"teams": ["qa"], "definitions": ["qa"]}, "definitions", id="definitions-list"),
    pytest.param("session.teams", {"teams": ["qa"], "definitions": {"qa": {"lead": 5}}}, "lead", id="team-lead-int"),
    pytest.param("state.set", {"path": "orchestration_enabled", "value": "yes"}, "true or false", id="set-bad-type"),
    pytest.param("agent.upserted", {"name": "no id"}, "needs 'id'", id="agent-no-id"),
    pytest.param("agent.upserted", {"id": "a", "team": 7}, "team", id="agent-team-int"),
    pytest.param("agent.status", {"id": "ghost", "status": "busy"}, "no agent 'ghost'", id="agent-unknown"),
    pytest.param("task.created", {"id": "T-2", "points": "3"}, "points", id="task-points-str"),
    pytest.param(
        "task.updated",
        {"id": "T-1", "blockers": "T-0"},
        "blockers",
        id="task-blockers-str",
    ),
    pytest.param("task.updated", {"id": "T-404", "status": "done"}, "no task 'T-404'", id="task-update-unknown"),
    pytest.param("task.assigned", {"id": "T-404", "assignee": "a"}, "no task 'T-404'", id="task-assign-unknown"),
    pytest.param("task.assigned", {"id": "T-1"}, "needs 'assignee'", id="task-assign-nobody"),
    pytest.param("task.completed", {"id": "T-404"}, "no task 'T-404'", id="task-complete-unknown"),
    pytest.param("epic.created", {"title": "no id"}, "needs 'id'", id="epic-no-id"),
    pytest.param("sprint.started", {"id": "S-1", "duration_days": "10"}, "duration_days", id="sprint-days-str"),
    pytest.param("sprint.completed", {"id": "S-404"}, "no sprint 'S-404'", id="sprint-unknown"),
    pytest.param("message.sent", {"from": "a", "to": "b"}, "needs 'id'", id="message-no-id"),
    pytest.param("message.sent", {"id": "m", "priority": "urgent"}, "priority must be one of", id="message-priority"),
    pytest.param("message.delivered", {"ids": "m-1"}, "needs 'ids'", id="delivered-ids-str"),
    pytest.param("metric.recorded", {"name": "x", "value": "3"}, "must be a number", id="metric-str"),
    pytest.param("metric.recorded", {"name": "x", "value": True}, "must be a number", id="metric-bool"),
    pytest.param("metric.recorded", {"name": "x", "op": "mul"}, "op must be", id="metric-op"),
    pytest.param("metric.recorded", {"value": 1}, "needs 'name'", id="metric-no-name"),
]


@pytest.mark.parametrize(("type_", "data", "why"), INVALID)
def test_invalid_data_raises_invalid_value_and_changes_nothing(orch_bus, session_id, session, type_, data, why):
    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "Existing task"})
    before_state = orch_bus.store.load(session_id)
    before_events = orch_bus.store.events(session_id)

    with pytest.raises(InvalidValue, match=why):
        orch_bus.emit(session_id, type_, data)

    assert orch_bus.store.load(session_id) == before_state
    assert orch_bus.store.events(session_id) == before_events


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("task.created", {"id": "T-1", "title": "Write docs"}),
        ("epic.created", {"id": "EPIC-1", "title": "Observability"}),
        ("sprint.started", {"id": "S-1", "name": "Sprint 1"}),
    ],
)
def test_creating_a_duplicate_is_rejected(orch_bus, session_id, session, type_, data):
    orch_bus.emit(session_id, type_, data)
    before = orch_bus.store.load(session_id)

    with pytest.raises(InvalidValue, match="already exists"):
        orch_bus.emit(session_id, type_, data)

    assert orch_bus.store.load(session_id) == before


def test_a_team_definition_that_is_not_an_object_is_invalid(orch_bus, session_id, session):
    with pytest.raises(InvalidValue):
        orch_bus.emit(session_id, "session.teams", {"teams": ["qa"], "definitions": {"qa": "the QA team"}})


def test_a_delivery_status_that_is_not_a_string_is_invalid(orch_bus, session_id, emit):
    emit("message.sent", id="m-1", **{"from": "a", "to": "b"})

    with pytest.raises(InvalidValue):
        orch_bus.emit(session_id, "message.delivered", {"ids": ["m-1"], "status": 5})

    assert orch_bus.store.load(session_id).state.messages[0].status == "queued"


# -- replay --------------------------------------------------------------------


def a_sprint(orch_bus, session_id) -> list[Session]:
    """Emit one of every core event type; the states after each event, by seq - 1."""
    states = [orch_bus.create_session(session_id, orchestration_enabled=True)]
    for type_, data in [
        ("session.mode", {"mode": "scrum-master", "output_style": "Scrum Master"}),
        ("session.teams", {"teams": ["backend", "qa"], "definitions": {"qa": {"lead": "qa-director"}}}),
        ("epic.created", {"id": "EPIC-7", "title": "Observability"}),
        ("sprint.started", {"id": "S-3", "name": "Sprint 3", "epic": "EPIC-7", "teams": ["backend"]}),
        ("agent.upserted", {"id": "backend-dev", "team": "backend", "status": "active", "model": "opus"}),
        ("task.created", {"id": "T-1", "title": "Add /health", "sprint": "S-3", "points": 3}),
        ("task.assigned", {"id": "T-1", "assignee": "backend-dev"}),
        ("task.updated", {"id": "T-1", "priority": "high", "labels": ["api"]}),
        ("message.sent", {"id": "m-1", "from": "qa-director", "to": "backend-dev", "payload": {"q": "port?"}}),
        ("message.delivered", {"ids": ["m-1"]}),
        ("metric.recorded", {"name": "tool_calls", "value": 4}),
        ("metric.recorded", {"name": "cost_usd", "value": 0.125}),
        ("state.set", {"path": "state.metrics.velocity", "value": 21}),
        ("task.completed", {"id": "T-1"}),
        ("agent.status", {"id": "backend-dev", "status": "completed"}),
        ("sprint.completed", {"id": "S-3"}),
        ("session.orchestration", {"enabled": False}),
        ("session.ended", {"reason": "logout"}),
    ]:
        states.append(orch_bus.emit(session_id, type_, data)[1])
    return states


def test_replay_equals_the_stored_state(orch_bus, session_id):
    a_sprint(orch_bus, session_id)

    assert orch_bus.replay(session_id) == orch_bus.store.load(session_id)


def test_replay_upto_n_equals_the_state_after_event_n(orch_bus, session_id):
    states = a_sprint(orch_bus, session_id)

    for seq, state in enumerate(states, start=1):
        assert orch_bus.replay(session_id, upto=seq) == state, f"replay differs after event {seq}"


def test_replay_of_an_unknown_session_raises_unknown_session(orch_bus, session_id):
    with pytest.raises(UnknownSession):
        orch_bus.replay(session_id)


def test_replay_only_uses_that_sessions_log(orch_bus, session_id):
    a_sprint(orch_bus, session_id)
    orch_bus.create_session(OTHER_SESSION, mode="solo")

    assert orch_bus.replay(OTHER_SESSION) == orch_bus.store.load(OTHER_SESSION)
    assert orch_bus.replay(OTHER_SESSION).state.tasks == {}


# -- subscribers ---------------------------------------------------------------


class Recorder:
    """A plugin whose subscriber records every event it is given, with the state after it."""

    def __init__(self, name: str = "record", types: tuple[str, ...] = ()):
        self.name = name
        self.types = types
        self.seen: list[tuple[str, int, Session]] = []

    @hookimpl
    def orch_event_subscribers(self):
        return [Subscriber(name=self.name, callback=self.record, types=self.types)]

    def record(self, event: Event, state: Session) -> None:
        self.seen.append((event.type, event.seq, state))


class Exploding:
    """A plugin whose subscriber always raises."""

    @hookimpl
    def orch_event_subscribers(self):
        def explode(event, state):
            raise RuntimeError("webhook unreachable")

        return [Subscriber(name="explode", callback=explode)]


def test_a_subscriber_gets_each_committed_event_with_the_new_state(orch_bus, register_plugin, session_id):
    recorder = Recorder()
    register_plugin(recorder, name="recorder")

    orch_bus.create_session(session_id)
    _, state = orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    assert [(t, s) for t, s, _ in recorder.seen] == [("session.created", 1), ("metric.recorded", 2)]
    assert recorder.seen[-1][2] == state


def test_a_subscriber_with_types_only_gets_those_types(orch_bus, register_plugin, session_id):
    recorder = Recorder(types=("task.completed",))
    register_plugin(recorder, name="recorder")

    orch_bus.create_session(session_id)
    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "Docs"})
    orch_bus.emit(session_id, "task.completed", {"id": "T-1"})

    assert [(t, s) for t, s, _ in recorder.seen] == [("task.completed", 3)]


def test_a_rejected_event_is_not_given_to_subscribers(orch_bus, register_plugin, session_id):
    recorder = Recorder()
    register_plugin(recorder, name="recorder")
    orch_bus.create_session(session_id)

    with pytest.raises(InvalidValue):
        orch_bus.emit(session_id, "task.completed", {"id": "T-404"})

    assert [t for t, _, _ in recorder.seen] == ["session.created"]


@pytest.fixture
def exploding_and_recorder(orch_bus, register_plugin, session_id):
    register_plugin(Exploding(), name="exploding")
    recorder = Recorder()
    register_plugin(recorder, name="recorder")
    orch_bus.create_session(session_id)  # fails in "exploding": first plugin.error is event 2
    return recorder


def test_a_failing_subscriber_does_not_undo_the_event(orch_bus, session_id, exploding_and_recorder):
    event, state = orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    assert orch_bus.store.events(session_id, types=["metric.recorded"]) == [event]
    assert orch_bus.store.load(session_id).state.metrics["tool_calls"] == 1


def test_a_failing_subscriber_is_recorded_as_a_plugin_error_event(orch_bus, session_id, exploding_and_recorder):
    event, _ = orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    error = last_event(orch_bus, session_id)
    assert error.type == "plugin.error"
    assert error.seq == event.seq + 1
    assert error.source == "orchcore"
    assert error.data["plugin"] == "exploding"
    assert error.data["where"] == "subscriber explode"
    assert error.data["event"] == event.seq
    assert "RuntimeError: webhook unreachable" in error.data["error"]


def test_plugin_errors_are_counted_per_plugin_in_metrics(orch_bus, session_id, exploding_and_recorder):
    orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    assert orch_bus.store.load(session_id).state.metrics["plugin_errors"] == {"exploding": 2}


def test_a_failing_subscriber_marks_its_plugin_as_error(orch_plugin_manager, orch_bus, exploding_and_recorder):
    record = orch_plugin_manager.records["exploding"]

    assert record.status == "error"
    assert "webhook unreachable" in record.error
    assert orch_plugin_manager.records["recorder"].status == "active"


def test_other_subscribers_still_run_when_one_fails(orch_bus, session_id, exploding_and_recorder):
    orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    seen = [t for t, _, _ in exploding_and_recorder.seen]
    assert seen == ["session.created", "metric.recorded"]  # plugin.error events are not notified


def test_a_subscriber_after_a_failing_one_in_the_same_plugin_still_runs(orch_bus, register_plugin, session_id):
    seen: list[int] = []

    class Mixed:
        @hookimpl
        def orch_event_subscribers(self):
            def explode(event, state):
                raise ValueError("boom")

            return [
                Subscriber(name="first-explodes", callback=explode),
                Subscriber(name="second-records", callback=lambda event, state: seen.append(event.seq)),
            ]

    register_plugin(Mixed(), name="mixed")
    orch_bus.create_session(session_id)

    assert seen == [1]


def test_with_strict_plugins_a_failing_subscriber_is_fatal_but_the_event_stays(
    orch_plugin_manager, orch_bus, register_plugin, session_id
):
    orch_plugin_manager.strict = True
    register_plugin(Exploding(), name="exploding")

    with pytest.raises(PluginError, match="webhook unreachable"):
        orch_bus.create_session(session_id)

    assert [e.type for e in orch_bus.store.events(session_id)] == ["session.created"]


def test_a_plugin_registered_after_the_bus_was_used_is_seen(orch_bus, register_plugin, session_id):
    orch_bus.create_session(session_id)
    recorder = Recorder()
    register_plugin(recorder, name="recorder")

    orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})

    assert [t for t, _, _ in recorder.seen] == ["metric.recorded"]


# -- event types from plugins -------------------------------------------------------


def decision_recorded(session: Session, event: Event) -> Session:
    what = event.data.get("what")
    if not isinstance(what, str) or not what:
        raise InvalidValue("event 'decision.recorded' needs 'what'")
    log = session.plugins.setdefault("decisions", {}).setdefault("log", [])
    log.append({"what": what, "at": event.ts})
    return session


class Decisions:
    @hookimpl
    def orch_event_types(self):
        return [EventType(name="decision.recorded", reducer=decision_recorded, description="a decision: {what}")]


@pytest.fixture
def decisions(register_plugin) -> str:
    return register_plugin(Decisions(), name="decisions")


def test_a_plugin_event_type_is_reduced_by_its_reducer(orch_bus, decisions, session_id):
    orch_bus.create_session(session_id)

    event, state = orch_bus.emit(session_id, "decision.recorded", {"what": "use SQLite"})

    assert state.plugins["decisions"]["log"] == [{"what": "use SQLite", "at": event.ts}]
    assert orch_bus.store.load(session_id) == state


def test_a_plugin_reducer_can_reject_an_event(orch_bus, decisions, session_id):
    orch_bus.create_session(session_id)

    with pytest.raises(InvalidValue, match="needs 'what'"):
        orch_bus.emit(session_id, "decision.recorded", {})

    assert len(orch_bus.store.events(session_id)) == 1


def test_replay_uses_plugin_reducers(orch_bus, decisions, session_id):
    orch_bus.create_session(session_id)
    first = orch_bus.emit(session_id, "decision.recorded", {"what": "use SQLite"})[1]
    orch_bus.emit(session_id, "metric.recorded", {"name": "tool_calls"})
    orch_bus.emit(session_id, "decision.recorded", {"what": "WAL mode"})

    assert orch_bus.replay(session_id) == orch_bus.store.load(session_id)
    assert orch_bus.replay(session_id, upto=2) == first
    assert [d["what"] for d in orch_bus.replay(session_id).plugins["decisions"]["log"]] == ["use SQLite", "WAL mode"]


def test_replay_without_the_plugin_names_the_event_it_cannot_reduce(
    orch_plugin_manager, orch_store, register_plugin, session_id
):
    name = register_plugin(Decisions(), name="decisions")
    bus = EventBus(orch_store, orch_plugin_manager)
    bus.create_session(session_id)
    bus.emit(session_id, "decision.recorded", {"what": "use SQLite"})
    orch_plugin_manager.unregister_plugin(name)

    with pytest.raises(UnknownEventType, match="event 2 has type 'decision.recorded'"):
        EventBus(orch_store, orch_plugin_manager).replay(session_id)


def test_errors_from_the_bus_are_orch_errors():
    for error in (InvalidValue, UnknownEventType, UnknownSession, StatePathError, PluginError):
        assert issubclass(error, OrchError)
