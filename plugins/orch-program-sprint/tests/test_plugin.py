"""The sprint program as an installed plugin: listed, rendered by `orch install`, in the status line, discovered."""

from __future__ import annotations

import importlib.metadata

import pytest
from conftest import SID

from orchcore.testing import installed_plugin_manager



def test_orch_program_list_shows_the_program_and_its_palette(sprint, orch_cli):
    rows = orch_cli("program", "list", "--json", session=SID).json()

    row = next(r for r in rows if r["name"] == "sprint_execution")
    assert (row["icon"], row["mode"], row["active"]) == ("▶", "sprint_execution", False)
    assert row["palette"] == ["board", "task", "assign", "auto-assign", "block", "unblock", "done", "velocity"]

    orch_cli("program", "activate", "sprint_execution", session=SID)
    assert next(r for r in orch_cli("program", "list", "--json", session=SID).json()
                if r["name"] == "sprint_execution")["active"] is True


def test_activate_sets_the_mode_and_the_output_style(sprint, orch_cli):
    result = orch_cli("program", "activate", "sprint_execution", session=SID)

    assert result.exit_code == 0, result.stderr
    state = sprint.store.get(SID)
    assert (state.mode, state.runtime_config.output_style) == ("sprint_execution", "sprint_execution")


def test_orch_install_writes_the_output_style(sprint, orch_cli, orch_project):
    result = orch_cli("install")
    assert result.exit_code == 0, result.stderr

    text = (orch_project / ".claude" / "output-styles" / "sprint_execution.md").read_text()
    front, body = text.split("\n---\n", 1)
    assert front.splitlines() == [
        "---",
        "name: sprint_execution",
        "description: \"Sprint runner: task board, manual and automatic assignment, blockers, progress and velocity\"",
    ]  # keep-coding-instructions is false: left out, Claude Code's default
    assert body.lstrip().startswith("# Sprint execution")
    assert "**Agent**" in body and "`auto-assign`" in body


def status_line(orch_statusline) -> str:
    return orch_statusline(SID, {"model": {"display_name": "Opus"}})


def test_the_status_line_shows_the_sprints_progress(active, orch_statusline):
    line = status_line(orch_statusline)

    assert line.startswith("▶ sprint_execution │ ")
    assert "│ Checkout day 3/10 │ 2/30 pts 7% · 0.7/day · 1 blocked" in line


def test_the_segment_stays_out_of_the_line_when_the_program_is_not_active(sprint, orch_statusline):
    assert "pts" not in status_line(orch_statusline)


def installed() -> bool:
    try:
        importlib.metadata.distribution("orch-program-sprint")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="orch-program-sprint is not installed (pip install -e .)")
def test_the_installed_distribution_is_found_through_its_entry_point(orch_project):
    manager = installed_plugin_manager()
    provided = manager.collect("orch_programs")

    assert provided["sprint_execution"].distribution == "orch-program-sprint"
    assert provided["sprint_execution"].plugin == "sprint_execution"
    assert "sprint-progress" in manager.specs("orch_status_segments")


def test_the_sprint_program_opts_in_to_the_stop_policy():
    from orch_program_sprint.plugin import orch_programs

    (program,) = orch_programs()
    assert program.stop_policy is True
