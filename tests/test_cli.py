"""The ``orch`` command line: what each command prints, and how bad input fails.

Most tests run ``orch`` in-process through the ``orch_cli`` fixture, on a
SQLite store in a throwaway project. The session a command works on is
``--session``, else ``$CLAUDE_CODE_SESSION_ID`` (``orch_cli(..., session=SID)``
sets that variable for one call).

Every failure the user can cause is reported the same way: a non-zero exit
code, one line on stderr starting with ``orch: error:``, no traceback, and
nothing written to the store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orchcore import __version__

OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"
UNKNOWN = "0b5e0f6e-9c1a-4c55-8c1e-2d7f3f0e9a11"


# -- helpers -------------------------------------------------------------


def ok(result):
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result


def assert_one_line_error(result, *fragments: str) -> str:
    """Exit code != 0, nothing on stdout, exactly one line on stderr: ``orch: error: ...``."""
    assert result.exit_code != 0, f"expected a failure, got exit 0; stdout: {result.stdout!r}"
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("orch: error: "), result.stderr
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, f"not one line: {result.stderr!r}"
    for fragment in fragments:
        assert fragment in result.stderr
    return result.stderr


def snapshot(orch_cli) -> dict:
    """Everything a command could have changed: the session list, and each session's state and log."""
    listing = ok(orch_cli("session", "list", "--json")).json()
    seen = {}
    for info in listing:
        sid = info["session_id"]
        seen[sid] = {
            "state": ok(orch_cli("session", "show", "--json", "--session", sid)).json(),
            "events": ok(orch_cli("events", "list", "--json", "--limit", "0", "--session", sid)).json(),
        }
    return {"sessions": listing, "detail": seen}


def db_file(project: Path) -> Path:
    return project / ".claude" / "state" / "orchcore.db"


@pytest.fixture
def sid(orch_cli, session_id) -> str:
    """A session that exists, with a little state, so that 'nothing changed' means something."""
    ok(orch_cli("session", "create", session_id))
    ok(orch_cli("events", "emit", "metric.recorded", "--data", '{"name": "ticks", "value": 2}', session=session_id))
    ok(orch_cli("state", "set", "current_sprint", "S-1", session=session_id))
    return session_id


@pytest.fixture
def teams_plugin(register_plugin):
    """A plugin that defines two teams, so that activate-teams checks names against them."""
    from orchcore.plugins import hookimpl
    from orchcore.specs import TeamSpec

    class Teams:
        @hookimpl
        def orch_teams(self):
            return [
                TeamSpec(name="qa", description="testing", lead="qa-lead", members=["qa-lead", "qa-tester"],
                         max_parallel=2),
                TeamSpec(name="web", description="frontend", lead="web-lead", members=["web-lead"]),
            ]

    register_plugin(Teams(), name="test-teams")


# -- orch --version ------------------------------------------------------


def test_version_prints_the_package_version(orch_cli):
    result = ok(orch_cli("--version"))
    assert result.stdout == f"orch (orchcore) {__version__}\n"


def test_no_arguments_shows_help(orch_cli):
    result = orch_cli()
    assert "Traceback" not in result.stdout + result.stderr
    assert "Usage: orch" in result.stdout + result.stderr
    for group in ("session", "state", "events", "plugins"):
        assert group in result.stdout + result.stderr


# -- orch session create -------------------------------------------------


def test_session_create_with_an_explicit_id_prints_the_id(orch_cli, session_id):
    result = ok(orch_cli("session", "create", session_id))
    assert result.stdout == f"{session_id}\n"


def test_session_create_json_is_the_new_session_with_defaults(orch_cli, session_id):
    data = ok(orch_cli("session", "create", session_id, "--json")).json()
    assert data["session_id"] == session_id
    assert data["orchestration_enabled"] is False
    assert data["mode"] == "default"
    assert data["active_teams"] == []
    assert data["last_seq"] == 1
    assert data["created_at"] and data["created_at"] == data["updated_at"]
    assert data["state"] == {"agents": {}, "tasks": {}, "messages": [], "metrics": {}, "teams": {},
                             "sprints": {}, "epics": {}, "delegations": {}}


def test_session_create_with_enable_and_mode(orch_cli, session_id):
    data = ok(orch_cli("session", "create", session_id, "--enable", "--mode", "scrum", "--json")).json()
    assert data["orchestration_enabled"] is True
    assert data["mode"] == "scrum"


def test_session_create_records_a_session_created_event(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id, "--enable"))
    (event,) = ok(orch_cli("events", "list", "--json", "--session", session_id)).json()
    assert event["seq"] == 1
    assert event["type"] == "session.created"
    assert event["data"] == {"orchestration_enabled": True}


def test_session_create_defaults_to_the_claude_code_session(orch_cli, session_id):
    result = ok(orch_cli("session", "create", session=session_id))
    assert result.stdout == f"{session_id}\n"


def test_session_create_without_any_id_makes_a_new_one(orch_cli):
    from orchcore.ids import is_session_id

    new = ok(orch_cli("session", "create")).stdout.strip()
    assert is_session_id(new)
    assert [s["session_id"] for s in ok(orch_cli("session", "list", "--json")).json()] == [new]


