"""Every hookspec is documented by a working example and exercised by a test.

The meta-test: for each ``orch_*`` hookspec in ``orchcore.hookspecs``

* its docstring holds an ``Example::`` block whose indented code compiles and,
  exec'd as a module of its own (its imports, from ``orchcore.api``, included),
  is a plugin the core collects a spec from, and
* some test function under ``tests/`` or ``plugins/*/tests/`` is decorated with
  ``@pytest.mark.exercises_hook("orch_...")``.

A new hookspec without either fails here. The second half of this file holds
one such test per hookspec: it registers a plugin shaped like the docstring's
example and checks that the core collects and uses what it provides.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import sys
import textwrap
import types
from collections.abc import Iterable
from pathlib import Path

import pytest

from orchcore import hookspecs
from orchcore.errors import StoreError
from orchcore.plugins import ERROR, hook_names, hookimpl
from orchcore.protocol import HookEvent, HookResult
from orchcore.runtime import Runtime
from orchcore.specs import (
    AgentSpec,
    CliCommand,
    CommandSpec,
    EventType,
    HookHandler,
    ProgramSpec,
    SegmentContext,
    StatusSegment,
    StoreBackend,
    Subscriber,
    TeamSpec,
)
from orchcore.store.memory import MemoryStore

REPO = Path(__file__).resolve().parents[1]
MARKER = "exercises_hook"


# -- the meta-test's machinery ------------------------------------------------------------


def example_of(doc: str | None, intro: str = "Example::") -> str | None:
    """The code of the docstring's ``Example::`` block (or the one after ``intro``), dedented; None when there is none.

    The block is every line after ``Example::`` indented deeper than it,
    blank lines included, up to the first line that is not.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    for number, line in enumerate(lines):
        if line.strip() != intro:
            continue
        indent = len(line) - len(line.lstrip())
        block: list[str] = []
        for following in lines[number + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following)
        code = textwrap.dedent("\n".join(block)).strip("\n")
        return code or None
    return None


def files_to_scan(root: Path = REPO) -> list[Path]:
    """The core's test files and every first-party plugin's."""
    folders = [root / "tests", *sorted((root / "plugins").glob("*/tests"))]
    return sorted(
        path
        for folder in folders
        for pattern in ("test_*.py", "*_test.py")
        for path in folder.rglob(pattern)
    )


def exercised_hooks(sources: Iterable[str]) -> set[str]:
    """Hook names given to ``@pytest.mark.exercises_hook("...")`` on test functions (methods too)."""
    found: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == MARKER
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                    and isinstance(decorator.args[0].value, str)
                ):
                    found.add(decorator.args[0].value)
    return found


def problems_with(hook_name: str, doc: str | None, exercised: set[str]) -> list[str]:
    """What the meta-test finds wrong with one hookspec (nothing: an empty list)."""
    problems = []
    code = example_of(doc)
    if code is None:
        problems.append(f"{hook_name}: the docstring has no indented 'Example::' block")
    else:
        try:
            compile(code, f"<{hook_name} example>", "exec")
        except SyntaxError as exc:
            problems.append(f"{hook_name}: the example does not compile: {exc}")
    if hook_name not in exercised:
        problems.append(
            f"{hook_name}: no test under tests/ or plugins/*/tests/ is marked "
            f'@pytest.mark.{MARKER}("{hook_name}")'
        )
    return problems


@pytest.fixture(scope="module")
def exercised() -> set[str]:
    return exercised_hooks(path.read_text(encoding="utf-8") for path in files_to_scan())


# -- the meta-test ---------------------------------------------------------------------------


def test_hook_names_are_the_orch_hookspecs():
    declared = {
        name for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, f"{hookspecs.PROJECT_NAME}_spec")
    }

    assert hook_names() == sorted(declared)
    assert {
        "orch_programs", "orch_commands", "orch_status_segments", "orch_teams", "orch_agents",
        "orch_store_backends", "orch_event_types", "orch_event_subscribers", "orch_cli_commands",
        "orch_hook_handlers",
    } <= set(hook_names())


@pytest.mark.parametrize("hook_name", hook_names())
def test_every_hookspec_has_an_example_and_a_test(hook_name, exercised):
    doc = getattr(hookspecs, hook_name).__doc__

    assert problems_with(hook_name, doc, exercised) == []


