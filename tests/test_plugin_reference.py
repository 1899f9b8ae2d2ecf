"""The plugin author reference (``docs/plugin-hooks.md``) describes every hook as it is.

What keeps it true:

* every hookspec (``orchcore.plugins.hook_names()``) has a section headed
  ``## orch_<hook>()``, a line in the contents, and a docstring that points
  to it; no section names a hook that does not exist;
* in each hook's section, every spec type the hook returns, and every spec
  type reachable from its fields (``PaletteCommand`` from ``ProgramSpec``,
  ``SegmentContext`` from ``StatusSegment``, ``HookEvent`` and ``HookResult``
  from ``HookHandler``), has a ``### `Type``` table listing each of its
  fields (``attrs.fields``), and the table lists nothing the type lacks;
* each section's first ``python`` block is a plugin: it is exec'd into a
  module, registered on a plugin manager, and must provide specs of the
  hook's type without a failure;
* the second half of this file checks that each example does what its
  section says it does.
"""

from __future__ import annotations

import io
import json
import re
import types
import typing
from pathlib import Path

import attrs
import pytest

from orchcore import hookspecs, protocol, specs
from orchcore.plugins import ERROR, hook_names

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "plugin-hooks.md"
# Where the types a section documents are looked up (types defined in these modules only).
TYPE_MODULES = (specs, protocol)


# -- reading the reference ------------------------------------------------------------------


def sections(text: str, level: int = 2) -> dict[str, str]:
    """Heading -> body for the headings of one level (``## …``), outside code blocks."""
    found: dict[str, str] = {}
    heading, body, fenced = None, [], False
    marker = "#" * level + " "
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        starts = not fenced and re.match(r"#{1,%d} " % level, line)
        if starts:
            if heading is not None:
                found[heading] = "\n".join(body)
            heading, body = (line[len(marker):].strip() if line.startswith(marker) else None), []
            continue
        body.append(line)
    if heading is not None:
        found[heading] = "\n".join(body)
    return found


def hook_sections(text: str) -> dict[str, str]:
    """``orch_programs`` -> its section, for every heading ``## orch_programs()``."""
    return {heading.removesuffix("()"): body for heading, body in sections(text).items()
            if heading.startswith("orch_")}


def type_tables(section: str) -> dict[str, set[str]]:
    """``ProgramSpec`` -> the names in the first column of its table, for every ``### `Type``` or ``#### `Type```."""
    tables: dict[str, set[str]] = {}
    current = None
    for line in section.splitlines():
        heading = re.match(r"#{3,4} `(\w+)`\s*$", line)
        if heading:
            current = heading.group(1)
            tables.setdefault(current, set())
        elif re.match(r"#{3,4} ", line):
            current = None
        elif current is not None:
            row = re.match(r"\| `(\w+)` \|", line)
            if row:
                tables[current].add(row.group(1))
    return tables


def first_python_block(section: str) -> str | None:
    match = re.search(r"^```python\n(.*?)^```", section, re.S | re.M)
    return match.group(1) if match else None


# -- what the reference must cover ------------------------------------------------------------


def spec_type(hook_name: str) -> type:
    """The spec a hook returns, from its annotation (``Iterable[ProgramSpec]`` -> ProgramSpec)."""
    returned = typing.get_type_hints(getattr(hookspecs, hook_name))["return"]
    (item,) = typing.get_args(returned)
    return item


def _documented_class(name: str) -> type | None:
    for module in TYPE_MODULES:
        value = getattr(module, name, None)
        if isinstance(value, type) and attrs.has(value) and value.__module__ == module.__name__:
            return value
    return None


def documented_types(root: type) -> list[type]:
    """The spec type and every attrs class of the spec modules its fields' types name, transitively."""
    found: list[type] = []
    todo = [root]
    while todo:
        cls = todo.pop(0)
        if cls in found:
            continue
        found.append(cls)
        for field in attrs.fields(cls):
            for word in re.findall(r"\w+", str(field.type)):
                named = _documented_class(word)
                if named is not None and named not in found:
                    todo.append(named)
    return found