def test_session_ids_are_stored_in_lower_case(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id.upper()))
    assert ok(orch_cli("session", "show", "--json", "--session", session_id.upper())).json()["session_id"] == session_id
    assert [s["session_id"] for s in ok(orch_cli("session", "list", "--json")).json()] == [session_id]


# -- orch session list ---------------------------------------------------


def test_session_list_when_empty_says_how_to_start(orch_cli):
    result = ok(orch_cli("session", "list"))
    assert "no sessions yet" in result.stdout
    assert ok(orch_cli("session", "list", "--json")).json() == []


def test_session_list_json_has_one_row_per_session_most_recent_first(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    ok(orch_cli("session", "create", OTHER, "--enable", "--mode", "scrum"))
    rows = ok(orch_cli("session", "list", "--json")).json()
    assert [r["session_id"] for r in rows] == [OTHER, session_id]
    assert rows[0] == {
        "session_id": OTHER, "created_at": rows[0]["created_at"], "updated_at": rows[0]["updated_at"],
        "last_seq": 1, "orchestration_enabled": True, "mode": "scrum", "archived_at": None,
    }
    ok(orch_cli("session", "enable", session=session_id))  # now the most recently active
    rows = ok(orch_cli("session", "list", "--json")).json()
    assert [(r["session_id"], r["last_seq"]) for r in rows] == [(session_id, 2), (OTHER, 1)]


def test_session_list_text_marks_the_current_session(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    ok(orch_cli("session", "create", OTHER))
    lines = ok(orch_cli("session", "list", session=session_id)).stdout.splitlines()
    current = [line for line in lines if session_id in line]
    other = [line for line in lines if OTHER in line]
    assert current[0].lstrip().startswith("*")
    assert not other[0].lstrip().startswith("*")
    assert "off" in current[0] and "default" in current[0]


# -- orch session show ---------------------------------------------------


def test_session_show_json_is_the_state_plus_last_seq(orch_cli, sid):
    data = ok(orch_cli("session", "show", "--json", session=sid)).json()
    assert data["session_id"] == sid
    assert data["last_seq"] == 3
    assert data["current_sprint"] == "S-1"
    assert data["state"]["metrics"] == {"ticks": 2}


def test_session_show_text_summarises_the_session(orch_cli, sid):
    out = ok(orch_cli("session", "show", session=sid)).stdout
    assert f"session {sid}" in out
    assert "orchestration  off" in out
    assert "mode           default" in out
    assert "epic / sprint  - / S-1" in out
    assert "(event 3)" in out
    assert "tasks          none" in out
    assert "metrics        ticks=2" in out


def test_session_option_overrides_the_claude_code_session(orch_cli, sid):
    ok(orch_cli("session", "create", OTHER))
    assert ok(orch_cli("session", "show", "--json", session=sid)).json()["session_id"] == sid
    shown = ok(orch_cli("session", "show", "--json", "--session", OTHER, session=sid)).json()
    assert shown["session_id"] == OTHER
    short = ok(orch_cli("session", "show", "--json", "-s", OTHER, session=sid)).json()
    assert short["session_id"] == OTHER


# -- orch session enable / disable / set-mode / activate-teams ------------


def test_session_enable_and_disable_flip_orchestration(orch_cli, sid):
    assert ok(orch_cli("session", "enable", session=sid)).stdout == f"{sid}: orchestration on\n"
    assert ok(orch_cli("state", "get", "orchestration_enabled", session=sid)).stdout == "true\n"
    assert ok(orch_cli("session", "disable", session=sid)).stdout == f"{sid}: orchestration off\n"
    assert ok(orch_cli("state", "get", "orchestration_enabled", session=sid)).stdout == "false\n"
    events = ok(orch_cli("events", "list", "--json", "--type", "session.orchestration", session=sid)).json()
    assert [(e["data"], e["source"]) for e in events] == [({"enabled": True}, "cli"), ({"enabled": False}, "cli")]


def test_session_enable_json_is_the_new_state_with_its_seq(orch_cli, sid):
    data = ok(orch_cli("session", "enable", "--json", session=sid)).json()
    assert data["orchestration_enabled"] is True
    assert data["last_seq"] == 4


def test_session_enable_touches_only_that_session(orch_cli, sid):
    ok(orch_cli("session", "create", OTHER))
    ok(orch_cli("session", "enable", "--session", OTHER, session=sid))
    rows = {r["session_id"]: r for r in ok(orch_cli("session", "list", "--json")).json()}
    assert rows[OTHER]["orchestration_enabled"] is True
    assert rows[sid]["orchestration_enabled"] is False


def test_session_set_mode(orch_cli, sid):
    assert ok(orch_cli("session", "set-mode", "scrum", session=sid)).stdout == f"{sid}: mode scrum\n"
    assert ok(orch_cli("state", "get", "mode", session=sid)).stdout == "scrum\n"


def test_session_set_mode_can_record_the_output_style(orch_cli, sid):
    data = ok(orch_cli("session", "set-mode", "scrum", "--output-style", "Scrum Master", "--json", session=sid)).json()
    assert data["mode"] == "scrum"
    assert data["runtime_config"]["output_style"] == "Scrum Master"
    (event,) = ok(orch_cli("events", "list", "--json", "--type", "session.mode", session=sid)).json()
    assert event["data"] == {"mode": "scrum", "output_style": "Scrum Master"}


def test_activate_teams_without_definitions_activates_the_names_with_a_note(orch_cli, sid):
    result = ok(orch_cli("session", "activate-teams", "qa", "web", session=sid))
    assert result.stdout == f"{sid}: active teams updated\n"
    assert result.stderr == "orch: no team definitions are installed; activating the names as given\n"
    assert ok(orch_cli("state", "get", "active_teams", session=sid)).json() == ["qa", "web"]


def test_activate_teams_adds_to_the_active_teams_unless_replace(orch_cli, sid):
    ok(orch_cli("session", "activate-teams", "qa", session=sid))
    ok(orch_cli("session", "activate-teams", "web", "qa", session=sid))
    assert ok(orch_cli("state", "get", "active_teams", session=sid)).json() == ["qa", "web"]
    ok(orch_cli("session", "activate-teams", "ops", "--replace", session=sid))
    assert ok(orch_cli("state", "get", "active_teams", session=sid)).json() == ["ops"]


@pytest.mark.exercises_hook("orch_teams")
def test_activate_teams_copies_installed_team_definitions_into_the_session(orch_cli, sid, teams_plugin):
    result = ok(orch_cli("session", "activate-teams", "qa", "--json", session=sid))
    assert result.stderr == ""
    data = result.json()
    assert data["active_teams"] == ["qa"]
    assert data["state"]["teams"]["qa"] == {
        "name": "qa", "description": "testing", "lead": "qa-lead", "members": ["qa-lead", "qa-tester"],
        "max_parallel": 2, "skills": [],
    }


@pytest.mark.exercises_hook("orch_teams")
def test_activate_teams_rejects_a_team_that_is_not_defined(orch_cli, sid, teams_plugin):
    before = snapshot(orch_cli)
    message = assert_one_line_error(orch_cli("session", "activate-teams", "qa", "nope", session=sid))
    assert "unknown team nope; defined teams: qa, web" in message
    assert snapshot(orch_cli) == before


# -- orch state get ------------------------------------------------------


def test_state_get_prints_strings_and_numbers_plain(orch_cli, sid):
    assert ok(orch_cli("state", "get", "mode", session=sid)).stdout == "default\n"
    assert ok(orch_cli("state", "get", "state.metrics.ticks", session=sid)).stdout == "2\n"


def test_state_get_prints_booleans_and_null_as_json_words(orch_cli, sid):
    assert ok(orch_cli("state", "get", "orchestration_enabled", session=sid)).stdout == "false\n"
    assert ok(orch_cli("state", "get", "current_epic", session=sid)).stdout == "null\n"


def test_state_get_prints_objects_and_lists_as_json(orch_cli, sid):
    assert ok(orch_cli("state", "get", "state.metrics", session=sid)).json() == {"ticks": 2}
    assert ok(orch_cli("state", "get", "active_teams", session=sid)).json() == []
    assert ok(orch_cli("state", "get", "runtime_config", session=sid)).json() == {
        "output_style": None, "status_line": {"segments": []},
    }


def test_state_get_json_quotes_strings(orch_cli, sid):
    assert ok(orch_cli("state", "get", "current_sprint", "--json", session=sid)).json() == "S-1"


def test_state_get_walks_into_list_items_by_index(orch_cli, sid):
    ok(orch_cli("session", "activate-teams", "qa", "web", session=sid))
    assert ok(orch_cli("state", "get", "active_teams.1", session=sid)).stdout == "web\n"


# -- orch state set ------------------------------------------------------


def test_state_set_parses_json_values(orch_cli, sid):
    result = ok(orch_cli("state", "set", "state.metrics.velocity", "13", session=sid))
    assert result.stdout == "state.metrics.velocity = 13\n"
    assert ok(orch_cli("state", "get", "state.metrics.velocity", "--json", session=sid)).json() == 13


def test_state_set_takes_text_that_is_not_json_as_a_string(orch_cli, sid):
    result = ok(orch_cli("state", "set", "current_epic", "E-7", session=sid))
    assert result.stdout == 'current_epic = "E-7"\n'
    assert ok(orch_cli("state", "get", "current_epic", "--json", session=sid)).json() == "E-7"


def test_state_set_string_keeps_json_looking_text_as_text(orch_cli, sid):
    ok(orch_cli("state", "set", "current_sprint", "42", "--string", session=sid))
    assert ok(orch_cli("state", "get", "current_sprint", "--json", session=sid)).json() == "42"


def test_state_set_objects_and_null(orch_cli, sid):
    ok(orch_cli("state", "set", "state.metrics.burndown", '{"day1": [5, 3], "ok": true}', session=sid))
    assert ok(orch_cli("state", "get", "state.metrics.burndown", session=sid)).json() == {"day1": [5, 3], "ok": True}
    ok(orch_cli("state", "set", "current_sprint", "null", session=sid))
    assert ok(orch_cli("state", "get", "current_sprint", session=sid)).stdout == "null\n"


def test_state_set_nested_model_field(orch_cli, sid):
    ok(orch_cli("state", "set", "runtime_config.output_style", "Scrum Master", session=sid))
    shown = ok(orch_cli("session", "show", "--json", session=sid)).json()
    assert shown["runtime_config"]["output_style"] == "Scrum Master"


def test_state_set_a_whole_task_fills_in_its_defaults(orch_cli, sid):
    ok(orch_cli("state", "set", "state.tasks.T-1", '{"id": "T-1", "title": "write tests"}', session=sid))
    task = ok(orch_cli("state", "get", "state.tasks.T-1", session=sid)).json()
    assert task["title"] == "write tests"
    assert task["status"] == "pending"
    assert task["priority"] == "normal"


def test_state_set_orchestration_flag_shows_in_the_session_list(orch_cli, sid):
    ok(orch_cli("state", "set", "orchestration_enabled", "true", session=sid))
    (row,) = ok(orch_cli("session", "list", "--json")).json()
    assert row["orchestration_enabled"] is True


def test_state_set_json_output(orch_cli, sid):
    data = ok(orch_cli("state", "set", "state.metrics.velocity", "8", "--json", session=sid)).json()
    assert data == {"seq": 4, "path": "state.metrics.velocity", "value": 8}


def test_state_set_is_recorded_as_a_state_set_event(orch_cli, sid):
    ok(orch_cli("state", "set", "state.metrics.velocity", "8", session=sid))
    event = ok(orch_cli("events", "list", "--json", "--limit", "1", session=sid)).json()[0]
    assert event["type"] == "state.set"
    assert event["source"] == "cli"
    assert event["data"] == {"path": "state.metrics.velocity", "value": 8}


# -- orch events list ----------------------------------------------------


def test_events_list_json_is_the_log_oldest_first(orch_cli, sid):
    events = ok(orch_cli("events", "list", "--json", session=sid)).json()
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["session.created", "metric.recorded", "state.set"]
    assert set(events[0]) == {"seq", "session_id", "ts", "type", "source", "data"}
    assert all(e["session_id"] == sid for e in events)


def test_events_list_text_is_a_table(orch_cli, sid):
    out = ok(orch_cli("events", "list", session=sid)).stdout
    header = out.splitlines()[0]
    for column in ("seq", "time", "type", "source", "data"):
        assert column in header
    assert "metric.recorded" in out and '{"name":"ticks","value":2}' in out


def test_events_list_filters_by_type(orch_cli, sid):
    only = ok(orch_cli("events", "list", "--json", "--type", "state.set", session=sid)).json()
    assert [e["seq"] for e in only] == [3]
    both = ok(orch_cli("events", "list", "--json", "-t", "state.set", "-t", "session.created", session=sid)).json()
    assert [e["seq"] for e in both] == [1, 3]


def test_events_list_after_a_seq(orch_cli, sid):
    assert [e["seq"] for e in ok(orch_cli("events", "list", "--json", "--after", "1", session=sid)).json()] == [2, 3]


def test_events_list_limit_keeps_the_newest(orch_cli, sid):
    for _ in range(60):
        ok(orch_cli("events", "emit", "metric.recorded", "-d", '{"name": "n"}', session=sid))
    newest = ok(orch_cli("events", "list", "--json", "--limit", "2", session=sid)).json()
    assert [e["seq"] for e in newest] == [62, 63]
    default = ok(orch_cli("events", "list", "--json", session=sid)).json()
    assert [e["seq"] for e in default] == list(range(14, 64))  # the newest 50
    everything = ok(orch_cli("events", "list", "--json", "--limit", "0", session=sid)).json()
    assert len(everything) == 63


def test_events_list_with_nothing_to_show(orch_cli, sid):
    assert ok(orch_cli("events", "list", "--after", "99", session=sid)).stdout == "no events\n"
    assert ok(orch_cli("events", "list", "--json", "--after", "99", session=sid)).json() == []


# -- orch events tail ----------------------------------------------------


def test_events_tail_prints_one_line_per_latest_event(orch_cli, sid):
    lines = ok(orch_cli("events", "tail", "-n", "2", session=sid)).stdout.splitlines()
    assert len(lines) == 2
    seq, ts, type_, source, data = lines[0].split(maxsplit=4)
    assert (seq, type_, source, data) == ("2", "metric.recorded", "cli", '{"name":"ticks","value":2}')
    assert ts.endswith("Z")
    assert lines[1].split()[0] == "3" and lines[1].split()[2] == "state.set"


def test_events_tail_shows_the_last_ten_by_default(orch_cli, sid):
    for _ in range(12):
        ok(orch_cli("events", "emit", "metric.recorded", "-d", '{"name": "n"}', session=sid))
    lines = ok(orch_cli("events", "tail", session=sid)).stdout.splitlines()
    assert [int(line.split()[0]) for line in lines] == list(range(6, 16))


def test_events_tail_json_is_one_object_per_line(orch_cli, sid):
    lines = ok(orch_cli("events", "tail", "--json", session=sid)).stdout.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3]


def test_events_tail_follow_prints_events_committed_by_another_process(orch_cli, orch_project, sid):
    """--follow polls the store; an event written by another writer while it waits shows up."""
    from orchcore.bus import EventBus
    from orchcore.plugins import get_plugin_manager
    from orchcore.store.sqlite import SqliteStore

    def other_writer():
        time.sleep(0.3)
        store = SqliteStore(orch_project / ".claude" / "state")
        try:
            bus = EventBus(store, get_plugin_manager("builtin", allow=(), deny=(), strict=False))
            bus.emit(sid, "metric.recorded", {"name": "from-elsewhere"}, source="other")
        finally:
            store.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        result = ok(orch_cli("events", "tail", "--follow", "--json", "-n", "1", "--interval", "0.05",
                             "--timeout", "1.0", session=sid))
    finally:
        writer.join()
    seen = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["seq"] for e in seen] == [3, 4]
    assert seen[1]["source"] == "other" and seen[1]["data"] == {"name": "from-elsewhere"}


