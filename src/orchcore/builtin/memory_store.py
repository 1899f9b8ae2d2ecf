"""Built-in plugin: the in-memory session store (tests, throwaway runs)."""

from __future__ import annotations

from orchcore.plugins import hookimpl
from orchcore.specs import StoreBackend


def _open(state_dir, options):
    from orchcore.store.memory import MemoryStore

    return MemoryStore()


@hookimpl
def orch_store_backends():
    return [StoreBackend(name="memory", factory=_open, description="in-process memory; nothing persists")]
