"""Dotted state paths: ``state.tasks.T-1.status``, ``state.messages.0.from``.

Reading walks the session's JSON form. Writing is stricter: the parent must
exist, a typed model accepts only its own fields (a typo is an error, not a
new key), free dicts such as ``state.metrics`` accept new keys, and the result
is validated as a whole Session.
"""

from __future__ import annotations

import copy

import pytest

from orchcore.errors import InvalidValue, StatePathError
from orchcore.models import Session, structure, unstructure
from orchcore.statepath import get_path, set_path, split


@pytest.fixture
def session(session_id) -> Session:
    return structure(
        {
            "session_id": session_id,
            "created_at": "2025-06-02T09:14:03.120000Z",
            "updated_at": "2025-06-02T10:01:44.981234Z",
            "orchestration_enabled": True,
            "mode": "scrum-master",
            "active_teams": ["backend", "qa"],
            "current_sprint": "S-3",
            "state": {
                "agents": {"backend-dev": {"id": "backend-dev", "team": "backend", "status": "busy"}},
                "tasks": {
                    "T-1": {"id": "T-1", "title": "Add /health", "status": "in_progress", "points": 3, "labels": ["api"]},
                },
                "messages": [
                    {"id": "m-1", "from": "qa-lead", "to": "backend-dev", "payload": {"text": "port?"}},
                ],
                "metrics": {"velocity": 21, "plugin_errors": {"notify": 1}},
                "v1_checkpoint": {"step": 4},
            },
            "runtime_config": {"status_line": {"segments": ["mode", "sprint"]}},
            "plugins": {"decisions": {"log": []}},
            "legacy": {"notes": ["kept"]},
        },
        Session,
    )


# -- paths ---------------------------------------------------------------------


def test_a_path_is_split_on_dots():
    assert split("state.tasks.T-1.status") == ["state", "tasks", "T-1", "status"]


def test_surrounding_dots_and_spaces_are_ignored():
    assert split(" .state.metrics. ") == ["state", "metrics"]


@pytest.mark.parametrize("path", ["", "   ", ".", "state..tasks"])
def test_an_empty_path_or_empty_part_is_an_error(path):
    with pytest.raises(StatePathError, match="invalid state path"):
        split(path)


# -- get_path ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("mode", "scrum-master"),
        ("orchestration_enabled", True),
        ("current_epic", None),
        ("active_teams", ["backend", "qa"]),
        ("active_teams.1", "qa"),
        ("state.tasks.T-1.status", "in_progress"),
        ("state.tasks.T-1.points", 3),
        ("state.agents.backend-dev.team", "backend"),
        ("state.metrics.plugin_errors.notify", 1),
        ("runtime_config.status_line.segments.0", "mode"),
        ("plugins.decisions.log", []),
    ],
)
def test_get_path_reads_a_value(session, path, value):
    assert get_path(session, path) == value


def test_get_path_reads_messages_with_their_wire_keys(session):
    assert get_path(session, "state.messages.0.from") == "qa-lead"
    assert get_path(session, "state.messages.0.to") == "backend-dev"
    assert get_path(session, "state.messages.0.payload.text") == "port?"


def test_get_path_reads_unknown_keys(session):
    assert get_path(session, "legacy.notes.0") == "kept"
    assert get_path(session, "state.v1_checkpoint.step") == 4
    assert get_path(session, "state.tasks.T-1.labels") == ["api"]


def test_get_path_returns_objects_as_json(session):
    task = get_path(session, "state.tasks.T-1")

    assert task["title"] == "Add /health"
    assert task["labels"] == ["api"]
    assert get_path(session, "state.messages.0")["from"] == "qa-lead"


def test_get_path_of_a_missing_key_lists_what_is_there(session):
    with pytest.raises(StatePathError, match=r"no 'T-9' in state\.tasks \(it holds: T-1\)"):
        get_path(session, "state.tasks.T-9")


def test_get_path_of_a_missing_top_level_key_names_the_session(session):
    with pytest.raises(StatePathError, match="no 'modee' in the session") as caught:
        get_path(session, "modee")

    assert "mode" in str(caught.value)


def test_get_path_beyond_a_list_says_how_long_it_is(session):
    with pytest.raises(StatePathError, match=r"state\.messages is a list of 1; '3' is not an index in it"):
        get_path(session, "state.messages.3")


def test_get_path_with_a_name_into_a_list_is_an_error(session):
    with pytest.raises(StatePathError, match="'first' is not an index"):
        get_path(session, "active_teams.first")


def test_get_path_into_a_scalar_is_an_error(session):
    with pytest.raises(StatePathError, match="mode is a str, not an object; it has no 'name'"):
        get_path(session, "mode.name")


def test_get_path_returns_a_copy(session):
    before = copy.deepcopy(session)

    get_path(session, "state.tasks.T-1")["status"] = "done"
    get_path(session, "active_teams").append("design")

    assert session == before


# -- set_path: what can be written ----------------------------------------------


def test_set_path_returns_a_new_session_with_the_value(session):
    new = set_path(session, "mode", "standup")

    assert new.mode == "standup"
    assert new is not session
    assert session.mode == "scrum-master"


def test_set_path_writes_a_nested_typed_field(session):
    new = set_path(session, "state.tasks.T-1.status", "review")

    assert new.state.tasks["T-1"].status == "review"


def test_set_path_writes_through_a_list_index(session):
    assert set_path(session, "active_teams.0", "frontend").active_teams == ["frontend", "qa"]
    assert set_path(session, "runtime_config.status_line.segments.1", "tasks").runtime_config.status_line.segments == [
        "mode",
        "tasks",
    ]


