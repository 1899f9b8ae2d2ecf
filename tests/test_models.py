"""The session model: exact JSON round trips, unknown keys kept, strict types.

Claude Code and older tools write keys orchcore does not know. Every model
keeps them and writes them back, so reading and writing a session through
orchcore never loses data. Known fields are typed strictly: a value of the
wrong type is an InvalidValue naming where it is, never a guess.
"""

from __future__ import annotations

import copy
import json

import attrs
import pytest

from orchcore.errors import InvalidValue
from orchcore.models import (
    Agent,
    Epic,
    Event,
    Message,
    RuntimeConfig,
    Session,
    SessionState,
    Sprint,
    StatusLineConfig,
    Task,
    Team,
    structure,
    unstructure,
)


def full_session(session_id: str) -> dict:
    """A realistic session as it sits in the store: every known field, plus unknown keys at every level."""
    return {
        "session_id": session_id,
        "created_at": "2025-06-02T09:14:03.120000Z",
        "updated_at": "2025-06-02T10:01:44.981234Z",
        "ended_at": None,
        "archived_at": None,
        "transcript_path": "/home/dev/.claude/projects/-home-dev-shop/" + session_id + ".jsonl",
        "orchestration_enabled": True,
        "mode": "scrum-master",
        "active_teams": ["backend", "qa"],
        "current_epic": "EPIC-7",
        "current_sprint": "S-3",
        "state": {
            "agents": {
                "backend-lead": {
                    "id": "backend-lead",
                    "name": "Backend lead",
                    "agent_type": "backend-director",
                    "team": "backend",
                    "role": "director",
                    "status": "busy",
                    "parent_id": None,
                    "current_task": "T-12",
                    "started_at": "2025-06-02T09:15:00.000000Z",
                    "ended_at": None,
                    "delegation": None,
                    "duration_ms": None,
                    "last_message": None,
                    "model": "opus",  # unknown to orchcore
                    "tokens": {"in": 18233, "out": 2210},  # unknown, nested
                },
            },
            "tasks": {
                "T-12": {
                    "id": "T-12",
                    "title": "Add /health endpoint",
                    "description": "Return build sha and DB status",
                    "status": "in_progress",
                    "priority": "high",
                    "assignee": "backend-lead",
                    "team": "backend",
                    "epic": "EPIC-7",
                    "sprint": "S-3",
                    "points": 3,
                    "blockers": ["T-9"],
                    "created_at": "2025-06-02T09:20:00.000000Z",
                    "updated_at": "2025-06-02T09:40:00.000000Z",
                    "completed_at": None,
                    "labels": ["api", "ops"],  # unknown
                },
            },
            "messages": [
                {
                    "id": "m-1",
                    "from": "qa-lead",
                    "to": "backend-lead",
                    "type": "question",
                    "priority": "normal",
                    "payload": {"text": "Which port does /health use?", "refs": [1, 2]},
                    "created_at": "2025-06-02T09:45:00.000000Z",
                    "status": "queued",
                    "thread": "t-4",  # unknown
                },
            ],
            "metrics": {"velocity": 21, "burn": [5, 8, 13], "ratio": 0.75},
            "teams": {
                "backend": {
                    "name": "backend",
                    "description": "APIs and storage",
                    "lead": "backend-lead",
                    "members": ["backend-lead", "backend-dev"],
                    "max_parallel": 2,
                    "skills": ["python", "sql"],
                    "color": "blue",  # unknown
                },
            },
            "sprints": {
                "S-3": {
                    "id": "S-3",
                    "name": "Sprint 3",
                    "epic": "EPIC-7",
                    "teams": ["backend", "qa"],
                    "status": "active",
                    "goal": "Ship observability",
                    "duration_days": 10,
                    "started_at": "2025-06-02T09:16:00.000000Z",
                    "ended_at": None,
                    "tasks": ["T-12"],
                    "retro_notes": None,  # unknown
                },
            },
            "epics": {
                "EPIC-7": {
                    "id": "EPIC-7",
                    "title": "Observability",
                    "description": "Health, metrics, traces",
                    "status": "in_progress",
                    "created_at": "2025-06-02T09:15:30.000000Z",
                    "owner": "pm",  # unknown
                },
            },
            "delegations": {
                "toolu_01": {
                    "id": "toolu_01",
                    "parent": "main",
                    "agent_type": "backend-director",
                    "team": "backend",
                    "description": "lead the backend work",
                    "prompt": "Plan and delegate T-12",
                    "status": "running",
                    "reason": None,
                    "agent_id": "backend-lead",
                    "task": "T-12",
                    "requested_at": "2025-06-02T09:14:59.000000Z",
                    "started_at": "2025-06-02T09:15:00.000000Z",
                    "completed_at": None,
                    "model": "opus",  # unknown
                },
            },
            "v1_checkpoint": {"step": 4},  # unknown key in state
        },
        "runtime_config": {
            "output_style": "Scrum Master",
            "status_line": {
                "segments": ["mode", "sprint", "tasks"],
                "separator": " | ",  # unknown key in status_line
            },
            "theme": "dark",  # unknown key in runtime_config
        },
        "plugins": {"decisions": {"log": [{"what": "use sqlite"}]}},
        "legacy_flag": True,  # unknown top-level key
    }