def public_names(cls: type) -> set[str]:
    """Fields, properties and methods a table may list."""
    return {f.name for f in attrs.fields(cls)} | {n for n in dir(cls) if not n.startswith("_")}


def problems(text: str, hooks: list[str], type_of=spec_type) -> list[str]:
    """Everything the reference gets wrong about ``hooks`` (nothing: an empty list)."""
    found = []
    by_hook = hook_sections(text)
    for hook in hooks:
        if hook not in by_hook:
            found.append(f"{hook}: no section '## {hook}()'")
            continue
        if f"(#{hook})" not in text:
            found.append(f"{hook}: not in the contents (no link to #{hook})")
        tables = type_tables(by_hook[hook])
        for cls in documented_types(type_of(hook)):
            if cls.__name__ not in tables:
                found.append(f"{hook}: no table '### `{cls.__name__}`'")
                continue
            rows = tables[cls.__name__]
            for field in attrs.fields(cls):
                if field.name not in rows:
                    found.append(f"{hook}: {cls.__name__}.{field.name} is not in its table")
            for name in sorted(rows - public_names(cls)):
                found.append(f"{hook}: the table of {cls.__name__} lists {name!r}, which it does not have")
    for hook in sorted(set(by_hook) - set(hooks)):
        found.append(f"{hook}: a section for a hook that does not exist")
    return found


@pytest.fixture(scope="module")
def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


# -- the reference is complete ------------------------------------------------------------------


def test_the_reference_covers_every_hookspec_and_every_field_of_its_specs(reference):
    assert problems(reference, hook_names()) == []


@pytest.mark.parametrize("hook_name", hook_names())
def test_each_hookspec_docstring_points_to_its_section(hook_name):
    assert f"docs/plugin-hooks.md#{hook_name}" in getattr(hookspecs, hook_name).__doc__


def load_example(reference: str, hook_name: str) -> types.ModuleType:
    """The section's first python block, exec'd into a module of its own."""
    code = first_python_block(hook_sections(reference)[hook_name])
    assert code is not None, f"the section of {hook_name} has no python block"
    module = types.ModuleType(f"reference_example_{hook_name}")
    # dont_inherit: the example is compiled as a module of its own, without this file's __future__ imports.
    exec(compile(code, f"<docs/plugin-hooks.md {hook_name}>", "exec", dont_inherit=True), module.__dict__)
    return module


@pytest.mark.parametrize("hook_name", hook_names())
def test_each_sections_example_is_a_plugin_that_provides_specs_of_the_hooks_type(
    hook_name, reference, orch_plugin_manager, register_plugin
):
    name = register_plugin(load_example(reference, hook_name), name=f"example-{hook_name}")

    provided = [p for p in orch_plugin_manager.collect(hook_name).values() if p.plugin == name]

    assert orch_plugin_manager.records[name].hooks == [hook_name]
    assert provided, f"the example of {hook_name} provided nothing"
    assert all(isinstance(p.spec, spec_type(hook_name)) for p in provided)
    assert orch_plugin_manager.failures() == []


# -- the checker fails when it should -------------------------------------------------------------


@attrs.frozen
class WidgetSpec:
    name: str
    width: int = 1


def _widget_reference(table: str, heading: str = "## orch_widgets()") -> str:
    return f"- [widgets](#orch_widgets)\n\n{heading}\n\nWidgets.\n\n### `WidgetSpec`\n\n| field | type | what |\n| --- | --- | --- |\n{table}"


def test_a_hookspec_without_a_section_is_reported():
    assert problems("# Plugin hooks\n\n## How a hook is called\n", ["orch_widgets"], lambda h: WidgetSpec) == [
        "orch_widgets: no section '## orch_widgets()'"
    ]


def test_a_section_for_a_hook_that_does_not_exist_is_reported():
    text = _widget_reference("| `name` | str | x |\n| `width` | int | y |\n") + "\n## orch_gadgets()\n\nGone.\n"

    assert problems(text, ["orch_widgets"], lambda h: WidgetSpec) == [
        "orch_gadgets: a section for a hook that does not exist"
    ]


