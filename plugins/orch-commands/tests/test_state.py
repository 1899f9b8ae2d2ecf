"""The state pack: orch orchestration enable | disable | set-mode | status, orch checkpoint create | list."""

from __future__ import annotations

import pytest

OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"


def state(orch_bus, session_id):
    return orch_bus.store.get(session_id)


def test_enable_turns_orchestration_on_for_this_session_only(run, orch_bus, organisation, session_id):
    orch_bus.create_session(session_id)
    orch_bus.create_session(OTHER)

    result = run("orchestration", "enable", "--json").json()

    assert result["orchestration_enabled"] is True and len(result["events"]) == 1
    assert state(orch_bus, session_id).orchestration_enabled is True
    assert state(orch_bus, OTHER).orchestration_enabled is False
    assert "/orchestration:start-sprint" in result["commands"]


def test_enable_takes_a_program_and_teams_in_any_order(run, orch_bus, organisation, session_id):
    run("orchestration", "enable", "qa", "sprint_execution", "engineering")

    s = state(orch_bus, session_id)
    assert (s.orchestration_enabled, s.mode, s.runtime_config.output_style) == (True, "sprint_execution",
                                                                                "sprint_execution")
    assert s.active_teams == ["qa", "engineering"]


def test_enable_twice_changes_nothing_the_second_time(run, orch_bus, organisation, session_id):
    run("orchestration", "enable")
    count = len(orch_bus.store.events(session_id))

    text = run("orchestration", "enable").stdout

    assert text.startswith("Orchestration was already on; nothing changed.")
    assert len(orch_bus.store.events(session_id)) == count


def test_enable_refuses_a_word_that_is_neither_program_nor_team(run, organisation, session_id):
    result = run("orchestration", "enable", "marketing", ok=False)

    assert result.stderr == ("orch: error: 'marketing' is neither a program (sprint_execution) "
                             "nor a team (engineering, qa)\n")


def test_disable_and_status(run, orch_bus, prepared, session_id):
    assert run("orchestration", "status").stdout.startswith(f"Session {session_id}: orchestration on")

    run("orchestration", "disable")

    assert state(orch_bus, session_id).orchestration_enabled is False
    assert run("orchestration", "status", "--json").json()["orchestration_enabled"] is False


def test_set_mode_activates_a_program_by_name(run, orch_bus, prepared, session_id):
    result = run("orchestration", "set-mode", "sprint_execution", "--json").json()

    assert (result["mode"], result["previous"], result["output_style"]) == ("sprint_execution", "default",
                                                                            "sprint_execution")
    run("orchestration", "set-mode", "mode=default")
    s = state(orch_bus, session_id)
    assert (s.mode, s.runtime_config.output_style) == ("default", None)


def test_set_mode_warns_when_orchestration_is_off(run, organisation, session_id, orch_bus):
    orch_bus.create_session(session_id)

    text = run("orchestration", "set-mode", "sprint_execution").stdout

    assert "Orchestration is off for this session" in text


@pytest.mark.parametrize("args, message", [
    ([], "orch orchestration set-mode: name a program or default (programs: sprint_execution)"),
    (["dashbord"], "no program 'dashbord' (programs: sprint_execution; or 'default'); pass --force to set it anyway"),
    (["bad mode", "--force"], "'bad mode' is not a mode name"),
])
def test_set_mode_refuses_unknown_modes(run, prepared, args, message):
    result = run("orchestration", "set-mode", *args, ok=False)

    assert result.exit_code == 1 and result.stderr.startswith(f"orch: error: {message}")


def test_a_custom_mode_needs_force(run, orch_bus, prepared, session_id):
    run("orchestration", "set-mode", "v1-compat", "--force")

    assert state(orch_bus, session_id).mode == "v1-compat"


# -- checkpoints -----------------------------------------------------------


def test_checkpoint_records_the_current_event_number(run, orch_bus, prepared, session_id):
    last = orch_bus.store.events(session_id, limit=1, newest=True)[-1].seq

    result = run("checkpoint", "create", "before-delegation", "all", "tests", "green", "--json").json()

    assert result["checkpoint"]["seq"] == last
    assert result["checkpoint"]["note"] == "all tests green"
    event = orch_bus.store.events(session_id, limit=1, newest=True)[-1]
    assert (event.type, event.data) == ("checkpoint.created",
                                        {"name": "before-delegation", "seq": last, "note": "all tests green"})
    recorded = state(orch_bus, session_id).plugins["orch-commands"]["checkpoints"]["before-delegation"]
    assert (recorded["seq"], recorded["event"]) == (last, event.seq)


def test_checkpoints_get_a_name_when_none_is_given(run, prepared):
    assert run("checkpoint", "create", "--json").json()["checkpoint"]["name"] == "cp-1"
    assert run("checkpoint", "create", "--json").json()["checkpoint"]["name"] == "cp-2"


def test_checkpoint_list(run, prepared):
    run("checkpoint", "create", "second")

    rows = run("checkpoint", "list", "--json").json()["checkpoints"]

    assert [r["name"] for r in rows] == ["before-sprint", "second"]
    assert rows[0]["seq"] == 1


def test_a_checkpoint_name_is_not_reused_without_force(run, orch_bus, prepared, session_id):
    refused = run("checkpoint", "create", "before-sprint", ok=False)
    assert refused.stderr == ("orch: error: checkpoint 'before-sprint' already exists (event 1); "
                              "choose another name or pass --force to move it\n")

    run("checkpoint", "create", "before-sprint", "--force")
    moved = run("checkpoint", "list", "--json").json()["checkpoints"]
    assert len(moved) == 1 and moved[0]["seq"] > 1


def test_a_checkpoint_name_must_be_a_word(run, prepared):
    result = run("checkpoint", "create", "name=no way!", ok=False)

    assert "is not a checkpoint name" in result.stderr


def test_a_checkpoint_of_a_future_event_is_refused_by_the_reducer(orch_bus, prepared, session_id):
    from orchcore.api import InvalidValue

    with pytest.raises(InvalidValue, match="seq must be an earlier event"):
        orch_bus.emit(session_id, "checkpoint.created", {"name": "x", "seq": 999})


def test_an_archived_session_is_read_only_for_the_packs_commands(run, orch_bus, prepared, session_id):
    orch_bus.emit(session_id, "session.archived", {"last_activity": "2026-01-01T00:00:00Z", "after_hours": 24},
                  source="orchcore")
    count = len(orch_bus.store.events(session_id))

    refused = run("orchestration", "set-mode", "default", ok=False)

    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"orch: error: session {session_id} is archived")
    assert "orch session revive" in refused.stderr
    assert len(orch_bus.store.events(session_id)) == count
