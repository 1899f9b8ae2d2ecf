"""``orch session merge A B``: session A's state folded into B as events on B.

Tasks, sprints, epics, agents, queued messages, teams and numeric metrics
travel; each item once (its event's key names A and the item), so merging
twice imports nothing twice; an id B has already is kept as B has it and
reported; A is left as it was (``--archive`` archives it); B's log ends with
``session.merged`` naming A and A's last seq, and B's state is still the fold
of B's log.
"""

from __future__ import annotations

import pytest

A = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
B = "7a214c65-635e-4f7c-ac74-130030d59d09"


@pytest.fixture
def sessions(orch_bus):
    bus = orch_bus
    bus.create_session(A)
    bus.create_session(B)
    bus.emit(A, "session.teams", {"teams": ["qa"], "definitions": {"qa": {"max_parallel": 2}}})
    bus.emit(A, "epic.created", {"id": "E-1", "title": "auth"})
    bus.emit(A, "sprint.started", {"id": "S-1", "name": "first", "epic": "E-1"})
    bus.emit(A, "task.created", {"id": "T-1", "title": "login", "sprint": "S-1", "points": 3})
    bus.emit(A, "agent.upserted", {"id": "agent-1", "agent_type": "engineering-backend"})
    bus.emit(A, "task.assigned", {"id": "T-1", "assignee": "agent-1"})
    bus.emit(A, "task.created", {"id": "T-2", "title": "docs"})
    bus.emit(A, "message.sent", {"id": "M-1", "from": "lead", "to": "qa", "type": "note", "priority": "high"})
    bus.emit(A, "metric.recorded", {"name": "points_done", "value": 5})
    bus.emit(B, "task.created", {"id": "T-9", "title": "B's own"})
    return bus


def last_seq(bus, session: str) -> int:
    return bus.store.events(session, limit=1, newest=True)[-1].seq


def test_merge_folds_every_kind_of_item_into_the_target(sessions, orch_cli):
    before = sessions.store.get(A)

    result = orch_cli("session", "merge", A, B, "--json")

    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert report["imported"] == {"team": 1, "epic": 1, "sprint": 1, "task": 2, "agent": 1, "message": 1,
                                  "metric": 1}
    b = sessions.store.get(B)
    assert set(b.state.tasks) == {"T-1", "T-2", "T-9"}
    assert b.state.tasks["T-1"] == before.state.tasks["T-1"]  # as it was in A: status, assignee, times
    assert b.state.sprints["S-1"].tasks == ["T-1"] and "E-1" in b.state.epics
    assert b.state.agents["agent-1"].current_task == "T-1"
    assert [m.id for m in b.state.messages] == ["M-1"] and b.state.messages[0].priority == "high"
    assert b.active_teams == ["qa"] and b.state.teams["qa"].max_parallel == 2
    assert b.state.metrics["points_done"] == 5
    assert b.current_sprint is None  # B's own pointers are B's
    merged = sessions.store.events(B, types=["session.merged"])
    assert [(e.data["source"], e.data["source_seq"]) for e in merged] == [(A, last_seq(sessions, A))]
    assert sessions.store.get(A) == before  # A is left as it was
    assert sessions.replay(B) == b


def test_merging_twice_imports_nothing_twice(sessions, orch_cli):
    orch_cli("session", "merge", A, B)
    events = len(sessions.store.events(B))

    again = orch_cli("session", "merge", A, B, "--json").json()

    assert again["imported"] == {} and len(again["already"]) == 6
    assert len(sessions.store.events(B)) == events
    assert sessions.store.get(B).state.metrics["points_done"] == 5