def test_a_field_missing_from_its_table_is_reported_and_so_is_a_field_the_spec_lacks():
    text = _widget_reference("| `name` | str | x |\n| `height` | int | y |\n")

    assert problems(text, ["orch_widgets"], lambda h: WidgetSpec) == [
        "orch_widgets: WidgetSpec.width is not in its table",
        "orch_widgets: the table of WidgetSpec lists 'height', which it does not have",
    ]


def test_a_complete_section_passes_and_code_blocks_are_not_headings():
    text = _widget_reference("| `name` | str | x |\n| `width` | int | y |\n") + "\n```python\n## orch_not_a_heading()\n```\n"

    assert problems(text, ["orch_widgets"], lambda h: WidgetSpec) == []


def test_the_types_a_section_documents_are_found_through_the_fields():
    assert documented_types(specs.ProgramSpec) == [specs.ProgramSpec, specs.PaletteCommand]
    assert documented_types(specs.StatusSegment) == [specs.StatusSegment, specs.SegmentContext]
    assert documented_types(specs.HookHandler) == [specs.HookHandler, protocol.HookEvent, protocol.HookResult]
    assert documented_types(specs.TeamSpec) == [specs.TeamSpec]


# -- the examples do what their sections say -----------------------------------------------------------


@pytest.fixture
def example(reference, register_plugin):
    """``example("orch_programs")`` registers that section's example plugin for this test."""

    def register(hook_name: str) -> types.ModuleType:
        module = load_example(reference, hook_name)
        register_plugin(module, name=f"example-{hook_name}")
        return module

    return register


@pytest.fixture
def orchestrated(orch_cli, session_id) -> str:
    """A session whose orchestration is on."""
    created = orch_cli("session", "create", session_id, "--enable")
    assert created.exit_code == 0, created.stderr
    return session_id


def prompt(session_id: str, text: str) -> dict:
    return {"session_id": session_id, "hook_event_name": "UserPromptSubmit", "prompt": text, "cwd": "."}


def test_a_hook_runs_once_per_plugin_manager_until_a_plugin_comes_or_goes(
    orch_plugin_manager, register_plugin, reference
):
    from orchcore.plugins import hookimpl

    calls = []

    class Counting:
        @hookimpl
        def orch_teams(self):
            calls.append(1)
            return [specs.TeamSpec(name="ops")]

    register_plugin(Counting(), name="counting")

    orch_plugin_manager.specs("orch_teams")
    orch_plugin_manager.specs("orch_teams")
    assert calls == [1]

    register_plugin(load_example(reference, "orch_teams"), name="another")
    assert set(orch_plugin_manager.specs("orch_teams")) == {"ops", "qa"}
    assert calls == [1, 1]


def test_the_program_answers_its_palette_command_at_the_prompt_and_gives_the_model_its_context(
    example, orch_cli, orch_bus, orch_hook, orchestrated
):
    example("orch_programs")
    assert orch_cli("program", "activate", "standup", session=orchestrated).exit_code == 0
    orch_bus.emit(orchestrated, "task.created", {"id": "T-1", "title": "fix CI"})
    orch_bus.emit(orchestrated, "task.updated", {"id": "T-1", "status": "blocked", "blockers": ["runner down"]})

    palette = orch_hook(prompt(orchestrated, "blocked")).answer
    question = orch_hook(prompt(orchestrated, "what is blocked today?")).answer

    assert palette["decision"] == "block"
    assert palette["reason"] == "T-1 fix CI: runner down"
    assert "decision" not in question
    context = question["hookSpecificOutput"]["additionalContext"]
    assert "Program standup is active. Live state:\n1 open tasks.\n- T-1 [blocked] fix CI" in context
    assert "blocked" in orch_hook(prompt(orchestrated, "help")).answer["reason"]


