"""What a store backend may do beyond the ``SessionStore`` interface, and what it gets when it does not.

The router, the runtime and ``orch doctor`` never ask which backend they
have; they call a capability method, whose default is right for a backend
without the feature:

* ``note_activity(session_id, enabled)``: the SQLite store keeps the gate's
  flag file fresh (and heals a missing one); by default nothing happens;
* ``can_reopen()``: whether a second connection reaches the same sessions;
  the memory store says no, so the runtime shares it;
* ``is_created()`` and ``integrity_problem()``: what ``orch doctor`` reports.

So a third-party backend implements the abstract methods and nothing else.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from typing import Any

import pytest

from orchcore import doctor, gate
from orchcore.bus import EventBus
from orchcore.entry import run_hook
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.runtime import Runtime
from orchcore.specs import HookHandler, StoreBackend
from orchcore.store.base import SessionStore
from orchcore.store.memory import MemoryStore

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


class InterfaceOnlyStore(SessionStore):
    """A third-party-like backend: the abstract methods, nothing more.

    Its sessions live in ``server`` (a MemoryStore standing in for a
    database server), so every connection sees the same sessions.
    """

    name = "interface-only"
    location = "the server"

    def __init__(self, server: MemoryStore) -> None:
        self._server = server

    def load(self, session_id: str):
        return self._server.load(session_id)

    def sessions(self):
        return self._server.sessions()

    def append(self, session_id: str, type: str, data: dict[str, Any], source: str, reduce, *, create=False, key=None):
        return self._server.append(session_id, type, data, source, reduce, create=create, key=key)

    def recorded_keys(self, session_id: str, keys: Iterable[str]) -> set[str]:
        return self._server.recorded_keys(session_id, keys)

    def events(self, session_id: str, **options: Any):
        return self._server.events(session_id, **options)


class InterfaceOnlyBackend:
    def __init__(self) -> None:
        self.server = MemoryStore()

    @hookimpl
    def orch_store_backends(self):
        return [StoreBackend(name="interface-only", factory=lambda state_dir, options: InterfaceOnlyStore(self.server))]


def hook(runtime: Runtime, event: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    payload = {"session_id": SESSION, "hook_event_name": event, "cwd": str(runtime.project), "prompt": "hi"}
    out = io.StringIO()
    code = run_hook(json.dumps(payload).encode(), {**os.environ, **(env or {})}, out, io.StringIO(), runtime=runtime)
    return code, out.getvalue()


@pytest.fixture
def interface_only(orch_project, orch_plugin_manager, register_plugin, monkeypatch):
    """A runtime whose store is the interface-only backend, chosen as a user would (``store.backend``)."""
    register_plugin(InterfaceOnlyBackend(), name="interface-only-backend")
    monkeypatch.setenv("ORCH_STORE", "interface-only")
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager)
    yield runtime
    runtime.close()


# -- the defaults ------------------------------------------------------------------------------


def test_a_backend_with_only_the_interface_gets_defaults_that_change_nothing(orch_project, orch_plugin_manager):
    store = InterfaceOnlyStore(MemoryStore())
    EventBus(store, orch_plugin_manager).ensure_session(SESSION, source="test")
    files, events = sorted(orch_project.rglob("*")), store.events(SESSION)

    store.note_activity(SESSION, enabled=True)  # no flag files to keep: nothing written, and no error
    store.note_activity("0d3f7c10-0000-4000-8000-000000000000", enabled=False)  # not even for a session it lacks

    assert (sorted(orch_project.rglob("*")), store.events(SESSION)) == (files, events)
    assert store.can_reopen() is True  # its sessions live elsewhere: a new connection sees them
    assert store.is_created() is True  # it cannot tell otherwise
    assert store.integrity_problem() is None  # it has no check


def test_the_router_answers_hook_events_with_such_a_backend(interface_only, register_plugin):
    class Greeter:
        @hookimpl
        def orch_hook_handlers(self):
            return [HookHandler(name="greeter", events="UserPromptSubmit",
                                handler=lambda event, context: HookResult.context("hello"))]

    register_plugin(Greeter(), name="greeter")

    code, out = hook(interface_only, "UserPromptSubmit", {"ORCH_ENABLED": "1"})

    assert code == 0 and "hello" in json.loads(out)["hookSpecificOutput"]["additionalContext"]
    assert [e.type for e in interface_only.store.events(SESSION)][-1] == "hook.handled"
    assert not os.path.exists(os.path.join(interface_only.state_dir, gate.GATE_DIR))  # no flag files written


def test_the_runtime_opens_such_a_backend_again_for_another_thread(interface_only):
    hook(interface_only, "SessionStart")

    other = interface_only.open_store()

    assert other is not interface_only.store and other.has_session(SESSION)


def test_orch_doctor_counts_the_sessions_of_such_a_backend(interface_only):
    hook(interface_only, "SessionStart")

    check = doctor.check_store(interface_only)

    assert (check.status, check.detail) == (doctor.OK, "interface-only at the server: 1 session(s)")


# -- the backends that have the features -------------------------------------------------------


def test_the_memory_store_is_shared_because_a_second_one_would_be_empty(orch_project, orch_plugin_manager):
    store = MemoryStore()
    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager, store=store)

    assert store.can_reopen() is False
    assert runtime.open_store() is store


def test_the_sqlite_store_keeps_the_gates_flag_file_fresh_and_heals_a_missing_one(orch_store, orch_bus):
    orch_bus.ensure_session(SESSION, source="test")
    directory = str(orch_store.path.parent)
    flag = gate.flag_path(directory, SESSION, False)
    os.utime(flag, (0, 0))

    orch_store.note_activity(SESSION, enabled=False)
    assert os.stat(flag).st_mtime > 0  # touched: the session's last activity

    os.remove(flag)
    orch_store.note_activity(SESSION, enabled=False)
    assert os.path.exists(flag)  # rewritten from the database, under its write lock


def test_the_sqlite_store_tells_doctor_whether_its_database_exists_and_is_sound(orch_store, orch_bus):
    assert orch_store.is_created() is False  # looking does not create it
    assert not orch_store.path.exists()

    orch_bus.ensure_session(SESSION, source="test")

    assert orch_store.is_created() is True
    assert orch_store.integrity_problem() is None