@pytest.mark.parametrize("hook_name", hook_names())
def test_every_hookspec_example_runs_as_a_plugin(hook_name, orch_plugin_manager, register_plugin):
    """Beyond compiling: the example, as written (its imports too), is a plugin the core collects a spec from."""
    plugin = types.ModuleType(f"example_{hook_name}")
    code = example_of(getattr(hookspecs, hook_name).__doc__)
    exec(compile(code, f"<{hook_name} example>", "exec", dont_inherit=True), plugin.__dict__)

    name = register_plugin(plugin, name=f"example-{hook_name}")

    assert orch_plugin_manager.records[name].hooks == [hook_name]
    provided = orch_plugin_manager.collect(hook_name)
    assert [p.plugin for p in provided.values()].count(name) >= 1
    assert orch_plugin_manager.failures() == []


# -- the meta-test fails when it should ---------------------------------------------------------


def test_the_meta_test_rejects_a_hookspec_without_an_example():
    doc = "Widgets for the dashboard.\n\n    They are rendered in order.\n"

    assert problems_with("orch_widgets", doc, {"orch_widgets"}) == [
        "orch_widgets: the docstring has no indented 'Example::' block"
    ]


def test_the_meta_test_rejects_an_example_that_does_not_compile():
    doc = """Widgets.

    Example::

        @hookimpl
        def orch_widgets(:
            return []
    """

    (problem,) = problems_with("orch_widgets", doc, {"orch_widgets"})
    assert problem.startswith("orch_widgets: the example does not compile")


def test_the_meta_test_rejects_a_hookspec_no_test_exercises():
    doc = """Widgets.

    Example::

        @hookimpl
        def orch_widgets():
            return []
    """

    assert problems_with("orch_widgets", doc, {"orch_teams"}) == [
        "orch_widgets: no test under tests/ or plugins/*/tests/ is marked "
        '@pytest.mark.exercises_hook("orch_widgets")'
    ]


def test_the_example_block_ends_where_the_indentation_does():
    doc = """Summary.

    Example::

        @hookimpl
        def orch_x():

            return []

    Afterwards, prose again.
    """

    assert example_of(doc) == "@hookimpl\ndef orch_x():\n\n    return []"


def test_the_scan_finds_marked_test_functions_only():
    source = '''
import pytest
from pytest import mark

@pytest.mark.exercises_hook("orch_teams")
def test_teams(): ...

class TestAgents:
    @mark.exercises_hook("orch_agents")
    @pytest.mark.parametrize("x", [1])
    def test_agents(self, x): ...

@pytest.mark.exercises_hook("orch_programs")
def helper(): ...

@pytest.mark.other("orch_commands")
def test_other(): ...

@pytest.mark.exercises_hook(NAME)
def test_not_a_literal(): ...
'''

    assert exercised_hooks([source]) == {"orch_teams", "orch_agents"}


