"""Session stores: the contract every backend keeps, then what is SQLite's own.

The contract is ``orchcore.testing.StoreContract``, the suite a third-party
backend runs too; here it runs on the two built-in backends. The tests below
it are SQLite's own: the file on disk, schema versions, corruption.
"""

from __future__ import annotations

import sqlite3

import pytest

from orchcore.errors import StoreError
from orchcore.store.sqlite import DB_NAME, SCHEMA_VERSION, SqliteStore
from orchcore.testing import StoreContract
from orchcore.testing.store_contract import OTHER_SESSION, count, seqs, start


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self, orch_memory_store):
        return orch_memory_store


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, orch_store):
        return orch_store

    @pytest.fixture
    def reopen(self, store, orch_project):
        return lambda: SqliteStore(orch_project / ".claude" / "state")


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