def test_a_palette_command_that_raises_is_a_failure_of_the_programs_own_plugin(
    orch_plugin_manager, register_plugin, orch_cli, orch_hook, orchestrated
):
    """Section PaletteCommand: the built-in handler runs the command, the failure is the program's plugin's."""
    from orchcore.plugins import hookimpl

    def broken(args, context):
        raise ValueError("no board")

    class Broken:
        @hookimpl
        def orch_programs(self):
            return [specs.ProgramSpec(name="broken", description="d", output_style="x",
                                      palette=[specs.PaletteCommand(name="board", help="h", run=broken)])]

    register_plugin(Broken(), name="broken-program")
    orch_cli("program", "activate", "broken", session=orchestrated)

    answer = orch_hook(prompt(orchestrated, "board")).answer

    assert "decision" not in answer  # the prompt goes to the model
    assert (
        "hook handler 'program-palette' (plugin 'broken-program') raised ValueError: no board"
        " (in palette command 'board' of program 'broken')" in answer["systemMessage"]
    )
    assert orch_plugin_manager.records["broken-program"].status == ERROR
    assert orch_plugin_manager.records["programs"].status == "active"


def test_install_writes_the_slash_command_and_the_agent(example, orch_cli, orch_project):
    example("orch_commands")
    example("orch_agents")

    installed = orch_cli("install", "--json")

    assert installed.exit_code == 0, installed.stderr
    command = (orch_project / ".claude" / "commands" / "orchestration" / "standup-notes.md").read_text()
    assert command.startswith("---\ndescription: Notes for today's stand-up\nallowed-tools: Bash(orch:*)\n"
                              'argument-hint: "[team]"\n---\n\nSprint: !`orch state get current_sprint`')
    agent = (orch_project / ".claude" / "agents" / "qa-tester.md").read_text()
    assert agent.startswith("---\nname: qa-tester\ndescription: Writes and runs tests for the change it is given\n"
                            "tools: Read, Grep, Bash\nmodel: sonnet\n---\n\nYou test the change you are given.")
    assert "skills" not in agent


def test_the_segment_shows_in_the_default_layout_without_configuration(
    example, orch_runtime, orch_bus, orchestrated, orch_project
):
    from orchcore.statusline import main

    example("orch_status_segments")
    status = {"session_id": orchestrated, "workspace": {"current_dir": str(orch_project)}}

    def line() -> str:
        out = io.StringIO()
        main(json.dumps(status).encode(), stdout=out, env={"NO_COLOR": "1"}, runtime=orch_runtime)
        return out.getvalue()

    assert "open" not in line()  # no tasks: the segment hides
    orch_bus.emit(orchestrated, "task.created", {"id": "T-1", "title": "fix CI"})
    orch_bus.emit(orchestrated, "task.created", {"id": "T-2", "title": "ship"})
    assert " │ 2 open │ " in line()


@pytest.mark.parametrize("hook_path", [False, True])
def test_the_configured_backend_is_opened_with_the_configs_options(
    hook_path, example, orch_project, orch_plugin_manager, session_id
):
    from orchcore.runtime import Runtime
    from orchcore.store.memory import MemoryStore

    module = example("orch_store_backends")
    opened = []
    real = module.open_scratch
    module.open_scratch = lambda state_dir, options: opened.append(options) or real(state_dir, options)
    (orch_project / ".claude" / "orchcore.json").write_text(
        json.dumps({"store": {"backend": "scratch", "options": {"size": 3}}})
    )

    runtime = Runtime(project=orch_project, plugins=orch_plugin_manager, busy_timeout_s=5.0 if hook_path else None)
    try:
        assert isinstance(runtime.store, MemoryStore)
        runtime.bus.create_session(session_id)
    finally:
        runtime.close()
    prefix = {"prefix": f"orchcore:{orch_project.name}"}  # every backend gets the key prefix of the project
    assert opened == [{"size": 3, **prefix, "busy_timeout_s": 5.0} if hook_path else {"size": 3, **prefix}]


def test_the_event_type_records_stand_ups_and_rejects_one_without_a_lead(example, orch_bus, session_id):
    from orchcore.errors import InvalidValue

    example("orch_event_types")
    orch_bus.create_session(session_id)

    _, state = orch_bus.emit(session_id, "standup.held", {"lead": "qa-director"})
    with pytest.raises(InvalidValue, match="lead must be the name of who held it"):
        orch_bus.emit(session_id, "standup.held", {})

    assert [h["lead"] for h in state.plugins["standup"]["held"]] == ["qa-director"]
    assert [e.type for e in orch_bus.store.events(session_id)] == ["session.created", "standup.held"]
    assert orch_bus.replay(session_id) == orch_bus.store.get(session_id)


