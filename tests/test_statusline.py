"""`orch statusline`: a plain line when orchestration is off, budgeted segments when it is on."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchcore import statusline
from orchcore.plugins import hookimpl
from orchcore.specs import StatusSegment

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
ORCH = str(Path(sys.executable).with_name("orch"))


def status_input(project: Path, session_id: str = SID, **extra) -> bytes:
    data = {
        "session_id": session_id,
        "transcript_path": "",
        "cwd": str(project),
        "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
        "workspace": {"current_dir": str(project), "project_dir": str(project), "added_dirs": []},
        "version": "2.1.328",
    }
    data.update(extra)
    return json.dumps(data).encode()


@pytest.fixture
def render(orch_project, orch_runtime):
    def run(data: bytes, **env: str) -> str:
        out = io.StringIO()
        environ = {**os.environ, "NO_COLOR": "1", **env}
        assert statusline.main(data, stdout=out, env=environ, runtime=orch_runtime) == 0
        return out.getvalue()

    return run


@pytest.fixture
def git_project(orch_project):
    (orch_project / ".git").mkdir()
    (orch_project / ".git" / "HEAD").write_text("ref: refs/heads/feature/login\n")
    return orch_project


def test_a_session_with_orchestration_off_gets_model_folder_and_branch(render, orch_bus, git_project):
    orch_bus.create_session(SID)

    line = render(status_input(git_project))

    assert line == f"Opus 5.5 │ {git_project.name} │ feature/login\n"


def test_an_orchestrated_session_shows_mode_agents_tasks_and_sprint(render, orch_bus, git_project):
    orch_bus.create_session(SID, orchestration_enabled=True, mode="sprint_execution")
    orch_bus.emit(SID, "sprint.started", {"id": "S-1", "name": "Sprint 1", "duration_days": 10})
    orch_bus.emit(SID, "task.created", {"id": "T-1"})
    orch_bus.emit(SID, "task.created", {"id": "T-2"})
    orch_bus.emit(SID, "agent.upserted", {"id": "a1", "status": "active"})
    orch_bus.emit(SID, "agent.upserted", {"id": "a2", "status": "idle"})

    line = render(status_input(git_project))

    assert line == (  # ○: no program with that mode is installed (programs bring their own icon)
        f"○ sprint_execution │ agents 1/2 │ tasks 2 pending · 0 active │ Sprint 1 day 1/10 │ Opus 5.5 │ "
        f"{git_project.name} │ feature/login\n"
    )


def test_colours_are_ansi_unless_NO_COLOR_is_set(orch_project, orch_runtime, orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    out = io.StringIO()
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}

    statusline.main(status_input(orch_project), stdout=out, env=environ, runtime=orch_runtime)

    assert "\033[" in out.getvalue()


def test_ORCH_ENABLED_0_shows_the_plain_line_even_for_an_orchestrated_session(render, orch_bus, orch_project):
    orch_bus.create_session(SID, orchestration_enabled=True)

    assert render(status_input(orch_project), ORCH_ENABLED="0") == f"Opus 5.5 │ {orch_project.name}\n"


def test_a_failing_segment_is_dropped_and_the_rest_shown(render, orch_bus, orch_project, register_plugin):
    class Broken:
        @hookimpl
        def orch_status_segments(self):
            return [StatusSegment(name="broken", render=lambda ctx: 1 / 0)]

    register_plugin(Broken())
    orch_bus.create_session(SID, orchestration_enabled=True)

    line = render(status_input(orch_project))

    assert line.startswith("○ default │ agents 0/0")


def test_a_slow_segment_is_not_waited_for(render, orch_bus, orch_project, register_plugin):
    class Slow:
        @hookimpl
        def orch_status_segments(self):
            def slow(ctx):
                time.sleep(3)
                return "SLOW"

            return [StatusSegment(name="slow", render=slow, timeout_ms=100)]

    register_plugin(Slow())
    orch_bus.create_session(SID, orchestration_enabled=True)

    started = time.monotonic()
    line = render(status_input(orch_project))

    assert "SLOW" not in line and "agents 0/0" in line
    assert time.monotonic() - started < 2


def test_installed_segments_appear_where_the_star_is(render, orch_bus, orch_project, register_plugin):
    class Clock:
        @hookimpl
        def orch_status_segments(self):
            return [StatusSegment(name="clock", render=lambda ctx: "12:00")]

    register_plugin(Clock())
    orch_bus.create_session(SID, orchestration_enabled=True)

    line = render(status_input(orch_project))

    assert "│ 12:00 │ Opus 5.5" in line


def test_configured_lines_become_rows(render, orch_bus, orch_project):
    config = {"statusline": {"lines": [["mode", "agents"], ["model", "folder"]]}}
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps(config))
    orch_bus.create_session(SID, orchestration_enabled=True)

    lines = render(status_input(orch_project))

    assert lines == f"○ default │ agents 0/0\nOpus 5.5 │ {orch_project.name}\n"


def test_the_sessions_own_segments_win_over_the_config(render, orch_bus, orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"statusline": {"segments": ["mode"]}}))
    orch_bus.create_session(SID, orchestration_enabled=True)
    orch_bus.emit(SID, "state.set", {"path": "runtime_config.status_line.segments", "value": ["tasks"]})

    assert render(status_input(orch_project)) == "tasks 0 pending · 0 active\n"


def test_a_render_under_way_means_the_cached_line_is_printed_at_once(render, orch_bus, orch_project):
    orch_bus.create_session(SID, orchestration_enabled=True)
    first = render(status_input(orch_project))
    cache = orch_project / ".claude" / "state" / "statusline" / f"{SID}.txt"
    Path(str(cache) + ".lock").write_text("")  # another process is rendering
    orch_bus.emit(SID, "task.created", {"id": "T-9"})

    assert render(status_input(orch_project)) == first  # the cache, not a second render
    os.remove(str(cache) + ".lock")
    assert "1 pending" in render(status_input(orch_project))


def test_a_lock_left_by_a_dead_process_is_taken_over(render, orch_bus, orch_project):
    orch_bus.create_session(SID, orchestration_enabled=True)
    lock = orch_project / ".claude" / "state" / "statusline" / f"{SID}.txt.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    old = time.time() - 60
    os.utime(lock, (old, old))

    assert "agents 0/0" in render(status_input(orch_project))
    assert not lock.exists()


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"session_id": 5}', b'{"session_id": "../../x"}'])
def test_unusable_input_still_gets_a_line_and_exit_0(render, data):
    assert render(data).endswith("\n")


def test_a_detached_head_shows_the_short_commit(orch_project):
    (orch_project / ".git").mkdir()
    (orch_project / ".git" / "HEAD").write_text("3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39\n")

    assert statusline.git_branch(str(orch_project / "src")) == "3f2a9c1"


def test_a_worktree_git_file_is_followed(tmp_path):
    real = tmp_path / "repo" / ".git" / "worktrees" / "wt"
    real.mkdir(parents=True)
    (real / "HEAD").write_text("ref: refs/heads/wt-branch\n")
    tree = tmp_path / "wt"
    tree.mkdir()
    (tree / ".git").write_text(f"gitdir: {real}\n")

    assert statusline.git_branch(str(tree)) == "wt-branch"


def test_the_console_script_renders_without_importing_typer(orch_project):
    environ = {**os.environ, "NO_COLOR": "1", "ORCH_RUNTIME": "0"}
    code = (
        "import sys; sys.argv = ['orch', 'statusline']; from orchcore.entry import main; main(); "
        "sys.stderr.write(str('typer' in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], input=status_input(orch_project), env=environ,
                          capture_output=True, timeout=60)

    assert done.returncode == 0
    assert done.stdout.decode().startswith("Opus 5.5")
    assert done.stderr.decode() == "False"


def test_a_session_not_created_yet_shows_what_the_project_default_will_make_it(render, orch_project, orch_bus):
    # At startup the status line can run before the SessionStart hook has created the session.
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"orchestration": {"enabled": True}}))

    line = render(status_input(orch_project))

    assert line.startswith("○ default │ agents 0/0 │ tasks 0 pending · 0 active")
    assert orch_bus.store.load(SID) is None  # rendering stores nothing
