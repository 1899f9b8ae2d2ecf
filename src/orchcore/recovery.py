"""Recovery: the hook events orchcore missed, rebuilt from Claude Code's own transcript.

Claude Code's http hooks do not wait for orchcore: when the resident runtime
is down (killed, restarting, not up yet) a posted event is refused and the
session goes on. Nothing of it is lost for good, because Claude Code writes
the session down itself, in ``transcript_path`` (JSON lines): every prompt,
every tool call with its input and ``tool_use_id``, every tool result, the
end of each turn, and one file per subagent beside it
(``<session>/subagents/agent-<id>.jsonl`` with its ``.meta.json``).

``catch_up`` reads what was added since it last looked and routes each hook
event that is not in the log yet through the router, marked ``recovered``:
handlers record it (their answers reach nobody: it already happened), and
``hook.handled`` carries ``"recovered": true`` besides the event's own name
and ``tool_use_id``, so the log reads as if it had arrived live.

**Never twice.** Every recoverable event has a key (``protocol.event_key``)
that the store keeps unique per session, and an event is recovered only once
the transcript proves Claude Code is past it, so a live delivery of it can no
longer come: a tool call once its result is written, a result or a batch once
the model has been asked again (or the turn ended), a prompt once the model
answered, a stop once the stop hooks' summary is written. A prompt typed
while a turn ended reached the router with that turn's ``prompt_id``
(Claude Code 2.1.332; ``protocol.joined_prompt_key``): its transcript line
has an id of its own, so the key it was recorded with live, from the prompt
before it, is looked for too. What is not provably past yet stays pending
and is looked at again later. One catch-up per
session runs at a time (a file lock).

**What can be recovered:** PreToolUse, PostToolUse, PostToolUseFailure,
PostToolBatch, UserPromptSubmit and Stop of the main agent, and per subagent
SubagentStart, its tool events and SubagentStop. **What cannot:** what a
missed event would have *decided* (a deny, a block, context for the model:
the moment has passed), and the events the transcript does not show:
PermissionRequest, PermissionDenied, Notification, SessionEnd, StopFailure,
CwdChanged, InstructionsLoaded, PostCompact, Pre/PostModelSwitch, and the
command hooks (SessionStart, Setup, PreCompact, TeammateIdle, TaskCreated,
TaskCompleted, ConfigChange), which never depend on the runtime.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from orchcore import gate, jsonlimits
from orchcore.errors import JsonTooDeep
from orchcore.protocol import event_key, joined_prompt_key

CURSOR_DIR = "recovery"


@attrs.frozen
class Report:
    """What one catch-up did: events recovered, already in the log, and not provably past yet."""

    recovered: int = 0
    recorded: int = 0
    pending: int = 0


@attrs.define
class Candidate:
    """A hook event the transcript shows: its payload, where it depends on the file, and whether it is past."""

    payload: dict[str, Any]
    key: str
    ts: str
    line: int  # the earliest line of its file it is built from (where to read again while it is pending)
    proven: bool
    aliases: tuple[str, ...] = ()  # other keys a live delivery of it may have been recorded with


def catch_up(session_id: str, env: dict[str, str], runtime: Any = None) -> Report:
    """Route every hook event of ``session_id`` that its transcript shows and the log lacks."""
    from orchcore.router import _config
    from orchcore.runtime import Runtime

    project = gate.find_project(env)
    state_dir = gate.state_dir(env, project)
    own = runtime is None
    runtime = runtime or Runtime(project=Path(project), state_dir=Path(state_dir), config=_config(project, env))
    try:
        session = runtime.store.load(session_id)
        if session is None or not session.transcript_path or not _orchestrated(session, env):
            return Report()
        with _Lock(Path(state_dir), session_id):
            return _catch_up(runtime, session, env, Path(state_dir))
    finally:
        if own:
            runtime.close()


def _orchestrated(session: Any, env: dict[str, str]) -> bool:
    override = gate.env_override(env)
    return session.orchestration_enabled if override is None else override


def _catch_up(runtime: Any, session: Any, env: dict[str, str], state_dir: Path) -> Report:
    from orchcore.router import respond

    cursor = Cursor.load(state_dir, session.session_id)
    transcript = Path(session.transcript_path)
    found: list[Candidate] = []
    ends: dict[str, int] = {}
    for path, agent in transcript_files(transcript):
        candidates, end = read_candidates(path, cursor.offset(path), session.session_id, transcript, agent,
                                          prompt_before=cursor.prompts.get(str(path)))
        found += candidates
        ends[str(path)] = end
    recorded = runtime.store.recorded_keys(session.session_id, [k for c in found for k in (c.key, *c.aliases)])
    recovered = pending = 0
    restart: dict[str, int] = {}
    found.sort(key=lambda c: c.ts)  # the files interleave: a subagent runs inside its Agent call
    for candidate in found:
        if candidate.key in recorded or recorded.intersection(candidate.aliases):
            continue
        if not candidate.proven:
            pending += 1
            where = str(_file_of(candidate, transcript))
            restart[where] = min(restart.get(where, candidate.line), candidate.line)
            continue
        respond(candidate.payload, env, runtime, recovered=True, occurred_at=candidate.ts or None)
        recorded.add(candidate.key)
        recovered += 1
    for path, end in ends.items():
        cursor.files[path] = restart.get(path, end)
        prompts = [c.payload.get("prompt_id") for c in found if c.payload["hook_event_name"] == "UserPromptSubmit"
                   and str(_file_of(c, transcript)) == path and c.line < cursor.files[path]]
        if prompts and isinstance(prompts[-1], str):
            cursor.prompts[path] = prompts[-1]
    cursor.save()
    return Report(recovered=recovered, recorded=len(found) - recovered - pending, pending=pending)


def _file_of(candidate: Candidate, transcript: Path) -> Path:
    agent = candidate.payload.get("agent_id")
    return subagent_file(transcript, agent) if agent else transcript


def subagent_file(transcript: Path, agent_id: str) -> Path:
    return transcript.with_suffix("") / "subagents" / f"agent-{agent_id}.jsonl"


def transcript_files(transcript: Path) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """The main transcript, then each subagent's file with what its ``.meta.json`` says."""
    yield transcript, None
    folder = transcript.with_suffix("") / "subagents"
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        if not (name.startswith("agent-") and name.endswith(".jsonl")):
            continue
        agent_id = name[len("agent-"):-len(".jsonl")]
        meta: dict[str, Any] = {}
        try:
            loaded = jsonlimits.loads((folder / f"agent-{agent_id}.meta.json").read_text(encoding="utf-8"), name)
            meta = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError, JsonTooDeep):
            pass
        yield folder / name, {"id": agent_id, **meta}


