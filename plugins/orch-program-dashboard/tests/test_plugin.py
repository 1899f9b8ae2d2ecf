"""The dashboard as an installed plugin: listed, rendered by `orch install`, in the status line, discovered."""

from __future__ import annotations

import importlib.metadata

import pytest
from conftest import SID

from orchcore.testing import installed_plugin_manager



def test_orch_program_list_shows_the_dashboard_and_its_palette(dashboard, orch_cli):
    rows = orch_cli("program", "list", "--json", session=SID).json()

    row = next(r for r in rows if r["name"] == "all-team_dashboard")
    assert (row["icon"], row["mode"], row["active"]) == ("▦", "all-team_dashboard", False)
    assert row["palette"] == ["status", "team", "task", "assign"]

    orch_cli("program", "activate", "all-team_dashboard", session=SID)
    table = orch_cli("program", "list", session=SID).stdout
    assert "▦ all-team_dashboard" in table


def test_activate_sets_the_mode_and_the_output_style(dashboard, orch_cli):
    result = orch_cli("program", "activate", "all-team_dashboard", session=SID)

    assert result.exit_code == 0, result.stderr
    state = dashboard.store.get(SID)
    assert (state.mode, state.runtime_config.output_style) == ("all-team_dashboard", "all-team_dashboard")


def test_orch_install_writes_the_output_style(dashboard, orch_cli, orch_project):
    result = orch_cli("install")
    assert result.exit_code == 0, result.stderr

    text = (orch_project / ".claude" / "output-styles" / "all-team_dashboard.md").read_text()
    front, body = text.split("\n---\n", 1)
    assert front.splitlines() == [
        "---",
        "name: all-team_dashboard",
        "description: \"Orchestration dashboard: team status, task progress, messages and metrics, "
        "with a prompt palette\"",
    ]  # keep-coding-instructions is false: left out, Claude Code's default
    assert body.lstrip().startswith("# All-team orchestration dashboard")
    assert "Agent** tool" in body and "`task <id>`" in body


def status_line(orch_statusline, color: bool = False) -> str:
    return orch_statusline(SID, {"model": {"display_name": "Opus"}}, color=color)


def test_the_status_line_shows_the_icon_queued_messages_and_blocked_tasks(active, orch_statusline):
    line = status_line(orch_statusline)

    assert line.startswith("▦ all-team_dashboard │ agents 3/3 │ tasks 2 pending · 1 active · 1 blocked")
    assert "│ ✉ 2 queued (1 critical) │ ⛔ T-2 blocked" in line


def test_the_segments_stay_out_of_the_line_when_the_dashboard_is_not_active(dashboard, orch_statusline):
    line = status_line(orch_statusline)

    assert "queued" not in line and "⛔" not in line


def test_segments_hide_when_nothing_needs_attention(active, orch_statusline):
    active.emit(SID, "message.delivered", {"ids": ["M-1", "M-3"]})
    active.emit(SID, "task.updated", {"id": "T-2", "status": "in_progress", "blockers": []})

    line = status_line(orch_statusline)

    assert "queued" not in line and "⛔" not in line


def installed() -> bool:
    try:
        importlib.metadata.distribution("orch-program-dashboard")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="orch-program-dashboard is not installed (pip install -e .)")
def test_the_installed_distribution_is_found_through_its_entry_point(orch_project):
    manager = installed_plugin_manager()
    provided = manager.collect("orch_programs")

    assert provided["all-team_dashboard"].distribution == "orch-program-dashboard"
    assert provided["all-team_dashboard"].plugin == "all-team_dashboard"
    assert {"dashboard-messages", "dashboard-blocked"} <= set(manager.specs("orch_status_segments"))