def test_events_tail_rejects_a_negative_line_count(orch_cli, sid):
    assert_one_line_error(orch_cli("events", "tail", "-n", "-1", session=sid))


# -- orch events emit ----------------------------------------------------


def test_events_emit_appends_and_applies_the_reducer(orch_cli, sid):
    result = ok(orch_cli("events", "emit", "metric.recorded", "--data", '{"name": "ticks", "value": 3}', session=sid))
    assert result.stdout == "4 metric.recorded\n"
    assert ok(orch_cli("state", "get", "state.metrics.ticks", session=sid)).stdout == "5\n"


def test_events_emit_json_is_the_event(orch_cli, sid):
    event = ok(orch_cli("events", "emit", "task.created", "-d", '{"id": "T-1", "title": "x"}',
                        "--source", "planner", "--json", session=sid)).json()
    assert event["seq"] == 4
    assert event["session_id"] == sid
    assert event["type"] == "task.created"
    assert event["source"] == "planner"
    assert event["data"] == {"id": "T-1", "title": "x"}
    assert ok(orch_cli("state", "get", "state.tasks.T-1.status", session=sid)).stdout == "pending\n"


def test_events_emit_without_data_sends_an_empty_object(orch_cli, sid):
    ok(orch_cli("events", "emit", "session.ended", session=sid))
    assert ok(orch_cli("events", "list", "--json", "-n", "1", session=sid)).json()[0]["data"] == {}
    assert ok(orch_cli("state", "get", "ended_at", session=sid)).stdout.strip() != "null"


