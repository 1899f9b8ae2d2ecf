"""``orch hook`` never breaks Claude Code, whatever arrives on stdin.

Malformed payloads are generated from Claude Code's real ones (the captured
nested delegation, when checked out beside the repository) and from a
synthetic payload for each of the 33 events, with a fixed random seed:
truncation, byte flips, bytes that are not UTF-8, wrong types for every
field, missing fields, huge strings, 50,000 levels of nesting, non-objects at
the top level, empty input and whitespace, a payload over 16 MiB, duplicate
keys, NaN and Infinity, a BOM and other encodings, garbage around the JSON.

Each goes through the gate and router in-process (``orch_hook``), part of them
for a session whose orchestration is on, with handlers that read every event
field, so the whole router path is fuzzed, not just the gate. The property:
no exception escapes, stdout is empty or exactly one JSON object, and the exit
code is 0 (1 only under ORCH_STRICT_PLUGINS), never 2. A sample also runs
through the real ``orch hook`` console script.

Lone UTF-16 surrogates (``\\ud800`` escapes, or the CESU-8 bytes ``ED A0 80``
that ``json.loads`` decodes with ``surrogatepass``) have a test of their own.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

from orchcore.gate import MAX_INPUT_BYTES
from orchcore.plugins import hookimpl
from orchcore.protocol import EVENTS
from orchcore.testing import write_distribution

SEED = 20_261_124
IN_PROCESS_CASES = 2_000
SUBPROCESS_CASES = 30
SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"  # the captured session: orchestration on
OFF_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"  # orchestration off: the gate answers
CAPTURED = Path(__file__).resolve().parents[2] / "shared" / "claude-code" / "captured"
ORCH = Path(sys.executable).with_name("orch")
DEEP = 50_000

pytestmark = pytest.mark.exercises_hook("orch_hook_handlers")

# The handlers the fuzzed router dispatches to. Kept as source so the subprocess
# cases load the very same code from a fake installed distribution.
HANDLERS_SOURCE = '''
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler


def read_everything(event, context):
    """Touch every typed field and walk the raw payload, as a real handler might."""
    fields = (
        event.hook_event_name, event.session_id, event.cwd, event.transcript_path, event.agent_id,
        event.agent_type, event.tool_name, event.tool_use_id, event.prompt, event.source, event.reason,
        event.stop_hook_active, event.last_assistant_message, event.matcher_value, event.known, event.info,
        event.tool_response, event.get("permission_mode"), event.get("effort"),
    )
    tool_input = event.tool_input
    command = tool_input.get("command")
    calls = event.get("tool_calls")
    names = [c.get("tool_name") for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
    kinds = ",".join(sorted({type(value).__name__ for value in event.raw.values()}))
    context.emit("metric.recorded", {"name": "fuzz_events"})
    if isinstance(command, str) and "rm -rf" in command:
        return HookResult.deny("no rm -rf")
    if event.tool_name == "Edit" and isinstance(tool_input.get("file_path"), str):
        return HookResult(permission="allow", updated_input={"file_path": tool_input["file_path"]})
    if event.hook_event_name == "PermissionRequest":
        return HookResult.allow("fuzz")
    return HookResult.context(
        f"{len(fields)} fields, {len(event.raw)} keys ({kinds}), {len(names)} calls, session {context.session.mode}"
    )


def picky(event, context):
    """Fails on tool events without a tool name: exercises failure isolation (and strict mode)."""
    if event.hook_event_name.startswith("P") and event.tool_name is None:
        raise KeyError("tool_name")
    return HookResult(system_message="picky was here") if event.stop_hook_active else None


def guard(event, context):
    return HookResult.ask("Bash or Edit: " + str(len(event.tool_input)))


@hookimpl
def orch_hook_handlers():
    return [
        HookHandler(name="fuzz-reader", events=["*"], handler=read_everything),
        HookHandler(name="fuzz-picky", events=["*"], handler=picky),
        HookHandler(name="fuzz-guard", events=["PreToolUse", "PermissionRequest"], handler=guard, matcher="Bash|Edit"),
        HookHandler(name="fuzz-mcp", events=["PreToolUse"], handler=guard, matcher="mcp__.*__(read|write)"),
    ]
'''


def _handlers_module() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "fuzz_handlers"}
    exec(compile(HANDLERS_SOURCE, "fuzz_handlers.py", "exec"), namespace)
    return namespace


class FuzzHandlers:
    @hookimpl
    def orch_hook_handlers(self):
        return _handlers_module()["orch_hook_handlers"]()


# -- the seed corpus --------------------------------------------------------------------------------

EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "PreToolUse": {"tool_name": "Bash", "tool_input": {"command": "rm -rf build"}, "tool_use_id": "toolu_1"},
    "PermissionRequest": {"tool_name": "Edit", "tool_input": {"file_path": "/w/a.py"},
                          "permission_suggestions": [{"type": "setMode", "mode": "acceptEdits"}]},
    "PostToolUse": {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": {"stdout": "a\nb"},
                    "tool_use_id": "toolu_1", "duration_ms": 12},
    "PostToolUseFailure": {"tool_name": "Bash", "tool_input": {"command": "false"}, "tool_use_id": "toolu_2",
                           "error": "exit 1", "is_interrupt": False},
    "PostToolBatch": {"tool_calls": [{"tool_name": "Read", "tool_input": {"file_path": "/w/x"},
                                      "tool_use_id": "toolu_3", "tool_response": "x"}]},
    "PermissionDenied": {"tool_name": "mcp__fs__write", "tool_input": {}, "tool_use_id": "toolu_4",
                         "reason": "classifier"},
    "Notification": {"message": "Claude needs your permission", "notification_type": "permission_prompt"},
    "UserPromptSubmit": {"prompt": "check the project", "source": "user"},
    "UserPromptExpansion": {"expansion_type": "slash_command", "command_name": "orchestration:start-sprint",
                            "command_args": "3", "prompt": "start sprint 3"},
    "SessionStart": {"source": "startup", "model": "claude-opus-5-5"},
    "SessionEnd": {"reason": "prompt_input_exit"},
    "Stop": {"stop_hook_active": True, "last_assistant_message": "done", "background_tasks": []},
    "StopFailure": {"error": "rate_limit"},
    "SubagentStart": {"agent_id": "a381af95d01b45698", "agent_type": "general-purpose"},
    "SubagentStop": {"agent_id": "a381af95d01b45698", "agent_type": "Explore", "stop_hook_active": False,
                     "agent_transcript_path": "/t/agent.jsonl"},
    "PreCompact": {"trigger": "manual", "custom_instructions": None},
    "PostCompact": {"trigger": "auto", "compact_summary": "summary"},
    "PreModelSwitch": {"from_model": "a", "to_model": "b", "context_tokens": 1000, "pricing": {"in": 1.5}},
    "PostModelSwitch": {"from_model": "a", "to_model": "b", "source": "auto"},
    "Setup": {"trigger": "init"},
    "TeammateIdle": {"teammate_name": "qa-tester", "team_name": "qa"},
    "TaskCreated": {"task_id": "T-1", "task_subject": "Refactor", "task_description": "x"},
    "TaskCompleted": {"task_id": "T-1", "task_subject": "Refactor", "teammate_name": "dev"},
    "Elicitation": {"mcp_server_name": "fs", "message": "which file?", "requested_schema": {"type": "object"}},
    "ElicitationResult": {"mcp_server_name": "fs", "action": "accept", "content": {"file": "a"}},
    "ConfigChange": {"source": "project_settings", "file_path": "/w/.claude/settings.json"},
    "WorktreeCreate": {"name": "feature"},
    "WorktreeRemove": {"worktree_path": "/w/.worktrees/feature"},
    "InstructionsLoaded": {"file_path": "/w/CLAUDE.md", "memory_type": "Project", "load_reason": "session_start"},
    "CwdChanged": {"old_cwd": "/w", "new_cwd": "/w/src"},
    "FileChanged": {"file_path": "/w/.env", "event": "change"},
    "DirectoryAdded": {"directory": "/other", "source": "add_dir"},
    "MessageDisplay": {"turn_id": "t1", "message_id": "m1", "index": 0, "final": True, "delta": "hello"},
    "PreSkillShellCommand": {"tool_name": "Bash", "tool_input": {"command": "git status"},  # as 2.1.332 sends it
                             "tool_use_id": "6647f993-4834-45fe-8721-b5e61e42be06:inner:preamble-0",
                             "command_name": "probe", "command_source": "projectSettings", "invoked_by": "user"},
}


def synthetic(name: str, session: str) -> dict[str, Any]:
    return {
        "session_id": session,
        "transcript_path": f"/home/dev/.claude/projects/-w/{session}.jsonl",
        "cwd": "/home/dev/webapp",
        "prompt_id": "eae580ea-c204-49e3-bd72-b33918b515d7",
        "permission_mode": "default",
        "effort": {"level": "medium"},
        "hook_event_name": name,
        **EXTRA_FIELDS.get(name, {}),
    }


def corpus() -> list[tuple[str, dict[str, Any]]]:
    """(label, payload) pairs: the captured payloads, then one synthetic payload per event and session."""
    found: list[tuple[str, dict[str, Any]]] = []
    captured = CAPTURED / "nested-delegation.jsonl"
    if captured.exists():
        for number, line in enumerate(captured.read_bytes().splitlines()):
            found.append((f"captured{number}", json.loads(line)))
    assert set(EXTRA_FIELDS) == set(EVENTS)
    for name in sorted(EVENTS):
        found.append((name, synthetic(name, SESSION)))
        found.append((f"{name}/off", synthetic(name, OFF_SESSION)))
    found.append(("Future", {**synthetic("FutureEvent", SESSION), "future": {"x": [1, 2]}}))
    return found


def encode(payload: Any, rng: random.Random) -> bytes:
    """As Claude Code writes it (", " and ": "), sometimes compact or ASCII-escaped."""
    separators = rng.choice([(", ", ": "), (",", ":"), (", ", ": ")])
    return json.dumps(payload, separators=separators, ensure_ascii=rng.random() < 0.3, allow_nan=True).encode()


# -- the mutations ------------------------------------------------------------------------------------

# Bytes no decoder json.loads picks accepts in UTF-8 text (the surrogate-encoding ED A0 80 is left
# to the surrogate test below).
NOT_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xc0\xaf",
            b"\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\xf4\x90\x80\x80"]
WRONG_VALUES: list[Any] = [
    0, -1, 2**70, 1.5, -0.0, True, False, None, [], [1, "a", None], {}, {"a": {"b": [None]}}, "", " ",
    "../../etc/passwd", "/etc/passwd", "..", "C:\\Windows\\System32", "\x00", "a\x00b", "\u202eevil", "💥",
    "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee/../x", "8E82F7C6-1351-45FF-B6D3-4FB1CC1717EE",
    " 8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee\n",
    {"hook_event_name": "PreToolUse"}, ["PreToolUse"], "PreToolUse", "SessionStart", "Stop",
]
FIELDS = sorted({key for fields in EXTRA_FIELDS.values() for key in fields}
                | {"session_id", "hook_event_name", "cwd", "transcript_path", "prompt_id", "permission_mode",
                   "effort", "agent_id", "agent_type"})


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def not_utf8(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(NOT_UTF8) + data[at:]


def wrong_type(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = dict(payload)
    for key in rng.sample(FIELDS, rng.randint(1, 3)):
        out[key] = rng.choice(WRONG_VALUES)
    if rng.random() < 0.2:
        out["hook_event_name"] = {"name": out.get("hook_event_name")}  # the event name as an object
    return out


def missing(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    keys = list(payload)
    drop = set(rng.sample(keys, rng.randint(1, len(keys))))
    return {k: v for k, v in payload.items() if k not in drop}


def huge(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = dict(payload)
    size = rng.choice([10_000, 100_000, 1_000_000])
    key = rng.choice(["prompt", "tool_input", "last_assistant_message", "cwd", "transcript_path", "tool_name",
                      "agent_id", "hook_event_name", "zzz_unknown"])
    if key == "hook_event_name":
        size = 20_000  # every new event name is a new key in the session's metrics: keep them small
    value: Any = rng.choice("xé💥") * size
    out[key] = {"command": value} if key == "tool_input" else value
    return out


def nested(payload: dict[str, Any], rng: random.Random) -> bytes:
    depth = rng.choice([100, 900, 990, 2_000, DEEP])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    inner = opener * depth + b"1" + closer * depth
    key = rng.choice(["tool_input", "tool_response", "effort", "zzz_unknown"])
    head = json.dumps({k: v for k, v in payload.items() if k != key})[:-1].encode()
    return head + b', "' + key.encode() + b'": ' + inner + b"}"


def duplicate_keys(payload: dict[str, Any], rng: random.Random) -> bytes:
    other = rng.choice([SESSION, OFF_SESSION, "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", 7, None])
    name = rng.choice(["PreToolUse", "SessionStart", "TaskCreated", "Stop", {"x": 1}])
    body = json.dumps(payload)[1:-1]
    return ("{" + body + f', "session_id": {json.dumps(other)}, "hook_event_name": {json.dumps(name)}'
            + f', "tool_input": {{"command": "a", "command": "rm -rf /"}}, {body}' + "}").encode()


def nan_infinity(payload: dict[str, Any], rng: random.Random) -> bytes:
    out = dict(payload)
    for key in rng.sample(FIELDS, rng.randint(1, 3)):
        out[key] = rng.choice([float("nan"), float("inf"), float("-inf"), {"x": float("nan")}, [float("inf")]])
    return json.dumps(out).encode()  # NaN, Infinity, -Infinity: accepted by Python, not JSON


def other_encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8")
    return rng.choice([
        b"\xef\xbb\xbf" + data,
        b"\xef\xbb\xbf\xef\xbb\xbf" + data,
        text.encode("utf-16"),
        text.encode("utf-16-be"),
        text.encode("utf-32"),
        text.encode("utf-32-le"),
        text.encode("latin-1", errors="replace"),
    ])


def garbage_around(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([
        data + b"garbage", data + data, data + b"\x00", b"\x00" + data, b"garbage" + data, data + b"\n\n{",
        data[:-1], data.replace(b"{", b"[", 1), b"//" + data, data.replace(b'"', b"'"),
        data.replace(b": ", b": \x0b"), data + b"]", b"[" + data + b"]", json.dumps(data.decode()).encode(),
    ])


def whitespace_variant(data: bytes, rng: random.Random) -> bytes:
    pad = rng.choice([b" ", b"\n", b"\t", b"\r\n", b"  \n\t ", b"\x0c", b"\xc2\xa0", b"\x00"])
    return pad * rng.randint(1, 50) + data + pad * rng.randint(0, 50)


FIXED: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("space", b" "),
    ("newline", b"\n"),
    ("whitespace", b" \t\r\n\x0c " * 1000),
    ("nul", b"\x00"),
    ("null", b"null"),
    ("true", b"true"),
    ("number", b"42"),
    ("float", b"-1e999"),
    ("nan", b"NaN"),
    ("string", b'"session_id"'),
    ("array", b"[]"),
    ("array-of-payload", b'[{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", "hook_event_name": "Stop"}]'),
    ("object", b"{}"),
    ("deep-arrays", b"[" * DEEP + b"]" * DEEP),
    ("deep-objects", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
    ("deep-unclosed", b"[" * DEEP),
    ("deep-in-payload", b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", "hook_event_name": "PreToolUse", '
                        b'"tool_name": "Bash", "tool_input": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    ("dup-session", b'{"session_id": "7a214c65-635e-4f7c-ac74-130030d59d09", "hook_event_name": "PreToolUse", '
                    b'"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", "tool_name": "Bash"}'),
    ("nan-fields", b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", "hook_event_name": "PostToolUse", '
                   b'"duration_ms": NaN, "tool_input": {"x": Infinity}, "tool_name": -Infinity}'),
    ("session-id-int", b'{"session_id": 8, "hook_event_name": "Stop"}'),
    ("session-id-path", b'{"session_id": "../../etc", "hook_event_name": "Stop"}'),
    ("event-object", b'{"session_id": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee", "hook_event_name": {"a": 1}}'),
    ("bom", b"\xef\xbb\xbf" + json.dumps(synthetic("PreToolUse", SESSION)).encode()),
]


def over_limit(session: str) -> bytes:
    head = json.dumps(synthetic("UserPromptSubmit", session))[:-1].encode() + b', "zzz": "'
    return head + b"x" * (MAX_INPUT_BYTES + 1 - len(head) - 2) + b'"}'


def at_limit(session: str) -> bytes:
    data = over_limit(session)
    return data[: len(data) - 3] + b'"}'


@attrs.frozen
class Case:
    label: str
    data: bytes
    env: dict[str, str] = attrs.field(factory=dict)

    @property
    def strict(self) -> bool:
        return self.env.get("ORCH_STRICT_PLUGINS") == "1"


ENVS = [{}, {}, {}, {}, {"ORCH_ENABLED": "1"}, {"ORCH_ENABLED": "0"}, {"ORCH_STRICT_PLUGINS": "1"}]


def generate(count: int, seed: int = SEED) -> list[Case]:
    rng = random.Random(seed)
    seeds = corpus()
    cases = [Case(label, data) for label, data in FIXED]
    cases += [Case("over-16MiB-on", over_limit(SESSION)), Case("over-16MiB-off", over_limit(OFF_SESSION)),
              Case("at-16MiB-on", at_limit(SESSION))]
    byte_mutations = [truncate, flip, not_utf8, other_encoding, garbage_around, whitespace_variant]
    payload_mutations = [wrong_type, missing, huge, nested, duplicate_keys, nan_infinity]
    while len(cases) < count:
        label, payload = rng.choice(seeds)
        roll = rng.random()
        if roll < 0.1:
            kind, data = "valid", encode(payload, rng)
        elif roll < 0.55:
            mutate = rng.choice(byte_mutations)
            kind, data = mutate.__name__, mutate(encode(payload, rng), rng)
        else:
            mutate = rng.choice(payload_mutations)
            if mutate is huge and rng.random() < 0.7:
                mutate = wrong_type  # huge strings cost time: fewer of them
            out = mutate(payload, rng)
            kind, data = mutate.__name__, out if isinstance(out, bytes) else encode(out, rng)
            if rng.random() < 0.2:  # and sometimes a second, byte-level mutation on top
                second = rng.choice(byte_mutations)
                kind, data = f"{kind}+{second.__name__}", second(data, rng) if data else data
        cases.append(Case(f"{len(cases)}:{kind}:{label}", data, dict(rng.choice(ENVS))))
    return cases


# -- checking one run ---------------------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def problem_with(case: Case, exit_code: int, stdout: str, stderr: str) -> str | None:
    """What is wrong with how the hook answered ``case`` (None: nothing)."""
    allowed = {0, 1} if case.strict else {0}
    if exit_code not in allowed:
        return f"exit code {exit_code} (stderr {stderr[:300]!r})"
    if exit_code == 0 and stderr:
        return f"stderr on exit 0: {stderr[:300]!r}"
    if stdout:
        if stdout.count("\n") != 1 or not stdout.endswith("\n"):
            return f"stdout is not one line: {stdout[:300]!r}"
        try:
            answer = json.loads(stdout, parse_constant=_no_constants)  # strict JSON: Claude Code's JSON.parse
        except ValueError as exc:
            return f"stdout is not JSON ({exc}): {stdout[:300]!r}"
        if not isinstance(answer, dict) or not answer:
            return f"stdout is not a non-empty JSON object: {stdout[:300]!r}"
        specific = answer.get("hookSpecificOutput")
        if specific is not None:
            try:
                sent = json.loads(case.data)["hook_event_name"]
            except Exception:  # noqa: BLE001 - a payload the router could read, by definition
                sent = None
            if specific.get("hookEventName") != sent or sent not in EVENTS:
                return f"hookEventName {specific.get('hookEventName')!r} for event {sent!r}"
    return None


def run_in_process(orch_hook, cases: list[Case]) -> list[str]:
    problems = []
    for case in cases:
        try:
            run = orch_hook(case.data, env=case.env)
        except BaseException as exc:  # noqa: BLE001 - the property under test
            problems.append(f"{case.label}: {type(exc).__name__} escaped: {str(exc)[:300]}")
            continue
        problem = problem_with(case, run.exit_code, run.stdout, run.stderr)
        if problem:
            problems.append(f"{case.label}: {problem}")
    return problems


@pytest.fixture
def fuzz_project(orch_project: Path, orch_bus, orch_plugin_manager, register_plugin) -> Path:
    """New sessions start with orchestration on; SESSION is on, OFF_SESSION off; the fuzz handlers registered."""
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"orchestration": {"enabled": True}}))
    orch_bus.create_session(SESSION, orchestration_enabled=True)
    orch_bus.create_session(OFF_SESSION, orchestration_enabled=False)
    register_plugin(FuzzHandlers(), name="fuzz")
    handlers = set(orch_plugin_manager.specs("orch_hook_handlers"))
    assert {"fuzz-reader", "fuzz-picky", "fuzz-guard", "fuzz-mcp"} <= handlers
    return orch_project


# -- the tests ------------------------------------------------------------------------------------------


def test_the_generator_is_deterministic_and_covers_every_mutation():
    first, second = generate(300), generate(300)

    assert [c.data for c in first] == [c.data for c in second]
    kinds = {c.label.split(":")[1] for c in generate(IN_PROCESS_CASES) if c.label.count(":") >= 2}
    for kind in ("valid", "truncate", "flip", "not_utf8", "other_encoding", "garbage_around", "whitespace_variant",
                 "wrong_type", "missing", "huge", "nested", "duplicate_keys", "nan_infinity"):
        assert any(k.startswith(kind) for k in kinds), kind
    assert any(len(c.data) > MAX_INPUT_BYTES for c in first)


def test_the_corpus_holds_every_event_and_the_captured_payloads():
    labels = [label for label, _ in corpus()]

    assert {label for label in labels if label in EVENTS} == set(EVENTS)
    if CAPTURED.is_dir():
        assert sum(label.startswith("captured") for label in labels) == 24


def test_malformed_payloads_never_break_the_hook(orch_hook, orch_bus, fuzz_project):
    cases = generate(IN_PROCESS_CASES)
    started = time.perf_counter()

    problems = run_in_process(orch_hook, cases)

    elapsed = time.perf_counter() - started
    assert not problems, f"{len(problems)} of {len(cases)} cases broke the hook:\n" + "\n".join(problems[:15])
    assert len(cases) >= 1_000
    # The router really ran: handlers were called for the session whose orchestration is on ...
    session = orch_bus.store.load(SESSION)
    assert session.state.metrics["fuzz_events"] > 50
    assert session.state.metrics["handlers"]["fuzz-reader"]["calls"] > 50
    assert session.state.metrics["hook_events"]["PreToolUse"] > 5
    # ... and the gate answered most events of the one whose orchestration is off (ORCH_ENABLED=1 routes some).
    off_flag = fuzz_project / ".claude" / "state" / "gate" / f"{OFF_SESSION}.off"
    assert off_flag.stat().st_mtime >= time.time() - elapsed - 5
    routed_off = len(orch_bus.store.events(OFF_SESSION, types=["hook.handled"]))
    off_cases = sum(OFF_SESSION.encode() in c.data for c in cases)
    assert routed_off < off_cases / 2
    assert orch_bus.replay(SESSION) == session
    assert elapsed < 60, f"the fuzz run took {elapsed:.1f} s"


def test_the_valid_seed_payloads_get_well_formed_answers(orch_hook, orch_bus, fuzz_project):
    answered = 0
    for label, payload in corpus():
        run = orch_hook(payload)
        problem = problem_with(Case(label, json.dumps(payload).encode()), run.exit_code, run.stdout, run.stderr)
        assert problem is None, f"{label}: {problem}"
        answered += run.answer is not None
    # the captured payloads (read from ../shared when it is there) add answered events
    assert answered > (20 if (CAPTURED / "nested-delegation.jsonl").exists() else 10)


def test_lone_surrogates_never_break_the_hook(orch_hook, fuzz_project):
    rng = random.Random(SEED)
    cases = []
    for label, payload in corpus():
        for key in ("hook_event_name", "prompt", "source", "tool_name", "agent_id", "reason"):
            value = payload.get(key) if isinstance(payload.get(key), str) else "x"
            spoiled = json.dumps({**payload, key: value[:3] + rng.choice(["\ud800", "\udc80", "\ud83d"])}).encode()
            cases.append(Case(f"{label}:{key}:escape", spoiled))
            at = spoiled.index(b'"hook_event_name": "') + len(b'"hook_event_name": "') + 3
            cases.append(Case(f"{label}:{key}:cesu", spoiled[:at] + b"\xed\xa0\x80" + spoiled[at:]))

    problems = run_in_process(orch_hook, cases)

    assert not problems, "\n".join(problems[:10])


# -- through the real console script ----------------------------------------------------------------------


@pytest.fixture
def orch_subprocess_env(fuzz_project: Path, tmp_path: Path) -> dict[str, str]:
    """The project, a fresh cache, no session variable, and the fuzz handlers installed as a distribution."""
    site = tmp_path / "site"
    write_distribution(site, "orchtest-fuzz", "0.1", {"fuzz": "fuzz_handlers"}, {"fuzz_handlers.py": HANDLERS_SOURCE})
    env = dict(os.environ)
    env.pop("CLAUDE_CODE_SESSION_ID", None)
    env.pop("ORCH_STRICT_PLUGINS", None)
    env["CLAUDE_PROJECT_DIR"] = str(fuzz_project)
    env["ORCH_CACHE_DIR"] = str(tmp_path / "subprocess-cache")
    env["PYTHONPATH"] = str(site)
    return env


def subprocess_cases() -> list[Case]:
    """The fixed cases, a 16 MiB+ one, valid payloads of the on session, and random mutations."""
    rng = random.Random(SEED + 1)
    fixed = [Case(label, data) for label, data in FIXED if label in {
        "empty", "whitespace", "null", "array-of-payload", "deep-arrays", "deep-in-payload", "dup-session",
        "nan-fields", "session-id-path", "event-object", "bom",
    }]
    fixed.append(Case("over-16MiB-on", over_limit(SESSION)))
    valid = [Case(label, json.dumps(payload).encode()) for label, payload in corpus()
             if label in {"PreToolUse", "PermissionRequest", "UserPromptSubmit", "Stop", "TaskCreated", "Future",
                          "PreToolUse/off"}]
    mutated = [c for c in generate(IN_PROCESS_CASES, seed=SEED + 2)[len(FIXED) + 3:] if len(c.data) < 2_000_000]
    rng.shuffle(mutated)
    picked = [Case(c.label, c.data) for c in mutated[: SUBPROCESS_CASES - len(fixed) - len(valid)]]
    return fixed + valid + picked


def test_the_orch_hook_console_script_survives_malformed_payloads(orch_subprocess_env, orch_bus, fuzz_project):
    assert ORCH.exists(), f"{ORCH} is not installed"
    cases = subprocess_cases()
    assert len(cases) == SUBPROCESS_CASES
    problems = []

    for number, case in enumerate(cases):
        env = dict(orch_subprocess_env)
        if number % 2:
            env["ORCH_RUNTIME"] = "0"  # half of them routed in the hook's own process, never by the resident runtime
        result = subprocess.run(
            [str(ORCH), "hook"], input=case.data, env=env, cwd=fuzz_project, capture_output=True, timeout=60,
        )
        stdout = result.stdout.decode("utf-8", errors="replace")
        stderr = result.stderr.decode("utf-8", errors="replace")
        if "Traceback" in stdout or "Traceback" in stderr:
            problems.append(f"{case.label}: traceback: {stderr[-500:]}")
        elif result.returncode != 0:
            problems.append(f"{case.label}: exit {result.returncode}: {stderr[-300:]}")
        elif problem := problem_with(case, result.returncode, stdout, stderr):
            problems.append(f"{case.label}: {problem}")

    assert not problems, "\n".join(problems)
    # The subprocesses used the installed fuzz handlers on the session whose orchestration is on.
    handled = orch_bus.store.events(SESSION, types=["hook.handled"])
    assert any("fuzz-reader" in e.data["handlers"] for e in handled)