def test_set_path_writes_message_fields_by_their_wire_keys(session):
    new = set_path(session, "state.messages.0.to", "qa-lead")

    assert new.state.messages[0].recipient == "qa-lead"


def test_set_path_replaces_a_whole_object_and_validates_it(session):
    new = set_path(session, "state.agents.backend-dev", {"id": "backend-dev", "status": "idle"})

    agent = new.state.agents["backend-dev"]
    assert agent.status == "idle"
    assert agent.team is None  # the whole agent was replaced, not merged


def test_set_path_can_add_an_entry_to_a_keyed_collection(session):
    new = set_path(session, "state.tasks.T-2", {"id": "T-2", "title": "Write docs"})

    assert new.state.tasks["T-2"].title == "Write docs"
    assert new.state.tasks["T-1"].title == "Add /health"


@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("state.metrics.tool_calls", lambda s: s.state.metrics["tool_calls"]),
        ("state.metrics.plugin_errors.webhook", lambda s: s.state.metrics["plugin_errors"]["webhook"]),
        ("plugins.decisions.owner", lambda s: s.plugins["decisions"]["owner"]),
    ],
)
def test_free_dicts_accept_new_keys(session, path, read):
    assert read(set_path(session, path, 7)) == 7


def test_a_new_plugin_namespace_can_be_added(session):
    new = set_path(session, "plugins.standup", {"last_run": "2025-06-02"})

    assert new.plugins["standup"] == {"last_run": "2025-06-02"}


def test_existing_unknown_keys_can_be_written(session):
    assert set_path(session, "state.tasks.T-1.labels", ["api", "ops"]).state.tasks["T-1"].extra["labels"] == [
        "api",
        "ops",
    ]
    assert set_path(session, "legacy.notes", []).extra["legacy"] == {"notes": []}


def test_set_path_keeps_everything_else(session):
    new = set_path(session, "state.metrics.velocity", 34)

    expected = unstructure(session)
    expected["state"]["metrics"]["velocity"] = 34
    assert unstructure(new) == expected


def test_set_path_inside_an_unknown_key_leaves_the_given_session_unchanged(session):
    before = copy.deepcopy(session)

    set_path(session, "state.v1_checkpoint.step", 5)

    assert session == before


def test_set_path_on_known_fields_leaves_the_given_session_unchanged(session):
    before = copy.deepcopy(session)

    set_path(session, "state.tasks.T-1.status", "done")
    set_path(session, "state.metrics.plugin_errors.notify", 9)
    set_path(session, "state.messages.0.payload.text", "changed")

    assert session == before


# -- set_path: what is refused -------------------------------------------------


def test_an_unknown_field_of_a_typed_model_is_an_error_listing_its_fields(session):
    with pytest.raises(StatePathError) as caught:
        set_path(session, "state.tasks.T-1.stauts", "done")

    message = str(caught.value)
    assert "state.tasks.T-1 has no field 'stauts'" in message
    for field in ("assignee", "blockers", "priority", "status", "title"):
        assert field in message


def test_an_unknown_top_level_field_is_an_error_listing_the_session_fields(session):
    with pytest.raises(StatePathError, match="the session has no field 'modee'") as caught:
        set_path(session, "modee", "standup")

    assert "orchestration_enabled" in str(caught.value)


def test_message_fields_are_listed_by_their_wire_keys(session):
    with pytest.raises(StatePathError, match="has no field 'sender'") as caught:
        set_path(session, "state.messages.0.sender", "x")

    assert "from" in str(caught.value)
    assert "to" in str(caught.value)


def test_an_unknown_key_in_state_is_an_error(session):
    with pytest.raises(StatePathError, match="state has no field 'taks'"):
        set_path(session, "state.taks", {})


@pytest.mark.parametrize("field", ["session_id", "created_at", "updated_at"])
def test_fields_kept_by_orchcore_are_read_only(session, field):
    with pytest.raises(StatePathError, match=f"{field} is kept by orchcore and cannot be set"):
        set_path(session, field, "2030-01-01T00:00:00Z")


def test_the_parent_must_exist(session):
    with pytest.raises(StatePathError, match=r"no 'T-9' in state\.tasks"):
        set_path(session, "state.tasks.T-9.status", "done")


def test_a_list_index_must_exist(session):
    with pytest.raises(StatePathError, match=r"state\.messages is a list of 1"):
        set_path(session, "state.messages.1", {"id": "m-2"})


def test_a_scalar_has_no_children(session):
    with pytest.raises(StatePathError, match="mode is a str; it has no 'name'"):
        set_path(session, "mode.name", "x")


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("orchestration_enabled", "yes", "Session.orchestration_enabled"),
        ("mode", 3, "Session.mode"),
        ("state.tasks.T-1.points", "3", "Session.state.tasks['T-1'].points"),
        ("state.tasks.T-1.points", True, "Session.state.tasks['T-1'].points"),
        ("active_teams.0", 1, "Session.active_teams[0]"),
        ("state.agents.backend-dev", {"team": "backend"}, "Session.state.agents['backend-dev'].id"),
        ("state.tasks", [], "Session.state.tasks"),
        ("plugins.decisions", "x", "Session.plugins['decisions']"),
    ],
)
def test_a_value_of_the_wrong_type_is_invalid_and_named(session, path, value, where):
    with pytest.raises(InvalidValue) as caught:
        set_path(session, path, value)

    assert where in str(caught.value)


def test_a_rejected_write_leaves_the_given_session_unchanged(session):
    before = copy.deepcopy(session)

    with pytest.raises(InvalidValue):
        set_path(session, "state.tasks.T-1.points", "many")

    assert session == before