NOT_EVENTS = (b'{"type":"api-request', b'{"type":"queue-operation"', b'{"type":"atis-latch"',
              b'{"type":"last-prompt"', b'{"type":"tools-used"', b'{"type":"cost-state"')


def read_lines(path: Path, offset: int) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """(byte offset, entry) of every whole JSON line from ``offset``, and where the whole lines end.

    Streamed line by line; the big entries no hook event comes from (request
    blobs, attachments) are skipped without being parsed.
    """
    entries = []
    position = offset
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break  # a line still being written
                if not raw.startswith(NOT_EVENTS) and b'"attachment":{' not in raw[:160]:
                    try:
                        entry = jsonlimits.loads(raw, "a transcript line")
                    except (ValueError, JsonTooDeep):  # not a whole entry, or too deep to route: skipped
                        entry = None
                    if isinstance(entry, dict):
                        entries.append((position, entry))
                position += len(raw)
    except OSError:
        return [], offset
    return entries, position


def read_candidates(
    path: Path, offset: int, session_id: str, transcript: Path, agent: dict[str, Any] | None,
    prompt_before: str | None = None,
) -> tuple[list[Candidate], int]:
    """The hook events one transcript file shows from ``offset`` on, and where its whole lines end.

    ``prompt_before``: the ``promptId`` of the last prompt before ``offset``
    (a prompt typed while that turn ended may have been delivered with it).
    """
    entries, end = read_lines(path, offset)
    base: dict[str, Any] = {"session_id": session_id, "transcript_path": str(transcript)}
    if agent is not None:
        base.update(agent_id=agent["id"], agent_type=str(agent.get("agentType") or "general-purpose"))
    # What proves an entry past: the model asked again, a turn ended, a new prompt.
    last_progress = max((i for i, (_, e) in enumerate(entries) if _is_progress(e)), default=-1)
    results: dict[str, int] = {}  # tool_use_id -> index of the entry with its result
    for index, (_, entry) in enumerate(entries):
        for block in _blocks(entry, "user", "tool_result"):
            results.setdefault(str(block.get("tool_use_id")), index)

    found: list[Candidate] = []
    calls: dict[str, tuple[int, dict[str, Any]]] = {}  # tool_use_id -> (line, call)
    batches: dict[str, list[str]] = {}  # one model answer (message id) -> its tool_use_ids, in order
    batch_of: dict[str, str] = {}  # tool_use_id -> its message id
    done_batches: set[str] = set()
    prompt_id: str | None = None
    previous_prompt = prompt_before
    last_text = ""

    def add(event: str, fields: dict[str, Any], index: int, line: int, proven: bool,
            aliases: tuple[str | None, ...] = ()) -> None:
        payload = {**base, "cwd": entries[index][1].get("cwd") or "", "hook_event_name": event}
        if prompt_id:
            payload["prompt_id"] = prompt_id
        payload.update(fields)
        key = event_key(payload)
        if key is not None:
            ts = str(entries[index][1].get("timestamp") or "")
            found.append(Candidate(payload=payload, key=key, ts=ts, line=line, proven=proven,
                                   aliases=tuple(a for a in aliases if a)))

    if agent is not None and offset == 0 and entries:
        add("SubagentStart", {}, 0, entries[0][0], True)
    for index, (line, entry) in enumerate(entries):
        prompt_id = entry.get("promptId") if isinstance(entry.get("promptId"), str) else prompt_id
        kind = entry.get("type")
        if kind == "user" and agent is None and _is_prompt(entry):
            prompt = {"prompt": _text(entry["message"]["content"])}
            joined = joined_prompt_key(prompt, previous_prompt) if previous_prompt != prompt_id else None
            add("UserPromptSubmit", prompt, index, line, last_progress > index, (joined,))
            previous_prompt = prompt_id
        elif kind == "assistant":
            text = _text(entry.get("message", {}).get("content"))
            last_text = text or last_text
            message_id = str(entry.get("message", {}).get("id") or line)
            for block in _blocks(entry, "assistant", "tool_use"):
                call_id = str(block.get("id") or "")
                if not call_id:
                    continue
                call = {"tool_name": str(block.get("name") or ""), "tool_input": _dict(block.get("input")),
                        "tool_use_id": call_id}
                calls[call_id] = (line, call)
                batches.setdefault(message_id, []).append(call_id)
                batch_of[call_id] = message_id
                add("PreToolUse", call, index, line, call_id in results)
        elif kind == "user":
            for block in _blocks(entry, "user", "tool_result"):
                call_id = str(block.get("tool_use_id") or "")
                if call_id not in calls:
                    continue  # its call came before what we read (already reconciled), or none
                call_line, call = calls[call_id]
                past = last_progress > index
                if block.get("is_error"):
                    add("PostToolUseFailure", {**call, "error": _text(block.get("content")), "is_interrupt": False},
                        index, call_line, past)
                else:
                    response = entry.get("toolUseResult", _text(block.get("content")))
                    add("PostToolUse", {**call, "tool_response": response}, index, call_line, past)
                message_id = batch_of[call_id]
                batch = batches[message_id]
                if message_id not in done_batches and all(results.get(i, index + 1) <= index for i in batch):
                    done_batches.add(message_id)  # its last result: the batch is resolved here
                    tool_calls = [{**calls[i][1], "tool_response": _result_text(entries, results[i], i)}
                                  for i in batch]
                    add("PostToolBatch", {"tool_calls": tool_calls}, index, calls[batch[0]][0], past)
        elif kind == "system" and entry.get("subtype") == "stop_hook_summary" and agent is None:
            add("Stop", {"last_assistant_message": last_text, "stop_hook_active": False}, index, line, True)
    if agent is not None and agent.get("finished") is True and entries:
        add("SubagentStop", {"agent_transcript_path": str(path), "last_assistant_message": last_text,
                             "stop_hook_active": False}, len(entries) - 1, entries[-1][0], True)
    return found, end


