"""Recovery: the hook events orchcore missed are rebuilt from Claude Code's transcript, each once.

The transcripts here are written the way Claude Code 2.1.328 writes them
(one JSON object per line: ``user`` entries for prompts and tool results,
one ``assistant`` entry per content block, a ``system`` ``stop_hook_summary``
when a turn ends, and per subagent ``<session>/subagents/agent-<id>.jsonl``
with a ``.meta.json``), with the fields recovery reads.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from orchcore import recovery

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
PROMPT_ID = "d2a6730b-ff90-4ca5-81ea-086346f7a80e"


class Transcript:
    """Appends entries to a session's transcript as Claude Code would."""

    def __init__(self, path: Path, agent_id: str | None = None):
        self.path = path
        self.agent_id = agent_id
        self.clock = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def write(self, entry: dict, partial: bool = False) -> None:
        self.clock += 1
        entry = {"timestamp": f"2026-12-01T12:00:{self.clock:02d}.000Z", "sessionId": SID, "cwd": "/work", **entry}
        if self.agent_id:
            entry.update(agentId=self.agent_id, isSidechain=True)
        line = json.dumps(entry)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line[: len(line) // 2] if partial else line + "\n")

    def finish_partial(self, entry: dict) -> None:
        """Replace a half-written last line by the whole entry (Claude Code's write completing)."""
        text = self.path.read_text(encoding="utf-8")
        self.path.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")
        self.clock -= 1
        self.write(entry)

    def prompt(self, text: str = "go", prompt_id: str = PROMPT_ID) -> None:
        self.write({"type": "user", "promptId": prompt_id, "message": {"role": "user", "content": text}})

    def calls(self, message_id: str, *calls: tuple[str, str, dict]) -> None:
        for tool_use_id, name, tool_input in calls:  # one entry per content block, one message id
            self.write({"type": "assistant", "message": {
                "id": message_id, "role": "assistant",
                "content": [{"type": "tool_use", "id": tool_use_id, "name": name, "input": tool_input}]}})

    def result(self, tool_use_id: str, content: str, error: bool = False, response=None) -> None:
        entry = {"type": "user", "promptId": PROMPT_ID, "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool_use_id, "content": content, "is_error": error}]}}
        entry["toolUseResult"] = response if response is not None else (f"Error: {content}" if error else content)
        self.write(entry)

    def answer(self, text: str) -> None:
        self.write({"type": "assistant", "message": {"id": f"msg-{self.clock}", "role": "assistant",
                                                     "content": [{"type": "text", "text": text}]}})

    def stop_summary(self) -> None:
        self.write({"type": "system", "subtype": "stop_hook_summary", "hookCount": 1, "hookErrors": []})

    def noise(self) -> None:
        """Entries Claude Code writes that are no hook event."""
        self.write({"type": "attachment", "attachment": {"type": "environment"}})
        self.write({"type": "api-request-blob", "message": {"content": [{"type": "text", "text": "system prompt"}]}})


@pytest.fixture
def transcript(tmp_path) -> Transcript:
    return Transcript(tmp_path / "home" / ".claude" / "projects" / "-work" / f"{SID}.jsonl")


@pytest.fixture
def session(orch_bus, transcript):
    orch_bus.create_session(SID, orchestration_enabled=True, transcript_path=str(transcript.path))
    return orch_bus


@pytest.fixture
def catch_up(orch_runtime, orch_project):
    def run() -> recovery.Report:
        return recovery.catch_up(SID, {"CLAUDE_PROJECT_DIR": str(orch_project)}, orch_runtime)

    return run


def handled(bus) -> list[tuple]:
    return [(e.data["event"], e.data.get("tool_use_id"), e.data.get("recovered", False))
            for e in bus.store.events(SID, types=["hook.handled"])]


def a_turn_with_two_calls(transcript: Transcript) -> None:
    transcript.prompt()
    transcript.noise()
    transcript.calls("msg-1", ("toolu_1", "Bash", {"command": "echo one"}), ("toolu_2", "Bash", {"command": "false"}))
    transcript.result("toolu_2", "Exit code 1", error=True)
    transcript.result("toolu_1", "one", response={"stdout": "one", "stderr": ""})
    transcript.calls("msg-2", ("toolu_3", "Read", {"file_path": "/work/README.md"}))
    transcript.result("toolu_3", "# readme")
    transcript.answer("done")
    transcript.stop_summary()


def test_a_turn_nobody_heard_is_recorded_from_the_transcript_event_by_event(session, transcript, catch_up):
    a_turn_with_two_calls(transcript)

    report = catch_up()

    assert report == recovery.Report(recovered=10, recorded=0, pending=0)
    assert handled(session) == [
        ("UserPromptSubmit", None, True),
        ("PreToolUse", "toolu_1", True), ("PreToolUse", "toolu_2", True),
        ("PostToolUseFailure", "toolu_2", True), ("PostToolUse", "toolu_1", True), ("PostToolBatch", None, True),
        ("PreToolUse", "toolu_3", True), ("PostToolUse", "toolu_3", True), ("PostToolBatch", None, True),
        ("Stop", None, True),
    ]
    first = session.store.events(SID, types=["hook.handled"])[1]
    assert first.data["tool_name"] == "Bash" and first.data["occurred_at"].startswith("2026-12-01T12:00:")


def test_what_the_transcript_says_is_what_claude_code_would_have_posted(session, transcript, orch_project):
    a_turn_with_two_calls(transcript)

    found, _ = recovery.read_candidates(transcript.path, 0, SID, transcript.path, None)
    by_key = {c.key: c.payload for c in found}

    failure = by_key["PostToolUseFailure:main:toolu_2"]
    assert (failure["tool_name"], failure["tool_input"], failure["error"]) == ("Bash", {"command": "false"},
                                                                              "Exit code 1")
    assert by_key["PostToolUse:main:toolu_1"]["tool_response"] == {"stdout": "one", "stderr": ""}
    batch = by_key["PostToolBatch:main:toolu_1"]["tool_calls"]
    assert [(c["tool_use_id"], c["tool_response"]) for c in batch] == [("toolu_1", "one"), ("toolu_2", "Exit code 1")]
    assert by_key[f"UserPromptSubmit:{PROMPT_ID}"]["prompt"] == "go"
    stop = next(p for k, p in by_key.items() if k.startswith("Stop:"))
    assert (stop["last_assistant_message"], stop["prompt_id"], stop["stop_hook_active"]) == ("done", PROMPT_ID, False)
    assert all(p["session_id"] == SID and p["transcript_path"] == str(transcript.path) for p in by_key.values())


def test_events_that_arrived_live_are_not_recorded_again(session, transcript, catch_up, orch_hook):
    a_turn_with_two_calls(transcript)
    live = {"session_id": SID, "transcript_path": str(transcript.path), "cwd": "/work", "prompt_id": PROMPT_ID}
    orch_hook({**live, "hook_event_name": "UserPromptSubmit", "prompt": "go"})
    orch_hook({**live, "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "echo one"},
               "tool_use_id": "toolu_1"})

    report = catch_up()

    assert (report.recovered, report.recorded) == (8, 2)
    events = handled(session)
    assert events.count(("PreToolUse", "toolu_1", False)) == 1
    assert ("PreToolUse", "toolu_1", True) not in events and len(events) == 10


NEXT_PROMPT_ID = "5b0e3c1a-9d2f-4e6a-8b7c-1d2e3f4a5b6c"


def prompts_handled(bus) -> list[tuple]:
    return [(e.data["prompt"], e.data.get("recovered", False))
            for e in bus.store.events(SID, types=["hook.handled"]) if e.data["event"] == "UserPromptSubmit"]


def live_prompt(orch_hook, transcript: Transcript, text: str, prompt_id: str = PROMPT_ID) -> None:
    orch_hook({"session_id": SID, "transcript_path": str(transcript.path), "cwd": "/work",
               "hook_event_name": "UserPromptSubmit", "prompt": text, "prompt_id": prompt_id})


def a_prompt_typed_while_the_turn_ended(transcript: Transcript) -> None:
    """As 2.1.332 writes it: the typed prompt's line has an id of its own (its live hook had the ending turn's)."""
    transcript.prompt("status", prompt_id=NEXT_PROMPT_ID)
    transcript.answer("the board")
    transcript.stop_summary()


def test_a_prompt_typed_while_the_turn_ended_is_not_recovered_again(session, transcript, catch_up, orch_hook):
    live_prompt(orch_hook, transcript, "go")
    live_prompt(orch_hook, transcript, "status")  # 2.1.332: with the ending turn's prompt_id
    transcript.prompt("go")
    transcript.answer("done")
    transcript.stop_summary()
    a_prompt_typed_while_the_turn_ended(transcript)

    report = catch_up()

    assert prompts_handled(session) == [("go", False), ("status", False)]
    assert (report.recovered, report.recorded) == (2, 2)  # the two stops nobody heard; the two prompts were live


def test_the_prompt_before_where_a_catch_up_stopped_is_remembered(session, transcript, catch_up, orch_hook):
    live_prompt(orch_hook, transcript, "go")
    transcript.prompt("go")
    transcript.answer("done")
    catch_up()  # reads up to here; the next reads from here on
    live_prompt(orch_hook, transcript, "status")
    transcript.stop_summary()
    a_prompt_typed_while_the_turn_ended(transcript)

    catch_up()

    assert prompts_handled(session) == [("go", False), ("status", False)]


def test_a_prompt_nobody_heard_after_a_typed_one_is_still_recovered(session, transcript, catch_up, orch_hook):
    live_prompt(orch_hook, transcript, "go")
    transcript.prompt("go")
    transcript.answer("done")
    transcript.stop_summary()
    a_prompt_typed_while_the_turn_ended(transcript)  # its live hook was lost

    catch_up()

    assert prompts_handled(session) == [("go", False), ("status", True)]


def test_a_second_catch_up_finds_nothing_new_and_a_live_event_after_it_is_refused(session, transcript, catch_up,
                                                                                  orch_hook):
    a_turn_with_two_calls(transcript)
    catch_up()

    assert catch_up() == recovery.Report()
    late = orch_hook({"session_id": SID, "transcript_path": str(transcript.path), "cwd": "/work",
                      "hook_event_name": "PreToolUse", "tool_name": "Read", "tool_use_id": "toolu_3",
                      "tool_input": {"file_path": "/work/README.md"}})
    assert late.exit_code == 0 and late.answer is None  # already in the log: not applied twice
    assert len(handled(session)) == 10


def test_a_tool_still_running_stays_pending_until_the_transcript_shows_it_is_past(session, transcript, catch_up):
    transcript.prompt()
    transcript.calls("msg-1", ("toolu_1", "Bash", {"command": "sleep 600"}))

    first = catch_up()

    assert (first.recovered, first.pending) == (1, 1)  # the prompt: the model answered; the call: no result yet
    assert handled(session) == [("UserPromptSubmit", None, True)]
    transcript.result("toolu_1", "")
    second = catch_up()
    assert (second.recovered, second.pending) == (1, 2)  # its PreToolUse; the result and batch: no model call yet
    transcript.answer("slept")
    transcript.stop_summary()
    third = catch_up()
    assert (third.recovered, third.pending) == (3, 0)
    assert [e[0] for e in handled(session)] == ["UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolBatch", "Stop"]


def test_a_line_still_being_written_is_read_once_it_is_whole(session, transcript, catch_up):
    transcript.prompt()
    transcript.calls("msg-1", ("toolu_1", "Bash", {"command": "ls"}))
    half = {"type": "user", "promptId": PROMPT_ID, "toolUseResult": "a",
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a"}]}}
    transcript.write(half, partial=True)

    assert catch_up().pending == 1  # the call's result is not readable yet

    transcript.finish_partial(half)
    transcript.answer("listed")
    assert catch_up().recovered == 3
    assert [e[0] for e in handled(session)] == ["UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolBatch"]


def test_subagents_are_recovered_from_their_own_transcripts(session, transcript, catch_up):
    transcript.prompt()
    transcript.calls("msg-1", ("toolu_agent", "Agent", {"description": "d", "prompt": "do sub",
                                                       "subagent_type": "general-purpose"}))
    folder = transcript.path.with_suffix("") / "subagents"
    sub = Transcript(folder / "agent-a11dd044323ab8fde.jsonl", agent_id="a11dd044323ab8fde")
    sub.clock = transcript.clock
    sub.write({"type": "user", "promptId": PROMPT_ID, "message": {"role": "user", "content": "do sub"}})
    sub.calls("msg-s1", ("toolu_sub", "Bash", {"command": "echo sub"}))
    sub.result("toolu_sub", "sub")
    sub.answer("sub done")
    (folder / "agent-a11dd044323ab8fde.meta.json").write_text(json.dumps(
        {"agentType": "general-purpose", "toolUseId": "toolu_agent", "finished": True}))
    transcript.clock = sub.clock
    transcript.result("toolu_agent", "sub done")
    transcript.answer("done")

    assert catch_up().pending == 0

    events = [(e.data["event"], e.data.get("agent_id")) for e in session.store.events(SID, types=["hook.handled"])]
    assert events == [
        ("UserPromptSubmit", None), ("PreToolUse", None), ("SubagentStart", "a11dd044323ab8fde"),
        ("PreToolUse", "a11dd044323ab8fde"), ("PostToolUse", "a11dd044323ab8fde"),
        ("PostToolBatch", "a11dd044323ab8fde"), ("SubagentStop", "a11dd044323ab8fde"), ("PostToolUse", None),
        ("PostToolBatch", None),
    ]
    state = session.store.get(SID).state
    agent = state.agents["a11dd044323ab8fde"]
    assert (agent.agent_type, agent.status, agent.last_message, agent.delegation) == (
        "general-purpose", "completed", "sub done", "toolu_agent")


def test_a_recovered_delegation_takes_its_slot_even_beyond_the_limit(session, transcript, catch_up, monkeypatch):
    monkeypatch.setenv("ORCH_MAX_AGENTS", "1")
    transcript.prompt()
    transcript.calls("msg-1", ("toolu_a", "Agent", {"prompt": "a", "subagent_type": "general-purpose"}),
                     ("toolu_b", "Agent", {"prompt": "b", "subagent_type": "general-purpose"}))
    transcript.result("toolu_a", "a")
    transcript.result("toolu_b", "b")
    transcript.answer("both ran")

    catch_up()

    delegations = session.store.get(SID).state.delegations
    assert len(delegations) == 2
    assert all(d.status != "denied" for d in delegations.values())  # they ran: a limit cannot deny them now


def test_nothing_is_recovered_for_a_session_whose_orchestration_is_off(orch_bus, transcript, catch_up):
    orch_bus.create_session(SID, orchestration_enabled=False, transcript_path=str(transcript.path))
    a_turn_with_two_calls(transcript)

    assert catch_up() == recovery.Report()
    assert handled(orch_bus) == []


def test_a_damaged_cursor_means_reading_from_the_start_and_still_nothing_twice(session, transcript, catch_up,
                                                                              orch_project):
    a_turn_with_two_calls(transcript)
    catch_up()
    cursor = orch_project / ".claude" / "state" / recovery.CURSOR_DIR / f"{SID}.json"
    cursor.write_text("{not json")

    assert catch_up() == recovery.Report(recovered=0, recorded=10, pending=0)
    assert len(handled(session)) == 10


def test_a_missing_transcript_is_nothing_to_recover(orch_bus, tmp_path, catch_up):
    orch_bus.create_session(SID, orchestration_enabled=True, transcript_path=str(tmp_path / "gone.jsonl"))

    assert catch_up() == recovery.Report()


def test_catch_ups_that_run_at_once_record_each_event_once(session, transcript, orch_runtime, orch_project):
    a_turn_with_two_calls(transcript)
    from orchcore.runtime import Runtime

    reports = []

    def run() -> None:
        runtime = Runtime(project=orch_project, plugins=orch_runtime.plugins)
        try:
            reports.append(recovery.catch_up(SID, {"CLAUDE_PROJECT_DIR": str(orch_project)}, runtime))
        finally:
            runtime.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.recovered for r in reports) == 10
    assert len(handled(session)) == 10


def test_orch_session_recover_catches_a_session_up_and_says_what_it_did(session, transcript, orch_cli):
    a_turn_with_two_calls(transcript)

    first = orch_cli("session", "recover", "--session", SID, "--json")
    again = orch_cli("session", "recover", "--session", SID)

    assert first.exit_code == 0 and first.json() == {"session_id": SID, "recovered": 10, "recorded": 0, "pending": 0}
    assert again.stdout == f"{SID}: 0 recovered, 0 already recorded, 0 not provably past yet\n"  # read up to here


def test_a_recovered_prompt_never_runs_a_palette_command_or_blocks_a_stop(orch_bus, transcript, catch_up,
                                                                          register_plugin):
    from orchcore.plugins import hookimpl
    from orchcore.specs import PaletteCommand, ProgramSpec

    ran = []

    class Program:
        @hookimpl
        def orch_programs(self):
            return [ProgramSpec(name="runner", description="d", output_style="x", mode="runner",
                                stop_policy=True, render_context=lambda session: "live state",
                                palette=[PaletteCommand(name="status", help="h",
                                                        run=lambda args, context: ran.append(args) or "ok")])]

    register_plugin(Program(), name="runner")
    orch_bus.create_session(SID, orchestration_enabled=True, mode="runner", transcript_path=str(transcript.path))
    orch_bus.emit(SID, "sprint.started", {"id": "S-1", "name": "Sprint 1"})
    orch_bus.emit(SID, "task.created", {"id": "T-1", "title": "open", "sprint": "S-1"})
    transcript.prompt("status")
    transcript.answer("the model answered it")
    transcript.stop_summary()

    assert catch_up().recovered == 2
    assert "runner" in orch_bus.plugins.specs("orch_programs")  # the program is there, and its mode is on

    assert ran == []  # the model had the prompt: its command does not run now
    assert orch_bus.store.get(SID).state.metrics.get("stop_policy_blocks") is None
