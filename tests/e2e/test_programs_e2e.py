"""Programs inside the real Claude Code (2.1.328 and 2.1.332): live context on the next prompt, and the prompt palette.

A test program (a fake installed distribution) renders the session's tasks
as its context and answers ``status`` at the prompt. Everything runs through
the real ``orch install``, ``orch program activate`` and the real ``claude``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from .fake_api import text
from .orch_e2e import OrchProject, handled
from .test_orchcore import _add_diagnostics

PROGRAM = '''
from orchcore.plugins import hookimpl
from orchcore.specs import PaletteCommand, ProgramSpec


def board(session):
    return "E2E-BOARD " + ", ".join(f"{t.id}:{t.status}" for t in session.state.tasks.values())


@hookimpl
def orch_programs():
    return [ProgramSpec(
        name="e2e_sprint", description="The e2e sprint program", output_style="You run the e2e sprint.",
        icon="▶", render_context=board,
        palette=[PaletteCommand(name="status", help="the board", run=lambda args, ctx: "PALETTE " + board(ctx.session))],
    )]
'''


@pytest.fixture
def orch(request: pytest.FixtureRequest, cc_project: Path, cc_env: dict[str, str], tmp_path: Path) -> OrchProject:
    project = OrchProject.create(cc_project, cc_env, tmp_path / "orch")
    _add_diagnostics(request, "orchcore (orch commands, settings, hook.log, events)", project.describe)
    project.add_plugin("orche2e-sprint-program", PROGRAM)
    project.enable_by_default()
    project.install()
    return project


def _status_row(screen: str) -> str | None:
    rows = [line.strip() for line in screen.splitlines() if "│ agents" in line]
    return rows[-1] if rows else None


@pytest.mark.exercises_hook("orch_programs")
def test_activating_a_program_changes_what_the_model_receives_on_the_next_prompt(fake_api, claude_tmux, orch):
    fake_api.script = [text("FIRST-ANSWER"), text("SECOND-ANSWER")]
    sid = str(uuid.uuid4())
    tui = claude_tmux(["--session-id", sid], env={"NO_COLOR": "1"})
    orch.wait_for_session(sid)
    orch.orch("events", "emit", "task.created", "--session", sid, "--data", json.dumps({"id": "T-1"}))

    tui.send_line("first prompt")
    tui.wait_for("FIRST-ANSWER", timeout=30)
    # 2.1.332 shows the answer before its Stop hooks ran; a prompt typed then joins the running turn
    # (its UserPromptSubmit carries that turn's prompt_id), so the next prompt waits for the turn's end.
    orch.wait_for_events(sid, lambda events: bool(handled(events, "Stop")), "the first turn's Stop")
    orch.orch("program", "activate", "e2e_sprint", "--session", sid)  # no restart of Claude Code
    tui.send_line("second prompt")
    tui.wait_for("SECOND-ANSWER", timeout=30)

    first, second = fake_api.main_requests[:2]
    assert "E2E-BOARD" not in first.system_messages_text
    live = "Program e2e_sprint is active. Live state:\nE2E-BOARD T-1:pending"
    assert live in second.system_messages_text, f"found at {second.locate('E2E-BOARD')}"
    tui.wait_for(lambda s: (_status_row(s) or "").startswith("▶ e2e_sprint"), timeout=15)


def test_a_palette_command_is_answered_without_a_request_reaching_the_model(fake_api, run_claude, orch):
    sid = str(uuid.uuid4())
    orch.orch("session", "create", sid, "--enable")
    orch.orch("events", "emit", "task.created", "--session", sid, "--data", json.dumps({"id": "T-9"}))
    orch.orch("program", "activate", "e2e_sprint", "--session", sid)
    fake_api.script = [text("the model should not be asked")]

    run = run_claude("status", session_id=sid)

    assert fake_api.main_requests == []  # answered by orchcore, no model request
    assert "UserPromptSubmit operation blocked by hook" in run.text
    assert "PALETTE E2E-BOARD T-9:pending" in run.text
    events = orch.wait_for_events(sid, lambda e: bool(handled(e, "UserPromptSubmit")), "the prompt handled")
    (prompt,) = handled(events, "UserPromptSubmit")
    assert prompt["block"] is True


def test_a_palette_command_typed_while_the_turns_stop_hooks_run_is_answered_by_orchcore(
        fake_api, claude_tmux, orch, cc_project):
    # A slow Stop hook of the user's own keeps the turn ending for seconds. 2.1.332 takes a prompt typed then
    # with the ending turn's prompt_id (2.1.328 holds it until the turn ended): either way it is a new prompt.
    settings = cc_project / ".claude" / "settings.json"
    wired = json.loads(settings.read_text())
    wired["hooks"].setdefault("Stop", []).append({"hooks": [{"type": "command", "command": "sleep 4"}]})
    settings.write_text(json.dumps(wired))
    fake_api.script = [text("FIRST-ANSWER"), text("THIRD-ANSWER")]
    sid = str(uuid.uuid4())
    tui = claude_tmux(["--session-id", sid], env={"NO_COLOR": "1"})
    orch.wait_for_session(sid)
    orch.orch("events", "emit", "task.created", "--session", sid, "--data", json.dumps({"id": "T-3"}))
    orch.orch("program", "activate", "e2e_sprint", "--session", sid)

    tui.send_line("first prompt")
    tui.wait_for("FIRST-ANSWER", timeout=30)
    tui.send_line("status")  # the turn's Stop hooks are still running (4 s)
    events = orch.wait_for_events(sid, lambda e: len(handled(e, "UserPromptSubmit")) == 2, "the typed prompt handled")
    assert [p["prompt"] for p in handled(events, "UserPromptSubmit")] == ["first prompt", "status"]
    assert handled(events, "UserPromptSubmit")[1]["block"] is True  # the palette answered it
    orch.wait_for_events(sid, lambda e: len(handled(e, "Stop")) == 1, "the first turn's Stop")
    tui.send_line("third prompt")
    tui.wait_for("THIRD-ANSWER", timeout=30)

    first, third = fake_api.main_requests  # the model was never asked "status"
    assert "first prompt" in first.last_user_text and "third prompt" in third.last_user_text


def test_the_start_sprint_slash_command_creates_a_sprint_in_the_sessions_state(fake_api, run_claude, orch):
    """/orchestration:start-sprint from the first-party command packs (plugins/orch-commands), as installed."""
    import importlib.util

    if importlib.util.find_spec("orch_commands") is None:
        pytest.skip("plugins/orch-commands is not installed in this environment")
    command = orch.project / ".claude" / "commands" / "orchestration" / "start-sprint.md"
    assert command.exists(), "orch install renders the command pack"
    sid = str(uuid.uuid4())
    orch.orch("session", "create", sid, "--enable")
    fake_api.script = [text("SPRINT-CONFIRMED")]

    run = run_claude("/orchestration:start-sprint Checkout epic=E-42 days=10 teams=engineering,qa",
                     session_id=sid, permission_mode=None)

    assert "SPRINT-CONFIRMED" in run.text
    state = orch.session(sid)
    sprint = state["state"]["sprints"][state["current_sprint"]]
    assert (sprint["name"], sprint["epic"].upper(), sprint["duration_days"], sprint["status"]) == (
        "Checkout", "E-42", 10, "active")  # (the command pack keeps ids in lower case)
    assert state["current_epic"] == sprint["epic"] and set(state["active_teams"]) >= {"engineering", "qa"}
    (request,) = fake_api.main_requests
    assert "Checkout" in request.last_user_text  # the command's !`orch sprint start` output reached the model
