"""Programs: while a program is the session's mode, the model sees its live state and its palette answers."""

from __future__ import annotations

import time

import pytest

from orchcore.plugins import hookimpl
from orchcore.specs import PaletteCommand, ProgramSpec

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


def board(session) -> str:
    tasks = session.state.tasks.values()
    return "\n".join(f"{t.id} [{t.status}] {t.title}" for t in tasks) or "no tasks yet"


def assign(args, context) -> str:
    task, agent = args
    context.emit("task.assigned", {"id": task, "assignee": agent})
    return f"{task} → {agent}"


class Sprint:
    @hookimpl
    def orch_programs(self):
        return [ProgramSpec(
            name="sprint_execution", description="Runs the sprint", output_style="You run the sprint.",
            icon="▶", render_context=board,
            palette=[
                PaletteCommand(name="status", help="the board", run=lambda args, ctx: board(ctx.session)),
                PaletteCommand(name="assign", help="assign a task", usage="assign <task> <agent>", run=assign,
                               min_args=2, max_args=2),
            ],
        )]


@pytest.fixture
def sprint(orch_bus, register_plugin):
    register_plugin(Sprint(), name="sprint-program")
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_bus.emit(SID, "task.created", {"id": "T-1", "title": "Payment API"})
    return orch_bus


def prompt(text: str) -> dict:
    return {"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
            "prompt": text}


def activate(orch_cli):
    result = orch_cli("program", "activate", "sprint_execution", session=SID)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.exercises_hook("orch_programs")
def test_an_active_program_gives_the_model_the_live_state_at_every_prompt(sprint, orch_hook, orch_cli):
    assert orch_hook(prompt("plan the day")).answer is None  # no program active yet

    activate(orch_cli)
    first = orch_hook(prompt("plan the day")).answer
    sprint.emit(SID, "task.created", {"id": "T-2", "title": "Checkout page"})
    second = orch_hook(prompt("and now?")).answer

    context = first["hookSpecificOutput"]["additionalContext"]
    assert context.startswith("[program-context]\nProgram sprint_execution is active. Live state:\n")
    assert "T-1 [pending] Payment API" in context and "T-2" not in context
    assert "T-2 [pending] Checkout page" in second["hookSpecificOutput"]["additionalContext"]


def test_the_program_context_also_reaches_a_new_or_resumed_session(sprint, orch_hook, orch_cli):
    activate(orch_cli)

    answer = orch_hook({"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "SessionStart",
                        "source": "resume"}).answer

    assert "T-1 [pending] Payment API" in answer["hookSpecificOutput"]["additionalContext"]


def test_a_palette_command_is_answered_without_the_model(sprint, orch_hook, orch_cli):
    activate(orch_cli)

    answer = orch_hook(prompt("status")).answer

    assert answer["decision"] == "block"  # Claude Code shows the reason and makes no model request
    assert answer["reason"] == "T-1 [pending] Payment API"


def test_a_palette_command_can_change_state(sprint, orch_hook, orch_cli):
    activate(orch_cli)

    answer = orch_hook(prompt("assign T-1 eng-backend")).answer

    assert answer["reason"] == "T-1 → eng-backend"
    task = sprint.store.get(SID).state.tasks["T-1"]
    assert (task.assignee, task.status) == ("eng-backend", "in_progress")


@pytest.mark.parametrize("text", ["status of the build is red, fix it", "assign T-1", "please assign T-1 to bob"])
def test_a_prompt_that_does_not_fit_a_palette_command_goes_to_the_model(sprint, orch_hook, orch_cli, text):
    activate(orch_cli)

    answer = orch_hook(prompt(text)).answer

    assert "decision" not in answer
    assert "additionalContext" in answer["hookSpecificOutput"]


def test_help_lists_the_palette(sprint, orch_hook, orch_cli):
    activate(orch_cli)

    reason = orch_hook(prompt("help")).answer["reason"]

    assert reason.splitlines()[0].startswith("sprint_execution commands")
    assert "assign <task> <agent>" in reason and "the board" in reason


def test_program_list_marks_the_active_program(sprint, orch_cli):
    before = orch_cli("program", "list", "--json", session=SID).json()
    activate(orch_cli)
    after = orch_cli("program", "list", "--json", session=SID).json()

    assert [p["name"] for p in before] == ["sprint_execution"] and before[0]["active"] is False
    assert after[0]["active"] is True
    assert after[0]["palette"] == ["status", "assign"] and after[0]["icon"] == "▶"


