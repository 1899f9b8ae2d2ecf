"""The SQLite schema of the embedded store, as plain data.

Kept apart from the store's code so tools (and tests) can read the schema
without loading models or plugins.
"""

DB_NAME = "orchcore.db"
SCHEMA_VERSION = 3

# MIGRATIONS[n] upgrades the schema from version n to n + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS sessions (
        session_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        orchestration_enabled INTEGER NOT NULL,
        mode TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS events (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts TEXT NOT NULL,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS events_by_type ON events (session_id, type, seq);
    """,
    # v2: an event may carry a key that makes it unique within its session: a hook event
    # recorded once, whether it arrived live or was recovered from the transcript.
    """
    ALTER TABLE events ADD COLUMN key TEXT;
    CREATE UNIQUE INDEX IF NOT EXISTS events_by_key ON events (session_id, key) WHERE key IS NOT NULL;
    """,
    # v3: constant cost per event. ``sessions.state`` holds the session's head (see
    # orchcore.store.parts) and each entity is a row of ``parts``; a head written by v2 still
    # holds its entities and is split on its next event. Events beyond the buffer move to
    # ``events_archive`` (never deleted) after a snapshot of the state at that point.
    """
    CREATE TABLE IF NOT EXISTS parts (
        session_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        ord INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (session_id, kind, id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS events_archive (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts TEXT NOT NULL,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        data TEXT NOT NULL,
        key TEXT,
        PRIMARY KEY (session_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS events_archive_by_type ON events_archive (session_id, type, seq);
    CREATE UNIQUE INDEX IF NOT EXISTS events_archive_by_key ON events_archive (session_id, key) WHERE key IS NOT NULL;
    CREATE TABLE IF NOT EXISTS snapshots (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        reason TEXT NOT NULL,
        ts TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (session_id, seq, reason)
    ) WITHOUT ROWID;
    ALTER TABLE sessions ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN archived_at TEXT;
    ALTER TABLE sessions ADD COLUMN archived_upto INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN snapshot_ts TEXT
    """,
]
