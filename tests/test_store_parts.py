"""The SQLite store at any session length: a state in parts, snapshots, compaction, the state-size limit.

A session's state is stored as a small head plus one row per entity (task,
agent, team, sprint, epic, delegation, plugin namespace), so an event writes
only what its reducer touched. Events past the event buffer move to an
archive after a snapshot; they stay events of the session. Whatever the
storage does, the rule holds: the stored state equals the fold of the log.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys

import pytest

from orchcore.errors import InvalidValue, LimitExceeded
from orchcore.models import Session, Task, unstructure
from orchcore.store import parts
from orchcore.store.base import StoreLimits
from orchcore.store.layout import MIGRATIONS
from orchcore.store.compaction import compact_step
from orchcore.store.sqlite import SqliteStore


def db(store: SqliteStore) -> sqlite3.Connection:
    return sqlite3.connect(store.path)


def rows(store: SqliteStore, sql: str, *args) -> list[tuple]:
    with db(store) as conn:
        return conn.execute(sql, args).fetchall()


def tasks_in_order(store: SqliteStore, session_id: str) -> list[str]:
    return list(store.get(session_id).state.tasks)


@pytest.fixture
def bus(orch_bus, session_id):
    orch_bus.create_session(session_id, orchestration_enabled=True)
    return orch_bus


# -- a state in parts ---------------------------------------------------------


def test_each_entity_is_its_own_row_and_the_session_row_holds_only_the_head(bus, session_id, orch_store):
    bus.emit(session_id, "task.created", {"id": "T-1", "title": "one", "description": "x" * 10_000})
    bus.emit(session_id, "agent.upserted", {"id": "a-1", "name": "ana"})

    kinds = rows(orch_store, "SELECT kind, id FROM parts WHERE session_id = ? ORDER BY kind", session_id)
    (head,) = rows(orch_store, "SELECT state FROM sessions WHERE session_id = ?", session_id)[0]

    assert kinds == [("agents", "a-1"), ("tasks", "T-1")]
    assert len(head) < 2_000 and "xxxx" not in head


def test_an_event_writes_only_the_parts_its_reducer_touched(bus, session_id, orch_store):
    for i in range(5):
        bus.emit(session_id, "task.created", {"id": f"T-{i}", "title": f"task {i}"})
    before = dict(rows(orch_store, "SELECT id, body FROM parts WHERE session_id = ?", session_id))

    bus.emit(session_id, "task.completed", {"id": "T-3"})

    after = dict(rows(orch_store, "SELECT id, body FROM parts WHERE session_id = ?", session_id))
    assert [i for i in after if after[i] != before[i]] == ["T-3"]
    assert json.loads(after["T-3"])["status"] == "done"


def test_what_a_reducer_only_reads_is_not_written_again(orch_store, session_id):
    stored = parts.Stored.empty(session_id)
    view = stored.view(session_id, "test")
    view.state.tasks["T-1"] = Task(id="T-1", title="one")
    first = parts.changes(stored, view, view, "task.created")
    stored = first.applied(stored)

    view = stored.view(session_id, "test")
    assert view.state.tasks["T-1"].title == "one"  # taken out, looked at, not changed
    change = parts.changes(stored, view, view, "looked")

    assert change.written == [] and change.removed == []


def test_the_order_of_entities_survives_the_store_as_a_dict_keeps_it(bus, session_id, orch_store, orch_runtime):
    for name in ["b", "a", "c"]:
        bus.emit(session_id, "task.created", {"id": name, "title": name})

    def move_a_to_the_end(session, event):
        task = session.state.tasks.pop("a")
        session.state.tasks["a"] = task
        session.state.tasks["d"] = Task(id="d")
        return session

    _, state = orch_store.append(session_id, "moved", {}, "test", move_a_to_the_end)

    assert list(state.state.tasks) == ["b", "c", "a", "d"]
    assert tasks_in_order(orch_store, session_id) == ["b", "c", "a", "d"]
    assert tasks_in_order(SqliteStore(orch_store.path.parent), session_id) == ["b", "c", "a", "d"]


def test_a_reducer_that_replaces_a_whole_collection_is_stored_as_it_left_it(orch_store, session_id, bus):
    bus.emit(session_id, "task.created", {"id": "old", "title": "old"})

    def replace(session, event):
        session.state.tasks = {"new": Task(id="new", title="new"), "other": Task(id="other")}
        return session

    orch_store.append(session_id, "replaced", {}, "test", replace)

    assert tasks_in_order(orch_store, session_id) == ["new", "other"]
    assert rows(orch_store, "SELECT id FROM parts WHERE session_id = ? AND kind = 'tasks' ORDER BY ord",
                session_id) == [("new",), ("other",)]


def test_a_reducer_that_raises_after_changing_a_task_leaves_the_stored_task_as_it_was(orch_store, session_id, bus):
    bus.emit(session_id, "task.created", {"id": "T-1", "title": "kept"})

    def half_done(session, event):
        session.state.tasks["T-1"].title = "changed"
        raise InvalidValue("refused halfway")

    with pytest.raises(InvalidValue):
        orch_store.append(session_id, "half", {}, "test", half_done)

    assert orch_store.get(session_id).state.tasks["T-1"].title == "kept"
    _, state = bus.emit(session_id, "metric.recorded", {"name": "n"})  # the next view is built from the store
    assert state.state.tasks["T-1"].title == "kept"


def test_changing_a_returned_state_does_not_change_the_store(orch_store, session_id, bus):
    _, state = bus.emit(session_id, "task.created", {"id": "T-1", "title": "stored"})

    state.state.tasks["T-1"].title = "changed by a caller"
    dict(state.state.tasks)["T-1"].title = "changed through a copy"
    list(state.state.tasks.values())[0].status = "done"

    assert orch_store.get(session_id).state.tasks["T-1"].title == "stored"
    _, next_state = bus.emit(session_id, "metric.recorded", {"name": "n"})
    assert next_state.state.tasks["T-1"].title == "stored" and next_state.state.tasks["T-1"].status == "pending"


def test_a_task_that_would_not_load_again_is_refused(orch_store, session_id, bus):
    bus.emit(session_id, "task.created", {"id": "T-1"})

    def bad(session, event):
        session.state.tasks["T-1"].points = "many"
        return session

    with pytest.raises(InvalidValue, match="tasks 'T-1'"):
        orch_store.append(session_id, "bad", {}, "test", bad)
    assert orch_store.get(session_id).state.tasks["T-1"].points is None


def test_plugin_namespaces_are_parts_too(bus, session_id, orch_store):
    bus.emit(session_id, "hook.failure_reported", {"handler": "h", "plugin": "p"})

    assert rows(orch_store, "SELECT kind, id FROM parts WHERE session_id = ?", session_id) == [("plugins", "router")]
    assert orch_store.get(session_id).plugins["router"] == {"reported": [{"handler": "h", "plugin": "p"}]}


def test_a_collection_view_behaves_like_the_dict_it_stands_for(bus, session_id, orch_store):
    for name in ["a", "b"]:
        bus.emit(session_id, "task.created", {"id": name, "title": name})
    plain = orch_store.get(session_id).state.tasks

    def check(session, event):
        view = session.state.tasks
        assert isinstance(view, dict) and view == plain and dict(view) == plain and {**view} == plain
        assert view.copy() == plain and copy.deepcopy(view) == plain and len(view) == 2 and "a" in view
        assert [t.id for t in view.values()] == ["a", "b"] and [k for k, _ in view.items()] == ["a", "b"]
        assert view.get("nope") is None and view.setdefault("a").id == "a"
        assert unstructure(session)["state"]["tasks"] == {k: unstructure(v) for k, v in plain.items()}
        view.pop("b")
        view.update({"c": Task(id="c")})
        return session

    _, state = orch_store.append(session_id, "checked", {}, "test", check)

    assert list(state.state.tasks) == ["a", "c"] == tasks_in_order(orch_store, session_id)


def test_a_store_sees_what_another_process_wrote_since_its_own_last_event(bus, session_id, orch_store, orch_project):
    bus.emit(session_id, "task.created", {"id": "T-1", "title": "mine"})
    script = (
        "import sys; from pathlib import Path; from orchcore.runtime import Runtime\n"
        f"rt = Runtime(project=Path({str(orch_project)!r}))\n"
        f"rt.bus.emit({session_id!r}, 'task.updated', {{'id': 'T-1', 'title': 'theirs'}})\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)

    _, state = bus.emit(session_id, "task.assigned", {"id": "T-1", "assignee": "a-1"})

    assert state.state.tasks["T-1"].title == "theirs" and state.state.tasks["T-1"].assignee == "a-1"
    assert orch_store.get(session_id) == bus.replay(session_id, from_start=True)


def test_a_database_of_the_previous_schema_is_split_on_the_next_event(orch_project, session_id):
    state_dir = orch_project / ".claude" / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(state_dir / "orchcore.db")
    for step in MIGRATIONS[:2]:
        for statement in filter(str.strip, step.split(";")):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    whole = Session(session_id=session_id, created_at="2026-01-01T00:00:00Z", orchestration_enabled=True)
    whole.state.tasks["T-1"] = Task(id="T-1", title="from v2")
    conn.execute("INSERT INTO sessions VALUES (?, ?, ?, 1, 1, 'default', ?)",
                 (session_id, whole.created_at, whole.created_at, json.dumps(unstructure(whole))))
    conn.execute("INSERT INTO events VALUES (?, 1, ?, 'session.created', 'test', ?, NULL)",
                 (session_id, whole.created_at, json.dumps({"orchestration_enabled": True})))
    conn.commit()
    conn.close()
    store = SqliteStore(state_dir)

    assert store.get(session_id).state.tasks["T-1"].title == "from v2"

    def touch_nothing(session, event):
        return session

    store.append(session_id, "noted", {}, "test", touch_nothing)

    assert rows(store, "SELECT kind, id FROM parts") == [("tasks", "T-1")]
    assert store.get(session_id).state.tasks["T-1"].title == "from v2"
    store.close()


# -- the state-size limit -----------------------------------------------------


def test_an_event_that_would_grow_the_state_past_its_limit_is_refused_naming_the_limit(bus, session_id, orch_store):
    orch_store.limits = StoreLimits(max_state_bytes=20 * 1024)
    bus.emit(session_id, "task.created", {"id": "T-1", "description": "x" * 15_000})

    with pytest.raises(LimitExceeded, match=r"limits.max_state_kb = 20"):
        bus.emit(session_id, "task.created", {"id": "T-2", "description": "x" * 10_000})

    assert list(orch_store.get(session_id).state.tasks) == ["T-1"]
    assert [e.type for e in orch_store.events(session_id)][-1] == "task.created"
    assert orch_store.events(session_id)[-1].data["id"] == "T-1"


def test_a_state_over_its_limit_may_still_shrink(bus, session_id, orch_store):
    bus.emit(session_id, "task.created", {"id": "T-1", "description": "x" * 15_000})
    orch_store.limits = StoreLimits(max_state_bytes=10 * 1024)  # lowered below what the session holds

    bus.emit(session_id, "task.updated", {"id": "T-1", "description": "short now"})

    assert orch_store.get(session_id).state.tasks["T-1"].description == "short now"


# -- snapshots and compaction -------------------------------------------------


def grow(bus, session_id: str, events: int) -> None:
    for i in range(events):
        bus.emit(session_id, "metric.recorded", {"name": "n"})
        if i % 7 == 0:
            bus.emit(session_id, "task.created", {"id": f"T-{i}", "title": f"task {i}"})


def test_past_the_event_buffer_older_events_move_to_the_archive_after_a_snapshot(bus, session_id, orch_store):
    orch_store.limits = StoreLimits(event_buffer=100)

    grow(bus, session_id, 400)

    last = orch_store.sessions()[0].last_seq
    (live,) = rows(orch_store, "SELECT count(*) FROM events WHERE session_id = ?", session_id)[0]
    (archived,) = rows(orch_store, "SELECT count(*) FROM events_archive WHERE session_id = ?", session_id)[0]
    assert 100 <= live < 100 + compact_step(100) and live + archived == last
    assert [e.seq for e in orch_store.events(session_id)] == list(range(1, last + 1))  # nothing hidden or lost
    assert orch_store.archived_upto(session_id) == last - live
    assert orch_store.latest_snapshot(session_id) is not None


def test_replay_from_a_snapshot_plus_the_tail_equals_replay_from_the_first_event(bus, session_id, orch_store):
    orch_store.limits = StoreLimits(event_buffer=50)
    grow(bus, session_id, 300)
    snapshot_seq, _ = orch_store.latest_snapshot(session_id)

    assert orch_store.get(session_id) == bus.replay(session_id) == bus.replay(session_id, from_start=True)
    middle = snapshot_seq - 3
    assert bus.replay(session_id, upto=middle) == bus.replay(session_id, upto=middle, from_start=True)


def test_a_named_snapshot_holds_the_state_at_its_event_and_outlives_the_automatic_ones(bus, session_id, orch_store):
    bus.emit(session_id, "task.created", {"id": "T-1"})
    seq = orch_store.snapshot(session_id, "before the sprint")
    orch_store.limits = StoreLimits(event_buffer=20)

    grow(bus, session_id, 2_000)

    reasons = [reason for _, reason, _ in orch_store.snapshots_of(session_id)]
    assert "before the sprint" in reasons and len(reasons) <= 25
    found_seq, state = orch_store.latest_snapshot(session_id, upto=seq)
    assert found_seq == seq and state == bus.replay(session_id, upto=seq, from_start=True)


def test_a_snapshot_is_taken_once_an_hour_of_activity(orch_store, session_id):
    def same(session, event):
        session.created_at = session.created_at or event.ts
        return session

    def at(ts: str) -> None:
        orch_store.append(session_id, "noted", {}, "test", same, create=True, ts=ts)

    at("2026-12-01T08:00:00Z")
    at("2026-12-01T08:59:00Z")
    assert orch_store.snapshots_of(session_id) == []

    at("2026-12-01T09:01:00Z")
    at("2026-12-01T09:30:00Z")

    assert [(reason, ts) for _, reason, ts in orch_store.snapshots_of(session_id)] == [
        ("auto: hourly", "2026-12-01T09:01:00Z")]


def test_a_damaged_snapshot_is_passed_over_and_replay_folds_from_the_first_event(bus, session_id, orch_store):
    orch_store.limits = StoreLimits(event_buffer=20)
    grow(bus, session_id, 100)
    with db(orch_store) as conn:
        conn.execute("UPDATE snapshots SET state = 'not json'")

    assert bus.replay(session_id) == orch_store.get(session_id)


def test_keys_of_archived_events_still_make_an_event_unique(bus, session_id, orch_store):
    from orchcore.errors import DuplicateEvent

    orch_store.limits = StoreLimits(event_buffer=20)
    bus.emit(session_id, "metric.recorded", {"name": "n"}, key="hook:first")
    grow(bus, session_id, 100)
    assert orch_store.archived_upto(session_id) > 2

    assert orch_store.recorded_keys(session_id, ["hook:first", "hook:other"]) == {"hook:first"}
    with pytest.raises(DuplicateEvent):
        bus.emit(session_id, "metric.recorded", {"name": "n"}, key="hook:first")


def test_orch_events_list_all_lists_archived_events_and_replay_check_folds_both_ways(bus, session_id, orch_store,
                                                                                      orch_cli):
    orch_store.limits = StoreLimits(event_buffer=20)
    grow(bus, session_id, 100)
    last = orch_store.sessions()[0].last_seq

    listed = json.loads(orch_cli("events", "list", "--all", "--json", session=session_id).stdout)
    checked = orch_cli("events", "replay", "--check", session=session_id)

    assert [e["seq"] for e in listed] == list(range(1, last + 1))
    assert checked.exit_code == 0 and "equals" in checked.stdout


def test_removing_a_session_removes_its_rows_everywhere(bus, session_id, orch_store):
    orch_store.limits = StoreLimits(event_buffer=20)
    grow(bus, session_id, 60)

    assert orch_store.remove_session(session_id) is True

    for table in ("sessions", "events", "events_archive", "parts", "snapshots"):
        assert rows(orch_store, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert orch_store.load(session_id) is None


def test_an_entity_read_twice_is_two_private_copies_down_to_its_lists_and_unknown_keys(bus, session_id, orch_store):
    bus.emit(session_id, "task.created", {"id": "T-1", "blockers": ["T-0"], "labels": ["api"]})

    first = orch_store.get(session_id).state.tasks["T-1"]
    first.blockers.append("T-9")
    first.extra["labels"].append("changed")
    second = orch_store.get(session_id).state.tasks["T-1"]

    assert second.blockers == ["T-0"] and second.extra["labels"] == ["api"]
    assert second == bus.replay(session_id, from_start=True).state.tasks["T-1"]
