"""Session stores: the interface and the built-in backends.

``base.SessionStore`` is the interface; ``sqlite.SqliteStore`` is the embedded
default (SQLite in WAL mode under ``.claude/state/``); ``memory.MemoryStore``
is for tests; ``layout`` is the SQLite schema, kept import-free so the hook
path can read it without loading the models. Backends are offered to the
runtime through the ``orch_store_backends`` hook, built-ins included.
"""
