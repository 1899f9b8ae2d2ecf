"""JSON nested too deep, or too big, is one clear line wherever it comes in, and nothing is stored.

Python's json, deepcopy and cattrs recurse once per level; before
``orchcore.jsonlimits`` a value about 350 levels deep given to ``orch state
set`` printed a RecursionError traceback of thousands of lines. Now every
door names the limit (``MAX_DEPTH``, 100 levels) in one line: a command
exits 1 with ``orch: error: …``, ``orch hook`` passes the event through
(exit 0, one line in ``hook.log``), the status line shows its plain line.
The commands and hooks run as real ``orch`` processes, so a traceback
anywhere in them would show.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from orchcore import jsonlimits
from orchcore.errors import JsonTooDeep
from orchcore.gate import MAX_INPUT_BYTES
from orchcore.testing import orch_executable

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
DEEP = "[" * 1000 + "]" * 1000
LIMIT_WORDS = f"orchcore's limit of {jsonlimits.MAX_DEPTH} levels of JSON"


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def orch(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([orch_executable(), *args], input=stdin, env=env, capture_output=True, timeout=120)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The command failed as every orch command does: exit 1, one line on stderr, no traceback."""
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "Traceback" not in err and "RecursionError" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("orch: error: ")
    return err.strip()


def events(env: dict[str, str]) -> list[dict]:
    done = orch(env, "events", "list", "--session", SID, "--json", "--limit", "0")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def env(orch_env, orch_project):
    environ = {**orch_env, "ORCH_RUNTIME": "0"}
    done = orch(environ, "session", "create", SID, "--enable")
    assert done.returncode == 0, done.stderr
    return environ


# -- the limit itself ------------------------------------------------------------------


def test_the_limit_is_100_levels_and_a_value_at_it_is_taken():
    assert jsonlimits.MAX_DEPTH == 100
    assert jsonlimits.loads(nested(100), "the value") == json.loads(nested(100))
    with pytest.raises(JsonTooDeep, match=LIMIT_WORDS):
        jsonlimits.loads(nested(101), "the value")


def test_json_far_past_what_python_can_parse_is_the_same_one_line_error():
    with pytest.raises(JsonTooDeep, match="the value nests deeper than"):
        jsonlimits.loads(nested(100_000), "the value")


def test_text_that_is_not_json_is_still_a_value_error():
    with pytest.raises(ValueError):
        jsonlimits.loads("{not json", "the value")


def test_scalars_and_flat_values_are_never_too_deep():
    assert not jsonlimits.too_deep("x" * 1_000_000)
    assert not jsonlimits.too_deep(list(range(100_000)))
    assert not jsonlimits.too_deep({str(n): {"a": [n]} for n in range(10_000)})


# -- commands: one line, exit 1, nothing stored ------------------------------------------


def test_orch_state_set_refuses_deep_json_and_stores_nothing(env):
    before = events(env)

    done = orch(env, "state", "set", "--session", SID, "state.metrics.deep", DEEP)

    assert one_error_line(done) == f"orch: error: the value nests deeper than {LIMIT_WORDS}"
    assert events(env) == before


def test_orch_state_set_string_stores_deep_looking_text_as_text(env):
    done = orch(env, "state", "set", "--session", SID, "--string", "state.metrics.text", DEEP)

    assert done.returncode == 0, done.stderr
    assert events(env)[-1]["data"] == {"path": "state.metrics.text", "value": DEEP}


def test_orch_events_emit_refuses_deep_data_and_stores_nothing(env):
    before = events(env)
    data = json.dumps({"path": "state.metrics.deep", "value": "@"}).replace('"@"', DEEP)

    done = orch(env, "events", "emit", "--session", SID, "state.set", "-d", data)

    assert one_error_line(done) == f"orch: error: --data nests deeper than {LIMIT_WORDS}"
    assert events(env) == before


