"""The debug pack: state inspection, events, replay, profiling, and rollback that deletes nothing.

The rule every rollback test checks: the log only grows, and folding the
whole log (``orch events replay --check``) still gives exactly the stored state.
"""

from __future__ import annotations

import pytest

from orchcore.api import unstructure


def state(orch_bus, session_id):
    return orch_bus.store.get(session_id)


def last_seq(orch_bus, session_id) -> int:
    return orch_bus.store.events(session_id, limit=1, newest=True)[-1].seq


def work_state(session) -> dict:
    """The state without what a rollback keeps or bumps: its own records and the update time."""
    data = unstructure(session)
    data.pop("updated_at")
    data["plugins"].pop("orch-commands", None)
    return data


def assert_replay_equals_stored(run, orch_bus, session_id):
    assert orch_bus.replay(session_id) == state(orch_bus, session_id)
    assert run("events", "replay", "--check").exit_code == 0  # the core's own check agrees


# -- rollback ----------------------------------------------------------------


def test_rollback_to_a_checkpoint_restores_that_state_and_keeps_the_log(run, orch_bus, prepared, session_id):
    run("checkpoint", "create", "mid-sprint")
    mark = orch_bus.store.events(session_id, types=["checkpoint.created"])[-1].data["seq"]
    at_checkpoint = orch_bus.replay(session_id, upto=mark)
    run("sprint", "assign", "T-1", "engineering-developer")
    run("sprint", "done", "T-1")
    run("orchestration", "set-mode", "sprint_execution")
    before = last_seq(orch_bus, session_id)

    result = run("debug", "rollback", "--checkpoint", "mid-sprint", "--json").json()

    restored = state(orch_bus, session_id)
    assert work_state(restored) == work_state(at_checkpoint)
    assert restored.state.tasks["T-1"].status == "pending" and restored.mode == "default"
    assert result["to_seq"] == mark and result["undone"] == before - mark
    assert result["changes"]["tasks"]["changed"] == {"T-1": {"status": ["done", "pending"]}}
    log = orch_bus.store.events(session_id)
    assert len(log) == before + 1 and log[-1].type == "state.restored"  # nothing deleted, one event added
    assert_replay_equals_stored(run, orch_bus, session_id)


def test_rollback_to_an_event_number(run, orch_bus, prepared, session_id):
    at_4 = orch_bus.replay(session_id, upto=4)  # teams active, epic created, no sprint yet

    run("debug", "rollback", "to=4")

    restored = state(orch_bus, session_id)
    assert work_state(restored) == work_state(at_4)
    assert restored.current_sprint is None and restored.state.tasks == {}
    assert_replay_equals_stored(run, orch_bus, session_id)


def test_checkpoints_and_rollbacks_survive_a_rollback(run, orch_bus, prepared, session_id):
    run("checkpoint", "create", "later")
    run("debug", "rollback", "before-sprint")  # a bare word: a checkpoint name

    mine = state(orch_bus, session_id).plugins["orch-commands"]
    assert set(mine["checkpoints"]) == {"before-sprint", "later"}  # "later" is still reachable
    (record,) = mine["rollbacks"]
    assert (record["to_seq"], record["checkpoint"]) == (1, "before-sprint")

    run("rollback", "--to", "later")  # the core's orch rollback: --to takes a checkpoint name too
    assert state(orch_bus, session_id).current_sprint == "s1"
    assert len(state(orch_bus, session_id).plugins["orch-commands"]["rollbacks"]) == 2
    assert_replay_equals_stored(run, orch_bus, session_id)


def test_a_rollback_can_be_undone_by_rolling_back_to_the_event_before_it(run, orch_bus, prepared, session_id):
    before = state(orch_bus, session_id)
    result = run("rollback", "--to", "2").stdout
    undo = last_seq(orch_bus, session_id) - 1
    assert f"undo with: orch rollback --to {undo}" in result

    run("rollback", "--to", str(undo))

    assert work_state(state(orch_bus, session_id)) == work_state(before)
    assert_replay_equals_stored(run, orch_bus, session_id)


def test_events_after_a_rollback_build_on_the_restored_state(run, orch_bus, prepared, session_id):
    run("rollback", "--to", "before-sprint")
    run("sprint", "start", "Again", "days=5")
    run("sprint", "add-task", "Fresh start")

    s = state(orch_bus, session_id)
    assert list(s.state.sprints) == ["again"] and list(s.state.tasks) == ["T-1"]
    assert_replay_equals_stored(run, orch_bus, session_id)


