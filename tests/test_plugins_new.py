"""``orch plugins new NAME --kind KIND`` writes a complete third-party distribution that installs and passes its tests.

The quick tests run the scaffold in-process and read what it wrote. The
slow ones do what a plugin author does, in one fresh virtual environment
(``python -m venv``, its stock pip) holding orchcore installed from this
checkout: run the installed ``orch plugins new`` (so the templates ship as
package data), ``pip install`` the result, see it in ``orch plugins list``
(and ``orch program list``), and run its own tests with ``python -m pytest``.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest
from test_plugin_packaging import orch, venv  # noqa: F401  (venv: the fresh environment, a fixture)
from test_public_api import ALLOWED, orchcore_imports

from orchcore.scaffold import KINDS, TEMPLATES

EXPECTED = {
    # kind: (NAME, the plugin's name, what it adds, its files beyond the common ones)
    "program": ("orch-program-standup", "program-standup", "standup", []),
    "segment": ("orch-segment-done", "segment-done", "done", []),
    "handler": ("orch-handler-guard", "handler-guard", "guard", []),
    "commands": ("orch-commands-tally", "commands-tally", "tally", ["cli.py"]),
}
COMMON = ["README.md", "pyproject.toml", "tests/test_entry_point.py", "tests/test_plugin.py"]


def scaffold(orch_cli, *args: str):
    result = orch_cli("plugins", "new", *args)
    assert result.exit_code == 0, result.stderr
    return result


def one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_every_kind_has_templates_and_an_expected_layout():
    assert sorted(KINDS) == sorted(EXPECTED)
    assert sorted(p.name for p in TEMPLATES.iterdir()) == sorted(["common", *KINDS])


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_the_distribution_is_named_after_NAME_with_its_entry_point_in_the_orchcore_group(kind, orch_cli, orch_project):
    name, plugin, adds, extra = EXPECTED[kind]
    package = name.replace("-", "_")

    summary = scaffold(orch_cli, name, "--kind", kind, "--json").json()

    folder = orch_project / name
    assert (summary["folder"], summary["package"], summary["plugin"], summary["adds"]) == (
        str(folder), package, plugin, adds)
    assert summary["files"] == sorted(
        [*COMMON, f"src/{package}/__init__.py", f"src/{package}/plugin.py", *(f"src/{package}/{f}" for f in extra)])
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == name
    assert project["project"]["entry-points"]["orchcore"] == {plugin: f"{package}.plugin"}
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{package}"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {name}\n\nAn orchcore plugin that adds ") and "{{" not in readme


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_the_generated_code_imports_only_the_public_api_and_the_test_fixtures(kind, orch_cli, orch_project):
    name = EXPECTED[kind][0]
    scaffold(orch_cli, name, "--kind", kind)

    sources = sorted((orch_project / name).rglob("*.py"))
    imported = {module for path in sources for _, module in orchcore_imports(path)}
    assert len(sources) >= 4 and "orchcore.api" in imported
    assert imported <= ALLOWED, imported


def test_the_text_output_lists_the_files_and_what_to_run_next(orch_cli, orch_project):
    out = scaffold(orch_cli, "orch-segment-done", "--kind", "segment").stdout

    assert out.startswith(f"wrote orch-segment-done (a status segment 'done') into {orch_project / 'orch-segment-done'}:")
    assert "  src/orch_segment_done/plugin.py\n" in out
    assert "python -m pytest" in out.splitlines()[-1]


def test_dir_chooses_the_folder(orch_cli, orch_project):
    scaffold(orch_cli, "orch-program-standup", "--kind", "program", "--dir", "plugins/standup")

    assert (orch_project / "plugins" / "standup" / "src" / "orch_program_standup" / "plugin.py").is_file()
    assert not (orch_project / "orch-program-standup").exists()


@pytest.mark.parametrize(("name", "says"), [
    ("Orch-Standup", "bad plugin name 'Orch-Standup': use lower-case words"),
    ("orch_standup", "bad plugin name 'orch_standup': use lower-case words"),
    ("orch--standup", "bad plugin name 'orch--standup'"),
    ("2-standup", "bad plugin name '2-standup'"),
    ("../standup", "bad plugin name '../standup'"),
    ("json", "its package 'json' would shadow Python's or orchcore's own"),
    ("orchcore", "its package 'orchcore' would shadow"),
])
def test_a_bad_name_is_a_one_line_error_and_writes_nothing(name, says, orch_cli, orch_project):
    before = sorted(orch_project.iterdir())

    assert says in one_line_error(orch_cli("plugins", "new", name, "--kind", "program"))
    assert sorted(orch_project.iterdir()) == before


def test_an_unknown_kind_is_a_one_line_error_naming_the_kinds(orch_cli):
    assert one_line_error(orch_cli("plugins", "new", "orch-x", "--kind", "widget")).endswith(
        "unknown kind 'widget'; use one of: program, segment, handler, commands")


def test_a_folder_that_is_not_empty_is_refused_and_force_overwrites_only_the_files_it_writes(orch_cli, orch_project):
    folder = orch_project / "orch-segment-done"
    scaffold(orch_cli, "orch-segment-done", "--kind", "segment")
    (folder / "README.md").write_text("my own notes\n", encoding="utf-8")
    (folder / "NOTES.md").write_text("kept\n", encoding="utf-8")

    refused = one_line_error(orch_cli("plugins", "new", "orch-segment-done", "--kind", "segment"))
    assert f"{folder} exists already and is not empty" in refused and "--force" in refused
    assert (folder / "README.md").read_text(encoding="utf-8") == "my own notes\n"

    scaffold(orch_cli, "orch-segment-done", "--kind", "segment", "--force")
    assert (folder / "README.md").read_text(encoding="utf-8").startswith("# orch-segment-done")
    assert (folder / "NOTES.md").read_text(encoding="utf-8") == "kept\n"


def test_an_empty_folder_is_used_as_it_is(orch_cli, orch_project):
    (orch_project / "orch-segment-done").mkdir()

    scaffold(orch_cli, "orch-segment-done", "--kind", "segment")


def test_a_file_in_the_way_is_refused_even_with_force(orch_cli, orch_project):
    (orch_project / "orch-segment-done").write_text("", encoding="utf-8")

    result = orch_cli("plugins", "new", "orch-segment-done", "--kind", "segment", "--force")
    assert "exists and is not a folder" in one_line_error(result)


def test_a_cli_group_named_like_a_core_command_is_refused(orch_cli, orch_project):
    result = orch_cli("plugins", "new", "orch-commands-state", "--kind", "commands")

    assert "'state' is a core orch command" in one_line_error(result)
    assert not (orch_project / "orch-commands-state").exists()


def test_a_name_another_plugin_already_provides_is_refused(orch_cli, orch_plugin_manager, register_plugin):
    from orchcore.api import StatusSegment, hookimpl

    class Taken:
        @hookimpl
        def orch_status_segments(self):
            return [StatusSegment(name="done", render=lambda ctx: "x")]

    register_plugin(Taken(), name="someone-elses")

    result = orch_cli("plugins", "new", "orch-segment-done", "--kind", "segment")
    assert "a status segment named 'done' is provided already by plugin 'someone-elses'" in one_line_error(result)


# -- in a fresh virtual environment, as a plugin author does it ---------------------------------


def author_env() -> dict[str, str]:
    """The environment of a shell, not of this test run: no pytest, orchcore or venv variables leak in."""
    leaking = ("PYTEST_", "ORCH_", "CLAUDE_")
    return {k: v for k, v in os.environ.items()
            if not k.startswith(leaking) and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def run(args: list[str], cwd: Path, timeout: int = 600) -> str:
    done = subprocess.run(args, cwd=cwd, env=author_env(), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def authored(venv, tmp_path_factory):  # noqa: F811  (the imported fixture)
    """Every kind scaffolded by the venv's own orch and pip-installed there with its test extra."""
    work = tmp_path_factory.mktemp("authors")
    python = str(venv / "bin" / "python")
    folders = {}
    for kind, (name, *_) in sorted(EXPECTED.items()):
        run([str(venv / "bin" / "orch"), "plugins", "new", name, "--kind", kind], cwd=work)
        folders[kind] = work / name
    run([python, "-m", "pip", "install", "--quiet", *(f"{folder}[test]" for folder in folders.values())], cwd=work)
    return folders


def test_pip_install_adds_every_kind_to_orch_plugins_list(venv, authored):  # noqa: F811
    rows = {row["name"]: row for row in orch(venv, "plugins", "list", "--json")}

    for kind, (name, plugin, _, _) in EXPECTED.items():
        assert (rows[plugin]["status"], rows[plugin]["distribution"]) == ("active", name), rows[plugin]
        assert sorted(rows[plugin]["hooks"]) == sorted(KINDS[kind].hooks)


def test_the_program_is_in_orch_program_list(venv, authored):  # noqa: F811
    programs = {row["name"]: row for row in orch(venv, "program", "list", "--json")}

    assert programs["standup"]["palette"] == ["todo"]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_the_generated_tests_pass_as_written(venv, authored, kind):  # noqa: F811
    out = run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=authored[kind])

    assert " passed" in out and "skipped" not in out and "failed" not in out, out


def test_a_plugin_name_another_distribution_uses_is_refused(orch_cli, register_plugin):
    register_plugin(object(), name="segment-done")

    result = orch_cli("plugins", "new", "orch-segment-done", "--kind", "segment")
    assert "a plugin named 'segment-done' is installed already" in one_line_error(result)