def test_the_scan_covers_first_party_plugin_tests(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_core.py").write_text("")
    (tmp_path / "plugins" / "dashboard" / "tests").mkdir(parents=True)
    (tmp_path / "plugins" / "dashboard" / "tests" / "test_dashboard.py").write_text("")
    (tmp_path / "plugins" / "dashboard" / "src").mkdir()
    (tmp_path / "plugins" / "dashboard" / "src" / "test_not_a_test_file.py").write_text("")

    assert [p.relative_to(tmp_path).as_posix() for p in files_to_scan(tmp_path)] == [
        "plugins/dashboard/tests/test_dashboard.py",
        "tests/test_core.py",
    ]


# -- one real test per hookspec ------------------------------------------------------------------


@pytest.mark.exercises_hook("orch_programs")
def test_programs_are_collected_by_name(orch_plugin_manager, register_plugin):
    class StandupProgram:
        @hookimpl
        def orch_programs(self):
            return [ProgramSpec(
                name="standup",
                description="Daily stand-up facilitator",
                output_style="You run the team's stand-up. Ask each lead ...",
                mode="standup",
                commands=["orchestration:team-standup"],
            )]

    register_plugin(StandupProgram(), name="standup")

    program = orch_plugin_manager.specs("orch_programs")["standup"]
    assert program.mode == "standup"
    assert program.commands == ("orchestration:team-standup",)  # lists become tuples: specs are frozen
    assert orch_plugin_manager.collect("orch_programs")["standup"].plugin == "standup"


@pytest.mark.exercises_hook("orch_commands")
def test_slash_commands_are_collected_by_folder_and_command(orch_plugin_manager, register_plugin):
    class Commands:
        @hookimpl
        def orch_commands(self):
            return [
                CommandSpec(
                    command="review-progress",
                    description="Show sprint progress",
                    body="Sprint: !`orch state get current_sprint`",
                    allowed_tools=["Bash(orch:*)"],
                ),
                CommandSpec(command="review-progress", description="Same command, other folder", body="...",
                            folder="qa"),
            ]

    register_plugin(Commands(), name="commands")

    commands = orch_plugin_manager.specs("orch_commands")
    assert set(commands) == {"orchestration:review-progress", "qa:review-progress"}
    assert commands["orchestration:review-progress"].allowed_tools == ("Bash(orch:*)",)
    assert orch_plugin_manager.failures() == []


@pytest.mark.exercises_hook("orch_status_segments")
def test_status_segments_render_from_the_session(orch_plugin_manager, register_plugin, orch_bus, session_id):
    class PendingTasks:
        @hookimpl
        def orch_status_segments(self):
            def pending(ctx):
                tasks = ctx.session.state.tasks.values() if ctx.session else []
                return f"{sum(t.status == 'pending' for t in tasks)} pending"

            return [StatusSegment(name="pending-tasks", render=pending)]

    register_plugin(PendingTasks(), name="pending")
    orch_bus.create_session(session_id)
    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "write tests"})
    orch_bus.emit(session_id, "task.created", {"id": "T-2", "title": "fix bugs"})
    _, session = orch_bus.emit(session_id, "task.completed", {"id": "T-2"})

    segment = orch_plugin_manager.specs("orch_status_segments")["pending-tasks"]

    assert segment.render(SegmentContext(session=session, status_input={})) == "1 pending"
    assert segment.render(SegmentContext(session=None, status_input={})) == "0 pending"
    assert segment.timeout_ms == 200


@pytest.mark.exercises_hook("orch_teams")
def test_teams_are_collected_and_checked_when_a_session_activates_them(
    orch_plugin_manager, register_plugin, orch_cli, orch_bus, session_id
):
    class QaTeam:
        @hookimpl
        def orch_teams(self):
            return [TeamSpec(name="qa", lead="qa-director",
                             members=["qa-director", "qa-tester"], max_parallel=2)]

    register_plugin(QaTeam(), name="qa-team")
    assert orch_plugin_manager.specs("orch_teams")["qa"].members == ("qa-director", "qa-tester")
    orch_bus.create_session(session_id)

    activated = orch_cli("session", "activate-teams", "qa", "--json", session=session_id)
    unknown = orch_cli("session", "activate-teams", "ops", session=session_id)

    assert activated.exit_code == 0, activated.stderr
    state = activated.json()
    assert state["active_teams"] == ["qa"]
    assert state["state"]["teams"]["qa"]["lead"] == "qa-director"
    assert state["state"]["teams"]["qa"]["max_parallel"] == 2
    assert unknown.exit_code == 1
    assert "unknown team ops; defined teams: qa" in unknown.stderr


@pytest.mark.exercises_hook("orch_agents")
def test_agents_are_collected_by_name(orch_plugin_manager, register_plugin):
    class QaTester:
        @hookimpl
        def orch_agents(self):
            return [AgentSpec(name="qa-tester", description="Writes and runs tests",
                              team="qa", role="worker", tools=["Read", "Bash"],
                              prompt="You test the change you are given ...")]

    register_plugin(QaTester(), name="qa-agents")

    agent = orch_plugin_manager.specs("orch_agents")["qa-tester"]
    assert agent.team == "qa"
    assert agent.tools == ("Read", "Bash")
    assert agent.capacity == 1


