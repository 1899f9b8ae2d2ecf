"""Checkpoints and rollback in the core: `orch session checkpoint [NAME]`, `orch rollback --to SEQ|CHECKPOINT`.

The rule every test checks: the log only grows (a rollback is one new
``state.restored`` event), and folding the whole log still gives exactly the
stored state.
"""

from __future__ import annotations

import pytest

from orchcore.checkpoints import last_seq
from orchcore.models import unstructure


def ok(result):
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def work(session) -> dict:
    """The state without what a rollback keeps or bumps: the checkpoint and rollback records, the update time."""
    data = unstructure(session)
    data.pop("updated_at")
    data["plugins"].pop("orch-commands", None)
    return data


def assert_replay_equals_stored(orch_bus, orch_cli, session_id):
    assert orch_bus.replay(session_id) == orch_bus.store.get(session_id)
    assert ok(orch_cli("events", "replay", "--check", session=session_id))


@pytest.fixture
def sprinting(orch_bus, session_id):
    """Event 1 creates the session, 2 starts a sprint, 3 and 4 add tasks, 5 finishes one."""
    emit = lambda type, data: orch_bus.emit(session_id, type, data, source="test")  # noqa: E731
    orch_bus.create_session(session_id, orchestration_enabled=True)
    emit("sprint.started", {"id": "s1", "name": "Sprint 1"})
    emit("task.created", {"id": "T-1", "title": "Login", "sprint": "s1"})
    emit("task.created", {"id": "T-2", "title": "Logout", "sprint": "s1"})
    emit("task.completed", {"id": "T-1"})
    return session_id


# -- checkpoint ---------------------------------------------------------------


def test_a_checkpoint_marks_the_current_event_and_is_an_event_itself(orch_cli, orch_bus, sprinting):
    result = ok(orch_cli("session", "checkpoint", "before-review", "--note", "all green", "--json",
                         session=sprinting)).json()

    assert result["checkpoint"] == {"name": "before-review", "seq": 5, "ts": result["checkpoint"]["ts"],
                                    "note": "all green", "event": 6}
    event = orch_bus.store.events(sprinting)[-1]
    assert (event.type, event.data) == ("checkpoint.created", {"name": "before-review", "seq": 5, "note": "all green"})
    assert result["snapshot"] is None or isinstance(result["snapshot"], int)  # where the store keeps snapshots
    recorded = orch_bus.store.get(sprinting).plugins["orch-commands"]["checkpoints"]["before-review"]
    assert (recorded["seq"], recorded["event"]) == (5, 6)


def test_checkpoints_are_named_cp_n_when_no_name_is_given(orch_cli, sprinting):
    assert ok(orch_cli("session", "checkpoint", "--json", session=sprinting)).json()["checkpoint"]["name"] == "cp-1"
    assert ok(orch_cli("session", "checkpoint", "--json", session=sprinting)).json()["checkpoint"]["name"] == "cp-2"


def test_a_checkpoint_name_is_not_reused_without_force(orch_cli, orch_bus, sprinting):
    ok(orch_cli("session", "checkpoint", "mark", session=sprinting))

    refused = orch_cli("session", "checkpoint", "mark", session=sprinting)

    assert refused.exit_code == 1
    assert refused.stderr == ("orch: error: checkpoint 'mark' already exists (event 5); "
                              "choose another name or pass --force to move it\n")
    ok(orch_cli("session", "checkpoint", "mark", "--force", session=sprinting))
    assert orch_bus.store.get(sprinting).plugins["orch-commands"]["checkpoints"]["mark"]["seq"] == 6


def test_a_checkpoint_name_must_be_a_word(orch_cli, sprinting):
    result = orch_cli("session", "checkpoint", "no way!", session=sprinting)

    assert result.exit_code == 1 and "is not a checkpoint name" in result.stderr


# -- rollback -----------------------------------------------------------------


def test_rollback_to_an_event_restores_that_state_and_only_adds_one_event(orch_cli, orch_bus, sprinting):
    at_3 = orch_bus.replay(sprinting, upto=3)

    result = ok(orch_cli("rollback", "--to", "3", "--json", session=sprinting)).json()

    restored = orch_bus.store.get(sprinting)
    assert work(restored) == work(at_3)
    assert list(restored.state.tasks) == ["T-1"] and restored.state.tasks["T-1"].status == "pending"
    assert (result["seq"], result["to_seq"], result["undone"], result["checkpoint"]) == (6, 3, 2, None)
    log = orch_bus.store.events(sprinting)
    assert len(log) == 6 and log[-1].type == "state.restored"  # nothing deleted
    assert_replay_equals_stored(orch_bus, orch_cli, sprinting)


