"""docs/migrating-from-v1.md: every V1 command has a row, and every replacement it names is real and works.

The table lists V1's 83 slash commands by file (``folder/name.md``), with
what replaces each in orchcore: ``orch …`` commands (CLI), ``/orchestration:…``
slash commands, and palette words, written ``palette `WORD` (program `NAME`)``.
These tests read the table as a user would and hold it to the code:

- it has V1's commands exactly (checked against V1's own list,
  ``../shared/v1/commands.tsv``, when it is there), 83 rows, one each;
- every row of the orchestration folders names a replacement;
- every named replacement exists: an ``orch`` command line that ``--help``
  resolves, a slash command some installed plugin provides, a word of the
  named program's palette;
- every ``orch`` replacement of the orchestration folders runs, as written,
  on a session with tasks, a sprint, agents, messages and a checkpoint, exits
  0 and says something about that session.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "migrating-from-v1.md"
V1_COMMANDS = ROOT.parent / "shared" / "v1" / "commands.tsv"  # beside the repository, when it is there

ORCHESTRATION_FOLDERS = ("orchestrate", "state", "team", "monitor", "debug", "config")
KINDS = ("slash command", "palette command", "CLI", "none")
SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"

CODE = re.compile(r"`([^`]+)`")
PALETTE = re.compile(r"palette `([^`]+)` \(program `([^`]+)`\)")

# Commands that watch until stopped run here as their one-shot form.
ONE_SHOT = {"orch dashboard": "orch dashboard --once", "orch events tail --follow": "orch events tail"}
# What a command needs first, as a user would have done it: a sprint starts once the
# running one is complete; the backups are listed once one was taken;
# orch doctor checks a project orchcore is installed in.
BEFORE = {"orch sprint start": [["sprint", "complete"]], "orch backup list": [["backup"]], "orch doctor": [["install"]]}


# -- reading the table -----------------------------------------------------


def table_rows() -> list[dict[str, str]]:
    """The rows of the table under "## Every V1 command and what replaces it"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Every V1 command and what replaces it", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["V1 command", "V1's description", "orchcore replacement", "kind"]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, f"not four cells: {line!r}"
        rows.append(dict(zip(("command", "description", "replacement", "kind"), cells)))
    return rows


def folder(row: dict[str, str]) -> str:
    return row["command"].split("/", 1)[0]


def replacements(cell: str) -> list[tuple[str, ...]]:
    """What a replacement cell names, in order: ("palette", word, program), ("slash", "/a:b"), ("cli", "orch …")."""
    named = []
    palettes = {m.start(1) - 1: m for m in PALETTE.finditer(cell)}
    programs = {m.start(2) - 1 for m in PALETTE.finditer(cell)}
    for match in CODE.finditer(cell):
        if match.start() in palettes:
            named.append(("palette", *palettes[match.start()].groups()))
        elif match.start() in programs:
            continue
        elif match.group(1).startswith("orch "):
            named.append(("cli", match.group(1)))
        elif re.fullmatch(r"/[\w-]+:[\w-]+", match.group(1)):
            named.append(("slash", match.group(1)))
    return named


KIND_OF = {"cli": "CLI", "slash": "slash command", "palette": "palette command"}
ROWS = table_rows()
ORCHESTRATION_ROWS = [row for row in ROWS if folder(row) in ORCHESTRATION_FOLDERS]
CLI_LINES = list(dict.fromkeys(name[1] for row in ORCHESTRATION_ROWS
                               for name in replacements(row["replacement"]) if name[0] == "cli"))


def v1_commands() -> list[tuple[str, str]]:
    with V1_COMMANDS.open(encoding="utf-8", newline="") as file:
        return [(r[0], r[1] if len(r) > 1 else "") for r in csv.reader(file, delimiter="\t")
                if r and not r[0].startswith("#")]


# -- the table is complete -------------------------------------------------


@pytest.mark.skipif(not V1_COMMANDS.exists(), reason="V1's command list (../shared/v1/commands.tsv) is not here")
def test_the_table_has_exactly_v1s_commands():
    listed = {row["command"] for row in ROWS}
    v1 = {name for name, _ in v1_commands()}

    assert sorted(v1 - listed) == [], "V1 commands missing from the table"
    assert sorted(listed - v1) == [], "rows for commands V1 does not have"