# -- round trips ---------------------------------------------------------


def test_a_full_session_round_trips_exactly(session_id):
    data = full_session(session_id)

    assert unstructure(structure(data, Session)) == data


def test_a_round_trip_survives_json_encoding(session_id):
    data = full_session(session_id)
    text = json.dumps(unstructure(structure(data, Session)))

    assert json.loads(text) == data


def test_structure_does_not_modify_its_input(session_id):
    data = full_session(session_id)
    before = copy.deepcopy(data)

    structure(data, Session)

    assert data == before


def test_structure_builds_typed_models_at_every_level(session_id):
    session = structure(full_session(session_id), Session)

    assert isinstance(session.state, SessionState)
    assert isinstance(session.state.agents["backend-lead"], Agent)
    assert isinstance(session.state.tasks["T-12"], Task)
    assert isinstance(session.state.messages[0], Message)
    assert isinstance(session.state.teams["backend"], Team)
    assert isinstance(session.state.sprints["S-3"], Sprint)
    assert isinstance(session.state.epics["EPIC-7"], Epic)
    assert isinstance(session.runtime_config, RuntimeConfig)
    assert isinstance(session.runtime_config.status_line, StatusLineConfig)
    assert session.state.tasks["T-12"].points == 3
    assert session.runtime_config.status_line.segments == ["mode", "sprint", "tasks"]


def test_missing_known_fields_take_their_defaults(session_id):
    session = structure({"session_id": session_id}, Session)

    assert session == Session(session_id=session_id)
    assert unstructure(session) == unstructure(Session(session_id=session_id))
    assert unstructure(session)["mode"] == "default"
    assert unstructure(session)["orchestration_enabled"] is False


# -- unknown keys --------------------------------------------------------


@pytest.mark.parametrize(
    ("model_of", "key", "value"),
    [
        pytest.param(lambda s: s, "legacy_flag", True, id="session"),
        pytest.param(lambda s: s.state, "v1_checkpoint", {"step": 4}, id="state"),
        pytest.param(lambda s: s.state.agents["backend-lead"], "tokens", {"in": 18233, "out": 2210}, id="agent"),
        pytest.param(lambda s: s.state.tasks["T-12"], "labels", ["api", "ops"], id="task"),
        pytest.param(lambda s: s.state.messages[0], "thread", "t-4", id="message"),
        pytest.param(lambda s: s.state.teams["backend"], "color", "blue", id="team"),
        pytest.param(lambda s: s.state.sprints["S-3"], "retro_notes", None, id="sprint"),
        pytest.param(lambda s: s.state.epics["EPIC-7"], "owner", "pm", id="epic"),
        pytest.param(lambda s: s.runtime_config, "theme", "dark", id="runtime_config"),
        pytest.param(lambda s: s.runtime_config.status_line, "separator", " | ", id="status_line"),
    ],
)
def test_unknown_keys_are_kept_in_extra(session_id, model_of, key, value):
    model = model_of(structure(full_session(session_id), Session))

    assert model.extra[key] == value


def test_unknown_keys_are_written_back_beside_the_known_fields(session_id):
    out = unstructure(structure(full_session(session_id), Session))

    assert out["legacy_flag"] is True
    assert out["state"]["v1_checkpoint"] == {"step": 4}
    assert out["state"]["agents"]["backend-lead"]["tokens"] == {"in": 18233, "out": 2210}
    assert out["runtime_config"]["status_line"]["separator"] == " | "
    assert "extra" not in out  # merged flat, not nested under "extra"


