"""CONTRIBUTING.md's examples work as written.

The plugin modules of "Writing a plugin" and "Handling Claude Code's hook
events" are exec'd as they stand (imports included) and registered: the core
collects what they say they provide.

"A CLI group for your plugin" shows a plugin as two files, each code block
opening with a comment that names its file (``# standup/cli.py: ...``); the
test writes them into a package, registers the plugin and runs the group
with ``orch_cli``, as a plugin's own tests would.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import pytest

CONTRIBUTING = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def section(title: str) -> str:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    start = text.index(f"### {title}\n")
    return text[start: text.index("\n### ", start + 1)]


def example_files(text: str) -> dict[str, str]:
    """``standup/cli.py`` -> its code, for every python block that opens with ``# <path>: ...``."""
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return {re.match(r"# (\S+):", block).group(1): block for block in blocks}


def first_python_block(heading: str) -> str:
    """The first python block after a heading (``## Writing a plugin``)."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text[text.index(f"\n{heading}\n"):], re.S).group(1)


@pytest.mark.parametrize("heading, provided", [
    ("## Writing a plugin", {"orch_teams": ["qa"], "orch_event_types": ["standup.held"]}),
    ("### Handling Claude Code's hook events", {"orch_hook_handlers": ["no-force-push"]}),
])
def test_the_plugin_examples_are_plugins_the_core_collects_from(
    heading, provided, orch_plugin_manager, register_plugin
):
    module = types.ModuleType("contributing_example")
    code = compile(first_python_block(heading), f"<CONTRIBUTING.md {heading}>", "exec", dont_inherit=True)
    exec(code, module.__dict__)

    name = register_plugin(module, name="contributing-example")

    assert orch_plugin_manager.records[name].hooks == sorted(provided)
    for hook, names in provided.items():
        assert [n for n, p in orch_plugin_manager.collect(hook).items() if p.plugin == name] == names
    assert orch_plugin_manager.failures() == []


@pytest.fixture
def standup(tmp_path, monkeypatch, register_plugin):
    """The example plugin, written out as a package and registered for this test."""
    files = example_files(section("A CLI group for your plugin"))
    assert sorted(files) == ["standup/cli.py", "standup/plugin.py"]
    for name, code in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(code, encoding="utf-8")
    (tmp_path / "standup" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    register_plugin(importlib.import_module("standup.plugin"), name="standup")
    yield
    for module in [m for m in sys.modules if m == "standup" or m.startswith("standup.")]:
        del sys.modules[module]


def test_the_plugin_cli_group_example_runs_as_written(standup, orch_cli, orch_bus, session_id):
    orch_bus.create_session(session_id)
    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "fix CI"})
    orch_bus.emit(session_id, "task.created", {"id": "T-2", "title": "ship it"})
    orch_bus.emit(session_id, "task.completed", {"id": "T-2"})

    listed = orch_cli("standup", "open", session=session_id)
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout == "T-1 [pending] fix CI\n"
    assert "standup.cli" in sys.modules  # loaded for the run, not before

    as_json = orch_cli("standup", "open", "--session", session_id, "--json")
    assert as_json.json() == [{"id": "T-1", "status": "pending"}]


def test_the_example_gives_the_one_line_errors_of_the_core_commands(standup, orch_cli, session_id):
    for args in (["open"], ["open", "--session", session_id]):
        mine, core = orch_cli("standup", *args), orch_cli("state", "get", "mode", *args[1:])

        assert (mine.exit_code, mine.stderr) == (core.exit_code, core.stderr)
        assert mine.exit_code == 1 and mine.stderr.count("\n") == 1, mine.stderr


def test_the_example_group_is_not_imported_until_it_runs(standup, orch_cli):
    assert "standup" in orch_cli("--help").stdout
    assert "standup.cli" not in sys.modules
