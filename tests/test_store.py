"""Session stores: the contract every backend keeps, then what is SQLite's own.

``append`` is the only way to change a session: in one transaction it numbers
the event, applies the reducer and stores both. A reducer that raises leaves
nothing behind. The contract tests run against SQLite and the memory store.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from orchcore.errors import InvalidValue, StoreError, UnknownSession
from orchcore.models import Event, Session
from orchcore.store.sqlite import DB_NAME, SCHEMA_VERSION, SqliteStore

OTHER_SESSION = "7a214c65-635e-4f7c-ac74-130030d59d09"


@pytest.fixture(params=["sqlite", "memory"])
def store(request):
    """Each contract test runs once per built-in backend."""
    return request.getfixturevalue("orch_store" if request.param == "sqlite" else "orch_memory_store")


# Reducers: pure functions (state, event) -> new state, as plugins write them.


def created(session: Session, event: Event) -> Session:
    session.created_at = event.ts
    session.mode = event.data.get("mode", session.mode)
    return session


def counted(session: Session, event: Event) -> Session:
    session.state.metrics["count"] = session.state.metrics.get("count", 0) + event.data.get("by", 1)
    return session


def noted(session: Session, event: Event) -> Session:
    session.state.extra.setdefault("notes", []).append(event.data["text"])
    return session


def exploding(session: Session, event: Event) -> Session:
    session.state.metrics["count"] = 999  # mutate first: the change must still not be stored
    raise InvalidValue("rejected by the reducer")


def start(store, session_id: str, **data) -> tuple[Event, Session]:
    return store.append(session_id, "session.created", data, "test", created, create=True)


def count(store, session_id: str, by: int = 1) -> tuple[Event, Session]:
    return store.append(session_id, "count", {"by": by}, "test", counted)


def seqs(events: list[Event]) -> list[int]:
    return [e.seq for e in events]


# -- creating and appending -------------------------------------------------


def test_append_with_create_starts_a_session(store, session_id):
    assert store.load(session_id) is None

    event, state = start(store, session_id, mode="scrum")

    assert event.seq == 1
    assert event.session_id == session_id
    assert event.type == "session.created"
    assert event.source == "test"
    assert event.data == {"mode": "scrum"}
    assert state.session_id == session_id
    assert state.mode == "scrum"
    assert state.created_at == event.ts
    assert store.load(session_id) == state


def test_append_without_create_to_an_unknown_session_raises_unknown_session(store, session_id):
    with pytest.raises(UnknownSession, match=session_id):
        count(store, session_id)

    assert store.load(session_id) is None
    assert store.events(session_id) == []


def test_get_of_an_unknown_session_raises_unknown_session_with_a_hint(store, session_id):
    with pytest.raises(UnknownSession, match="orch session list"):
        store.get(session_id)


def test_get_returns_the_stored_state(store, session_id):
    _, state = start(store, session_id)

    assert store.get(session_id) == state


def test_append_returns_the_state_that_is_stored(store, session_id):
    start(store, session_id)

    _, state = count(store, session_id, by=3)

    assert state.state.metrics["count"] == 3
    assert store.load(session_id) == state


def test_the_reducer_sees_the_previous_state(store, session_id):
    start(store, session_id)
    count(store, session_id, by=2)
    count(store, session_id, by=5)

    assert store.load(session_id).state.metrics["count"] == 7


def test_event_timestamps_are_iso_utc(store, session_id):
    event, _ = start(store, session_id)

    assert event.ts.endswith("Z")
    assert "T" in event.ts


def test_event_data_round_trips_exactly(store, session_id):
    data = {"text": "café ✓ 日本", "nested": {"list": [1, 2.5, None, True]}, "empty": {}}
    start(store, session_id)

    event, _ = store.append(session_id, "note", data, "test", lambda s, e: s)

    assert event.data == data
    assert store.events(session_id, types=["note"])[0].data == data


# -- sequence numbers ----------------------------------------------------------


def test_sequence_numbers_start_at_one_and_have_no_gaps(store, session_id):
    start(store, session_id)
    for _ in range(4):
        count(store, session_id)

    assert seqs(store.events(session_id)) == [1, 2, 3, 4, 5]


def test_a_rejected_event_does_not_use_up_a_sequence_number(store, session_id):
    start(store, session_id)
    with pytest.raises(InvalidValue):
        store.append(session_id, "count", {}, "test", exploding)

    event, _ = count(store, session_id)

    assert event.seq == 2
    assert seqs(store.events(session_id)) == [1, 2]


def test_sessions_are_numbered_and_stored_independently(store, session_id):
    start(store, session_id, mode="scrum")
    start(store, OTHER_SESSION, mode="solo")
    count(store, session_id, by=10)
    count(store, OTHER_SESSION, by=1)
    count(store, session_id, by=10)

    assert seqs(store.events(session_id)) == [1, 2, 3]
    assert seqs(store.events(OTHER_SESSION)) == [1, 2]
    assert {e.session_id for e in store.events(OTHER_SESSION)} == {OTHER_SESSION}
    assert store.load(session_id).state.metrics["count"] == 20
    assert store.load(session_id).mode == "scrum"
    assert store.load(OTHER_SESSION).state.metrics["count"] == 1
    assert store.load(OTHER_SESSION).mode == "solo"


def test_sessions_lists_every_session_most_recently_updated_first(store, session_id):
    start(store, session_id, mode="scrum")
    time.sleep(0.002)
    start(store, OTHER_SESSION)
    time.sleep(0.002)
    count(store, session_id)

    infos = store.sessions()

    assert [i.session_id for i in infos] == [session_id, OTHER_SESSION]
    assert infos[0].last_seq == 2
    assert infos[0].mode == "scrum"
    assert infos[1].last_seq == 1


# -- reading events ------------------------------------------------------------


@pytest.fixture
def ten_events(store, session_id):
    """A session whose log is: 1 session.created, then count/note alternating up to seq 10."""
    start(store, session_id)
    for n in range(2, 11):
        if n % 2:
            store.append(session_id, "note", {"text": f"n{n}"}, "test", noted)
        else:
            count(store, session_id)
    return store


def test_events_are_oldest_first(ten_events, session_id):
    assert seqs(ten_events.events(session_id)) == list(range(1, 11))


def test_events_after_excludes_that_seq(ten_events, session_id):
    assert seqs(ten_events.events(session_id, after=7)) == [8, 9, 10]


def test_events_upto_includes_that_seq(ten_events, session_id):
    assert seqs(ten_events.events(session_id, upto=3)) == [1, 2, 3]


def test_events_after_and_upto_give_a_window(ten_events, session_id):
    assert seqs(ten_events.events(session_id, after=3, upto=6)) == [4, 5, 6]


def test_events_filtered_by_types(ten_events, session_id):
    events = ten_events.events(session_id, types=["note", "session.created"])

    assert seqs(events) == [1, 3, 5, 7, 9]
    assert {e.type for e in events} == {"note", "session.created"}


def test_events_with_no_types_means_every_type(ten_events, session_id):
    assert len(ten_events.events(session_id, types=[])) == 10


def test_events_limit_gives_the_oldest(ten_events, session_id):
    assert seqs(ten_events.events(session_id, limit=3)) == [1, 2, 3]


def test_events_newest_with_limit_gives_the_last_ones_oldest_first(ten_events, session_id):
    assert seqs(ten_events.events(session_id, limit=3, newest=True)) == [8, 9, 10]


def test_events_newest_without_limit_gives_everything_oldest_first(ten_events, session_id):
    assert seqs(ten_events.events(session_id, newest=True)) == list(range(1, 11))


def test_events_filters_combine(ten_events, session_id):
    events = ten_events.events(session_id, after=2, upto=9, types=["count"], limit=2, newest=True)

    assert seqs(events) == [6, 8]


def test_events_limit_zero_gives_nothing(store, session_id):
    start(store, session_id)
    count(store, session_id)

    assert store.events(session_id, limit=0) == []


def test_events_newest_with_limit_zero_gives_nothing(store, session_id):
    start(store, session_id)
    count(store, session_id)

    assert store.events(session_id, limit=0, newest=True) == []


def test_events_of_an_unknown_session_are_empty(store, session_id):
    assert store.events(session_id) == []


# -- a failed append leaves nothing behind -----------------------------------


def test_a_reducer_that_raises_stores_no_event_and_no_state(store, session_id):
    start(store, session_id)
    count(store, session_id, by=4)
    before_state = store.load(session_id)
    before_events = store.events(session_id)

    with pytest.raises(InvalidValue, match="rejected by the reducer"):
        store.append(session_id, "count", {"by": 1}, "test", exploding)

    assert store.load(session_id) == before_state
    assert store.load(session_id).state.metrics["count"] == 4
    assert store.events(session_id) == before_events


def test_a_reducer_that_raises_on_create_leaves_no_session(store, session_id):
    with pytest.raises(InvalidValue):
        store.append(session_id, "session.created", {}, "test", exploding, create=True)

    assert store.load(session_id) is None
    assert store.events(session_id) == []
    assert store.sessions() == []


def test_any_exception_from_a_reducer_leaves_nothing_behind(store, session_id):
    start(store, session_id)

    def broken(session, event):
        session.mode = "changed"
        return {}["missing"]

    with pytest.raises(KeyError):
        store.append(session_id, "count", {}, "test", broken)

    assert store.load(session_id).mode == "default"
    assert seqs(store.events(session_id)) == [1]


def test_a_reducer_must_return_this_sessions_state(store, session_id):
    start(store, session_id)

    with pytest.raises(InvalidValue, match="did not return this session's state"):
        store.append(session_id, "count", {}, "test", lambda s, e: Session(session_id=OTHER_SESSION))
    with pytest.raises(InvalidValue, match="did not return this session's state"):
        store.append(session_id, "count", {}, "test", lambda s, e: None)

    assert seqs(store.events(session_id)) == [1]
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
def test_event_data_must_be_a_json_object(store, session_id, data, why):
    start(store, session_id)

    with pytest.raises(InvalidValue, match=why):
        store.append(session_id, "count", data, "test", counted)

    assert seqs(store.events(session_id)) == [1]


# -- loaded state is a copy ------------------------------------------------------


def test_mutating_a_loaded_session_does_not_change_the_store(store, session_id):
    start(store, session_id, mode="scrum")
    count(store, session_id)

    loaded = store.load(session_id)
    loaded.mode = "hacked"
    loaded.state.metrics["count"] = 100
    loaded.active_teams.append("qa")

    again = store.load(session_id)
    assert again.mode == "scrum"
    assert again.state.metrics["count"] == 1
    assert again.active_teams == []


def test_mutating_the_state_returned_by_append_does_not_change_the_store(store, session_id):
    _, state = start(store, session_id, mode="scrum")

    state.mode = "hacked"
    state.state.metrics["count"] = 100

    assert store.load(session_id).mode == "scrum"
    assert "count" not in store.load(session_id).state.metrics


def test_mutating_event_data_does_not_change_the_log(store, session_id):
    start(store, session_id)
    store.append(session_id, "note", {"text": "hello", "tags": ["a"]}, "test", noted)

    store.events(session_id)[1].data["tags"].append("b")

    assert store.events(session_id)[1].data == {"text": "hello", "tags": ["a"]}


def test_mutating_the_data_passed_to_append_does_not_change_the_log(store, session_id):
    start(store, session_id)
    data = {"text": "hello", "tags": ["a"]}
    store.append(session_id, "note", data, "test", noted)

    data["tags"].append("b")

    assert store.events(session_id)[1].data == {"text": "hello", "tags": ["a"]}


# -- SQLite: the file on disk ------------------------------------------------------


def raw(store: SqliteStore) -> sqlite3.Connection:
    return sqlite3.connect(store.path, isolation_level=None)


def test_sqlite_database_lives_in_the_state_folder(orch_store, orch_project):
    assert orch_store.path == orch_project / ".claude" / "state" / DB_NAME
    assert orch_store.location == str(orch_store.path)


def test_sqlite_database_is_in_wal_mode(orch_store, session_id):
    start(orch_store, session_id)

    with raw(orch_store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_schema_version_is_kept_in_user_version(orch_store, session_id):
    start(orch_store, session_id)

    with raw(orch_store) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_sqlite_state_folder_is_ignored_by_git(orch_store, orch_project):
    orch_store.sessions()  # opening the store creates the folder

    gitignore = orch_project / ".claude" / "state" / ".gitignore"
    assert gitignore.read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_sqlite_keeps_an_existing_gitignore(orch_project, session_id):
    state = orch_project / ".claude" / "state"
    state.mkdir(parents=True)
    (state / ".gitignore").write_text("*.db\n", encoding="utf-8")

    store = SqliteStore(state)
    start(store, session_id)
    store.close()

    assert (state / ".gitignore").read_text(encoding="utf-8") == "*.db\n"


def test_sqlite_opens_lazily(orch_project):
    store = SqliteStore(orch_project / ".claude" / "state")

    assert not store.path.exists()
    store.sessions()
    assert store.path.exists()
    store.close()


def test_sqlite_state_and_log_survive_reopening(orch_project, session_id):
    state_dir = orch_project / ".claude" / "state"
    first = SqliteStore(state_dir)
    start(first, session_id, mode="scrum")
    _, state = count(first, session_id, by=2)
    events = first.events(session_id)
    first.close()

    second = SqliteStore(state_dir)
    try:
        assert second.load(session_id) == state
        assert second.events(session_id) == events
        assert count(second, session_id)[0].seq == 3
    finally:
        second.close()


def test_sqlite_two_stores_on_one_file_see_each_others_writes(orch_project, session_id):
    state_dir = orch_project / ".claude" / "state"
    writer, reader = SqliteStore(state_dir), SqliteStore(state_dir)
    try:
        start(writer, session_id)
        assert reader.load(session_id) is not None
        count(reader, session_id)
        assert seqs(writer.events(session_id)) == [1, 2]
    finally:
        writer.close()
        reader.close()


# -- SQLite: schema versions ---------------------------------------------------


def test_sqlite_upgrades_an_empty_version_0_file(orch_project, session_id):
    state_dir = orch_project / ".claude" / "state"
    state_dir.mkdir(parents=True)
    (state_dir / DB_NAME).write_bytes(b"")

    store = SqliteStore(state_dir)
    try:
        start(store, session_id)
        assert store.load(session_id) is not None
    finally:
        store.close()

    with sqlite3.connect(state_dir / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "events"} <= tables


def test_sqlite_upgrades_a_version_0_database_and_keeps_its_other_tables(orch_project, session_id):
    state_dir = orch_project / ".claude" / "state"
    state_dir.mkdir(parents=True)
    with sqlite3.connect(state_dir / DB_NAME) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")

    store = SqliteStore(state_dir)
    try:
        start(store, session_id)
    finally:
        store.close()

    with sqlite3.connect(state_dir / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT body FROM notes").fetchall() == [("keep me",)]


def test_sqlite_refuses_a_database_from_a_newer_orchcore(orch_project, session_id):
    state_dir = orch_project / ".claude" / "state"
    state_dir.mkdir(parents=True)
    with sqlite3.connect(state_dir / DB_NAME) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    store = SqliteStore(state_dir)
    with pytest.raises(StoreError, match="upgrade orchcore") as caught:
        store.load(session_id)

    assert f"schema {SCHEMA_VERSION + 1}" in str(caught.value)
    with sqlite3.connect(state_dir / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


# -- SQLite: corruption ---------------------------------------------------------


@pytest.fixture
def garbage_db(orch_project):
    state_dir = orch_project / ".claude" / "state"
    state_dir.mkdir(parents=True)
    path = state_dir / DB_NAME
    content = b"this is not an SQLite database\x00\xff\xfe" * 200
    path.write_bytes(content)
    return state_dir, path, content


def test_sqlite_corrupt_file_is_a_one_line_store_error(garbage_db, session_id):
    state_dir, path, _ = garbage_db
    store = SqliteStore(state_dir)

    with pytest.raises(StoreError) as caught:
        store.load(session_id)

    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "is not an SQLite database" in message
    assert caught.value.cause == "not-a-database"


def test_sqlite_corrupt_file_is_left_byte_identical(garbage_db, session_id):
    state_dir, path, content = garbage_db
    store = SqliteStore(state_dir)

    for attempt in (lambda: store.load(session_id), store.sessions, lambda: start(store, session_id)):
        with pytest.raises(StoreError):
            attempt()

    assert path.read_bytes() == content


def corrupt_state_row(store: SqliteStore, session_id: str, text: str) -> None:
    with raw(store) as conn:
        conn.execute("UPDATE sessions SET state = ? WHERE session_id = ?", (text, session_id))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"session_id": "truncated', id="not-json"),
        pytest.param('{"session_id": 42}', id="wrong-type"),
        pytest.param("[]", id="not-an-object"),
    ],
)
def test_sqlite_corrupt_state_row_is_a_store_error(orch_store, session_id, text):
    start(orch_store, session_id)
    corrupt_state_row(orch_store, session_id, text)

    with pytest.raises(StoreError, match="is corrupt") as caught:
        orch_store.load(session_id)

    assert session_id in str(caught.value)
    assert "orch events replay" in str(caught.value)


def test_sqlite_append_to_a_corrupt_state_row_is_refused_and_logs_nothing(orch_store, session_id):
    start(orch_store, session_id)
    corrupt_state_row(orch_store, session_id, "{oops")

    with pytest.raises(StoreError):
        count(orch_store, session_id)

    assert seqs(orch_store.events(session_id)) == [1]


def test_sqlite_corrupt_state_row_keeps_other_sessions_readable(orch_store, session_id):
    start(orch_store, session_id)
    start(orch_store, OTHER_SESSION, mode="solo")
    corrupt_state_row(orch_store, session_id, "{oops")

    assert orch_store.load(OTHER_SESSION).mode == "solo"


def test_sqlite_corrupt_event_row_is_a_store_error(orch_store, session_id):
    start(orch_store, session_id)
    with raw(orch_store) as conn:
        conn.execute("UPDATE events SET data = '{nope' WHERE session_id = ? AND seq = 1", (session_id,))

    with pytest.raises(StoreError, match="event 1 of session .* is corrupt"):
        orch_store.events(session_id)
