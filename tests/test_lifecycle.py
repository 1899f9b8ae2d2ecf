"""Expiry and garbage collection: idle sessions are archived, hidden, read-only, revived by their next event.

``ORCH_NOW`` moves the clock: a session whose last activity is more than
``sessions.expire_after_hours`` (24) before "now" is idle. Archiving runs in
``orch session gc`` and the resident runtime's housekeeping, never on the
hook path.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from orchcore import gate
from tests.conftest import OTHER_SESSION


def ok(result):
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def later(**delta) -> dict[str, str]:
    """The environment that makes "now" this much later than the real clock."""
    return {"ORCH_NOW": (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()}


def flags(orch_runtime) -> dict[str, list[str]]:
    return gate.flag_files(str(orch_runtime.state_dir))


@pytest.fixture
def two_sessions(orch_cli, session_id):
    """Two sessions created now: ``session_id`` with orchestration on, OTHER_SESSION with it off."""
    ok(orch_cli("session", "create", session_id, "--enable"))
    ok(orch_cli("session", "create", OTHER_SESSION))
    return session_id


def archive_all(orch_cli):
    return ok(orch_cli("session", "gc", "--json", env=later(hours=25))).json()


# -- expiry -------------------------------------------------------------------


def test_a_dry_run_says_which_idle_sessions_would_be_archived_and_changes_nothing(orch_cli, orch_bus, two_sessions):
    text = ok(orch_cli("session", "gc", "--dry-run", env=later(hours=25))).stdout

    assert f"would archive {two_sessions} (no activity for 24 h)" in text
    assert f"would archive {OTHER_SESSION} (no activity for 24 h)" in text
    assert orch_bus.store.get(two_sessions).archived_at is None
    assert [e.type for e in orch_bus.store.events(two_sessions)] == ["session.created"]


def test_gc_archives_sessions_idle_past_the_expiry_with_an_event(orch_cli, orch_bus, two_sessions):
    result = archive_all(orch_cli)

    assert sorted(result["archived"]) == sorted([two_sessions, OTHER_SESSION])
    state = orch_bus.store.get(two_sessions)
    assert state.archived_at is not None
    event = orch_bus.store.events(two_sessions)[-1]
    assert (event.type, event.data["after_hours"]) == ("session.archived", 24)
    assert event.data["last_activity"] <= state.archived_at
    assert orch_bus.replay(two_sessions) == state


def test_a_session_active_within_the_expiry_is_kept(orch_cli, orch_bus, two_sessions):
    result = ok(orch_cli("session", "gc", "--json", env=later(hours=23))).json()

    assert result["archived"] == []
    assert orch_bus.store.get(two_sessions).archived_at is None


def test_the_expiry_is_configurable(orch_cli, orch_bus, two_sessions):
    result = ok(orch_cli("session", "gc", "--json", env={**later(hours=2), "ORCH_EXPIRE_AFTER_HOURS": "1"})).json()

    assert two_sessions in result["archived"]


def test_activity_the_gate_noted_without_an_event_keeps_a_session_live(orch_cli, orch_bus, orch_runtime,
                                                                       two_sessions):
    """An orchestration-off session records no events; its flag file's time is its last activity."""
    flag = gate.flag_path(str(orch_runtime.state_dir), OTHER_SESSION, False)
    day_later = (datetime.now(timezone.utc) + timedelta(hours=20)).timestamp()
    os.utime(flag, (day_later, day_later))  # the gate saw an event 20 hours after the session started

    result = ok(orch_cli("session", "gc", "--json", env=later(hours=25))).json()

    assert two_sessions in result["archived"] and OTHER_SESSION not in result["archived"]


# -- archived sessions: hidden, read-only ----------------------------------------


def test_archived_sessions_are_hidden_from_the_list_unless_all(orch_cli, two_sessions):
    ok(orch_cli("session", "gc", env=later(hours=25)))
    ok(orch_cli("session", "create", "0b0a1c1e-aaaa-4bbb-8ccc-0123456789ab"))

    listed = ok(orch_cli("session", "list", "--json")).json()
    assert [r["session_id"] for r in listed] == ["0b0a1c1e-aaaa-4bbb-8ccc-0123456789ab"]
    text = ok(orch_cli("session", "list")).stdout + ok(orch_cli("session", "list")).stderr
    assert two_sessions not in text and "2 archived: `orch session list --all`" in text

    everything = ok(orch_cli("session", "list", "--all", "--json")).json()
    archived = {r["session_id"]: r["archived_at"] for r in everything}
    assert archived[two_sessions] is not None and archived["0b0a1c1e-aaaa-4bbb-8ccc-0123456789ab"] is None
    table = ok(orch_cli("session", "list", "--all")).stdout
    assert "archived" in next(line for line in table.splitlines() if two_sessions in line)