@pytest.mark.exercises_hook("orch_store_backends")
def test_the_configured_store_backend_is_the_one_the_runtime_opens(
    orch_project, orch_plugin_manager, register_plugin, session_id
):
    opened = []

    class ScratchStore:
        @hookimpl
        def orch_store_backends(self):
            def open_store(state_dir, options):
                opened.append((state_dir, options))
                return MemoryStore()

            return [StoreBackend(name="scratch", factory=open_store, description="for this test")]

    register_plugin(ScratchStore(), name="scratch-store")
    (orch_project / ".claude" / "orchcore.json").write_text(
        json.dumps({"store": {"backend": "scratch", "options": {"size": 3}}})
    )

    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager)
    try:
        assert isinstance(runtime.store, MemoryStore)
        # store.options, and the key prefix every backend gets (a networked one puts it before its keys)
        assert opened == [(orch_project / ".claude" / "state", {"size": 3, "prefix": f"orchcore:{orch_project.name}"})]
        runtime.bus.create_session(session_id)
        assert runtime.store.get(session_id).session_id == session_id
    finally:
        runtime.close()


def test_an_unknown_store_backend_names_the_installed_ones(orch_project, orch_plugin_manager):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"store": {"backend": "redis"}}))

    with pytest.raises(StoreError, match=r"unknown store backend 'redis' \(installed: memory, sqlite\)"):
        Runtime(project=orch_project, plugins=orch_plugin_manager).store


@pytest.mark.exercises_hook("orch_event_types")
def test_event_types_give_the_bus_their_reducers(orch_plugin_manager, register_plugin, orch_bus, session_id):
    class Decisions:
        @hookimpl
        def orch_event_types(self):
            def decided(session, event):
                log = session.plugins.setdefault("decisions", {}).setdefault("log", [])
                log.append(event.data)
                return session

            return [EventType(name="decision.recorded", reducer=decided)]

    register_plugin(Decisions(), name="decisions")
    orch_bus.create_session(session_id)

    event, state = orch_bus.emit(session_id, "decision.recorded", {"what": "ship it"})

    assert event.type == "decision.recorded"
    assert state.plugins["decisions"]["log"] == [{"what": "ship it"}]
    assert orch_bus.replay(session_id) == orch_bus.store.get(session_id)
    assert {"decision.recorded", "session.created"} <= set(orch_plugin_manager.specs("orch_event_types"))


@pytest.mark.exercises_hook("orch_event_subscribers")
def test_subscribers_are_called_after_an_event_is_committed(
    orch_plugin_manager, register_plugin, orch_bus, session_id
):
    seen = []

    class Notifications:
        @hookimpl
        def orch_event_subscribers(self):
            def notify(event, session):
                seen.append((event.type, event.data["id"], session.state.tasks[event.data["id"]].status))

            return [Subscriber(name="notify-done", callback=notify, types=["task.completed"])]

    register_plugin(Notifications(), name="notifications")
    orch_bus.create_session(session_id)

    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "write tests"})
    orch_bus.emit(session_id, "task.completed", {"id": "T-1"})

    assert seen == [("task.completed", "T-1", "done")]


def test_a_failing_subscriber_leaves_the_event_committed_and_records_a_plugin_error(
    orch_plugin_manager, register_plugin, orch_bus, session_id
):
    class Flaky:
        @hookimpl
        def orch_event_subscribers(self):
            def explode(event, session):
                raise ConnectionError("chat server unreachable")

            return [Subscriber(name="chat", callback=explode)]

    register_plugin(Flaky(), name="flaky")
    orch_bus.create_session(session_id)  # the subscriber fails on this one already

    event, state = orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "write tests"})

    assert "T-1" in state.state.tasks
    errors = [e for e in orch_bus.store.events(session_id) if e.type == "plugin.error"]
    assert [e.data["event"] for e in errors] == [1, event.seq]
    assert errors[-1].data["plugin"] == "flaky"
    assert "ConnectionError: chat server unreachable" in errors[-1].data["error"]
    assert orch_bus.store.get(session_id).state.metrics["plugin_errors"] == {"flaky": 2}
    assert orch_plugin_manager.records["flaky"].status == ERROR


