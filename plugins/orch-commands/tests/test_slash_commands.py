"""What `orch install` writes for the packs, and that every `` !`orch …` `` line in it really runs.

Claude Code 2.1.x reads ``.claude/commands/orchestration/<name>.md`` as
``/orchestration:<name>``; before the prompt reaches the model it substitutes
``$ARGUMENTS`` into each `` !`…` `` line, checks the command against the
file's ``allowed-tools``, and runs it through a shell. These tests do the
same: substitute, split like the shell, and run the words through ``orch``.
"""

from __future__ import annotations

import importlib
import json
import re
import shlex

import pytest

from orch_commands import PACKS

INJECTED = re.compile(r"(?:^|\s)!`([^`]+)`")
MENTIONED = re.compile(r"`(orch [^`]+)`")
FRONTMATTER_KEYS = {"description", "allowed-tools", "argument-hint"}
SHELL_SPECIALS = set("|&;<>()$`\\\"'*?[]{}~#")


def pack_modules():
    return {name: importlib.import_module(module) for name, module in PACKS.items()}


ALL_COMMANDS = sorted(spec.command for module in pack_modules().values() for spec in module.COMMANDS)
EXAMPLES = [
    (name, example)
    for module in pack_modules().values()
    for name, examples in module.EXAMPLES.items()
    for example in examples
]


def test_the_packs_provide_the_commands_of_the_issue():
    by_pack = {pack: sorted(spec.command for spec in module.COMMANDS) for pack, module in pack_modules().items()}

    assert by_pack == {
        "commands-workflow": ["delegate-tasks", "review-progress", "start-sprint"],
        "commands-team": ["activate-team", "assign-lead", "team-standup"],
        "commands-state": ["checkpoint-state", "enable-orchestration", "set-mode"],
        "commands-debug": ["inspect-state", "list-events", "profile-hooks", "replay-events", "rollback"],
    }
    assert set(EXAMPLES_FOR := {name for name, _ in EXAMPLES}) == set(ALL_COMMANDS), EXAMPLES_FOR


def frontmatter(text: str) -> tuple[dict[str, str], str]:
    """The frontmatter as Claude Code's YAML reads it (plain or double-quoted scalars), and the body."""
    assert text.startswith("---\n"), text[:40]
    head, _, body = text[4:].partition("\n---\n")
    fields = {}
    for line in head.splitlines():
        key, sep, value = line.partition(": ")
        assert sep and re.fullmatch(r"[a-z-]+", key), f"not a 'key: value' line: {line!r}"
        if value.startswith('"'):
            value = json.loads(value)
        else:
            assert ": " not in value and " #" not in value and value.strip() == value, line
        fields[key] = value
    return fields, body


@pytest.fixture
def installed(orch_cli, orch_project, packs):
    result = orch_cli("install", "--json")
    assert result.exit_code == 0, result.stderr
    folder = orch_project / ".claude" / "commands" / "orchestration"
    return {path.stem: path.read_text(encoding="utf-8") for path in folder.glob("*.md")}, result.json()


def test_install_writes_every_command_into_the_orchestration_folder(installed, orch_project):
    files, summary = installed

    assert sorted(files) == ALL_COMMANDS
    written = {p for p in summary["files"]["written"] if "/commands/" in p}
    assert written == {str(orch_project / ".claude" / "commands" / "orchestration" / f"{n}.md") for n in ALL_COMMANDS}


@pytest.mark.parametrize("name", ALL_COMMANDS)
def test_each_file_has_valid_frontmatter(installed, name):
    fields, body = frontmatter(installed[0][name])

    assert set(fields) <= FRONTMATTER_KEYS
    assert fields["description"] and len(fields["description"]) < 120
    assert fields["allowed-tools"].startswith("Bash(orch ")
    assert "argument-hint" in fields
    assert body.strip()


@pytest.mark.parametrize("name", ALL_COMMANDS)
def test_allowed_tools_cover_exactly_the_orch_commands_of_the_body(installed, name):
    fields, body = frontmatter(installed[0][name])
    allowed = [tool.strip() for tool in fields["allowed-tools"].split(",")]
    injected = INJECTED.findall(body)
    mentioned = MENTIONED.findall(body)  # what the model is told to run (terminal hints are not in backticks)

    assert injected, "the command runs nothing"
    needed = {f"Bash({' '.join(cmd.split()[:3])}:*)" for cmd in [*injected, *mentioned]}
    assert set(allowed) == needed
    assert len(allowed) == len(set(allowed))
    for cmd in injected:
        prefix = cmd.split()[:3]
        assert any(tool == f"Bash({' '.join(prefix)}:*)" for tool in allowed)


@pytest.mark.parametrize("name", ALL_COMMANDS)
def test_injected_lines_pass_arguments_plainly_and_nothing_else_the_check_refuses(installed, name):
    _, body = frontmatter(installed[0][name])

    for cmd in INJECTED.findall(body):
        words = cmd.split()
        assert words[0] == "orch" and words[-1] == "$ARGUMENTS", cmd
        assert not SHELL_SPECIALS & set(" ".join(words[:-1])), f"{cmd!r}: a shell special the permission check may refuse"
        assert re.findall(r"\$\w+", cmd) == ["$ARGUMENTS"], cmd


@pytest.mark.parametrize("name, example", EXAMPLES)
def test_every_injected_line_runs_through_the_cli(installed, prepared, orch_cli, name, example):
    """Substitute $ARGUMENTS as Claude Code does, split as the shell does, run as orch."""
    _, body = frontmatter(installed[0][name])

    for line in INJECTED.findall(body):
        argv = shlex.split(line.replace("$ARGUMENTS", example))
        assert argv[0] == "orch"
        result = orch_cli(*argv[1:], session=prepared)

        assert result.exit_code == 0, f"{line} with {example!r}: {result.stderr}"
        assert result.stdout.strip()


@pytest.mark.parametrize("name", ALL_COMMANDS)
def test_without_arguments_a_line_succeeds_or_says_why_in_one_line(installed, prepared, orch_cli, name):
    _, body = frontmatter(installed[0][name])

    for line in INJECTED.findall(body):
        argv = shlex.split(line.replace("$ARGUMENTS", ""))
        result = orch_cli(*argv[1:], session=prepared)

        if result.exit_code:
            assert result.stderr.startswith("orch: error: ") and result.stderr.count("\n") == 1, result.stderr
        else:
            assert result.stdout.strip()


@pytest.mark.parametrize("name", ALL_COMMANDS)
def test_commands_the_model_is_told_to_run_exist(installed, orch_cli, packs, name):
    _, body = frontmatter(installed[0][name])

    for cmd in MENTIONED.findall(body):
        words = [w for w in shlex.split(cmd.replace("…", "")) if not w.isupper() and "=" not in w][:3]
        result = orch_cli(*words[1:], "--help")
        assert result.exit_code == 0, f"{cmd}: {result.stderr}"