def test_a_dry_run_shows_the_changes_and_records_nothing(run, orch_bus, prepared, session_id):
    count = last_seq(orch_bus, session_id)

    result = run("debug", "rollback", "checkpoint=before-sprint", "--dry-run", "--json").json()

    assert result["dry_run"] is True
    assert result["changes"]["current_sprint"] == {"from": "s1", "to": None}
    assert sorted(result["changes"]["tasks"]["removed"]) == ["T-1", "T-2", "T-3"]
    assert last_seq(orch_bus, session_id) == count


def test_rollback_text_says_what_changed(run, prepared):
    text = run("debug", "rollback", "checkpoint=before-sprint").stdout

    assert text.startswith("Rolled back to checkpoint before-sprint (event 1): ")
    assert "(nothing deleted; undo with: orch rollback --to " in text
    assert '  current_sprint: "s1" -> null' in text
    assert "  tasks: -T-1; -T-2; -T-3" in text


@pytest.mark.parametrize("args, message", [
    ([], "orch debug rollback: name a target: --to SEQ or --checkpoint NAME (checkpoints: before-sprint (event 1))"),
    (["--to", "0"], "event 0 is not in this session's log (events 1 to 13)"),
    (["--to", "99"], "event 99 is not in this session's log (events 1 to 13)"),
    (["--to", "13"], "the state is already that of event 13, the last one; nothing to roll back"),
    (["--checkpoint", "nope"], "no checkpoint 'nope' in this session (checkpoints: before-sprint)"),
    (["--to", "x"], "--to must be a whole number, not 'x'"),
    (["--to", "3", "--checkpoint", "before-sprint"], "give an event number or a checkpoint, not both"),
])
def test_bad_rollback_targets_are_one_line_errors_and_change_nothing(run, orch_bus, prepared, session_id, args,
                                                                     message):
    assert last_seq(orch_bus, session_id) == 13

    result = run("debug", "rollback", *args, ok=False)

    assert result.exit_code == 1
    assert result.stderr.startswith("orch: error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert last_seq(orch_bus, session_id) == 13


def test_the_restored_event_refuses_a_snapshot_of_another_session(orch_bus, prepared, session_id):
    from orchcore.api import InvalidValue

    snapshot = unstructure(orch_bus.replay(session_id, upto=2))
    snapshot["session_id"] = "7a214c65-635e-4f7c-ac74-130030d59d09"
    with pytest.raises(InvalidValue, match="another session"):
        orch_bus.emit(session_id, "state.restored", {"to_seq": 2, "snapshot": snapshot})


# -- state, events, replay ---------------------------------------------------


def test_state_overview_checks_the_log(run, prepared, session_id):
    text = run("debug", "state").stdout

    assert text.splitlines()[0] == f"Session {session_id} at event 13: the stored state equals the replayed log"
    assert "    T-2 in_progress Test plan @qa-tester" in text
    assert "  checkpoints: before-sprint (event 1)" in text


def test_state_at_a_path(run, prepared):
    result = run("debug", "state", "state.tasks.T-2.assignee", "--json").json()

    assert (result["value"], result["consistent"]) == ("qa-tester", True)
    assert run("debug", "state", "current_sprint").stdout.splitlines()[1] == "s1"
    assert "no 'nope' in the session" in run("debug", "state", "nope", ok=False).stderr


def test_events_filter_by_type_since_a_checkpoint_and_limit(run, prepared):
    tasks = run("debug", "events", "type=task.created", "--json").json()["events"]
    assert [e["data"]["id"] for e in tasks] == ["T-1", "T-2", "T-3"]

    since = run("debug", "events", "since=before-sprint", "limit=0", "--json").json()["events"]
    assert since[0]["seq"] == 2 and len(since) == 12

    assert len(run("debug", "events", "limit=2", "--json").json()["events"]) == 2
    assert "no checkpoint 'nope'" in run("debug", "events", "since=nope", ok=False).stderr


def test_events_say_when_the_limit_left_some_out(run, prepared):
    cut = run("debug", "events", "type=task.created", "limit=2")
    cut_json = run("debug", "events", "type=task.created", "limit=2", "--json").json()
    whole = run("debug", "events", "type=task.created", "limit=3")
    by_source = run("debug", "events", "source=test", "limit=1", "--json").json()

    assert cut.stdout.splitlines()[-1] == "showing the newest 2 of 3 events; limit=0 for all"
    assert (len(cut_json["events"]), cut_json["total"]) == (2, 3)
    assert "showing" not in whole.stdout
    assert (len(by_source["events"]), by_source["total"]) == (1, 12)  # every event but session.created


def test_event_lines_leave_out_a_rollbacks_snapshot(run, prepared):
    run("rollback", "--to", "2")

    line = run("debug", "events", "type=state.restored").stdout

    assert '"to_seq":2' in line and "snapshot" not in line


def test_replay_to_a_point_shows_the_state_then_and_the_changes_since(run, prepared):
    result = run("debug", "replay", "checkpoint=before-sprint", "--json").json()

    assert (result["upto"], result["checkpoint"], result["equals_stored"]) == (1, "before-sprint", None)
    assert result["state"]["state"]["tasks"] == {}
    assert sorted(result["changes_since"]["tasks"]["added"]) == ["T-1", "T-2", "T-3"]

    whole = run("debug", "replay", "--json").json()
    assert whole["equals_stored"] is True and whole["changes_since"] == {}


def test_replay_refuses_points_outside_the_log(run, prepared):
    assert "event 14 is not in this session's log" in run("debug", "replay", "14", ok=False).stderr


# -- profile -------------------------------------------------------------------


def test_profile_shows_latency_per_handler_from_the_routers_records(run, orch_bus, prepared, session_id):
    orch_bus.emit(session_id, "hook.handled", {"event": "Stop", "handlers": {
        "program-context": {"ms": 10.0, "ok": True}, "slow-one": {"ms": 250.0, "ok": False}}})

    result = run("debug", "profile", "--json").json()

    rows = {r["handler"]: r for r in result["handlers"]}
    assert list(rows) == ["slow-one", "program-context"]  # the costliest first
    context = rows["program-context"]
    assert (context["calls"], context["failures"], context["max_ms"], context["total_ms"]) == (3, 0, 10.0, 15.5)
    assert context["avg_ms"] == 5.167 and context["p50_ms"] == 4.0 and context["p95_ms"] == 10.0
    assert context["plugin"] == "programs" and context["budget_ms"] == 1000  # the core's own handler
    assert rows["slow-one"]["failures"] == 1 and rows["slow-one"]["plugin"] is None
    assert result["hook_events"] == {"PreToolUse": 2, "Stop": 1}

    text = run("debug", "profile", "top=1").stdout
    assert "slow-one" in text and "program-context" not in text.split("Hook events")[0]
    assert text.rstrip().endswith("Hook events: PreToolUse 2, Stop 1")


def test_profile_of_a_session_without_hooks(run, session):
    assert run("debug", "profile").stdout.startswith("No hook handler has run in this session yet")


# -- agents (what V1's debug/agents did) ------------------------------------


def test_debug_agents_shows_each_agent_and_what_waits_for_it(run, prepared):
    run("msg", "send", "qa-tester", "please look at T-2")

    text = run("debug", "agents").stdout

    assert "  a1b2 qa-tester [active] team qa, role worker" in text
    assert "    current task T-2; open tasks T-2; 1 message(s) waiting" in text
    assert text.splitlines()[-1] == "No problems found."


def test_debug_agents_names_what_does_not_add_up(run, orch_bus, prepared, session_id):
    orch_bus.emit(session_id, "agent.upserted", {"id": "zz9", "agent_type": "ghost", "status": "completed",
                                                 "current_task": "T-3"}, source="test")
    run("sprint", "assign", "T-1", "nobody")
    run("msg", "send", "typo-team", "hello")

    result = run("debug", "agents", "--json").json()

    ghost = next(a for a in result["agents"] if a["id"] == "zz9")
    assert ghost["problems"] == ["its current task T-3 is done", "it is completed but still holds T-3",
                                 "no installed agent definition 'ghost'"]
    assert result["unknown_assignees"] == ["nobody"] and result["undeliverable_to"] == ["typo-team"]
    assert result["problems"] == 5


def test_debug_agents_of_an_unknown_agent_is_a_one_line_error(run, prepared):
    result = run("debug", "agents", "nobody", ok=False)

    assert (result.exit_code, result.stderr) == (1, "orch: error: no agent 'nobody' in this session (agents: a1b2)\n")