def test_rollback_to_a_checkpoint_by_name(orch_cli, orch_bus, sprinting):
    ok(orch_cli("session", "checkpoint", "two-tasks", session=sprinting))  # marks event 5
    orch_bus.emit(sprinting, "task.completed", {"id": "T-2"})
    orch_bus.emit(sprinting, "sprint.completed", {"id": "s1"})

    text = ok(orch_cli("rollback", "--to", "two-tasks", session=sprinting)).stdout

    assert text == ("Rolled back to checkpoint two-tasks (event 5): 3 event(s) undone, recorded as event 9 "
                    "(nothing deleted; undo with: orch rollback --to 8).\n")
    restored = orch_bus.store.get(sprinting)
    assert restored.current_sprint == "s1" and restored.state.tasks["T-2"].status == "pending"
    assert work(restored) == work(orch_bus.replay(sprinting, upto=5))
    (record,) = restored.plugins["orch-commands"]["rollbacks"]
    assert (record["to_seq"], record["checkpoint"], record["undone"]) == (5, "two-tasks", 3)
    assert_replay_equals_stored(orch_bus, orch_cli, sprinting)


def test_a_rollback_is_undone_by_rolling_back_to_the_event_before_it(orch_cli, orch_bus, sprinting):
    before = orch_bus.store.get(sprinting)
    ok(orch_cli("rollback", "--to", "2", session=sprinting))
    assert orch_bus.store.get(sprinting).state.tasks == {}

    ok(orch_cli("rollback", "--to", "5", session=sprinting))  # event 6 was the rollback

    assert work(orch_bus.store.get(sprinting)) == work(before)
    assert [e.type for e in orch_bus.store.events(sprinting)][-2:] == ["state.restored", "state.restored"]
    assert_replay_equals_stored(orch_bus, orch_cli, sprinting)


def test_checkpoints_made_after_the_target_survive_a_rollback(orch_cli, orch_bus, sprinting):
    ok(orch_cli("session", "checkpoint", "late", session=sprinting))

    ok(orch_cli("rollback", "--to", "1", session=sprinting))
    assert orch_bus.store.get(sprinting).current_sprint is None
    ok(orch_cli("rollback", "--to", "late", session=sprinting))  # still reachable

    assert orch_bus.store.get(sprinting).state.tasks["T-1"].status == "done"
    assert_replay_equals_stored(orch_bus, orch_cli, sprinting)


def test_events_after_a_rollback_build_on_the_restored_state(orch_cli, orch_bus, sprinting):
    ok(orch_cli("rollback", "--to", "2", session=sprinting))

    orch_bus.emit(sprinting, "task.created", {"id": "T-1", "title": "Login, again", "sprint": "s1"})

    assert orch_bus.store.get(sprinting).state.tasks["T-1"].title == "Login, again"
    assert_replay_equals_stored(orch_bus, orch_cli, sprinting)


@pytest.mark.parametrize("args, message", [
    ([], "orch rollback: name a target: --to SEQ or --to CHECKPOINT (checkpoints: none)"),
    (["--to", "nope"], "no checkpoint 'nope' in this session (checkpoints: none yet"),
    (["--to", "0"], "event 0 is not in this session's log (events 1 to 5)"),
    (["--to", "99"], "event 99 is not in this session's log (events 1 to 5)"),
    (["--to", "5"], "the state is already that of event 5, the last one; nothing to roll back"),
])
def test_a_bad_target_is_one_line_and_changes_nothing(orch_cli, orch_bus, sprinting, args, message):
    result = orch_cli("rollback", *args, session=sprinting)

    assert result.exit_code == 1
    assert result.stderr.startswith("orch: error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert last_seq(orch_bus.store, sprinting) == 5


def test_an_unknown_checkpoint_names_the_ones_there_are(orch_cli, sprinting):
    ok(orch_cli("session", "checkpoint", "here", session=sprinting))

    result = orch_cli("rollback", "--to", "there", session=sprinting)

    assert result.stderr == "orch: error: no checkpoint 'there' in this session (checkpoints: here)\n"


def test_logs_recorded_by_the_orch_commands_plugin_still_replay(orch_cli, orch_bus, sprinting):
    """The event types began in the orch-commands plugin: their names and data are the same in the core."""
    snapshot = unstructure(orch_bus.replay(sprinting, upto=2))
    orch_bus.emit(sprinting, "checkpoint.created", {"name": "old", "seq": 2, "note": ""}, source="cli")
    orch_bus.emit(sprinting, "state.restored", {"to_seq": 2, "undone": 4, "snapshot": snapshot}, source="cli")

    stored = orch_bus.store.get(sprinting)
    assert stored.state.tasks == {} and set(stored.plugins["orch-commands"]["checkpoints"]) == {"old"}
    assert_replay_equals_stored(orch_bus, orch_cli, sprinting)


def test_a_restored_snapshot_of_another_session_is_refused(orch_bus, sprinting):
    from orchcore.errors import InvalidValue

    snapshot = {**unstructure(orch_bus.replay(sprinting, upto=2)), "session_id": "someone-else"}
    with pytest.raises(InvalidValue, match="the snapshot is of another session"):
        orch_bus.emit(sprinting, "state.restored", {"to_seq": 2, "snapshot": snapshot})
    assert last_seq(orch_bus.store, sprinting) == 5
