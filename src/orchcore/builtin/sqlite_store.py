"""Built-in plugin: the embedded SQLite (WAL) session store, the default backend."""

from __future__ import annotations

from orchcore.plugins import hookimpl
from orchcore.specs import StoreBackend


def _open(state_dir, options):
    from orchcore.store.sqlite import open_sqlite

    return open_sqlite(state_dir, options)


@hookimpl
def orch_store_backends():
    return [StoreBackend(name="sqlite", factory=_open, description="SQLite in WAL mode under .claude/state/")]