def test_the_subscriber_logs_each_completed_task(example, orch_bus, session_id, tmp_path, monkeypatch):
    log = tmp_path / "done.jsonl"
    monkeypatch.setenv("STANDUP_DONE_LOG", str(log))
    example("orch_event_subscribers")
    orch_bus.create_session(session_id)

    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "write tests"})
    orch_bus.emit(session_id, "task.completed", {"id": "T-1"})

    (line,) = log.read_text().splitlines()
    assert json.loads(line)["task"] == "T-1" and json.loads(line)["title"] == "write tests"


def python_files(section: str) -> dict[str, str]:
    """``orch_standup/cli.py`` -> its code, for every python block that opens with ``# <path>: ...``."""
    blocks = re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)
    return {m.group(1): block for block in blocks if (m := re.match(r"# (\S+\.py):", block))}


@pytest.fixture
def orch_standup(reference, tmp_path, monkeypatch, register_plugin):
    """The CLI example written out as the package ``orch_standup`` (its two files), registered."""
    import importlib
    import sys

    files = python_files(hook_sections(reference)["orch_cli_commands"])
    assert sorted(files) == ["orch_standup/cli.py", "orch_standup/plugin.py"]
    for name, code in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(code, encoding="utf-8")
    (tmp_path / "orch_standup" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    register_plugin(importlib.import_module("orch_standup.plugin"), name="orch-standup")
    yield
    for module in [m for m in sys.modules if m.split(".")[0] == "orch_standup"]:
        del sys.modules[module]


def test_the_cli_group_counts_the_stand_ups_of_the_session(orch_standup, example, orch_cli, orch_bus, session_id):
    import sys

    example("orch_event_types")
    orch_bus.create_session(session_id)
    assert "standup" in orch_cli("--help").stdout
    assert "orch_standup.cli" not in sys.modules  # listed, not loaded

    before = orch_cli("standup", "held", session=session_id)
    orch_bus.emit(session_id, "standup.held", {"lead": "qa-director"})
    after = orch_cli("standup", "held", "--session", session_id)

    assert (before.exit_code, before.stdout) == (0, "0\n"), before.stderr
    assert (after.exit_code, after.stdout) == (0, "1\n"), after.stderr
    assert orch_cli("standup", "held", "--json", session=session_id).json() == {"held": 1}


def test_the_handler_denies_a_force_push_and_has_no_opinion_on_other_commands(example, orch_hook, orchestrated):
    example("orch_hook_handlers")

    def bash(command: str) -> dict:
        return {"session_id": orchestrated, "hook_event_name": "PreToolUse", "cwd": ".", "tool_name": "Bash",
                "tool_input": {"command": command}, "tool_use_id": "toolu_01"}

    denied = orch_hook(bash("git push --force origin main")).answer
    assert denied["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert denied["hookSpecificOutput"]["permissionDecisionReason"] == "force-push is not allowed in this project"
    assert orch_hook(bash("git status")).answer is None


def test_activating_a_team_copies_its_definition_into_the_session(example, orch_cli, orch_bus, session_id):
    example("orch_teams")
    orch_bus.create_session(session_id)

    activated = orch_cli("session", "activate-teams", "qa", "--json", session=session_id)

    assert activated.exit_code == 0, activated.stderr
    assert activated.json()["state"]["teams"]["qa"]["max_parallel"] == 2


def test_a_misspelt_hook_is_its_plugins_error_as_the_reference_quotes_it(orch_plugin_manager, reference):
    from orchcore.plugins import hookimpl

    class Misspelt:
        @hookimpl
        def orch_program(self):
            return []

    orch_plugin_manager.register_plugin(Misspelt(), name="misspelt")

    error = orch_plugin_manager.records["misspelt"].error
    assert error == "implements orch_program, which is not an orchcore hook (did you mean orch_programs?)"
    assert f"`{error}`" in " ".join(reference.split())
    assert orch_plugin_manager.get_plugin("misspelt") is None  # unregistered: none of its hooks run