# -- orch events types ---------------------------------------------------


def test_events_types_lists_the_core_types(orch_cli):
    rows = ok(orch_cli("events", "types", "--json")).json()
    names = [r["type"] for r in rows]
    assert names == sorted(names)
    for name in ("session.created", "state.set", "metric.recorded", "task.created", "plugin.error"):
        assert name in names
    assert {r["plugin"] for r in rows} >= {"core-events", "delegation"}  # (installed plugins add theirs)
    assert all(r["description"] for r in rows)


def test_events_types_text_is_a_table(orch_cli):
    out = ok(orch_cli("events", "types")).stdout
    assert "type" in out.splitlines()[0] and "plugin" in out.splitlines()[0]
    assert "metric.recorded" in out and "core-events" in out


# -- orch events replay --------------------------------------------------


def test_events_replay_rebuilds_the_stored_state(orch_cli, sid):
    replayed = ok(orch_cli("events", "replay", session=sid)).json()
    shown = ok(orch_cli("session", "show", "--json", session=sid)).json()
    shown.pop("last_seq")  # where the log is, and when a hook last saw the session: not state
    shown.pop("last_activity")
    assert replayed == shown


def test_events_replay_upto_is_the_state_at_that_point(orch_cli, sid):
    at_one = ok(orch_cli("events", "replay", "--upto", "1", session=sid)).json()
    assert at_one["state"]["metrics"] == {}
    assert at_one["current_sprint"] is None
    at_two = ok(orch_cli("events", "replay", "--upto", "2", session=sid)).json()
    assert at_two["state"]["metrics"] == {"ticks": 2}
    assert at_two["current_sprint"] is None


def test_events_replay_check_confirms_the_state_matches_the_log(orch_cli, sid):
    assert ok(orch_cli("events", "replay", "--check", session=sid)).stdout == (
        f"{sid}: stored state equals the replayed log\n"
    )


def test_events_replay_check_detects_a_tampered_state(orch_cli, orch_project, sid):
    with sqlite3.connect(db_file(orch_project)) as db:
        db.execute("UPDATE sessions SET state = json_set(state, '$.mode', 'tampered') WHERE session_id = ?", (sid,))
    assert ok(orch_cli("state", "get", "mode", session=sid)).stdout == "tampered\n"
    assert_one_line_error(orch_cli("events", "replay", "--check", session=sid),
                          "the stored state differs from the replayed log")
    assert ok(orch_cli("events", "replay", session=sid)).json()["mode"] == "default"


# -- bad input: one line on stderr, exit != 0, nothing changed -------------

BAD_INPUT = {
    # invalid session ids never reach the store (an id can never be a path)
    "path-as-session-id": (["session", "show", "--session", "../../etc/passwd"], None,
                           "invalid session id '../../etc/passwd'"),
    "path-as-session-id-in-env": (["state", "get", "mode"], "../../etc/passwd", "invalid session id"),
    "not-a-uuid": (["events", "list", "--session", "not-a-uuid"], None, "invalid session id 'not-a-uuid'"),
    "not-a-uuid-set": (["state", "set", "mode", "x", "--session", "not-a-uuid"], None, "invalid session id"),
    "not-a-uuid-emit": (["events", "emit", "metric.recorded", "-d", '{"name": "a"}', "-s", "not-a-uuid"], None,
                        "invalid session id"),
    "not-a-uuid-enable": (["session", "enable", "-s", "not-a-uuid"], None, "invalid session id"),
    "not-a-uuid-replay": (["events", "replay", "-s", "not-a-uuid"], None, "invalid session id"),
    "create-path": (["session", "create", "../../etc/passwd"], None, "invalid session id"),
    "create-not-a-uuid": (["session", "create", "not-a-uuid"], None, "invalid session id"),
    "uuid-with-suffix": (["session", "show", "--session", "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee/x"], None,
                         "invalid session id"),
    # an empty id with no CLAUDE_CODE_SESSION_ID to fall back on
    "empty-session-id": (["session", "show", "--session", ""], None, "invalid session id ''"),
    # well-formed but unknown sessions
    "unknown-show": (["session", "show", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-state-get": (["state", "get", "mode", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-state-set": (["state", "set", "mode", "x", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-events-list": (["events", "list", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-events-tail": (["events", "tail", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-events-emit": (["events", "emit", "metric.recorded", "-d", '{"name": "a"}', "-s", UNKNOWN], None,
                            f"no session {UNKNOWN}"),
    "unknown-emit-cannot-create": (["events", "emit", "session.created", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-replay": (["events", "replay", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-enable": (["session", "enable", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-disable": (["session", "disable", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-set-mode": (["session", "set-mode", "scrum", "-s", UNKNOWN], None, f"no session {UNKNOWN}"),
    "unknown-activate-teams-defined": (["session", "activate-teams", "qa", "-s", UNKNOWN], None,
                                       f"no session {UNKNOWN}"),
    "unknown-in-env": (["session", "show"], UNKNOWN, f"no session {UNKNOWN}"),
    # no session at all: neither --session nor CLAUDE_CODE_SESSION_ID
    "no-session-show": (["session", "show"], None, "no session given: pass --session ID"),
    "no-session-state-get": (["state", "get", "mode"], None, "no session given"),
    "no-session-state-set": (["state", "set", "mode", "x"], None, "no session given"),
    "no-session-events-list": (["events", "list"], None, "no session given"),
    "no-session-events-tail": (["events", "tail"], None, "no session given"),
    "no-session-events-emit": (["events", "emit", "metric.recorded", "-d", '{"name": "a"}'], None, "no session given"),
    "no-session-replay": (["events", "replay"], None, "no session given"),
    "no-session-enable": (["session", "enable"], None, "no session given"),
    "no-session-disable": (["session", "disable"], None, "no session given"),
    "no-session-set-mode": (["session", "set-mode", "scrum"], None, "no session given"),
    "no-session-activate-teams-defined": (["session", "activate-teams", "qa"], None, "no session given"),
    # state paths that do not exist
    "get-missing-field": (["state", "get", "nope"], "SID", "no 'nope' in the session (it holds: active_teams"),
    "get-missing-task": (["state", "get", "state.tasks.T-9"], "SID", "no 'T-9' in state.tasks"),
    "get-into-a-string": (["state", "get", "mode.x"], "SID", "mode is a str, not an object"),
    "get-bad-index": (["state", "get", "active_teams.3"], "SID", "active_teams is a list of 0"),
    "get-empty-path": (["state", "get", ""], "SID", "invalid state path ''"),
    "get-double-dot": (["state", "get", "state..tasks"], "SID", "invalid state path"),
    "set-missing-field": (["state", "set", "nope", "1"], "SID", "the session has no field 'nope'"),
    "set-typo-in-model": (["state", "set", "runtime_config.outputstyle", "x"], "SID",
                          "runtime_config has no field 'outputstyle'"),
    "set-missing-parent": (["state", "set", "state.metrics.x.y", "1"], "SID", "no 'x' in state.metrics"),
    "set-missing-task": (["state", "set", "state.tasks.T-9.status", "done"], "SID", "no 'T-9' in state.tasks"),
    "set-read-only": (["state", "set", "session_id", OTHER], "SID", "session_id is kept by orchcore"),
    "set-read-only-created": (["state", "set", "created_at", "2020-01-01"], "SID", "created_at is kept by orchcore"),
    # values that do not fit the field
    "bool-maybe": (["state", "set", "orchestration_enabled", "maybe"], "SID",
                   "expected true or false, got 'maybe' @ Session.orchestration_enabled"),
    "bool-one": (["state", "set", "orchestration_enabled", "1"], "SID", "expected true or false, got 1"),
    "tasks-number": (["state", "set", "state.tasks", "3"], "SID", "Session.state.tasks"),
    "mode-null": (["state", "set", "mode", "null"], "SID", "expected a string, got None"),
    "style-number": (["state", "set", "runtime_config.output_style", "5"], "SID", "expected a string, got 5"),
    # a string or an object is not silently turned into a list of its characters or keys
    "string-for-list": (["state", "set", "active_teams", '"qa"'], "SID",
                        "expected a list, got 'qa' @ Session.active_teams"),
    "object-for-list": (["state", "set", "active_teams", '{"qa": 1}'], "SID", "expected a list"),
    "event-string-for-list": (["events", "emit", "task.created", "-d", '{"id": "T-1", "blockers": "T-2"}'], "SID",
                              "expected a list, got 'T-2' @ Task.blockers"),
    "nan": (["state", "set", "state.metrics.velocity", "NaN"], "SID", "is not JSON"),
    # events emit
    "emit-invalid-json": (["events", "emit", "metric.recorded", "--data", "{name: 1}"], "SID",
                          "--data is not valid JSON"),
    "emit-list": (["events", "emit", "metric.recorded", "--data", "[1, 2]"], "SID", "--data must be a JSON object"),
    "emit-string": (["events", "emit", "metric.recorded", "--data", '"x"'], "SID", "--data must be a JSON object"),
    "emit-null": (["events", "emit", "metric.recorded", "--data", "null"], "SID", "--data must be a JSON object"),
    "emit-unknown-type": (["events", "emit", "no.such.type"], "SID",
                          "unknown event type 'no.such.type', which no installed plugin provides (known: "),
    "emit-rejected-by-reducer": (["events", "emit", "metric.recorded", "-d", '{"name": "t", "value": "x"}'], "SID",
                                 "value must be a number"),
    "emit-missing-field": (["events", "emit", "task.created", "-d", "{}"], "SID", "needs 'id' (str)"),
    "emit-second-session-created": (["events", "emit", "session.created"], "SID", "already exists"),
    # other commands' own checks
    "create-existing": (["session", "create", "SID"], None, "already exists; see `orch session show --session"),
    "create-existing-upper-case": (["session", "create", "SID-UPPER"], None, "already exists"),
    "create-from-env-existing": (["session", "create"], "SID", "already exists"),
    "set-mode-empty": (["session", "set-mode", ""], "SID", "the mode must not be empty"),
    "set-mode-blank": (["session", "set-mode", "   "], "SID", "the mode must not be empty"),
    "list-negative-limit": (["events", "list", "--limit", "-1"], "SID", "--limit must be 0 (all) or more"),
    "replay-check-upto": (["events", "replay", "--check", "--upto", "1"], "SID", "--check compares the whole log"),
}


@pytest.mark.exercises_hook("orch_teams")
@pytest.mark.parametrize("args, env_session, fragment", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_a_one_line_error_and_changes_nothing(orch_cli, sid, teams_plugin, args, env_session, fragment):
    """(Team definitions are installed, so that activate-teams checks names; see the test below without.)"""
    def fill(text):
        return {"SID": sid, "SID-UPPER": sid.upper()}.get(text, text)

    args = [fill(a) for a in args]
    env_session = fill(env_session) if env_session else None
    before = snapshot(orch_cli)
    result = orch_cli(*args, session=env_session)
    assert_one_line_error(result, fragment)
    assert snapshot(orch_cli) == before


def test_state_set_cannot_empty_the_mode(orch_cli, sid):
    before = snapshot(orch_cli)
    assert_one_line_error(orch_cli("state", "set", "mode", "", session=sid))
    assert snapshot(orch_cli) == before


@pytest.mark.parametrize("args", [["session", "activate-teams", "qa"],
                                  ["session", "activate-teams", "qa", "--session", UNKNOWN]],
                         ids=["no-session", "unknown-session"])
def test_activate_teams_session_errors_are_one_line_without_team_definitions(orch_cli, sid, args):
    before = snapshot(orch_cli)
    assert_one_line_error(orch_cli(*args))
    assert snapshot(orch_cli) == before


def test_an_empty_claude_code_session_variable_means_no_session(orch_cli, sid):
    assert_one_line_error(orch_cli("session", "show", env={"CLAUDE_CODE_SESSION_ID": ""}), "no session given")


def test_unknown_session_error_says_where_it_looked_and_what_to_do(orch_cli, orch_project, sid):
    message = assert_one_line_error(orch_cli("session", "show", "-s", UNKNOWN))
    assert str(db_file(orch_project)) in message
    assert "orch session list" in message and "orch session create" in message


def test_usage_errors_exit_2_without_a_traceback(orch_cli, sid):
    """Click's own usage errors (missing argument, non-integer option) keep click's format and exit code 2."""
    for args in (["state", "set", "mode"], ["events", "list", "--limit", "many"], ["no-such-command"]):
        result = orch_cli(*args, session=sid)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.stdout + result.stderr
        assert "Usage:" in result.stderr


def test_an_empty_session_option_is_an_error_even_inside_claude_code(orch_cli, sid):
    ok(orch_cli("session", "create", OTHER))
    before = snapshot(orch_cli)
    assert_one_line_error(orch_cli("session", "enable", "--session", "", session=sid), "invalid session id")
    assert snapshot(orch_cli) == before


def test_session_create_with_an_empty_id_is_an_error(orch_cli):
    assert_one_line_error(orch_cli("session", "create", ""), "invalid session id")
    assert ok(orch_cli("session", "list", "--json")).json() == []


def test_a_session_id_with_a_trailing_newline_is_invalid(orch_cli, session_id):
    assert_one_line_error(orch_cli("session", "create", session_id + "\n"), "invalid session id")
    assert ok(orch_cli("session", "list", "--json")).json() == []


def test_a_session_option_with_a_trailing_newline_gives_a_one_line_error(orch_cli, sid):
    assert_one_line_error(orch_cli("session", "show", "--session", sid + "\n"), "invalid session id")


# -- a store that cannot be used --------------------------------------------


GARBAGE = {
    "random-bytes": bytes(range(256)) * 32,
    "text": b"this is not a database\n",
    "sqlite-header-then-garbage": b"SQLite format 3\x00" + b"\xff" * 4080,
}


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
def test_a_corrupt_database_is_a_one_line_error_and_stays_untouched(orch_cli, orch_project, session_id, garbage):
    database = db_file(orch_project)
    database.parent.mkdir(parents=True)
    database.write_bytes(garbage)  # before the runtime opens the store (it opens on first use)
    for args in (
        ["session", "list"],
        ["session", "show", "-s", session_id],
        ["session", "create", session_id],
        ["events", "emit", "metric.recorded", "-d", '{"name": "x"}', "-s", session_id],
        ["state", "set", "mode", "x", "-s", session_id],
    ):
        message = assert_one_line_error(orch_cli(*args))
        assert f"the state database {database} is " in message
        assert "not an SQLite database" in message or "is damaged" in message
    assert database.read_bytes() == garbage
    assert sorted(p.name for p in database.parent.iterdir()) == [".gitignore", "orchcore.db"]


def test_a_database_from_a_newer_orchcore_asks_for_an_upgrade(orch_cli, orch_project):
    database = db_file(orch_project)
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA user_version = 99")
    assert_one_line_error(orch_cli("session", "list"), "schema 99", "upgrade orchcore")


def test_a_corrupt_stored_state_points_to_the_event_log_which_still_replays(orch_cli, orch_project, sid):
    with sqlite3.connect(db_file(orch_project)) as db:
        db.execute("UPDATE sessions SET state = '{not json' WHERE session_id = ?", (sid,))
    message = assert_one_line_error(orch_cli("session", "show", session=sid))
    assert f"the stored state of session {sid}" in message and "is corrupt" in message
    assert f"orch events replay --session {sid}" in message
    replayed = ok(orch_cli("events", "replay", session=sid)).json()
    assert replayed["current_sprint"] == "S-1" and replayed["state"]["metrics"] == {"ticks": 2}
    assert len(ok(orch_cli("events", "list", "--json", session=sid)).json()) == 3


def test_a_corrupt_event_is_a_one_line_error(orch_cli, orch_project, sid):
    with sqlite3.connect(db_file(orch_project)) as db:
        db.execute("UPDATE events SET data = 'garbage' WHERE session_id = ? AND seq = 2", (sid,))
    assert_one_line_error(orch_cli("events", "list", session=sid), f"event 2 of session {sid}", "is corrupt")


# -- the real console script ------------------------------------------------


def run_orch(project: Path, cache: Path, *args: str, session: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ORCH_", "CLAUDE_"))}
    env.update(CLAUDE_PROJECT_DIR=str(project), ORCH_CACHE_DIR=str(cache), COLUMNS="200")
    if session:
        env["CLAUDE_CODE_SESSION_ID"] = session
    orch = Path(sys.executable).with_name("orch")
    return subprocess.run([str(orch), *args], env=env, capture_output=True, text=True, timeout=60, cwd=project)


def assert_process_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("orch: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr
    return proc.stderr


def test_console_script_round_trip(tmp_path, session_id):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    cache = tmp_path / "cache"
    created = run_orch(project, cache, "session", "create", "--enable", session=session_id)
    assert created.returncode == 0, created.stderr
    assert created.stdout == f"{session_id}\n"
    state = run_orch(project, cache, "state", "set", "state.metrics.velocity", "5", session=session_id)
    assert state.returncode == 0, state.stderr
    shown = run_orch(project, cache, "session", "show", "--json", session=session_id)
    assert json.loads(shown.stdout)["state"]["metrics"] == {"velocity": 5}
    assert db_file(project).exists()


def test_invalid_project_config_is_a_clear_one_line_error(tmp_path, session_id):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    config = project / ".claude" / "orchcore.json"
    config.write_text('{"store": {"backend": "sqlite",}}\n', encoding="utf-8")
    proc = run_orch(project, tmp_path / "cache", "session", "list")
    message = assert_process_one_line_error(proc, f"{config} is not valid JSON (line 1, column ", "fix or remove it")
    assert "Expecting property name" in message
    assert not (project / ".claude" / "state").exists()  # the store was never opened
    assert config.read_text(encoding="utf-8") == '{"store": {"backend": "sqlite",}}\n'


def test_config_that_is_not_an_object_is_an_error(tmp_path):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    config = project / ".claude" / "orchcore.json"
    config.write_text("[1, 2]", encoding="utf-8")
    assert_process_one_line_error(run_orch(project, tmp_path / "cache", "session", "list"),
                                  f"{config} must hold a JSON object, not list")


def test_config_naming_an_unknown_store_backend_is_an_error(tmp_path):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "orchcore.json").write_text('{"store": {"backend": "postgres"}}', encoding="utf-8")
    assert_process_one_line_error(run_orch(project, tmp_path / "cache", "session", "list"),
                                  "unknown store backend 'postgres' (installed: ", "sqlite")


def test_version_works_even_with_a_broken_config(tmp_path):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "orchcore.json").write_text("{", encoding="utf-8")
    proc = run_orch(project, tmp_path / "cache", "--version")
    assert proc.returncode == 0
    assert proc.stdout == f"orch (orchcore) {__version__}\n"


def test_console_script_reports_a_corrupt_database_in_one_line(tmp_path, session_id):
    project = tmp_path / "project"
    database = db_file(project)
    database.parent.mkdir(parents=True)
    garbage = b"\x00garbage\xff" * 1000
    database.write_bytes(garbage)
    proc = run_orch(project, tmp_path / "cache", "events", "list", session=session_id)
    assert_process_one_line_error(proc, "is not an SQLite database")
    assert database.read_bytes() == garbage