def test_known_fields_never_land_in_extra(session_id):
    session = structure(full_session(session_id), Session)

    assert set(session.extra) == {"legacy_flag"}
    assert set(session.state.tasks["T-12"].extra) == {"labels"}


def test_an_unknown_key_called_extra_round_trips_as_data():
    data = {**unstructure(Agent(id="a1")), "extra": {"note": "from a V1 tool"}}

    agent = structure(data, Agent)

    assert agent.extra == {"extra": {"note": "from a V1 tool"}}
    assert unstructure(agent) == data


def test_unknown_keys_added_in_python_are_written_out():
    task = Task(id="T-1", title="Write docs")
    task.extra["estimate_hours"] = 4

    assert unstructure(task)["estimate_hours"] == 4


# -- messages use from/to on the wire -------------------------------------


def test_message_sender_and_recipient_are_from_and_to_on_the_wire():
    message = structure({"id": "m-1", "from": "qa-lead", "to": "backend-lead"}, Message)

    assert message.sender == "qa-lead"
    assert message.recipient == "backend-lead"
    out = unstructure(message)
    assert out["from"] == "qa-lead"
    assert out["to"] == "backend-lead"
    assert "sender" not in out
    assert "recipient" not in out


def test_sender_and_recipient_keys_on_the_wire_are_unknown_keys():
    message = structure({"id": "m-1", "sender": "x", "recipient": "y"}, Message)

    assert message.sender == ""
    assert message.recipient == ""
    assert message.extra == {"sender": "x", "recipient": "y"}


def test_message_payload_may_be_any_json_value():
    for payload in (None, "text", 3, 2.5, True, [1, "two"], {"deep": {"er": [None]}}):
        data = {**unstructure(Message(id="m")), "payload": payload}
        assert unstructure(structure(data, Message)) == data


# -- strict types --------------------------------------------------------


def _with(data: dict, path: list, value) -> dict:
    out = copy.deepcopy(data)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["orchestration_enabled"], "yes", "Session.orchestration_enabled"),
        (["orchestration_enabled"], 1, "Session.orchestration_enabled"),
        (["session_id"], 3, "Session.session_id"),
        (["mode"], None, "Session.mode"),
        (["current_epic"], 7, "Session.current_epic"),
        (["active_teams", 0], 5, "Session.active_teams[0]"),
        (["state", "tasks", "T-12", "points"], "3", "Session.state.tasks['T-12'].points"),
        (["state", "tasks", "T-12", "points"], True, "Session.state.tasks['T-12'].points"),
        (["state", "tasks", "T-12", "points"], 2.5, "Session.state.tasks['T-12'].points"),
        (["state", "agents", "backend-lead", "team"], 5, "Session.state.agents['backend-lead'].team"),
        (["state", "sprints", "S-3", "duration_days"], "10", "Session.state.sprints['S-3'].duration_days"),
        (["state", "teams", "backend", "max_parallel"], "2", "Session.state.teams['backend'].max_parallel"),
        (["runtime_config", "status_line", "segments", 1], 1, "Session.runtime_config.status_line.segments[1]"),
        (["runtime_config", "output_style"], False, "Session.runtime_config.output_style"),
    ],
)
def test_a_value_of_the_wrong_type_is_invalid_and_the_message_names_where(session_id, path, value, where):
    with pytest.raises(InvalidValue) as caught:
        structure(_with(full_session(session_id), path, value), Session)

    assert where in str(caught.value)
    assert repr(value) in str(caught.value)


def test_a_string_is_never_coerced_to_a_bool_or_an_int(session_id):
    with pytest.raises(InvalidValue, match="expected true or false, got 'true'"):
        structure({"session_id": session_id, "orchestration_enabled": "true"}, Session)
    with pytest.raises(InvalidValue, match="expected an integer, got '3'"):
        structure({"id": "T-1", "points": "3"}, Task)


def test_a_message_sender_of_the_wrong_type_is_invalid(session_id):
    data = _with(full_session(session_id), ["state", "messages", 0, "from"], 5)

    with pytest.raises(InvalidValue, match="expected a string, got 5"):
        structure(data, Session)


def test_a_message_field_error_names_the_json_key(session_id):
    data = _with(full_session(session_id), ["state", "messages", 0, "from"], 5)

    with pytest.raises(InvalidValue) as caught:
        structure(data, Session)

    assert "messages[0].from" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["active_teams"], "qa"),
        (["state", "tasks", "T-12", "blockers"], "T-9"),
        (["runtime_config", "status_line", "segments"], "mode"),
    ],
)
def test_a_string_where_a_list_is_expected_is_invalid(session_id, path, value):
    with pytest.raises(InvalidValue):
        structure(_with(full_session(session_id), path, value), Session)


