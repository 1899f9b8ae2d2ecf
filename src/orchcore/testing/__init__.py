"""Fixtures for testing orchcore and its plugins (a pytest plugin, entry point ``pytest11``).

Every fixture builds fresh objects: no test sees another test's plugins,
state or environment. In a plugin's tests::

    def test_my_segment(orch_plugin_manager, register_plugin):
        register_plugin(my_plugin)
        segments = orch_plugin_manager.specs("orch_status_segments")
        assert "my-segment" in segments

    def test_my_command(orch_cli):
        result = orch_cli("session", "create", "--json")
        assert result.exit_code == 0, result.stderr
        assert result.json()["orchestration_enabled"] is False

A store backend's tests subclass ``StoreContract`` (``store_contract.py``):
the contract every ``SessionStore`` keeps, run on the backend unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import attrs
import pytest

# The contract's assertions show their values as a test file's do; it is imported only when a test asks for it.
pytest.register_assert_rewrite("orchcore.testing.store_contract")


def __getattr__(name: str) -> Any:
    """``StoreContract`` loads on first use, so the plugin itself imports nothing of orchcore."""
    if name == "StoreContract":
        from orchcore.testing.store_contract import StoreContract

        return StoreContract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Variables from the developer's shell (or from Claude Code itself, when a test
# runs inside it) that would make a test depend on where it runs.
_ISOLATED_ENV = (
    "CLAUDE_PROJECT_DIR",
    "CLAUDE_CODE_SESSION_ID",
    "ORCH_STATE_DIR",
    "ORCH_CACHE_DIR",
    "ORCH_STRICT_PLUGINS",
    "ORCH_PLUGINS_ALLOW",
    "ORCH_PLUGINS_DENY",
    "ORCH_STORE",
    "ORCH_STORE_URL",
    "ORCH_STORE_PREFIX",
    "ORCH_REDIS_URL",
    "ORCH_ENABLED",
    "ORCH_RUNTIME",
    "ORCH_HOOK_TOKEN",
    "ORCH_TRACE_HOOKS",
    "ORCH_NOW",
    "ORCH_MAX_AGENTS",
    "ORCH_MAX_STATE_KB",
    "ORCH_MAX_FIELD_KB",
    "ORCH_MAX_SESSIONS",
    "ORCH_MAX_MESSAGES",
    "ORCH_EVENT_BUFFER",
    "ORCH_EXPIRE_AFTER_HOURS",
    "ORCH_BACKUPS",
    "ORCH_BUSY_TIMEOUT_S",
    "ORCH_NO_INDEX",
    "ORCH_RUNTIME_COMMANDS",
    "ORCH_RUNTIME_SUPERVISED",
    "ORCH_RUNTIME_IDLE_S",
    "ORCH_RUNTIME_LINGER_S",
    "ORCH_CLAUDE_VERSION",
    "NO_COLOR",
)


def pytest_configure(config: pytest.Config) -> None:
    """Markers plugin test suites share with the core's."""
    config.addinivalue_line("markers", "exercises_hook(name): the test exercises the named orch_* hookspec")
    config.addinivalue_line("markers", "e2e: drives the real Claude Code binary")


@pytest.fixture
def session_id() -> str:
    """A valid Claude Code session id (a UUID), the same in every test."""
    return "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


@pytest.fixture
def orch_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway project folder (with ``.claude/``) that orchcore treats as the project."""
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    for name in _ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(project))
    monkeypatch.setenv("ORCH_CACHE_DIR", str(tmp_path / "cache"))
    # Where the hook journal falls back to when the state folder cannot be written (orchcore.journal).
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    # Resident runtimes that orch subprocesses start exit soon after the test.
    monkeypatch.setenv("ORCH_RUNTIME_IDLE_S", "5")
    monkeypatch.setenv("ORCH_RUNTIME_LINGER_S", "5")
    monkeypatch.chdir(project)
    return project


@pytest.fixture
def orch_plugin_manager(orch_project: Path):
    """A fresh plugin manager with orchcore's built-in plugins only (not strict)."""
    from orchcore.plugins import get_plugin_manager

    return get_plugin_manager("builtin", allow=(), deny=(), strict=False)


@pytest.fixture
def register_plugin(orch_plugin_manager):
    """``register_plugin(obj, name=None)`` registers a plugin for this test only."""
    names: list[str] = []

    def register(plugin: object, name: str | None = None, **info: Any) -> str:
        registered = orch_plugin_manager.register_plugin(plugin, name=name, **info)
        names.append(registered)
        return registered

    yield register
    for name in reversed(names):
        orch_plugin_manager.unregister_plugin(name)


@pytest.fixture
def orch_store(orch_project: Path):
    """An empty SQLite (WAL) store in the test's project."""
    from orchcore.store.sqlite import SqliteStore

    store = SqliteStore(orch_project / ".claude" / "state")
    yield store
    store.close()