@pytest.mark.skipif(not V1_COMMANDS.exists(), reason="V1's command list (../shared/v1/commands.tsv) is not here")
def test_each_row_quotes_v1s_own_description():
    descriptions = dict(v1_commands())

    for row in ROWS:
        if descriptions[row["command"]]:
            assert row["description"] == descriptions[row["command"]], row["command"]


def test_the_table_has_83_rows_one_per_command():
    names = [row["command"] for row in ROWS]

    assert len(names) == 83
    assert len(set(names)) == 83, sorted(n for n in names if names.count(n) > 1)
    assert names == sorted(names)


def test_every_row_has_a_kind_and_it_is_that_of_its_first_replacement():
    for row in ROWS:
        named = replacements(row["replacement"])
        assert row["kind"] in KINDS, row
        if row["kind"] == "none":
            assert row["replacement"].startswith("none"), row
        else:
            assert named and KIND_OF[named[0][0]] == row["kind"], row


def test_every_orchestration_command_has_a_replacement():
    assert len(ORCHESTRATION_ROWS) == 52
    missing = [row["command"] for row in ORCHESTRATION_ROWS
               if row["kind"] == "none" or not replacements(row["replacement"])]

    assert missing == []


# -- every replacement exists ----------------------------------------------


@pytest.fixture(scope="module")
def installed_plugins(tmp_path_factory):
    """Every plugin installed in this environment (the first-party ones included), as a user has them."""
    from orchcore.plugins import get_plugin_manager

    with pytest.MonkeyPatch.context() as patch:
        for name in ("ORCH_PLUGINS_ALLOW", "ORCH_PLUGINS_DENY", "ORCH_STRICT_PLUGINS"):
            patch.delenv(name, raising=False)
        patch.setenv("ORCH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield get_plugin_manager(allow=(), deny=())


@pytest.fixture
def runtime(orch_project, orch_store, installed_plugins):
    from orchcore.runtime import Runtime

    runtime = Runtime(project=orch_project, plugins=installed_plugins, store=orch_store)
    yield runtime
    runtime.close()


@pytest.fixture
def orch(runtime, monkeypatch):
    """``orch("sprint", "review")`` -> (exit code, stdout, stderr), in-process, inside the session."""
    from orchcore.cli import run

    def invoke(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with monkeypatch.context() as patch:
            patch.setenv("CLAUDE_CODE_SESSION_ID", SESSION)
            patch.setenv("COLUMNS", "200")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run(list(args), runtime=runtime)
        return code, out.getvalue(), err.getvalue()

    return invoke


def command_words(line: str) -> list[str]:
    """The words of an ``orch`` line up to its first argument: the command itself."""
    words = []
    for word in shlex.split(line)[1:]:
        if word.startswith("-") or "=" in word or not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        words.append(word)
    return words


def resolves(orch, line: str) -> bool:
    """Whether ``orch …`` names a real command: its words, less the arguments, have a ``--help``.

    The words are tried longest first; a word dropped is an argument of the
    shorter command (``orch config agents qa``), never an unknown sub-command
    of a group (``orch sprint bogus``).
    """
    words = command_words(line)
    dropped = False
    while words:
        code, out, _ = orch(*words, "--help")
        usage = " ".join(out.split())
        if code == 0 and f"Usage: orch {' '.join(words)} " in usage:
            return not (dropped and "COMMAND [ARGS]" in usage)
        words.pop()
        dropped = True
    return False


def test_the_check_of_orch_lines_tells_real_commands_from_made_up_ones(orch):
    assert resolves(orch, "orch config agents qa") and resolves(orch, "orch backup")
    assert not resolves(orch, "orch sprint bogus") and not resolves(orch, "orch nothing --json")


def test_every_orch_command_named_in_the_table_exists(orch):
    lines = {name[1] for row in ROWS for name in replacements(row["replacement"]) if name[0] == "cli"}

    assert sorted(line for line in lines if not resolves(orch, line)) == []


def test_every_slash_command_named_in_the_table_is_provided_by_an_installed_plugin(installed_plugins):
    provided = {f"/{spec.folder}:{spec.command}" if spec.folder else f"/{spec.command}"
                for spec in installed_plugins.specs("orch_commands").values()}
    named = {name[1] for row in ROWS for name in replacements(row["replacement"]) if name[0] == "slash"}

    assert named and sorted(named - provided) == []


def test_every_palette_word_named_in_the_table_is_in_its_programs_palette(installed_plugins):
    programs = installed_plugins.specs("orch_programs")
    named = {name[1:] for row in ROWS for name in replacements(row["replacement"]) if name[0] == "palette"}

    assert named
    for word, program in sorted(named):
        assert program in programs, f"no program {program!r} (installed: {', '.join(sorted(programs))})"
        assert word in {command.name for command in programs[program].palette}, (word, program)


# -- every orch replacement of the orchestration folders works -------------


@pytest.fixture
def session_with_state(runtime, orch_project):
    """A session in mid-sprint, as V1 users have theirs after `orch migrate v1` or a day of work.

    Two teams active (engineering, qa); checkpoint ``before-sprint`` at event
    1; epic ``auth`` and sprint ``s1`` with three tasks (T-1 pending, T-2 in
    progress with qa-tester, T-3 done); subagent ``a1b2`` (qa-tester) live on
    T-2; two messages queued; the router's records of two hook events; a
    project config with one setting.
    """
    from orchcore.api import team_definitions

    (orch_project / ".claude" / "orchcore.json").write_text('{"limits": {"max_agents": 12}}\n', encoding="utf-8")
    bus = runtime.bus

    def emit(type: str, data: dict, source: str = "cli") -> None:
        bus.emit(SESSION, type, data, source=source)

    bus.create_session(SESSION, orchestration_enabled=True)
    emit("checkpoint.created", {"name": "before-sprint", "seq": 1})
    teams = ["engineering", "qa"]
    emit("session.teams", {"teams": teams, "definitions": team_definitions(runtime.plugins.specs("orch_teams"), teams)})
    emit("epic.created", {"id": "auth", "title": "Authentication"})
    emit("sprint.started", {"id": "s1", "name": "Sprint 1", "epic": "auth", "teams": teams, "duration_days": 10})
    emit("task.created", {"id": "T-1", "title": "Login API", "team": "engineering", "priority": "high",
                          "points": 3, "sprint": "s1"})
    emit("task.created", {"id": "T-2", "title": "Test plan", "team": "qa", "points": 2, "sprint": "s1"})
    emit("task.created", {"id": "T-3", "title": "Schema", "team": "engineering", "points": 1, "sprint": "s1"})
    emit("agent.upserted", {"id": "a1b2", "agent_type": "qa-tester", "team": "qa", "status": "active"})
    emit("task.assigned", {"id": "T-2", "assignee": "a1b2"})
    emit("task.completed", {"id": "T-3"})
    emit("message.sent", {"id": "M-1", "from": "main", "to": "qa-tester", "type": "note", "priority": "high",
                          "payload": "T-2 first"})
    emit("message.sent", {"id": "M-2", "from": "qa-lead", "to": "engineering", "type": "question",
                          "priority": "normal", "payload": "when is T-1 ready?"})
    for ms in (1.5, 4.0):
        emit("hook.handled", {"event": "PreToolUse", "handlers": {"program-context": {"ms": ms, "ok": True}}},
             source="hook")
    emit("plugin.error", {"plugin": "orch-example", "where": "subscriber", "error": "boom"}, source="hook")
    return SESSION


def about_the_session(text: str, project: Path) -> list[str]:
    """What the output names of the session and project the fixture made.

    Its ids (session, tasks, sprint, epic, agents, messages, checkpoint, the
    failing plugin, a point of its log), the teams it activated, and of the
    project: its folder, its one setting, and the program it could run.
    """
    markers = [SESSION, "T-1", "T-2", "T-3", "s1", "Sprint 1", "auth", "Authentication", "engineering", "qa",
               "qa-tester", "a1b2", "before-sprint", "M-1", "M-2", "orch-example", "task.created",
               "limits.max_agents", "sprint_execution", str(project)]
    found = [m for m in markers if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text)]
    return found + re.findall(r"\bevent \d+\b", text)


@pytest.mark.parametrize("line", CLI_LINES)
def test_each_orch_replacement_runs_on_a_session_and_answers_about_it(line, orch, session_with_state, orch_project):
    for line_prefix, steps in BEFORE.items():
        if line.startswith(line_prefix):
            for step in steps:
                assert orch(*step)[0] == 0
    code, out, err = orch(*shlex.split(ONE_SHOT.get(line, line))[1:])

    assert code == 0, f"{line}: exit {code}: {err}"
    assert "Traceback" not in out + err
    assert about_the_session(out, orch_project), f"{line} printed nothing about the session:\n{out}"