def test_a_config_file_nested_too_deep_is_one_line_for_every_command(env, orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text('{"deep": ' + DEEP + "}", encoding="utf-8")

    done = orch(env, "session", "list")

    assert f"orchcore.json nests deeper than {LIMIT_WORDS}; fix or remove it" in one_error_line(done)


@pytest.mark.parametrize("settings", ["settings.json", "settings.local.json"])
def test_orch_install_refuses_a_settings_file_nested_too_deep_and_writes_nothing(env, orch_project, settings):
    path = orch_project / ".claude" / settings
    path.write_text('{"deep": ' + DEEP + "}", encoding="utf-8")
    before = sorted(p.relative_to(orch_project) for p in orch_project.rglob("*") if "state" not in p.parts)

    done = orch(env, "install", "--scope", "project")

    assert f"{settings} nests deeper than {LIMIT_WORDS}" in one_error_line(done)
    assert path.read_text(encoding="utf-8") == '{"deep": ' + DEEP + "}"
    assert sorted(p.relative_to(orch_project) for p in orch_project.rglob("*") if "state" not in p.parts) == before


def test_a_config_value_nested_too_deep_is_a_config_error():
    from orchcore import config_schema
    from orchcore.errors import ConfigError

    with pytest.raises(ConfigError, match=f"the value for plugins.allow nests deeper than {LIMIT_WORDS}"):
        config_schema.PLUGINS_ALLOW.parse(DEEP)


# -- what is stored: every event's data, whoever emits it --------------------------------


@pytest.mark.parametrize("store", ["orch_store", "orch_memory_store"])
def test_no_store_takes_event_data_nested_too_deep(request, orch_plugin_manager, store):
    from orchcore.bus import EventBus

    bus = EventBus(request.getfixturevalue(store), orch_plugin_manager)
    bus.create_session(SID)

    with pytest.raises(JsonTooDeep, match=f"event 'state.set': data nests deeper than {LIMIT_WORDS}"):
        bus.emit(SID, "state.set", {"path": "state.metrics.deep", "value": json.loads(nested(200))})

    assert [e.type for e in bus.store.events(SID)] == ["session.created"]


# -- orch hook: Claude Code is never broken ---------------------------------------------------


def hook_log_lines(orch_project) -> list[str]:
    path = orch_project / ".claude" / "state" / "hook.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def pre_tool_use(tool_input_json: str) -> bytes:
    payload = {"session_id": SID, "hook_event_name": "PreToolUse", "tool_name": "Bash", "cwd": "/",
               "tool_input": "@"}
    return json.dumps(payload).replace('"@"', tool_input_json).encode()


@pytest.mark.parametrize("resident", ["0", "1"], ids=["in-process", "resident-runtime"])
def test_orch_hook_passes_a_payload_nested_too_deep_through_with_one_log_line(env, orch_project, resident):
    before = events(env)

    done = orch({**env, "ORCH_RUNTIME": resident}, "hook", stdin=pre_tool_use('{"command": ' + DEEP + "}"))

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert [line.split(" ", 2)[2] for line in hook_log_lines(orch_project)] == [
        f"passed through: the payload nests deeper than {LIMIT_WORDS}"
    ]
    assert events(env) == before


def test_orch_hook_passes_a_payload_past_the_size_limit_through_with_one_log_line(env, orch_project):
    huge = pre_tool_use(json.dumps({"command": "x" * MAX_INPUT_BYTES}))

    done = orch(env, "hook", stdin=huge)

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert [line.split(" ", 2)[2] for line in hook_log_lines(orch_project)] == [
        f"passed through: payload larger than orchcore's limit of {MAX_INPUT_BYTES} bytes for hook input"
    ]


def test_a_payload_at_the_limit_is_routed_as_usual(env, orch_project):
    done = orch(env, "hook", stdin=pre_tool_use(nested(jsonlimits.MAX_DEPTH - 1)))  # the payload adds one level

    assert (done.returncode, done.stderr) == (0, b"")
    assert events(env)[-1]["type"] == "hook.handled"
    assert hook_log_lines(orch_project) == []


# -- the status line and Claude Code's transcripts ----------------------------------------------


def test_the_status_line_shows_its_plain_line_for_input_nested_too_deep(env):
    data = json.dumps({"session_id": SID, "deep": "@"}).replace('"@"', DEEP).encode()

    done = orch({**env, "NO_COLOR": "1"}, "statusline", stdin=data)

    assert (done.returncode, done.stderr) == (0, b"")
    assert len(done.stdout.decode().splitlines()) == 1


def test_a_transcript_line_nested_too_deep_is_skipped_like_a_broken_one(tmp_path):
    from orchcore.recovery import read_lines

    transcript = tmp_path / "t.jsonl"
    transcript.write_text('{"type": "user", "n": 1}\n{"type": "user", "deep": ' + DEEP + '}\n{"type": "user", "n": 3}\n',
                          encoding="utf-8")

    entries, end = read_lines(transcript, 0)

    assert [entry.get("n") for _, entry in entries] == [1, 3]
    assert end == transcript.stat().st_size