@pytest.fixture
def orch_memory_store():
    """An empty in-memory store."""
    from orchcore.store.memory import MemoryStore

    return MemoryStore()


@pytest.fixture
def orch_runtime(orch_project: Path, orch_plugin_manager, orch_store):
    """A Runtime on the test's project, plugin manager and SQLite store."""
    from orchcore.runtime import Runtime

    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager, store=orch_store)
    yield runtime
    runtime.close()


@pytest.fixture
def orch_bus(orch_runtime):
    return orch_runtime.bus


@attrs.frozen
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def orch_cli(orch_runtime, monkeypatch: pytest.MonkeyPatch):
    """Run ``orch`` in-process on the test's runtime: ``orch_cli("state", "get", "mode", session=sid)``."""
    from orchcore.cli import run

    def invoke(*args: str, session: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with monkeypatch.context() as patch:
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            if session is not None:
                patch.setenv("CLAUDE_CODE_SESSION_ID", session)
            patch.setenv("COLUMNS", "200")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run(list(args), runtime=orch_runtime)
        return CliResult(exit_code=code, stdout=out.getvalue(), stderr=err.getvalue())

    return invoke


@attrs.frozen
class HookRun:
    """What ``orch hook`` did with one payload: exit code, stdout, stderr."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def answer(self) -> Any:
        """The JSON answer, or None when the hook answered nothing (a pass-through)."""
        return json.loads(self.stdout) if self.stdout.strip() else None


@pytest.fixture
def orch_hook(orch_runtime):
    """Feed one Claude Code payload (a dict, or raw bytes) through the gate and router, in-process.

    ``orch_hook({"session_id": sid, "hook_event_name": "PreToolUse", ...}).answer``
    is the parsed answer; the test's plugin manager and store are used.
    """
    from orchcore.entry import run_hook

    def run(payload: Any, env: dict[str, str] | None = None) -> HookRun:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        environ = dict(os.environ)
        environ.update(env or {})
        out, err = io.StringIO(), io.StringIO()
        code = run_hook(data, environ, out, err, runtime=orch_runtime)
        return HookRun(exit_code=code, stdout=out.getvalue(), stderr=err.getvalue())

    return run


@attrs.frozen
class McpCall:
    """What one MCP tool call answered: its text, and whether it is a tool error."""

    text: str
    is_error: bool


class McpClient:
    """Calls ``orch mcp``'s tools in-process through the SDK's client and the real server code.

    ``orch_mcp.call("task_create", {"title": "x"}, session=sid)`` → ``McpCall``;
    ``orch_mcp.tools()`` → the listed tools (``name``, ``description``, ``inputSchema``);
    ``orch_mcp.read_state(sid)`` → the ``orchcore://session/state`` resource, parsed.
    """

    def __init__(self, runtime: Any):
        self.runtime = runtime

    def _with_client(self, session: str | None, work: Any) -> Any:
        import anyio
        from mcp import Client

        from orchcore.mcp_server import make_server

        async def main() -> Any:
            async with Client(make_server(self.runtime, session)) as client:
                return await work(client)

        return anyio.run(main)

    def tools(self) -> list[dict[str, Any]]:
        async def work(client: Any) -> Any:
            listed = await client.list_tools()
            return [{"name": t.name, "description": t.description, "inputSchema": t.input_schema}
                    for t in listed.tools]

        return self._with_client(None, work)

    def call(self, name: str, arguments: dict[str, Any] | None = None, *, session: str | None = None,
             tool_use_id: str | None = None) -> McpCall:
        from orchcore.mcp_server import TOOL_USE_ID

        async def work(client: Any) -> Any:
            meta = {TOOL_USE_ID: tool_use_id} if tool_use_id else None
            result = await client.call_tool(name, arguments or {}, meta=meta)
            return McpCall("".join(getattr(c, "text", "") for c in result.content), bool(result.is_error))

        return self._with_client(session, work)

    def read_state(self, session: str) -> Any:
        from orchcore.mcp_server import STATE_URI

        async def work(client: Any) -> Any:
            result = await client.read_resource(STATE_URI)
            return json.loads(result.contents[0].text)

        return self._with_client(session, work)


@pytest.fixture
def orch_mcp(orch_runtime):
    """``orch mcp`` on the test's runtime, through the MCP SDK's in-memory client (see ``McpClient``)."""
    return McpClient(orch_runtime)


@pytest.fixture
def orch_statusline(orch_runtime):
    """Render the status line for a session as Claude Code shows it, in-process on the test's runtime.

    ``orch_statusline(sid)`` is the line without colours;
    ``orch_statusline(sid, {"model": {"display_name": "Opus"}}, color=True)``
    adds fields of Claude Code's status-line input and keeps the colours.
    """
    from orchcore import statusline

    def render(session_id: str, status: dict | None = None, color: bool = False, env: dict | None = None) -> str:
        data = json.dumps({"session_id": session_id, **(status or {})}).encode("utf-8")
        environ = {**os.environ, **(env or {})}
        if color:
            environ.pop("NO_COLOR", None)
        else:
            environ["NO_COLOR"] = "1"
        out = io.StringIO()
        statusline.main(data, stdout=out, env=environ, runtime=orch_runtime)
        return out.getvalue()

    return render


def installed_plugin_manager(strict: bool = False):
    """Every plugin installed in this environment, found as ``orch`` finds them (no allow/deny lists, no cache).

    For a distribution's own test that its entry point is declared right.
    """
    from orchcore.plugins import get_plugin_manager

    return get_plugin_manager(True, allow=(), deny=(), strict=strict, use_index=False)


@attrs.frozen
class Released:
    """What one process started by ``release_together`` did: exit code, stdout, stderr."""

    returncode: int
    stdout: str
    stderr: str


def release_together(
    starts: list[tuple[list[str], dict[str, str], Path | None]], folder: Path, deadline_s: float = 180,
) -> tuple[list[Released], float]:
    """Start processes, hold them at a barrier until every one is ready, then release them at once.

    ``starts``: (argv, environment, working folder) per process. Each gets two
    more arguments, the *go* file and its own *ready* file: it writes the
    ready file once it has done what should not be timed (imports, plugins),
    then waits for the go file to exist. So many real processes hit a store
    at the same moment. Returns what each did and the wall time from the
    release to the last exit; a hung process fails the test at the deadline.
    """
    import subprocess
    import time

    go = Path(folder) / "go"
    ready = [Path(folder) / f"ready-{n}" for n in range(len(starts))]
    procs = [
        subprocess.Popen([*argv, str(go), str(mark)], env=env, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for (argv, env, cwd), mark in zip(starts, ready)
    ]
    try:
        deadline = time.monotonic() + deadline_s
        while not all(mark.exists() for mark in ready):
            failed = [p for p in procs if p.poll() is not None]
            assert not failed, f"a process died before the barrier: {failed[0].communicate()[1]}"
            assert time.monotonic() < deadline, "the processes never got ready"
            time.sleep(0.01)
        started = time.perf_counter()
        go.write_text("go")
        outputs = [p.communicate(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
        elapsed = time.perf_counter() - started
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return [Released(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)], elapsed


E2E_HARNESS = "orchcore_e2e_harness"  # the package name the core's tests/e2e is loaded under for plugins


def load_e2e_harness(conftest: str | Path) -> bool:
    """Load the core's end-to-end harness (``tests/e2e`` of the orchcore checkout) for a first-party plugin.

    A plugin's ``tests/e2e/conftest.py`` calls it with its own ``__file__``;
    the checkout is the nearest folder upward with ``tests/e2e/conftest.py``
    and ``src/orchcore``. The harness is loaded as the package
    ``orchcore_e2e_harness``, so the plugin's own ``tests`` never shadows the
    core's. False outside a checkout (then the plugin's e2e tests are not
    collected).
    """
    import importlib.util
    import sys

    if E2E_HARNESS in sys.modules:
        return True
    for folder in Path(conftest).resolve().parents:
        harness = folder / "tests" / "e2e"
        if (harness / "conftest.py").is_file() and (folder / "src" / "orchcore").is_dir():
            break
    else:
        return False
    spec = importlib.util.spec_from_file_location(E2E_HARNESS, harness / "__init__.py",
                                                  submodule_search_locations=[str(harness)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[E2E_HARNESS] = module
    spec.loader.exec_module(module)
    return True


def project_runtime(project: Path):
    """The runtime ``orch`` builds in ``project``: its config, every installed plugin, the store it configures.

    For a store backend's tests that a project configured for the backend gets
    it, as a process of another machine would; close it when done.
    """
    from orchcore.runtime import Runtime

    return Runtime(project=Path(project))


def orch_executable() -> str:
    """The ``orch`` script next to the running interpreter (for subprocess tests)."""
    import sys

    candidate = Path(sys.executable).with_name("orch")
    return str(candidate) if candidate.exists() else "orch"


@pytest.fixture
def orch_env(orch_project: Path) -> dict[str, str]:
    """An environment for running ``orch`` as a subprocess against the test's project."""
    return dict(os.environ)


def write_distribution(
    site: Path, name: str, version: str, entry_points: dict[str, str], files: dict[str, str]
) -> Path:
    """Write what ``pip install`` would into ``site``: the files and a ``.dist-info``.

    ``entry_points`` maps plugin names to ``module`` or ``module:attribute``
    in the ``orchcore`` group; ``files`` maps paths relative to ``site`` to
    their source. Put ``site`` on ``sys.path`` (or ``PYTHONPATH`` for a child
    process) and orchcore finds the plugin exactly as if it were installed.
    """
    import importlib

    for relative, source in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[orchcore]\n" + "".join(f"{ep} = {value}\n" for ep, value in entry_points.items()), encoding="utf-8"
    )
    importlib.invalidate_caches()
    return info
