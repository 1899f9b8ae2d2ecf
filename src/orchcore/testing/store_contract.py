"""The contract every ``SessionStore`` keeps, as tests any backend runs unchanged.

A backend's tests subclass ``StoreContract`` and give it a fresh, empty store
(and, when the backend can open its data again, a way to)::

    import pytest

    from orchcore.testing import StoreContract

    from my_backend import MyStore


    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):  # a fresh, EMPTY store (default StoreLimits); the suite may set store.limits
            store = MyStore(tmp_path)
            yield store
            store.close()

        @pytest.fixture
        def reopen(self, store, tmp_path):  # optional: () -> a NEW store object on the same data; default None
            return lambda: MyStore(tmp_path)

Everything goes through the ``SessionStore`` interface, so what passes here
is what the router, the bus and the commands rely on. Tests that need
``reopen`` skip when it is None; tests of an optional capability (snapshots,
``remove_session``) skip when the backend keeps the default.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from orchcore.errors import DuplicateEvent, InvalidValue, LimitExceeded, UnknownSession
from orchcore.models import Event, Session, Task, unstructure
from orchcore.store.base import SessionStore, StoreLimits

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
OTHER_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"

THREADS = 8
EVENTS_PER_THREAD = 50
SMALL_BUFFER = StoreLimits(event_buffer=20)  # compaction (where a backend has it) starts within ~30 events

# Reducers: pure functions (state, event) -> new state, as plugins write them.


def created(session: Session, event: Event) -> Session:
    session.created_at = event.ts
    session.mode = event.data.get("mode", session.mode)
    return session


def created_once(session: Session, event: Event) -> Session:
    """The core's rule for ``session.created``: a session that exists already is refused."""
    if session.created_at:
        raise InvalidValue("the session exists already")
    return created(session, event)


def counted(session: Session, event: Event) -> Session:
    session.state.metrics["count"] = session.state.metrics.get("count", 0) + event.data.get("by", 1)
    return session


def noted(session: Session, event: Event) -> Session:
    session.state.extra.setdefault("notes", []).append(event.data["text"])
    return session


def cleared(session: Session, event: Event) -> Session:
    session.state.extra.pop("notes", None)
    return session


def tasked(session: Session, event: Event) -> Session:
    task_id = event.data["id"]
    session.state.tasks[task_id] = Task(id=task_id, title=event.data.get("title", ""),
                                        description=event.data.get("description", ""), created_at=event.ts)
    return session


def exploding(session: Session, event: Event) -> Session:
    session.state.metrics["count"] = 999  # mutate first: the change must still not be stored
    raise InvalidValue("rejected by the reducer")


REDUCERS: dict[str, Callable[[Session, Event], Session]] = {
    "session.created": created, "count": counted, "note": noted, "notes.cleared": cleared, "task": tasked,
}


def start(store: SessionStore, session_id: str, **data: Any) -> tuple[Event, Session]:
    return store.append(session_id, "session.created", data, "test", created, create=True)


def count(store: SessionStore, session_id: str, by: int = 1, key: str | None = None) -> tuple[Event, Session]:
    return store.append(session_id, "count", {"by": by}, "test", counted, key=key)


def note(store: SessionStore, session_id: str, text: str) -> tuple[Event, Session]:
    return store.append(session_id, "note", {"text": text}, "test", noted)


def task(store: SessionStore, session_id: str, task_id: str, description: str = "") -> tuple[Event, Session]:
    data = {"id": task_id, "title": f"task {task_id}", "description": description}
    return store.append(session_id, "task", data, "test", tasked)


def seqs(events: list[Event]) -> list[int]:
    return [e.seq for e in events]


def grow(store: SessionStore, session_id: str, events: int) -> None:
    """Append ``events`` events of mixed types (a task every seventh) to a started session."""
    for n in range(events):
        if n % 7 == 0:
            task(store, session_id, f"T-{n}", f"task number {n}")
        else:
            count(store, session_id)


