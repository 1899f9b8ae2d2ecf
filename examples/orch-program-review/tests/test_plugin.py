"""The program as orchcore sees it: listed, installed, in the status line, guarding edits while it runs."""

from __future__ import annotations

import importlib.metadata

import pytest

from orchcore.testing import installed_plugin_manager


def test_orch_program_list_shows_the_program_and_its_palette(review, orch_cli, session_id):
    rows = orch_cli("program", "list", "--json", session=session_id).json()

    row = next(r for r in rows if r["name"] == "review")
    assert (row["icon"], row["mode"], row["active"]) == ("⚑", "review", False)
    assert row["palette"] == ["queue", "approve", "changes", "task"]


def test_activate_sets_the_mode_and_the_output_style(review, orch_cli, session_id):
    assert orch_cli("program", "activate", "review", session=session_id).exit_code == 0

    state = review.store.get(session_id)
    assert (state.mode, state.runtime_config.output_style) == ("review", "review")


def test_orch_install_writes_the_output_style_keeping_the_coding_instructions(review, orch_cli, orch_project):
    assert orch_cli("install").exit_code == 0

    text = (orch_project / ".claude" / "output-styles" / "review.md").read_text()
    front, body = text.split("\n---\n", 1)
    assert "name: review" in front.splitlines() and "keep-coding-instructions: true" in front.splitlines()
    assert body.lstrip().startswith("# Code review desk")


def test_the_status_line_shows_the_queue_while_the_program_runs(active, orch_statusline, session_id):
    line = orch_statusline(session_id)

    assert line.startswith("⚑ review │")
    assert line.rstrip().endswith("│ ⚑ 2 to review")


def test_the_segment_counts_what_went_back_and_says_when_the_queue_is_empty(active, palette, orch_statusline,
                                                                              session_id):
    palette("approve T-1")
    palette("changes T-2 add the rollback test")

    assert orch_statusline(session_id).rstrip().endswith("│ ⚑ queue empty · 1 sent back")


def test_the_segment_stays_out_of_the_line_in_other_modes(review, orch_statusline, session_id):
    assert "to review" not in orch_statusline(session_id)


def tool_use(tool_name: str, tool_input: dict, session_id: str) -> dict:
    return {"session_id": session_id, "transcript_path": "", "cwd": ".", "hook_event_name": "PreToolUse",
            "tool_name": tool_name, "tool_input": tool_input, "tool_use_id": "toolu_01"}


def test_edits_are_refused_while_reviewing_with_what_to_do_instead(active, orch_hook, session_id):
    answer = orch_hook(tool_use("Write", {"file_path": "src/app.py", "content": "x"}, session_id)).answer

    decision = answer["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    assert decision["permissionDecisionReason"].startswith(
        "the review program is read-only: Write of src/app.py refused. Ask the author instead")


def test_reading_and_running_tests_stay_allowed_while_reviewing(active, orch_hook, session_id):
    for tool_name, tool_input in [("Read", {"file_path": "src/app.py"}), ("Bash", {"command": "pytest -q"})]:
        answer = orch_hook(tool_use(tool_name, tool_input, session_id)).answer
        assert (answer or {}).get("hookSpecificOutput", {}).get("permissionDecision") != "deny", tool_name


def test_edits_are_allowed_in_other_modes(review, orch_hook, session_id):
    answer = orch_hook(tool_use("Edit", {"file_path": "src/app.py"}, session_id)).answer

    assert (answer or {}).get("hookSpecificOutput", {}).get("permissionDecision") != "deny"


def installed() -> bool:
    try:
        importlib.metadata.distribution("orch-program-review")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="orch-program-review is not installed (pip install -e .)")
def test_the_installed_distribution_is_found_through_its_entry_point(orch_project):
    manager = installed_plugin_manager()

    provided = manager.collect("orch_programs")["review"]
    assert (provided.distribution, provided.plugin) == ("orch-program-review", "review")
    assert "review-queue" in manager.specs("orch_status_segments")
    assert "review.verdict" in manager.specs("orch_event_types")