def test_a_later_merge_brings_only_what_is_new_in_the_source(sessions, orch_cli):
    orch_cli("session", "merge", A, B)
    sessions.emit(A, "task.created", {"id": "T-3", "title": "new"})
    sessions.emit(A, "metric.recorded", {"name": "points_done", "value": 2})

    report = orch_cli("session", "merge", A, B, "--json").json()

    assert report["imported"] == {"task": 1, "metric": 1}
    b = sessions.store.get(B)
    assert "T-3" in b.state.tasks and b.state.metrics["points_done"] == 7
    merged = sessions.store.events(B, types=["session.merged"])
    assert [e.data["source_seq"] for e in merged][-1] == last_seq(sessions, A)


def test_an_id_the_target_has_is_kept_and_reported(sessions, orch_cli):
    sessions.emit(B, "task.created", {"id": "T-2", "title": "B's T-2"})

    report = orch_cli("session", "merge", A, B, "--json").json()

    assert sessions.store.get(B).state.tasks["T-2"].title == "B's T-2"
    assert [(c["kind"], c["id"], c["kept"]) for c in report["conflicts"]] == [("task", "T-2", B)]
    text = orch_cli("session", "merge", A, B).stdout
    assert "conflict: task T-2: kept the target's" in text


def test_an_identical_item_is_no_conflict(sessions, orch_cli):
    sessions.emit(B, "session.teams", {"teams": [], "definitions": {"qa": {"max_parallel": 2}}})
    report = orch_cli("session", "merge", A, B, "--json").json()
    assert report["conflicts"] == []


def test_dry_run_shows_what_would_be_imported_and_changes_nothing(sessions, orch_cli):
    events = len(sessions.store.events(B))

    result = orch_cli("session", "merge", A, B, "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "would import 1 agent, 1 epic, 1 message, 1 metric, 1 sprint, 2 tasks, 1 team" in result.stdout
    assert len(sessions.store.events(B)) == events


def test_archive_archives_the_source_once_merged(sessions, orch_cli):
    report = orch_cli("session", "merge", A, B, "--archive", "--json").json()
    assert report["archived"] == A
    assert sessions.store.get(A).archived_at is not None
    assert "T-1" in sessions.store.get(B).state.tasks


def test_an_item_the_target_refuses_is_reported_and_the_rest_goes_on(sessions, orch_cli):
    for n in range(100):  # B's message queue is full (limits.max_messages: 100)
        sessions.emit(B, "message.sent", {"id": f"B-{n}", "from": "x", "to": "y", "type": "note"})

    report = orch_cli("session", "merge", A, B, "--json").json()

    assert [(r["kind"], r["id"]) for r in report["refused"]] == [("message", "M-1")]
    assert "queue is full" in report["refused"][0]["why"]
    assert "T-1" in sessions.store.get(B).state.tasks


def test_merging_a_fork_back_reports_what_both_changed(orch_bus, orch_cli):
    from orchcore import merge

    parent, fork = A, B
    orch_bus.create_session(parent)
    orch_bus.emit(parent, "task.created", {"id": "T-1", "title": "login"})
    orch_bus.emit(parent, "task.created", {"id": "T-2", "title": "docs"})
    orch_bus.create_session(fork)
    merge.apply(orch_bus, merge.plan(orch_bus.store, parent, fork, how="fork"))
    orch_bus.emit(fork, "task.completed", {"id": "T-1"})
    orch_bus.emit(fork, "task.created", {"id": "T-3", "title": "found in the fork"})

    report = orch_cli("session", "merge", fork, parent, "--json").json()

    assert report["imported"] == {"task": 1}  # T-3; T-2 is the same in both
    assert [(c["id"], c["why"]) for c in report["conflicts"]] == [("T-1", "both have it; there pending, here done")]


@pytest.mark.parametrize("args, message", [
    ((A, A), "cannot merge session"),
    ((A, "not-a-session"), "invalid session id"),
    ((A, "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"), "no session 0b1c2d3e"),
])
def test_bad_sessions_are_one_line_and_change_nothing(sessions, orch_cli, args, message):
    events = len(sessions.store.events(B))
    result = orch_cli("session", "merge", *args)
    assert result.exit_code != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert len(sessions.store.events(B)) == events