@pytest.mark.parametrize("command", [
    ["session", "enable"],
    ["session", "set-mode", "scrum"],
    ["session", "activate-teams", "qa"],
    ["session", "checkpoint", "mark"],
    ["rollback", "--to", "1"],
    ["state", "set", "mode", "scrum"],
    ["events", "emit", "metric.recorded", "--data", '{"name": "n"}'],
    ["msg", "send", "qa", "hello"],
])
def test_an_archived_session_is_read_only_and_the_error_says_how_to_revive_it(orch_cli, orch_bus, two_sessions,
                                                                               command):
    archive_all(orch_cli)
    before = len(orch_bus.store.events(two_sessions))

    result = orch_cli(*command, session=two_sessions)

    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"orch: error: session {two_sessions} is archived")
    assert "its next hook event revives it, or run `orch session revive" in result.stderr
    assert len(orch_bus.store.events(two_sessions)) == before


def test_orch_session_show_says_when_it_was_archived(orch_cli, two_sessions):
    archive_all(orch_cli)

    shown = ok(orch_cli("session", "show", session=two_sessions)).stdout
    assert "archived       20" in shown and "(read-only; its next hook event or `orch session revive`" in shown
    assert ok(orch_cli("session", "show", "--json", session=two_sessions)).json()["archived_at"] is not None


def test_orch_session_revive_makes_it_live_and_writable_again(orch_cli, orch_bus, two_sessions):
    archive_all(orch_cli)

    assert "revived (archived since " in ok(orch_cli("session", "revive", session=two_sessions)).stdout

    assert orch_bus.store.get(two_sessions).archived_at is None
    assert orch_bus.store.events(two_sessions)[-1].type == "session.revived"
    ok(orch_cli("session", "set-mode", "scrum", session=two_sessions))
    assert "not archived; nothing to do" in ok(orch_cli("session", "revive", session=two_sessions)).stdout


# -- revived by the next event -------------------------------------------------------


@pytest.mark.parametrize("which", ["on", "off"])
def test_the_sessions_next_hook_event_revives_it(orch_cli, orch_bus, orch_hook, orch_runtime, two_sessions, which):
    sid = two_sessions if which == "on" else OTHER_SESSION
    archive_all(orch_cli)
    assert sid not in flags(orch_runtime)  # so the gate hands its next event to the router

    hook = orch_hook({"session_id": sid, "hook_event_name": "UserPromptSubmit", "prompt": "go on"})

    assert hook.exit_code == 0
    state = orch_bus.store.get(sid)
    assert state.archived_at is None
    assert "session.revived" in [e.type for e in orch_bus.store.events(sid)]
    assert sid in flags(orch_runtime)  # the gate answers it again
    assert orch_bus.replay(sid) == state


def test_an_event_that_only_the_router_records_is_refused_for_an_archived_session_elsewhere(orch_bus, two_sessions,
                                                                                             orch_cli):
    """What the bus's reduce wrapper can ask (``admit``): hook events revive, other writers are refused."""
    from orchcore.builtin.lifecycle_events import admit
    from orchcore.errors import SessionArchived
    from orchcore.models import Event

    archive_all(orch_cli)
    state = orch_bus.store.get(two_sessions)
    by_cli = Event(seq=9, session_id=two_sessions, ts="2026-12-03T00:00:00Z", type="state.set", source="cli")
    with pytest.raises(SessionArchived, match="is archived"):
        admit(state, by_cli)
    by_hook = Event(seq=9, session_id=two_sessions, ts="2026-12-03T00:00:00Z", type="hook.handled", source="hook")
    admit(state, by_hook)
    assert state.archived_at is None


# -- garbage collection ---------------------------------------------------------------


def test_gc_removes_archived_sessions_idle_longer_than_older_than(orch_cli, orch_bus, orch_runtime, two_sessions):
    from orchcore.store.base import SessionStore

    archive_all(orch_cli)
    assert ok(orch_cli("session", "gc", "--json", env=later(days=6))).json()["removed"] == []

    planned = ok(orch_cli("session", "gc", "--dry-run", "--older-than", "7d", env=later(days=8))).stdout
    assert f"would remove session {two_sessions} (archived, idle over 7d)" in planned
    assert orch_bus.store.has_session(two_sessions)

    result = ok(orch_cli("session", "gc", "--older-than", "7d", "--json", env=later(days=8))).json()
    can_remove = type(orch_runtime.store).remove_session is not SessionStore.remove_session
    if can_remove:
        assert sorted(result["removed"]) == sorted([two_sessions, OTHER_SESSION])
        assert not orch_bus.store.has_session(two_sessions)
    else:  # a backend that keeps every session says so, and keeps them
        assert result["removed"] == [] and sorted(result["kept"]) == sorted([two_sessions, OTHER_SESSION])
        text = ok(orch_cli("session", "gc", "--older-than", "7d", env=later(days=8))).stdout
        assert f"kept session {two_sessions}: the {orch_runtime.store.name} store cannot remove sessions" in text