def _is_progress(entry: dict[str, Any]) -> bool:
    kind = entry.get("type")
    if kind == "assistant":
        return True
    if kind == "system" and entry.get("subtype") == "stop_hook_summary":
        return True
    return kind == "user" and _is_prompt(entry)


def _is_prompt(entry: dict[str, Any]) -> bool:
    """A prompt someone typed (or sent with -p), not a tool result or a message Claude Code made itself."""
    message = entry.get("message")
    if not isinstance(message, dict) or message.get("role") != "user" or entry.get("isMeta"):
        return False
    if entry.get("isCompactSummary") or entry.get("isSidechain"):
        return False
    content = message.get("content")
    if isinstance(content, str):
        return bool(content)
    return isinstance(content, list) and bool(content) and all(
        isinstance(b, dict) and b.get("type") == "text" for b in content
    )


def _blocks(entry: dict[str, Any], role: str, kind: str) -> list[dict[str, Any]]:
    message = entry.get("message")
    if entry.get("type") != role or not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return []
    return [b for b in message["content"] if isinstance(b, dict) and b.get("type") == kind]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _result_text(entries: list[tuple[int, dict[str, Any]]], index: int, call_id: str) -> Any:
    for block in _blocks(entries[index][1], "user", "tool_result"):
        if block.get("tool_use_id") == call_id:
            content = block.get("content")
            return content if isinstance(content, list) else _text(content)
    return ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@attrs.define
class Cursor:
    """How far each transcript file of a session is reconciled (bytes), kept beside the store."""

    path: Path
    files: dict[str, int] = attrs.Factory(dict)
    prompts: dict[str, str] = attrs.Factory(dict)  # file -> promptId of its last prompt before that point

    @classmethod
    def load(cls, state_dir: Path, session_id: str) -> Cursor:
        path = state_dir / CURSOR_DIR / f"{session_id}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = {str(k): int(v) for k, v in data.get("files", {}).items()}
            prompts = {str(k): str(v) for k, v in data.get("prompts", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            files, prompts = {}, {}  # none yet, or damaged: read from the start (the keys keep it exact)
        return cls(path=path, files=files, prompts=prompts)

    def offset(self, file: Path) -> int:
        return self.files.get(str(file), 0)

    def save(self) -> None:
        from orchcore.files import atomic_write

        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps({"files": self.files, "prompts": self.prompts}, indent=1) + "\n")


class _Lock:
    """One catch-up per session at a time, across processes (the runtime and a command path)."""

    def __init__(self, state_dir: Path, session_id: str):
        self.path = state_dir / CURSOR_DIR / f"{session_id}.lock"
        self.handle = None

    def __enter__(self) -> _Lock:
        import fcntl

        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()