@pytest.mark.exercises_hook("orch_cli_commands")
def test_a_plugin_sub_command_runs_under_orch(register_plugin, orch_cli):
    loads = []

    class Greeter:
        @hookimpl
        def orch_cli_commands(self):
            def load():
                import typer

                loads.append(1)
                app = typer.Typer()

                @app.callback()
                def greet():
                    """Greetings."""

                @app.command()
                def hello(name: str = "world"):
                    print(f"hello {name}")

                return app

            return [CliCommand(name="greet", help="Say hello", load=load)]

    register_plugin(Greeter(), name="greeter")

    assert orch_cli("session", "list").exit_code == 0
    assert loads == []  # `load` runs only when the group is used

    result = orch_cli("greet", "hello", "--name", "orch")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello orch\n"

    helped = orch_cli("--help")
    assert helped.exit_code == 0
    assert "greet" in helped.stdout


@pytest.fixture
def greet(tmp_path, monkeypatch):
    """The ``orch_cli_commands`` docstring's two modules, written out as the package ``greet``."""
    doc = hookspecs.orch_cli_commands.__doc__
    (tmp_path / "greet").mkdir()
    (tmp_path / "greet" / "__init__.py").write_text("")
    (tmp_path / "greet" / "plugin.py").write_text(example_of(doc))
    (tmp_path / "greet" / "cli.py").write_text(example_of(doc, "greet/cli.py::"))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("greet.plugin")
    for module in [m for m in sys.modules if m == "greet" or m.startswith("greet.")]:
        del sys.modules[module]


def test_the_cli_commands_example_exactly_as_documented(greet, register_plugin, orch_cli):
    """Both modules as written: the hooks, and the module-level group that ``load`` imports."""
    register_plugin(greet, name="greeter")
    assert "greet.cli" not in sys.modules  # registering (the hook path) does not import the group

    result = orch_cli("greet", "hello")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello\n"
    assert "greet.cli" in sys.modules


def test_orch_help_lists_plugin_sub_commands_without_loading_them(register_plugin, orch_cli):
    class NeedsOptionalDependency:
        @hookimpl
        def orch_cli_commands(self):
            def load():
                raise ImportError("No module named 'fancy_dependency'")

            return [CliCommand(name="fancy", help="Needs a dependency", load=load)]

    register_plugin(NeedsOptionalDependency(), name="fancy")

    result = orch_cli("--help")

    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if " fancy " in line)
    assert "Needs a dependency" in line


def test_a_plugin_sub_command_that_fails_to_load_is_one_error_line(
    orch_plugin_manager, register_plugin, orch_cli
):
    class Broken:
        @hookimpl
        def orch_cli_commands(self):
            def load():
                raise ImportError("No module named 'fancy_dependency'")

            return [CliCommand(name="fancy", help="Needs a dependency", load=load)]

    register_plugin(Broken(), name="broken-cli")

    result = orch_cli("fancy")

    assert result.exit_code == 1
    assert result.stderr == (
        "orch: error: command 'fancy' of plugin 'broken-cli' failed to load: "
        "ImportError: No module named 'fancy_dependency'\n"
    )
    assert orch_plugin_manager.records["broken-cli"].status == ERROR
    assert orch_cli("session", "list").exit_code == 0


@pytest.mark.exercises_hook("orch_hook_handlers")
def test_hook_handlers_are_collected_and_answer_hook_events(orch_plugin_manager, register_plugin, session_id):
    class NoForcePush:
        @hookimpl
        def orch_hook_handlers(self):
            def no_force_push(event, context):
                if "push --force" in event.tool_input.get("command", ""):
                    return HookResult(permission="deny", reason="force-push is not allowed")
                return None

            return [HookHandler(name="no-force-push", events=["PreToolUse"],
                                matcher="Bash", handler=no_force_push)]

    register_plugin(NoForcePush(), name="no-force-push")

    handler = orch_plugin_manager.specs("orch_hook_handlers")["no-force-push"]
    assert handler.handles("PreToolUse") and not handler.handles("PostToolUse")
    assert handler.matcher == "Bash"

    def pre_tool_use(command: str) -> HookEvent:
        return HookEvent.from_payload({
            "session_id": session_id,
            "hook_event_name": "PreToolUse",
            "cwd": "/work/project",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": "toolu_01",
        })

    denied = handler.handler(pre_tool_use("git push --force origin main"), None)
    assert denied == HookResult(permission="deny", reason="force-push is not allowed")
    assert handler.handler(pre_tool_use("git status"), None) is None