def replay(store: SessionStore, session_id: str, *, upto: int | None = None,
           start_from: tuple[int, Session] | None = None) -> Session:
    """Fold the log with the suite's reducers (from a snapshot's (seq, state) when given)."""
    after, state = start_from if start_from is not None else (0, Session(session_id=session_id))
    for event in store.events(session_id, after=after, upto=upto):
        state = REDUCERS[event.type](state, event)
    return state


def plain(session: Session | None) -> Any:
    """A state as JSON data, so states from different backends (and views) compare as values."""
    return None if session is None else unstructure(session)


class StoreContract:
    """The store contract; subclass it in a ``Test*`` class and give it the ``store`` fixture."""

    @pytest.fixture
    def store(self) -> SessionStore:
        raise NotImplementedError("a StoreContract subclass gives the `store` fixture: a fresh, empty store")

    @pytest.fixture
    def reopen(self) -> Callable[[], SessionStore] | None:
        """None: the backend cannot open its data again, so the tests that need it skip."""
        return None

    @pytest.fixture
    def open_again(self, reopen):
        """``open_again()`` -> a new store on the same data, closed after the test."""
        if reopen is None:
            pytest.skip("no `reopen` fixture: the backend cannot open the same data again")
        opened: list[SessionStore] = []

        def open_one() -> SessionStore:
            opened.append(reopen())
            return opened[-1]

        yield open_one
        for other in opened:
            other.close()

    @pytest.fixture
    def ten_events(self, store):
        """A session whose log is: 1 session.created, then count/note alternating up to seq 10."""
        start(store, SESSION)
        for n in range(2, 11):
            if n % 2:
                note(store, SESSION, f"n{n}")
            else:
                count(store, SESSION)
        return store

    # -- creating and appending -------------------------------------------------

    def test_append_with_create_starts_a_session(self, store):
        assert store.load(SESSION) is None

        event, state = start(store, SESSION, mode="scrum")

        assert (event.seq, event.session_id, event.type, event.source) == (1, SESSION, "session.created", "test")
        assert event.data == {"mode": "scrum"}
        assert (state.session_id, state.mode, state.created_at) == (SESSION, "scrum", event.ts)
        assert store.load(SESSION) == state

    def test_append_without_create_to_an_unknown_session_raises_unknown_session(self, store):
        with pytest.raises(UnknownSession, match=SESSION):
            count(store, SESSION)

        assert store.load(SESSION) is None
        assert store.events(SESSION) == []

    def test_get_of_an_unknown_session_raises_unknown_session_with_a_hint(self, store):
        with pytest.raises(UnknownSession, match="orch session list"):
            store.get(SESSION)

    def test_get_returns_the_stored_state(self, store):
        _, state = start(store, SESSION)

        assert store.get(SESSION) == state

    def test_append_returns_the_state_that_is_stored(self, store):
        start(store, SESSION)

        _, state = count(store, SESSION, by=3)

        assert state.state.metrics["count"] == 3
        assert store.load(SESSION) == state

    def test_the_reducer_sees_the_previous_state(self, store):
        start(store, SESSION)
        count(store, SESSION, by=2)
        count(store, SESSION, by=5)

        assert store.load(SESSION).state.metrics["count"] == 7

    def test_event_timestamps_are_iso_utc(self, store):
        event, _ = start(store, SESSION)

        assert event.ts.endswith("Z") and "T" in event.ts

    def test_an_event_keeps_the_timestamp_it_is_given(self, store):
        event, _ = store.append(SESSION, "session.created", {}, "test", created, create=True,
                                ts="2026-01-02T03:04:05Z")

        assert event.ts == "2026-01-02T03:04:05Z"
        assert store.events(SESSION)[0].ts == "2026-01-02T03:04:05Z"

    def test_event_data_round_trips_exactly(self, store):
        data = {"text": "café ✓ 日本", "nested": {"list": [1, 2.5, None, True]}, "empty": {}}
        start(store, SESSION)

        event, _ = store.append(SESSION, "note", data, "test", lambda s, e: s)

        assert event.data == data
        assert store.events(SESSION, types=["note"])[0].data == data

    # -- sequence numbers --------------------------------------------------------

    def test_sequence_numbers_start_at_one_and_have_no_gaps(self, store):
        start(store, SESSION)
        for _ in range(4):
            count(store, SESSION)

        assert seqs(store.events(SESSION)) == [1, 2, 3, 4, 5]

    def test_a_rejected_event_does_not_use_up_a_sequence_number(self, store):
        start(store, SESSION)
        with pytest.raises(InvalidValue):
            store.append(SESSION, "count", {}, "test", exploding)

        event, _ = count(store, SESSION)

        assert event.seq == 2
        assert seqs(store.events(SESSION)) == [1, 2]

    def test_sessions_are_numbered_and_stored_independently(self, store):
        start(store, SESSION, mode="scrum")
        start(store, OTHER_SESSION, mode="solo")
        count(store, SESSION, by=10)
        count(store, OTHER_SESSION, by=1)
        count(store, SESSION, by=10)

        assert seqs(store.events(SESSION)) == [1, 2, 3]
        assert seqs(store.events(OTHER_SESSION)) == [1, 2]
        assert {e.session_id for e in store.events(OTHER_SESSION)} == {OTHER_SESSION}
        assert (store.load(SESSION).state.metrics["count"], store.load(SESSION).mode) == (20, "scrum")
        assert (store.load(OTHER_SESSION).state.metrics["count"], store.load(OTHER_SESSION).mode) == (1, "solo")

    def test_sessions_lists_every_session_most_recently_updated_first(self, store):
        start(store, SESSION, mode="scrum")
        time.sleep(0.002)
        start(store, OTHER_SESSION)
        time.sleep(0.002)
        count(store, SESSION)

        infos = store.sessions()

        assert [i.session_id for i in infos] == [SESSION, OTHER_SESSION]
        assert (infos[0].last_seq, infos[0].mode, infos[1].last_seq) == (2, "scrum", 1)

    # -- reading events ----------------------------------------------------------

    def test_events_are_oldest_first(self, ten_events):
        assert seqs(ten_events.events(SESSION)) == list(range(1, 11))

    def test_events_after_excludes_that_seq(self, ten_events):
        assert seqs(ten_events.events(SESSION, after=7)) == [8, 9, 10]

    def test_events_upto_includes_that_seq(self, ten_events):
        assert seqs(ten_events.events(SESSION, upto=3)) == [1, 2, 3]

    def test_events_after_and_upto_give_a_window(self, ten_events):
        assert seqs(ten_events.events(SESSION, after=3, upto=6)) == [4, 5, 6]

    def test_events_filtered_by_types(self, ten_events):
        events = ten_events.events(SESSION, types=["note", "session.created"])

        assert seqs(events) == [1, 3, 5, 7, 9]
        assert {e.type for e in events} == {"note", "session.created"}

    def test_events_with_no_types_means_every_type(self, ten_events):
        assert len(ten_events.events(SESSION, types=[])) == 10

    def test_events_limit_gives_the_oldest(self, ten_events):
        assert seqs(ten_events.events(SESSION, limit=3)) == [1, 2, 3]

    def test_events_newest_with_limit_gives_the_last_ones_oldest_first(self, ten_events):
        assert seqs(ten_events.events(SESSION, limit=3, newest=True)) == [8, 9, 10]

    def test_events_newest_without_limit_gives_everything_oldest_first(self, ten_events):
        assert seqs(ten_events.events(SESSION, newest=True)) == list(range(1, 11))

    def test_events_filters_combine(self, ten_events):
        events = ten_events.events(SESSION, after=2, upto=9, types=["count"], limit=2, newest=True)

        assert seqs(events) == [6, 8]

    @pytest.mark.parametrize("newest", [False, True])
    def test_events_limit_zero_gives_nothing(self, store, newest):
        start(store, SESSION)
        count(store, SESSION)

        assert store.events(SESSION, limit=0, newest=newest) == []

    def test_events_of_an_unknown_session_are_empty(self, store):
        assert store.events(SESSION) == []

    # -- a failed append leaves nothing behind -----------------------------------

    def test_a_reducer_that_raises_stores_no_event_and_no_state(self, store):
        start(store, SESSION)
        count(store, SESSION, by=4)
        before_state, before_events = store.load(SESSION), store.events(SESSION)

        with pytest.raises(InvalidValue, match="rejected by the reducer"):
            store.append(SESSION, "count", {"by": 1}, "test", exploding)

        assert store.load(SESSION) == before_state
        assert store.load(SESSION).state.metrics["count"] == 4
        assert store.events(SESSION) == before_events

    def test_a_reducer_that_raises_on_create_leaves_no_session(self, store):
        with pytest.raises(InvalidValue):
            store.append(SESSION, "session.created", {}, "test", exploding, create=True)

        assert store.load(SESSION) is None
        assert store.events(SESSION) == []
        assert store.sessions() == []

    def test_any_exception_from_a_reducer_leaves_nothing_behind(self, store):
        start(store, SESSION)

        def broken(session, event):
            session.mode = "changed"
            return {}["missing"]

        with pytest.raises(KeyError):
            store.append(SESSION, "count", {}, "test", broken)

        assert store.load(SESSION).mode == "default"
        assert seqs(store.events(SESSION)) == [1]

    def test_a_reducer_must_return_this_sessions_state(self, store):
        start(store, SESSION)

        with pytest.raises(InvalidValue, match="did not return this session's state"):
            store.append(SESSION, "count", {}, "test", lambda s, e: Session(session_id=OTHER_SESSION))
        with pytest.raises(InvalidValue, match="did not return this session's state"):
            store.append(SESSION, "count", {}, "test", lambda s, e: None)

        assert seqs(store.events(SESSION)) == [1]
        assert store.load(OTHER_SESSION) is None

    @pytest.mark.parametrize(
        ("data", "why"),
        [
            (["not", "an", "object"], "data must be a JSON object, not list"),
            ("text", "data must be a JSON object, not str"),
            ({"when": object()}, "data is not JSON"),
            ({"ratio": float("nan")}, "data is not JSON"),
        ],
    )
    def test_event_data_must_be_a_json_object(self, store, data, why):
        start(store, SESSION)

        with pytest.raises(InvalidValue, match=why):
            store.append(SESSION, "count", data, "test", counted)

        assert seqs(store.events(SESSION)) == [1]

    # -- loaded state is a copy --------------------------------------------------

    def test_mutating_a_loaded_session_does_not_change_the_store(self, store):
        start(store, SESSION, mode="scrum")
        count(store, SESSION)

        loaded = store.load(SESSION)
        loaded.mode = "hacked"
        loaded.state.metrics["count"] = 100
        loaded.active_teams.append("qa")

        again = store.load(SESSION)
        assert (again.mode, again.state.metrics["count"], again.active_teams) == ("scrum", 1, [])

    def test_mutating_the_state_returned_by_append_does_not_change_the_store(self, store):
        _, state = start(store, SESSION, mode="scrum")

        state.mode = "hacked"
        state.state.metrics["count"] = 100

        assert store.load(SESSION).mode == "scrum"
        assert "count" not in store.load(SESSION).state.metrics

    def test_mutating_a_loaded_task_does_not_change_the_store(self, store):
        start(store, SESSION)
        task(store, SESSION, "T-1", "as stored")

        store.load(SESSION).state.tasks["T-1"].description = "hacked"

        assert store.load(SESSION).state.tasks["T-1"].description == "as stored"

    def test_mutating_event_data_does_not_change_the_log(self, store):
        start(store, SESSION)
        store.append(SESSION, "note", {"text": "hello", "tags": ["a"]}, "test", noted)

        store.events(SESSION)[1].data["tags"].append("b")

        assert store.events(SESSION)[1].data == {"text": "hello", "tags": ["a"]}

    def test_mutating_the_data_passed_to_append_does_not_change_the_log(self, store):
        start(store, SESSION)
        data = {"text": "hello", "tags": ["a"]}
        store.append(SESSION, "note", data, "test", noted)

        data["tags"].append("b")

        assert store.events(SESSION)[1].data == {"text": "hello", "tags": ["a"]}

    # -- keys: an event unique within its session ----------------------------------

    def test_a_duplicate_key_raises_duplicate_event_and_changes_nothing(self, store):
        start(store, SESSION)
        count(store, SESSION, key="hook:1")
        before_state, before_events = plain(store.load(SESSION)), store.events(SESSION)

        with pytest.raises(DuplicateEvent):
            count(store, SESSION, by=5, key="hook:1")

        assert plain(store.load(SESSION)) == before_state
        assert store.events(SESSION) == before_events
        assert count(store, SESSION)[0].seq == 3  # the refused event used up no seq

    def test_a_key_is_unique_within_its_session_only(self, store):
        start(store, SESSION)
        start(store, OTHER_SESSION)
        count(store, SESSION, key="hook:1")

        event, _ = count(store, OTHER_SESSION, key="hook:1")

        assert event.seq == 2

    def test_recorded_keys_are_the_asked_keys_the_log_holds(self, store):
        start(store, SESSION)
        count(store, SESSION, key="hook:1")
        count(store, SESSION, key="hook:2")

        assert store.recorded_keys(SESSION, ["hook:1", "hook:3", "hook:2"]) == {"hook:1", "hook:2"}
        assert store.recorded_keys(SESSION, []) == set()
        assert store.recorded_keys(OTHER_SESSION, ["hook:1"]) == set()

    def test_keys_of_events_older_than_the_event_buffer_still_count(self, store):
        store.limits = SMALL_BUFFER
        start(store, SESSION)
        count(store, SESSION, key="hook:first")
        grow(store, SESSION, 100)

        assert store.recorded_keys(SESSION, ["hook:first", "hook:other"]) == {"hook:first"}
        with pytest.raises(DuplicateEvent):
            count(store, SESSION, key="hook:first")

    # -- past the event buffer -----------------------------------------------------

    def test_past_the_event_buffer_every_event_is_still_returned_in_order(self, store):
        store.limits = SMALL_BUFFER
        start(store, SESSION)

        grow(store, SESSION, 100)

        assert seqs(store.events(SESSION)) == list(range(1, 102))
        assert store.sessions()[0].last_seq == 101
        assert count(store, SESSION)[0].seq == 102

    def test_past_the_event_buffer_windows_and_filters_span_old_and_new_events(self, store):
        store.limits = SMALL_BUFFER
        start(store, SESSION)
        grow(store, SESSION, 100)

        assert seqs(store.events(SESSION, after=5, upto=95)) == list(range(6, 96))
        assert seqs(store.events(SESSION, types=["task"])) == list(range(2, 102, 7))
        assert seqs(store.events(SESSION, limit=3)) == [1, 2, 3]
        assert seqs(store.events(SESSION, limit=3, newest=True)) == [99, 100, 101]

    # -- the state is the fold of the log ------------------------------------------

    def test_replaying_the_log_from_the_start_gives_the_stored_state(self, ten_events):
        task(ten_events, SESSION, "T-1", "a task")

        assert plain(replay(ten_events, SESSION)) == plain(ten_events.load(SESSION))

    def test_replay_equals_the_stored_state_past_the_event_buffer(self, store):
        store.limits = SMALL_BUFFER
        start(store, SESSION)
        grow(store, SESSION, 150)

        assert plain(replay(store, SESSION)) == plain(store.load(SESSION))

    def test_replay_from_the_latest_snapshot_plus_the_tail_gives_the_stored_state(self, store):
        store.limits = SMALL_BUFFER
        start(store, SESSION)
        grow(store, SESSION, 40)
        self.needs_snapshots(store)
        grow(store, SESSION, 60)

        found = store.latest_snapshot(SESSION)

        assert found is not None
        assert plain(replay(store, SESSION, start_from=found)) == plain(store.load(SESSION))

    def test_a_named_snapshot_holds_the_state_at_its_seq(self, store):
        start(store, SESSION)
        grow(store, SESSION, 8)
        at = store.load(SESSION)
        seq = self.needs_snapshots(store, "before the sprint")
        grow(store, SESSION, 8)

        found_seq, state = store.latest_snapshot(SESSION, upto=seq)

        assert seq == found_seq == 9
        assert plain(state) == plain(at) == plain(replay(store, SESSION, upto=seq))

    def test_latest_snapshot_picks_the_newest_at_or_before_upto(self, store):
        start(store, SESSION)
        grow(store, SESSION, 4)
        first = self.needs_snapshots(store, "first")
        grow(store, SESSION, 4)
        second = store.snapshot(SESSION, "second")
        grow(store, SESSION, 4)

        assert store.latest_snapshot(SESSION, upto=second)[0] == second
        found_seq, state = store.latest_snapshot(SESSION, upto=second - 1)
        assert first <= found_seq < second  # the named one, or an automatic one after it
        assert plain(state) == plain(replay(store, SESSION, upto=found_seq))
        assert store.latest_snapshot(SESSION)[0] >= second

    def needs_snapshots(self, store: SessionStore, reason: str = "contract") -> int:
        """Take a named snapshot of SESSION; skip the test when the backend has none."""
        seq = store.snapshot(SESSION, reason)
        if seq is None:
            pytest.skip("the backend has no snapshots (snapshot() returns None)")
        return seq

    # -- the state-size limit -------------------------------------------------------

    def test_an_event_growing_the_state_past_its_limit_raises_limit_exceeded_and_changes_nothing(self, store):
        store.limits = StoreLimits(max_state_bytes=20 * 1024)
        start(store, SESSION)
        note(store, SESSION, "x" * 15_000)
        before_state, before_events = plain(store.load(SESSION)), store.events(SESSION)

        with pytest.raises(LimitExceeded, match="limits.max_state_kb"):
            note(store, SESSION, "y" * 10_000)

        assert plain(store.load(SESSION)) == before_state
        assert store.events(SESSION) == before_events

    def test_an_event_shrinking_a_state_over_its_limit_is_taken(self, store):
        start(store, SESSION)
        note(store, SESSION, "x" * 15_000)
        store.limits = StoreLimits(max_state_bytes=10 * 1024)  # lowered below what the session holds

        event, state = store.append(SESSION, "notes.cleared", {}, "test", cleared)

        assert event.seq == 3 and "notes" not in state.state.extra
        assert "notes" not in store.load(SESSION).state.extra

    # -- large entities, many sessions ----------------------------------------------

    def test_tasks_with_long_text_round_trip_in_order(self, store):
        start(store, SESSION)
        texts = {f"T-{n}": f"{n} café ✓ 日本 " * 1_000 for n in range(20)}
        for task_id, text in texts.items():
            task(store, SESSION, task_id, text)

        tasks = store.load(SESSION).state.tasks

        assert list(tasks) == list(texts)
        assert {task_id: t.description for task_id, t in tasks.items()} == texts
        assert tasks["T-3"].title == "task T-3"

    def test_changing_one_task_of_many_keeps_the_others(self, store):
        start(store, SESSION)
        for n in range(20):
            task(store, SESSION, f"T-{n}", "x" * 5_000)

        task(store, SESSION, "T-7", "rewritten")

        tasks = store.load(SESSION).state.tasks
        assert tasks["T-7"].description == "rewritten"
        assert [t.description for i, t in tasks.items() if i != "T-7"] == ["x" * 5_000] * 19

    def test_many_sessions_are_each_listed_and_kept(self, store):
        ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(100)]
        for n, session_id in enumerate(ids):
            start(store, session_id, mode=f"m{n}")

        assert sorted(i.session_id for i in store.sessions()) == sorted(ids)
        assert [store.load(s).mode for s in ids] == [f"m{n}" for n in range(100)]

    # -- removing a session (a capability) --------------------------------------------

    def test_removing_a_session_removes_its_state_events_and_keys(self, store):
        store.limits = SMALL_BUFFER
        start(store, SESSION)
        count(store, SESSION, key="hook:1")
        grow(store, SESSION, 60)
        start(store, OTHER_SESSION, mode="solo")

        if not store.remove_session(SESSION):
            pytest.skip("the backend keeps every session (remove_session() returns False)")

        assert store.load(SESSION) is None
        assert store.events(SESSION) == []
        assert store.recorded_keys(SESSION, ["hook:1"]) == set()
        assert [i.session_id for i in store.sessions()] == [OTHER_SESSION]
        assert store.load(OTHER_SESSION).mode == "solo"

    def test_a_removed_session_starts_again_from_seq_one(self, store):
        start(store, SESSION)
        count(store, SESSION, key="hook:1")
        if not store.remove_session(SESSION):
            pytest.skip("the backend keeps every session (remove_session() returns False)")

        event, state = start(store, SESSION)

        assert event.seq == 1 and "count" not in state.state.metrics
        assert count(store, SESSION, key="hook:1")[0].seq == 2

    # -- another store object on the same data (``reopen``) ------------------------------

    def test_state_and_log_survive_reopening(self, open_again):
        first = open_again()
        start(first, SESSION, mode="scrum")
        _, state = count(first, SESSION, by=2)
        events = first.events(SESSION)
        first.close()

        second = open_again()

        assert plain(second.load(SESSION)) == plain(state)
        assert second.events(SESSION) == events
        assert count(second, SESSION)[0].seq == 3

    def test_two_store_objects_see_each_others_writes(self, store, open_again):
        other = open_again()

        start(store, SESSION)
        assert other.load(SESSION) is not None
        count(other, SESSION, key="hook:1")

        assert seqs(store.events(SESSION)) == [1, 2]
        assert store.recorded_keys(SESSION, ["hook:1"]) == {"hook:1"}
        assert store.load(SESSION).state.metrics["count"] == 1

    def test_threads_appending_to_one_session_lose_nothing_and_double_nothing(self, store, reopen):
        if reopen is None:
            pytest.skip("no `reopen` fixture: each thread needs its own store on the same data")

        def write(thread: int, other: SessionStore) -> None:
            for n in range(EVENTS_PER_THREAD):
                other.append(SESSION, "count", {"by": 1, "from": f"{thread}-{n}"}, "test", counted, create=True)

        outcomes = in_threads(reopen, write)

        assert outcomes == [None] * THREADS
        events = store.events(SESSION)
        total = THREADS * EVENTS_PER_THREAD
        assert seqs(events) == list(range(1, total + 1))
        expected = sorted(f"{t}-{n}" for t in range(THREADS) for n in range(EVENTS_PER_THREAD))
        assert sorted(e.data["from"] for e in events) == expected
        assert store.load(SESSION).state.metrics["count"] == total
        assert store.sessions()[0].last_seq == total

    def test_threads_racing_to_create_one_session_create_it_once(self, store, reopen):
        if reopen is None:
            pytest.skip("no `reopen` fixture: each thread needs its own store on the same data")

        def create(thread: int, other: SessionStore) -> None:
            other.append(SESSION, "session.created", {"mode": f"m{thread}"}, "test", created_once, create=True)

        outcomes = in_threads(reopen, create)

        refused = [o for o in outcomes if o is not None]
        assert len(refused) == THREADS - 1 and all(isinstance(o, InvalidValue) for o in refused), outcomes
        assert [(e.seq, e.type) for e in store.events(SESSION)] == [(1, "session.created")]
        assert [i.session_id for i in store.sessions()] == [SESSION]
        assert store.load(SESSION).mode == store.events(SESSION)[0].data["mode"]


def in_threads(reopen: Callable[[], SessionStore], work: Callable[[int, SessionStore], None]) -> list:
    """Run ``work(thread, store)`` in THREADS threads at once, each on its own reopened store (closed after).

    One outcome per thread: None when its work was done, else the exception it
    raised (kept for the assertion, not lost in the thread).
    """
    barrier = threading.Barrier(THREADS)
    outcomes: list[BaseException | None] = [RuntimeError("the thread did not finish")] * THREADS

    def run(thread: int) -> None:
        other = None
        try:
            other = reopen()
            barrier.wait(timeout=60)
            work(thread, other)
            outcomes[thread] = None
        except BaseException as exc:
            outcomes[thread] = exc
        finally:
            if other is not None:
                other.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes
