"""The gate: answers events of sessions whose orchestration is off, from a flag file, importing nothing.

``session_id_of`` reads the session id only when the payload starts exactly the
way Claude Code writes it; ``pass_off_session`` passes an event when the
session's ``<id>.off`` flag file exists (and touches it: its mtime is the
session's last activity). The SQLite store keeps the flag files in step with
the database. Anything unusual goes to the full router.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from orchcore import gate
from orchcore.errors import InvalidValue

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
OTHER_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"
CAPTURED = Path(__file__).resolve().parents[2] / "shared" / "claude-code" / "captured"
needs_captures = pytest.mark.skipif(
    not CAPTURED.is_dir(), reason=f"the captured Claude Code payloads ({CAPTURED}) are not checked out"
)
LONG_AGO = 1_000_000_000  # 2001: an mtime any touch moves


def payload(event: str = "PreToolUse", session: str = SESSION, **fields) -> bytes:
    """A payload as Claude Code writes it: session_id first, ``", "`` and ``": "`` separators."""
    return json.dumps({"session_id": session, "transcript_path": "/t.jsonl", "cwd": "/w",
                       "hook_event_name": event, **fields}).encode()


@pytest.fixture
def state(orch_project: Path) -> Path:
    return orch_project / ".claude" / "state"


@pytest.fixture
def env(orch_project: Path) -> dict[str, str]:
    return {"CLAUDE_PROJECT_DIR": str(orch_project)}


def flag(state: Path, session: str, enabled: bool) -> Path:
    return state / "gate" / f"{session}.{'on' if enabled else 'off'}"


def make_flag(state: Path, session: str, enabled: bool, mtime: float = LONG_AGO) -> Path:
    path = flag(state, session, enabled)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (mtime, mtime))
    return path


# -- session_id_of: Claude Code's real payloads ----------------------------------------------


@needs_captures
def test_session_id_of_reads_every_captured_hook_payload():
    lines = (CAPTURED / "nested-delegation.jsonl").read_bytes().splitlines(keepends=True)

    assert len(lines) == 24
    for line in lines:
        assert gate.session_id_of(line) == SESSION, line[:80]


@needs_captures
def test_session_id_of_reads_the_pretty_printed_status_line_input():
    data = (CAPTURED / "statusline-input.json").read_bytes()

    assert data.startswith(b'{\n  "session_id"')
    assert gate.session_id_of(data) == OTHER_SESSION


@pytest.mark.parametrize(
    "data",
    [
        b'{"session_id":"8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"}',
        b'{ "session_id" : "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee" }',
        b'  \n\t{\r\n\t"session_id"\n:\n"8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee",\n"hook_event_name":"Stop"}',
        b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"',  # the rest is the router's business
    ],
    ids=["compact", "spaces", "newlines-and-tabs", "only-the-start"],
)
def test_session_id_of_accepts_whitespace_variants(data):
    assert gate.session_id_of(data) == SESSION


def test_session_id_of_returns_the_id_in_lower_case():
    assert gate.session_id_of(payload(session=SESSION.upper())) == SESSION


# -- session_id_of: anything unusual --------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"null",
        b"[]",
        b'"session_id"',
        b"\xef\xbb\xbf" + payload(),  # a BOM: unusual, the router decides
        b'{"hook_event_name": "Stop", "session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"}',
        b'{"session_idx": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"}',
        b'{"Session_Id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"}',
        b"{'session_id': '8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee'}",
        b'{"session_id" "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"}',
        b'{"session_id": 8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee}',
        b'{"session_id": null}',
        b'{"session_id": 12345678}',
        b'{"session_id": ["8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"]}',
        b'{"session_id": "../../etc/passwd-aaaa-bbbb-cccc-dddddddd"}',
        b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717e"}',  # 35 characters
        b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717eee"}',  # 37 characters
        b'{"session_id": "8e82f7c6+1351-45ff-b6d3-4fb1cc1717ee"}',  # a dash misplaced
        b'{"session_id": "8e82f7c61-351-45ff-b6d3-4fb1cc1717ee"}',
        b'{"session_id": "8e82f7g6-1351-45ff-b6d3-4fb1cc1717ee"}',  # not hex
        b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717\\u0065"}',  # an escape
        b'{"session_id": "\\u0038e82f7c6-1351-45ff-b6d3-4fb1cc1717e"}',
        b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717\xc3\xa9"}',  # non-ASCII
        b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717e\x00"}',
        b'{"session_id": "8e82f7c6/1351-45ff-b6d3-4fb1cc1717ee"}',
    ],
)
def test_session_id_of_rejects_anything_unusual(data):
    assert gate.session_id_of(data) is None


def test_session_id_of_rejects_every_truncation_before_the_closing_quote():
    data = payload()
    end = data.index(SESSION.encode()) + len(SESSION) + 1  # just past the closing quote

    for cut in range(end):
        assert gate.session_id_of(data[:cut]) is None, data[:cut]
    assert gate.session_id_of(data[:end]) == SESSION


# -- env_override and find_project ----------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("YES", True), (" on ", True),
    ("0", False), ("false", False), ("No", False), ("off", False),
    ("", None), ("maybe", None), ("2", None),
])
def test_orch_enabled_words(value, expected):
    assert gate.env_override({"ORCH_ENABLED": value}) is expected


def test_without_orch_enabled_there_is_no_override():
    assert gate.env_override({}) is None


def test_find_project_prefers_claude_project_dir(tmp_path):
    assert gate.find_project({"CLAUDE_PROJECT_DIR": str(tmp_path)}, "/elsewhere") == str(tmp_path)


def test_find_project_walks_up_to_the_folder_with_dot_claude_or_git(tmp_path):
    (tmp_path / "a" / ".claude").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "g" / ".git").mkdir(parents=True)
    (tmp_path / "g" / "src").mkdir()

    assert gate.find_project({}, str(tmp_path / "a" / "b" / "c")) == str(tmp_path / "a")
    assert gate.find_project({}, str(tmp_path / "g" / "src")) == str(tmp_path / "g")


def test_state_dir_honours_orch_state_dir(tmp_path):
    assert gate.state_dir({}, "/p") == os.path.join("/p", ".claude", "state")
    assert gate.state_dir({"ORCH_STATE_DIR": str(tmp_path)}, "/p") == str(tmp_path)


# -- pass_off_session -------------------------------------------------------------------------


def test_an_off_session_passes_and_its_activity_is_noted(state, env):
    off = make_flag(state, SESSION, enabled=False)
    before = time.time()

    assert gate.pass_off_session(payload(), env) is True

    assert off.stat().st_mtime >= before - 1
    assert gate.last_activity(str(state), SESSION) == off.stat().st_mtime


def test_an_on_session_goes_to_the_router_and_its_flag_is_not_touched(state, env):
    on = make_flag(state, SESSION, enabled=True)

    assert gate.pass_off_session(payload(), env) is False

    assert on.stat().st_mtime == LONG_AGO
    assert not flag(state, SESSION, enabled=False).exists()


def test_a_session_without_flag_file_goes_to_the_router_and_no_file_is_made(state, env):
    assert gate.pass_off_session(payload(), env) is False

    assert not (state / "gate").exists()


def test_orch_enabled_1_sends_an_off_session_to_the_router(state, env):
    off = make_flag(state, SESSION, enabled=False)

    assert gate.pass_off_session(payload(), {**env, "ORCH_ENABLED": "1"}) is False

    assert off.stat().st_mtime == LONG_AGO


def test_orch_enabled_0_passes_an_on_session_and_notes_its_activity(state, env):
    on = make_flag(state, SESSION, enabled=True)

    assert gate.pass_off_session(payload(), {**env, "ORCH_ENABLED": "0"}) is True

    assert on.stat().st_mtime > LONG_AGO
    assert not flag(state, SESSION, enabled=False).exists()


def test_orch_enabled_0_sends_an_unknown_session_to_the_router(state, env):
    assert gate.pass_off_session(payload(), {**env, "ORCH_ENABLED": "0"}) is False


@pytest.mark.parametrize("event", ["SessionStart", "SessionEnd"])
def test_session_start_and_end_always_go_to_the_router(state, env, event):
    off = make_flag(state, SESSION, enabled=False)

    assert gate.pass_off_session(payload(event, source="startup", reason="other"), env) is False
    assert gate.pass_off_session(payload(event), {**env, "ORCH_ENABLED": "0"}) is False

    assert off.stat().st_mtime == LONG_AGO


def test_a_payload_that_merely_mentions_session_start_goes_to_the_router(state, env):
    make_flag(state, SESSION, enabled=False)

    assert gate.pass_off_session(payload("UserPromptSubmit", prompt="what is SessionStart?"), env) is False


def test_an_unusual_payload_of_an_off_session_goes_to_the_router(state, env):
    make_flag(state, SESSION, enabled=False)
    reordered = json.dumps({"hook_event_name": "Stop", "session_id": SESSION}).encode()

    assert gate.pass_off_session(reordered, env) is False
    assert gate.pass_off_session(b"\xef\xbb\xbf" + payload(), env) is False


def test_an_upper_case_session_id_finds_the_lower_case_flag(state, env):
    off = make_flag(state, SESSION, enabled=False)

    assert gate.pass_off_session(payload(session=SESSION.upper()), env) is True
    assert off.stat().st_mtime > LONG_AGO


def test_the_flag_of_another_session_does_not_count(state, env):
    make_flag(state, OTHER_SESSION, enabled=False)

    assert gate.pass_off_session(payload(), env) is False


def test_the_gate_uses_orch_state_dir(tmp_path, env):
    elsewhere = tmp_path / "elsewhere"
    make_flag(elsewhere, SESSION, enabled=False)

    assert gate.pass_off_session(payload(), env) is False
    assert gate.pass_off_session(payload(), {**env, "ORCH_STATE_DIR": str(elsewhere)}) is True


@needs_captures
def test_every_captured_event_of_an_off_session_passes_except_start_and_end(state, env):
    make_flag(state, SESSION, enabled=False)

    for line in (CAPTURED / "nested-delegation.jsonl").read_bytes().splitlines(keepends=True):
        name = json.loads(line)["hook_event_name"]
        assert gate.pass_off_session(line, env) is (name not in ("SessionStart", "SessionEnd")), name


# -- flag files: write_flag, clear_flags, last_activity --------------------------------------


def test_write_flag_creates_the_file_and_replaces_the_other_keeping_its_mtime(state):
    gate.write_flag(str(state), SESSION, False)
    off = flag(state, SESSION, enabled=False)
    assert off.exists()
    os.utime(off, (LONG_AGO, LONG_AGO))

    gate.write_flag(str(state), SESSION, True)

    assert not off.exists()
    assert flag(state, SESSION, enabled=True).stat().st_mtime == LONG_AGO


def test_clear_flags_removes_both_files(state):
    make_flag(state, SESSION, enabled=False)
    make_flag(state, SESSION, enabled=True)

    gate.clear_flags(str(state), SESSION)
    gate.clear_flags(str(state), SESSION)  # nothing left: no error

    assert list((state / "gate").iterdir()) == []


def test_last_activity_is_none_without_a_flag_file(state):
    assert gate.last_activity(str(state), SESSION) is None


def test_touch_reports_whether_the_flag_file_is_there(state):
    assert gate.touch(str(state), SESSION, enabled=False) is False
    path = make_flag(state, SESSION, enabled=False)

    assert gate.touch(str(state), SESSION, enabled=False) is True
    assert path.stat().st_mtime > LONG_AGO
    assert gate.touch(str(state), SESSION, enabled=True) is False


# -- the SQLite store keeps the flag files ----------------------------------------------------


def test_creating_a_session_writes_its_off_flag(orch_bus, state):
    orch_bus.create_session(SESSION)

    assert flag(state, SESSION, enabled=False).exists()
    assert not flag(state, SESSION, enabled=True).exists()


def test_creating_an_enabled_session_writes_its_on_flag(orch_bus, state):
    orch_bus.create_session(SESSION, orchestration_enabled=True)

    assert flag(state, SESSION, enabled=True).exists()
    assert not flag(state, SESSION, enabled=False).exists()


def test_toggling_orchestration_replaces_the_flag_and_keeps_the_activity_time(orch_bus, state):
    orch_bus.create_session(SESSION)
    os.utime(flag(state, SESSION, enabled=False), (LONG_AGO, LONG_AGO))

    orch_bus.emit(SESSION, "session.orchestration", {"enabled": True})

    assert not flag(state, SESSION, enabled=False).exists()
    assert flag(state, SESSION, enabled=True).stat().st_mtime == LONG_AGO

    orch_bus.emit(SESSION, "session.orchestration", {"enabled": False})

    assert not flag(state, SESSION, enabled=True).exists()
    assert flag(state, SESSION, enabled=False).stat().st_mtime == LONG_AGO


def test_the_gate_follows_the_store(orch_bus, env):
    orch_bus.create_session(SESSION)
    assert gate.pass_off_session(payload(), env) is True

    orch_bus.emit(SESSION, "session.orchestration", {"enabled": True})
    assert gate.pass_off_session(payload(), env) is False

    orch_bus.emit(SESSION, "session.orchestration", {"enabled": False})
    assert gate.pass_off_session(payload(), env) is True


def test_events_that_do_not_change_the_flag_leave_the_flag_files_alone(orch_bus, state):
    orch_bus.create_session(SESSION)
    gate.clear_flags(str(state), SESSION)

    orch_bus.emit(SESSION, "metric.recorded", {"name": "tool_calls"})
    orch_bus.emit(SESSION, "session.orchestration", {"enabled": False})  # no change

    assert list((state / "gate").iterdir()) == []


def test_a_rejected_event_leaves_the_flag_as_it_was(orch_bus, state):
    orch_bus.create_session(SESSION)

    with pytest.raises(InvalidValue):
        orch_bus.emit(SESSION, "session.orchestration", {"enabled": "yes"})

    assert flag(state, SESSION, enabled=False).exists()
    assert not flag(state, SESSION, enabled=True).exists()


def test_last_activity_follows_creation_and_the_gates_touches(orch_bus, state, env):
    before = time.time()
    orch_bus.create_session(SESSION)
    created = gate.last_activity(str(state), SESSION)
    assert created is not None and created >= before - 1

    os.utime(flag(state, SESSION, enabled=False), (LONG_AGO, LONG_AGO))
    assert gate.last_activity(str(state), SESSION) == LONG_AGO

    gate.pass_off_session(payload(), env)
    assert gate.last_activity(str(state), SESSION) >= before - 1

    orch_bus.emit(SESSION, "session.orchestration", {"enabled": True})
    assert gate.last_activity(str(state), SESSION) is not None  # read from the .on file now
    assert gate.last_activity(str(state), OTHER_SESSION) is None