def test_gc_removes_flag_files_of_sessions_the_store_does_not_have_or_has_archived(orch_cli, orch_runtime,
                                                                                   two_sessions):
    directory = str(orch_runtime.state_dir)
    stray = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    ok(orch_cli("session", "gc", "--json", env=later(hours=25)))  # archives both sessions
    gate.write_flag(directory, stray, False)  # a session removed from the store, its flag file left behind
    gate.write_flag(directory, OTHER_SESSION, False)  # archived, yet a flag file is there (an older orchcore)

    planned = ok(orch_cli("session", "gc", "--dry-run")).stdout
    assert f"would remove flag file {gate.flag_path(directory, stray, False)}" in planned
    assert f"would remove flag file {gate.flag_path(directory, OTHER_SESSION, False)}" in planned
    assert stray in flags(orch_runtime)

    result = ok(orch_cli("session", "gc", "--json")).json()

    assert len(result["flag_files"]) == 2
    assert flags(orch_runtime) == {}


def test_gc_with_nothing_to_do_says_so(orch_cli, two_sessions):
    assert ok(orch_cli("session", "gc")).stdout == "nothing to collect\n"


@pytest.mark.parametrize("age", ["soon", "7 days", "-1d", ""])
def test_an_age_that_is_not_one_is_a_one_line_error(orch_cli, two_sessions, age):
    result = orch_cli("session", "gc", "--older-than", age)

    assert result.exit_code == 1 and "is not an age: a number and a unit, e.g. 7d, 36h" in result.stderr


# -- housekeeping in the resident runtime ------------------------------------------------


def test_housekeeping_archives_idle_sessions_when_the_runtime_is_idle(orch_cli, orch_bus, orch_project,
                                                                      orch_runtime, two_sessions, monkeypatch):
    from orchcore.housekeeping import Housekeeping

    monkeypatch.setenv("ORCH_NOW", later(hours=25)["ORCH_NOW"])
    keeper = Housekeeping(str(orch_project), str(orch_runtime.state_dir), dict(os.environ))

    assert keeper.due(idle_for_s=5.0) is False  # requests are still coming
    assert keeper.due(idle_for_s=120.0) is True
    keeper.running.join()
    assert keeper.due(idle_for_s=300.0) is False  # at most one round an hour

    assert orch_bus.store.get(two_sessions).archived_at is not None
    assert orch_bus.store.get(OTHER_SESSION).archived_at is not None
    assert list((orch_runtime.state_dir / "backups").iterdir())  # and a backup (orchcore.store.backup)


def test_a_housekeeping_round_that_fails_is_logged_and_never_raises(orch_project, tmp_path):
    from orchcore.housekeeping import Housekeeping

    broken = tmp_path / "state"
    broken.mkdir()
    (broken / "orchcore.db").write_text("this is not a database\n")  # replaced by a text file
    keeper = Housekeeping(str(orch_project), str(broken), {"CLAUDE_PROJECT_DIR": str(orch_project)})

    assert keeper.round() is None
    logged = (orch_project / ".claude" / "state" / "hook.log").read_text()
    assert "housekeeping failed: " in logged and str(broken / "orchcore.db") in logged


def test_the_resident_runtime_runs_housekeeping_from_its_loop_once_idle(orch_cli, orch_bus, orch_project,
                                                                        two_sessions, monkeypatch, tmp_path):
    from orchcore.resident.server import Server

    monkeypatch.setenv("ORCH_NOW", later(hours=25)["ORCH_NOW"])
    monkeypatch.setenv("ORCH_RUNTIME_IDLE_S", "100000")  # idle, yet a session may still post: it stays up
    socket = tmp_path / "runtime.sock"
    socket.write_text("")  # stands for its socket: the loop checks it is still its own
    server = Server(str(socket))
    server.fingerprint = server._fingerprint()
    now = server.last_used + 120  # two minutes without a request

    server.periodic(os.stat(socket).st_ino, now)

    assert not server.stopping.is_set()
    server.housekeeping.running.join()
    assert orch_bus.store.get(two_sessions).archived_at is not None
