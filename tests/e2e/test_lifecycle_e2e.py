"""Expiry with the real Claude Code: an idle session is archived, hidden and read-only; resuming it revives it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from .test_sessions_e2e import TASK, bash_then, emit, ended, orch  # noqa: F401 - orch is a fixture

pytestmark = pytest.mark.e2e


def test_an_idle_session_is_archived_and_resuming_it_revives_it_with_its_state(fake_api, run_claude, orch):  # noqa: F811
    fake_api.script = bash_then(emit("task.created", TASK), "task created")
    session_id = run_claude("create the login task").session_id
    orch.wait_for_events(session_id, ended, "the first run's SessionEnd")

    orch.env["ORCH_NOW"] = (datetime.now(timezone.utc) + timedelta(hours=25)).isoformat()  # a day later
    try:
        collected = orch.orch_json("session", "gc", "--json")
    finally:
        del orch.env["ORCH_NOW"]
    assert session_id in collected["archived"]
    assert orch.session_or_none(session_id) is None  # hidden from the list
    listed = {s["session_id"]: s for s in orch.orch_json("session", "list", "--all", "--json")}
    assert listed[session_id]["archived_at"] is not None
    refused = orch.orch("session", "set-mode", "default", "--session", session_id, check=False)
    assert refused.returncode == 1 and "is archived" in refused.stderr and "orch session revive" in refused.stderr

    fake_api.script = bash_then("orch state get state.tasks.T-1.title", "still there")
    run_claude("go on", extra_args=["--resume", session_id])

    events = orch.wait_for_events(session_id, lambda ev: sum(e["type"] == "session.ended" for e in ev) == 2,
                                  "the resumed run's SessionEnd")
    started = [e["data"] for e in events if e["type"] == "session.started"]
    assert started[-1]["source"] == "resume" and started[-1]["revived"] == "archived"
    assert "session.revived" in [e["type"] for e in events]
    assert orch.session(session_id)["archived_at"] is None
    assert "login page" in fake_api.main_requests[-1].tool_results_text  # the model saw the kept task