def test_an_object_where_a_model_is_expected_is_required(session_id):
    with pytest.raises(InvalidValue, match="expected an object for SessionState, got list"):
        structure(_with(full_session(session_id), ["state"], []), Session)
    with pytest.raises(InvalidValue, match="expected an object for Session, got str"):
        structure("not a session", Session)


def test_a_free_dict_needs_a_mapping(session_id):
    with pytest.raises(InvalidValue, match=r"Session\.plugins\['decisions'\]"):
        structure(_with(full_session(session_id), ["plugins", "decisions"], "x"), Session)


def test_a_missing_required_field_is_invalid_and_named(session_id):
    data = full_session(session_id)
    del data["state"]["tasks"]["T-12"]["id"]

    with pytest.raises(InvalidValue, match=r"required field missing @ Session\.state\.tasks\['T-12'\]\.id"):
        structure(data, Session)


def test_several_wrong_values_are_reported_in_one_message(session_id):
    data = {"session_id": session_id, "orchestration_enabled": 1, "mode": 2}

    with pytest.raises(InvalidValue) as caught:
        structure(data, Session)

    message = str(caught.value)
    assert "Session.orchestration_enabled" in message
    assert "Session.mode" in message
    assert "\n" not in message


def test_unknown_keys_are_not_type_checked(session_id):
    data = {**unstructure(Session(session_id=session_id)), "orchestration": "yes", "count": "3"}

    assert unstructure(structure(data, Session)) == data


# -- events --------------------------------------------------------------


def test_an_event_is_immutable(session_id):
    event = Event(seq=1, session_id=session_id, ts="2025-06-02T09:14:03.120000Z", type="session.created", source="orch")

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.seq = 2  # type: ignore[misc]


def test_an_event_has_empty_data_by_default(session_id):
    event = Event(seq=1, session_id=session_id, ts="t", type="session.created", source="orch")

    assert event.data == {}


def test_an_event_round_trips_as_a_plain_dict(session_id):
    data = {
        "seq": 4,
        "session_id": session_id,
        "ts": "2025-06-02T09:20:00.000000Z",
        "type": "task.created",
        "source": "hook:SubagentStart",
        "data": {"id": "T-12", "title": "Add /health endpoint", "points": 3},
    }

    event = structure(data, Event)

    assert event == Event(**data)
    assert unstructure(event) == data


def test_events_with_equal_fields_are_equal(session_id):
    make = lambda: Event(seq=2, session_id=session_id, ts="t", type="metric.recorded", source="orch", data={"name": "x"})  # noqa: E731

    assert make() == make()


def test_an_event_is_typed_strictly(session_id):
    data = {"seq": "1", "session_id": session_id, "ts": "t", "type": "session.created", "source": "orch"}

    with pytest.raises(InvalidValue, match=r"expected an integer, got '1' @ Event\.seq"):
        structure(data, Event)


def test_unstructured_data_does_not_share_unknown_values_with_the_model(session_id):
    session = structure(full_session(session_id), Session)

    out = unstructure(session)
    out["state"]["v1_checkpoint"]["step"] = 5

    assert session.state.extra["v1_checkpoint"] == {"step": 4}


def test_unstructured_data_does_not_share_known_values_with_the_model(session_id):
    session = structure(full_session(session_id), Session)

    out = unstructure(session)
    out["state"]["metrics"]["burn"].append(21)
    out["state"]["tasks"]["T-12"]["blockers"].append("T-10")

    assert session.state.metrics["burn"] == [5, 8, 13]
    assert session.state.tasks["T-12"].blockers == ["T-9"]


def test_an_event_gives_a_reducer_the_fields_it_needs_or_refuses_the_event_in_one_line():
    event = Event(seq=3, session_id="s", ts="2026-12-01T00:00:00+00:00", type="checkpoint.created",
                  source="cli", data={"name": "before", "seq": 2, "flag": True, "empty": ""})

    assert event.need("name") == "before"
    assert event.need("seq", int) == 2
    for key, kind in [("missing", str), ("empty", str), ("flag", int), ("seq", str)]:
        with pytest.raises(InvalidValue, match=rf"^event 'checkpoint.created' needs '{key}' \({kind.__name__}\)$"):
            event.need(key, kind)