def test_activate_sets_mode_and_output_style_and_deactivate_resets_them(sprint, orch_cli):
    activate(orch_cli)
    state = sprint.store.get(SID)
    assert (state.mode, state.runtime_config.output_style) == ("sprint_execution", "sprint_execution")

    assert orch_cli("program", "deactivate", session=SID).exit_code == 0
    state = sprint.store.get(SID)
    assert (state.mode, state.runtime_config.output_style) == ("default", None)


def test_activating_an_unknown_program_is_a_one_line_error(sprint, orch_cli):
    result = orch_cli("program", "activate", "nope", session=SID)

    assert result.exit_code == 1
    assert result.stderr == "orch: error: no program 'nope' (programs: sprint_execution)\n"


def test_the_status_line_shows_the_programs_icon(sprint, orch_cli, orch_statusline):
    activate(orch_cli)

    assert orch_statusline(SID, {"model": {"display_name": "Opus"}}).startswith("▶ sprint_execution │ agents 0/0 │ tasks 1 pending")


def test_a_palette_command_can_decline_and_leave_the_prompt_to_the_model(orch_bus, register_plugin, orch_hook,
                                                                           orch_cli):
    class Config:
        @hookimpl
        def orch_programs(self):
            def set_key(args, context):
                return f"{args[0]} = {args[1]}" if "." in args[0] else None  # "set up" is not a key

            return [ProgramSpec(name="cfg", description="config", output_style="…",
                                palette=[PaletteCommand(name="set", help="set a key", run=set_key,
                                                        min_args=2, max_args=2)])]

    register_plugin(Config())
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_cli("program", "activate", "cfg", session=SID)

    assert orch_hook(prompt("set store.backend sqlite")).answer["reason"] == "store.backend = sqlite"
    assert orch_hook(prompt("set up CI")).answer is None


def test_a_render_context_that_raises_is_the_programs_plugins_failure_and_the_prompt_still_goes_through(
    orch_bus, register_plugin, orch_hook, orch_cli, orch_plugin_manager
):
    class Broken:
        @hookimpl
        def orch_programs(self):
            def render(session):
                raise KeyError("board")

            return [ProgramSpec(name="broken", description="d", output_style="…", render_context=render)]

    register_plugin(Broken(), name="broken-program")
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_cli("program", "activate", "broken", session=SID)

    answer = orch_hook(prompt("what is next?")).answer

    assert "hook handler 'program-context' (plugin 'broken-program') raised KeyError: 'board'" in answer["systemMessage"]
    assert orch_plugin_manager.records["broken-program"].status == "error"
    assert orch_plugin_manager.records["programs"].status == "active"  # the built-in that ran it is fine
    errors = [e.data for e in orch_bus.store.events(SID) if e.type == "plugin.error"]
    assert errors[-1]["plugin"] == "broken-program"


@pytest.fixture
def slow_program(orch_bus, register_plugin, orch_cli, monkeypatch):
    """A program whose palette command and context take 300 ms, in handlers with a 50 ms budget."""
    from orchcore.builtin import programs

    monkeypatch.setattr(programs, "PROGRAM_BUDGET_MS", 50)  # the built-in handlers' budget, read when they load

    def slowly(text):
        time.sleep(0.3)
        return text

    class Slow:
        @hookimpl
        def orch_programs(self):
            return [ProgramSpec(
                name="slow", description="d", output_style="…", render_context=lambda session: slowly("board"),
                palette=[PaletteCommand(name="report", help="h", run=lambda args, ctx: slowly("report"))],
            )]

    register_plugin(Slow(), name="slow-program")
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_cli("program", "activate", "slow", session=SID)
    return orch_bus


@pytest.mark.parametrize(("text", "handler", "where"), [
    ("report", "program-palette", "palette command 'report' of program 'slow'"),
    ("what is next?", "program-context", "render_context of program 'slow'"),
])
def test_a_program_whose_code_runs_over_the_budget_is_the_programs_plugins_failure(
    slow_program, orch_hook, orch_plugin_manager, text, handler, where
):
    started = time.perf_counter()
    answer = orch_hook(prompt(text)).answer
    waited = time.perf_counter() - started

    assert waited < 0.3  # the prompt did not wait for the program
    assert answer["systemMessage"].startswith(
        f"orchcore: hook handler {handler!r} (plugin 'slow-program') ran over its 50 ms budget (in {where}); "
    )
    assert orch_plugin_manager.records["slow-program"].status == "error"
    assert orch_plugin_manager.records["programs"].status == "active"  # the built-in that ran it is fine
    errors = [e.data for e in slow_program.store.events(SID) if e.type == "plugin.error"]
    assert {"plugin": "slow-program", "where": f"hook handler {handler}",
            "error": f"ran over its 50 ms budget (in {where})"} in errors


