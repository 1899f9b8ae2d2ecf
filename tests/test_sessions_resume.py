"""Resumed and forked sessions, fed the payloads Claude Code 2.1.328 sends (docs/sessions.md).

A resume keeps the session id: SessionStart says ``source: "resume"`` and the
session's orchestration state goes on (an ended session is live again and
the event says it was revived). A fork is a new session id with ``source:
"fork"``; its transcript, a copy of the parent's whose copied lines name the
parent (``requestSessionId``), appears only after the first prompt. Until then
the fork is pending; the first event that finds the copy links it to its
parent and carries the parent's work and settings over.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PARENT = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
FORK = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
FORK_OF_FORK = "7a214c65-635e-4f7c-ac74-130030d59d09"


@pytest.fixture
def transcripts(tmp_path: Path) -> Path:
    folder = tmp_path / "home" / ".claude" / "projects" / "-w"
    folder.mkdir(parents=True)
    return folder


def payload(event: str, session: str, transcripts: Path, **fields) -> dict:
    return {"session_id": session, "transcript_path": str(transcripts / f"{session}.jsonl"),
            "cwd": "/w", "hook_event_name": event, **fields}


def session_start(session: str, source: str, transcripts: Path) -> dict:
    fields = {} if source == "startup" else {
        "seconds_since_last_response": 1, "context_tokens": 12769, "prompt_cache_likely_expired": False,
        "estimated_cache_write_usd": 0.0638}
    return payload("SessionStart", session, transcripts, source=source, **fields)


def pre_tool_use(session: str, transcripts: Path, n: int = 1) -> dict:
    return payload("PreToolUse", session, transcripts, tool_name="Bash", tool_input={"command": "ls"},
                   tool_use_id=f"toolu_{session[:4]}{n:02d}", permission_mode="bypassPermissions")


def write_fork_copy(transcripts: Path, fork: str, *parents: str) -> None:
    """The fork's transcript as Claude Code writes it: the parents' lines, renamed, naming where they came from."""
    lines = [{"type": "mode", "sessionId": fork}]
    for number, parent in enumerate(parents):
        lines.append({"type": "user", "sessionId": fork, "uuid": f"u{number}"})
        lines.append({"type": "assistant", "sessionId": fork, "uuid": f"a{number}", "requestSessionId": parent})
    (transcripts / f"{fork}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def events_of(orch_runtime, session: str) -> list:
    return orch_runtime.store.events(session)


@pytest.fixture
def parent(orch_runtime, orch_hook, transcripts):
    """A session with orchestration on, a sprint, a task in progress, a done task, a team and a mode."""
    bus = orch_runtime.bus
    assert orch_hook(session_start(PARENT, "startup", transcripts)).exit_code == 0
    (transcripts / f"{PARENT}.jsonl").write_text(json.dumps({"type": "user", "sessionId": PARENT}) + "\n")
    bus.emit(PARENT, "session.orchestration", {"enabled": True})
    bus.emit(PARENT, "session.mode", {"mode": "sprint_execution", "output_style": "sprint"})
    bus.emit(PARENT, "session.teams", {"teams": ["qa"], "definitions": {"qa": {"max_parallel": 2}}})
    bus.emit(PARENT, "sprint.started", {"id": "S-1", "name": "first"})
    bus.emit(PARENT, "task.created", {"id": "T-1", "title": "login", "sprint": "S-1"})
    bus.emit(PARENT, "task.assigned", {"id": "T-1", "assignee": "engineering-backend"})
    bus.emit(PARENT, "task.created", {"id": "T-2", "title": "docs"})
    bus.emit(PARENT, "task.completed", {"id": "T-2"})
    bus.emit(PARENT, "message.sent", {"id": "M-1", "from": "a", "to": "b", "type": "note", "priority": "normal"})
    bus.emit(PARENT, "metric.recorded", {"name": "points_done", "value": 3})
    return orch_runtime.store.get(PARENT)


# -- resume ---------------------------------------------------------------------------------------


def test_resume_keeps_the_session_and_its_state(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(payload("SessionEnd", PARENT, transcripts, reason="other"))
    assert orch_runtime.store.get(PARENT).ended_at is not None

    orch_hook(session_start(PARENT, "resume", transcripts))

    session = orch_runtime.store.get(PARENT)
    assert session.ended_at is None
    assert session.state.tasks["T-1"].status == "in_progress"
    assert session.mode == "sprint_execution" and session.orchestration_enabled
    started = [e for e in events_of(orch_runtime, PARENT) if e.type == "session.started"][-1]
    assert started.data["source"] == "resume"
    assert started.data["revived"] == "ended"
    assert started.data["was"]
    assert "lineage" not in session.plugins  # nothing to link: the id is the same


def test_resume_of_a_live_session_says_nothing_was_revived(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(PARENT, "resume", transcripts))
    started = [e for e in events_of(orch_runtime, PARENT) if e.type == "session.started"][-1]
    assert "revived" not in started.data


def test_resume_of_an_archived_session_revives_it(orch_runtime, orch_hook, transcripts, parent):
    orch_runtime.bus.emit(PARENT, "session.archived", {"last_activity": parent.updated_at, "after_hours": 24})
    orch_hook(session_start(PARENT, "resume", transcripts))
    session = orch_runtime.store.get(PARENT)
    assert session.archived_at is None
    started = [e for e in events_of(orch_runtime, PARENT) if e.type == "session.started"][-1]
    assert started.data["revived"] == "archived"


# -- fork -----------------------------------------------------------------------------------------


def test_a_fork_is_pending_until_its_transcript_names_the_parent(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))  # Claude Code has not written the copy yet
    orch_hook(payload("UserPromptSubmit", FORK, transcripts, prompt="go on"))

    fork = orch_runtime.store.get(FORK)
    assert fork.plugins["lineage"] == {"parent": None, "how": "fork", "pending": True}
    assert fork.state.tasks == {}


def test_a_pending_fork_has_no_flag_file_so_the_gate_hands_its_events_to_the_router(
        orch_runtime, orch_hook, orch_project, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    gate = orch_project / ".claude" / "state" / "gate"
    assert not (gate / f"{FORK}.off").exists() and not (gate / f"{FORK}.on").exists()

    write_fork_copy(transcripts, FORK, PARENT)
    orch_hook(pre_tool_use(FORK, transcripts))

    assert (gate / f"{FORK}.on").exists()  # linked: the parent's orchestration flag, and its flag file


def test_the_first_event_that_finds_the_copy_links_the_fork_and_carries_the_work_over(
        orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    write_fork_copy(transcripts, FORK, PARENT)

    run = orch_hook(pre_tool_use(FORK, transcripts))

    fork = orch_runtime.store.get(FORK)
    lineage = fork.plugins["lineage"]
    assert (lineage["parent"], lineage["how"], lineage["pending"]) == (PARENT, "fork", False)
    assert lineage["shared"] == ["T-1"]
    # work and settings travel ...
    assert fork.orchestration_enabled and fork.mode == "sprint_execution"
    assert fork.runtime_config.output_style == "sprint"
    assert fork.active_teams == ["qa"] and fork.state.teams["qa"].max_parallel == 2
    assert set(fork.state.tasks) == {"T-1", "T-2"} and set(fork.state.sprints) == {"S-1"}
    assert fork.state.tasks["T-2"].status == "done"
    assert fork.current_sprint == "S-1"
    # ... what the parent's Claude Code process ran stays there
    assert fork.state.messages == [] and "points_done" not in fork.state.metrics
    # the task in progress in both sessions is named, in the log and to the user
    linked = [e for e in events_of(orch_runtime, FORK) if e.type == "session.linked"][-1]
    assert linked.data["shared"] == ["T-1"] and linked.data["parent_seq"] == parent_seq(orch_runtime)
    assert "T-1" in run.answer["systemMessage"] and f"orch session merge {FORK} {PARENT}" in run.answer["systemMessage"]
    # and the parent is unchanged
    assert orch_runtime.store.get(PARENT).state == parent.state


def parent_seq(orch_runtime) -> int:
    return orch_runtime.store.events(PARENT, limit=1, newest=True)[-1].seq


def test_a_fork_is_linked_once(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    write_fork_copy(transcripts, FORK, PARENT)
    orch_hook(pre_tool_use(FORK, transcripts, 1))
    second = orch_hook(pre_tool_use(FORK, transcripts, 2))
    orch_hook(session_start(FORK, "resume", transcripts))  # `claude --resume <fork>` later

    types = [e.type for e in events_of(orch_runtime, FORK)]
    assert types.count("session.linked") == 2  # pending, then linked
    assert types.count("session.imported") == 3  # S-1, T-1, T-2
    assert second.answer is None or "fork" not in second.answer.get("systemMessage", "")


def test_a_fork_of_a_fork_is_linked_to_its_own_parent(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    write_fork_copy(transcripts, FORK, PARENT)
    orch_hook(pre_tool_use(FORK, transcripts))
    orch_runtime.bus.emit(FORK, "task.created", {"id": "T-3", "title": "fork's own"})

    orch_hook(session_start(FORK_OF_FORK, "fork", transcripts))
    write_fork_copy(transcripts, FORK_OF_FORK, PARENT, FORK)  # the grandparent's lines come first
    orch_hook(pre_tool_use(FORK_OF_FORK, transcripts))

    grandchild = orch_runtime.store.get(FORK_OF_FORK)
    assert grandchild.plugins["lineage"]["parent"] == FORK
    assert set(grandchild.state.tasks) == {"T-1", "T-2", "T-3"}


def test_a_fork_of_a_session_orchcore_never_saw_is_linked_without_state(orch_runtime, orch_hook, transcripts):
    unknown = "11111111-2222-4333-8444-555555555555"
    orch_hook(session_start(FORK, "fork", transcripts))
    write_fork_copy(transcripts, FORK, unknown)
    orch_hook(pre_tool_use(FORK, transcripts))

    lineage = orch_runtime.store.get(FORK).plugins["lineage"]
    assert lineage["parent"] == unknown and lineage["pending"] is False
    linked = [e for e in events_of(orch_runtime, FORK) if e.type == "session.linked"][-1]
    assert "nothing to carry over" in linked.data["reason"]


def opening_lines(session: str) -> str:
    """What Claude Code 2.1.328 writes into a fork's transcript before it copies the parent's lines."""
    lines = [{"type": "mode", "mode": "normal", "sessionId": session},
             {"type": "atis-latch", "atis": "", "sessionId": session},
             {"type": "tools-used", "tools": ["Bash"], "sessionId": session},
             {"type": "user", "sessionId": session, "uuid": "u0"}]
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def test_a_fork_whose_transcript_is_only_opened_keeps_looking(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    (transcripts / f"{FORK}.jsonl").write_text(opening_lines(FORK))
    orch_hook(pre_tool_use(FORK, transcripts))
    assert orch_runtime.store.get(FORK).plugins["lineage"]["pending"] is True

    write_fork_copy(transcripts, FORK, PARENT)
    orch_hook(pre_tool_use(FORK, transcripts, n=2))
    assert orch_runtime.store.get(FORK).plugins["lineage"]["parent"] == PARENT


def test_a_fork_whose_copy_names_no_parent_stops_looking_once_it_has_answered(orch_runtime, orch_hook, transcripts):
    orch_hook(session_start(FORK, "fork", transcripts))
    own_answer = json.dumps({"type": "assistant", "sessionId": FORK, "uuid": "a9"}, separators=(",", ":"))
    (transcripts / f"{FORK}.jsonl").write_text(opening_lines(FORK) + own_answer + "\n")
    orch_hook(pre_tool_use(FORK, transcripts))

    lineage = orch_runtime.store.get(FORK).plugins["lineage"]
    assert lineage["parent"] is None and lineage["pending"] is False


def test_a_resumed_fork_orchcore_missed_is_linked_at_its_resume(orch_runtime, orch_hook, transcripts, parent):
    write_fork_copy(transcripts, FORK, PARENT)  # forked while orchcore was not installed
    orch_hook(session_start(FORK, "resume", transcripts))

    fork = orch_runtime.store.get(FORK)
    assert fork.plugins["lineage"]["parent"] == PARENT and fork.plugins["lineage"]["how"] == "resume"
    assert "T-1" in fork.state.tasks


def test_the_fork_keeps_its_own_items_when_they_clash_with_the_parents(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    orch_runtime.bus.emit(FORK, "task.created", {"id": "T-1", "title": "the fork's own T-1"})
    write_fork_copy(transcripts, FORK, PARENT)
    orch_hook(pre_tool_use(FORK, transcripts))

    fork = orch_runtime.store.get(FORK)
    assert fork.state.tasks["T-1"].title == "the fork's own T-1"
    linked = [e for e in events_of(orch_runtime, FORK) if e.type == "session.linked"][-1]
    assert [c["id"] for c in linked.data["conflicts"]] == ["T-1"]


def test_replaying_a_linked_fork_equals_its_state(orch_runtime, orch_hook, transcripts, parent):
    orch_hook(session_start(FORK, "fork", transcripts))
    write_fork_copy(transcripts, FORK, PARENT)
    orch_hook(pre_tool_use(FORK, transcripts))
    assert orch_runtime.bus.replay(FORK) == orch_runtime.store.get(FORK)


@pytest.mark.parametrize("shift", range(0, 70, 9))
def test_the_parent_is_found_wherever_a_read_block_cuts_its_name(tmp_path, shift):
    from orchcore.lineage import BLOCK_BYTES, parent_in_transcript

    named = json.dumps({"type": "assistant", "requestSessionId": PARENT}, separators=(",", ":")) + "\n"
    own = b"x" * (BLOCK_BYTES - len(named) // 2 - shift)  # the fork's own lines, up to the cut
    path = tmp_path / "fork.jsonl"
    path.write_bytes(named.encode() + own)
    assert parent_in_transcript(str(path), FORK) == (PARENT, True)


def test_a_transcript_that_is_not_there_yet_is_no_answer(tmp_path):
    from orchcore.lineage import parent_in_transcript

    assert parent_in_transcript(str(tmp_path / "missing.jsonl"), FORK) == (None, False)
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert parent_in_transcript(str(tmp_path / "empty.jsonl"), FORK) == (None, False)