def test_each_programs_failing_palette_command_is_reported_once_in_the_session(
    orch_bus, register_plugin, orch_hook, orch_cli
):
    def failing(name):
        class Program:
            @hookimpl
            def orch_programs(self):
                def run(args, context):
                    raise RuntimeError(f"{name} is broken")

                return [ProgramSpec(name=name, description="d", output_style="…",
                                    palette=[PaletteCommand(name="go", help="h", run=run)])]

        return Program()

    register_plugin(failing("first"), name="first-program")
    register_plugin(failing("second"), name="second-program")
    orch_bus.create_session(SID, orchestration_enabled=True)

    def notice() -> str | None:
        return (orch_hook(prompt("go")).answer or {}).get("systemMessage")

    orch_cli("program", "activate", "first", session=SID)
    told_first, again = notice(), notice()
    orch_cli("program", "activate", "second", session=SID)
    told_second = notice()

    assert "hook handler 'program-palette' (plugin 'first-program') raised RuntimeError" in told_first
    assert again is None  # once per session and plugin
    assert "hook handler 'program-palette' (plugin 'second-program') raised RuntimeError" in told_second


def test_a_programs_own_handlers_run_only_while_it_is_the_sessions_mode(orch_bus, register_plugin, orch_hook,
                                                                         orch_cli):
    from orchcore.protocol import HookResult
    from orchcore.specs import HookHandler

    class Chat:
        @hookimpl
        def orch_programs(self):
            return [ProgramSpec(name="chat", description="chat", output_style="…", handlers=["chat-notes"])]

        @hookimpl
        def orch_hook_handlers(self):
            return [HookHandler(name="chat-notes", events=["UserPromptSubmit"],
                                handler=lambda e, c: HookResult.context("CHAT-NOTES"))]

    register_plugin(Chat())
    orch_bus.create_session(SID, orchestration_enabled=True)

    assert orch_hook(prompt("hello")).answer is None
    orch_cli("program", "activate", "chat", session=SID)
    assert "CHAT-NOTES" in orch_hook(prompt("hello")).answer["hookSpecificOutput"]["additionalContext"]


def test_a_programs_own_segments_show_only_while_it_is_the_sessions_mode(orch_bus, register_plugin, orch_cli,
                                                                          orch_statusline):
    class Board:
        @hookimpl
        def orch_programs(self):
            return [ProgramSpec(name="board", description="b", output_style="…", segments=["board-count"])]

        @hookimpl
        def orch_status_segments(self):
            from orchcore.specs import StatusSegment

            return [StatusSegment(name="board-count", render=lambda ctx: "BOARD-SEGMENT")]

    register_plugin(Board())
    orch_bus.create_session(SID, orchestration_enabled=True)

    def line() -> str:
        return orch_statusline(SID, {"model": {"display_name": "Opus"}})

    assert "BOARD-SEGMENT" not in line()
    orch_cli("program", "activate", "board", session=SID)
    assert "BOARD-SEGMENT" in line()


def stop(active: bool = False) -> dict:
    return {"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "Stop",
            "stop_hook_active": active, "last_assistant_message": "done for now"}


@pytest.fixture
def sprint_with_policy(orch_bus, register_plugin, orch_cli):
    class Runner:
        @hookimpl
        def orch_programs(self):
            return [ProgramSpec(name="runner", description="r", output_style="…", stop_policy=True)]

    register_plugin(Runner())
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_bus.emit(SID, "sprint.started", {"id": "S-1", "name": "Sprint"})
    orch_bus.emit(SID, "task.created", {"id": "T-1", "title": "API", "sprint": "S-1"})
    orch_cli("program", "activate", "runner", session=SID)
    return orch_bus


def test_the_stop_policy_keeps_the_main_agent_working_while_the_sprint_has_open_tasks(sprint_with_policy, orch_hook):
    answer = orch_hook(stop()).answer

    assert answer["decision"] == "block"
    assert "S-1 still has 1 open tasks: T-1 [pending] API" in answer["reason"]


def test_the_stop_policy_never_loops(sprint_with_policy, orch_hook):
    assert orch_hook(stop(active=True)).answer is None  # a Stop hook already made Claude continue
    blocks = [orch_hook(stop()).answer for _ in range(5)]

    assert [b is not None and b.get("decision") == "block" for b in blocks] == [True, True, True, False, False]


def test_without_open_tasks_or_without_the_opt_in_stopping_is_free(sprint_with_policy, orch_hook, orch_cli):
    sprint_with_policy.emit(SID, "task.completed", {"id": "T-1"})
    assert orch_hook(stop()).answer is None

    sprint_with_policy.emit(SID, "task.created", {"id": "T-2", "title": "more", "sprint": "S-1"})
    orch_cli("program", "deactivate", session=SID)
    assert orch_hook(stop()).answer is None
