"""One grammar for the ``orch`` command line: a command about a session names it with ``--session ID``.

Every such command, core or plugin, takes the shared option (``--session``,
``-s``; default ``$CLAUDE_CODE_SESSION_ID``). The ``orch session`` commands
that take no other argument also take the id as their argument
(``orch session show ID``); the argument and ``--session`` naming different
sessions is an error. A list that shows only part of what there is says so
on stderr, so stdout (a JSON array with ``--json``) holds only the items.

The walk below runs on every installed plugin's commands too, so a new
command that forgets ``--session`` fails here; a command that is not about a
session goes into NOT_ABOUT_A_SESSION with the reason.
"""

from __future__ import annotations

import pytest
import typer

OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"
NEW = "3c6f1c1e-2b7a-4d0e-9a55-0d7c2f7a1b42"

NOT_ABOUT_A_SESSION = {
    "install": "wires the project's settings",
    "uninstall": "unwires the project's settings",
    "doctor": "checks the project's wiring",
    "demo": "makes a throwaway project with its own session",
    "recover": "rebuilds the whole state database",
    "backup list": "backups of the whole database",
    "plugins list": "the installed plugins",
    "plugins new": "writes a new plugin's distribution",
    "export claude-plugin": "writes a Claude Code plugin of what is installed",
    "session list": "every session",
    "session gc": "every session",
    "events types": "the event types plugins provide",
    "runtime status": "the project's resident runtime",
    "runtime start": "the project's resident runtime",
    "runtime stop": "the project's resident runtime",
    "config validate": "the project's configuration file",
    "config agents": "the installed agent definitions",
    "config plugins": "the installed plugins",
    "config workflows": "the installed workflows",
}

# What a command needs besides its required arguments to run once and end (not serve, not follow).
RUN_ONCE = {"dashboard": ["--once"], "mcp": ["--list"]}


@pytest.fixture
def orch_runtime(orch_project):
    """The runtime `orch` builds in the project: every installed plugin, so their commands are walked too."""
    from orchcore.testing import project_runtime

    runtime = project_runtime(orch_project)
    yield runtime
    runtime.close()


def leaf_commands(runtime) -> dict[str, typer.core.TyperCommand]:
    """Every command `orch` runs, by its words after `orch` (plugin groups loaded)."""
    from orchcore.cli import command

    found: dict[str, typer.core.TyperCommand] = {}

    def walk(cmd, words: list[str], ctx) -> None:
        if not hasattr(cmd, "list_commands"):
            found[" ".join(words)] = cmd
            return
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            sub = sub.load() if hasattr(sub, "load") else sub
            walk(sub, [*words, name], typer.Context(sub, parent=ctx, obj=runtime))

    root = command()
    walk(root, [], typer.Context(root, obj=runtime))
    return found


def about_a_session(runtime) -> dict[str, typer.core.TyperCommand]:
    return {name: cmd for name, cmd in leaf_commands(runtime).items() if name not in NOT_ABOUT_A_SESSION}


def session_options(cmd) -> list[list[str]]:
    return [sorted(p.opts + p.secondary_opts) for p in cmd.params if "--session" in getattr(p, "opts", ())]


def placeholders(cmd) -> list[str]:
    """A word for each required argument: enough for the command to parse its options."""
    return ["x" for p in cmd.params if p.param_type_name == "argument" and p.required]


def ok(result):
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    return result


# -- the walk ----------------------------------------------------------------


def test_every_command_about_a_session_takes_the_shared_session_option(orch_runtime):
    commands = leaf_commands(orch_runtime)
    assert {"session show", "events list", "sprint review", "leadership threads"} <= set(commands)

    missing = {name: session_options(cmd) for name, cmd in commands.items()
               if name not in NOT_ABOUT_A_SESSION and session_options(cmd) != [["--session", "-s"]]}

    assert missing == {}, "these commands lack --session/-s (or add them to NOT_ABOUT_A_SESSION, with why)"


def test_commands_not_about_a_session_take_no_session_option(orch_runtime):
    commands = leaf_commands(orch_runtime)

    listed = {name for name in NOT_ABOUT_A_SESSION if name in commands and session_options(commands[name])}

    assert listed == set(), "these take --session after all: take them out of NOT_ABOUT_A_SESSION"


def test_every_command_about_a_session_finds_it_by_the_option_alone(orch_cli, orch_runtime, session_id):
    ok(orch_cli("session", "create", "--session", session_id))
    failures = {}
    for name, cmd in about_a_session(orch_runtime).items():
        args = [*name.split(), *placeholders(cmd), *RUN_ONCE.get(name, []), "--session", session_id]

        result = orch_cli(*args)  # no $CLAUDE_CODE_SESSION_ID: only --session names the session

        said = result.stdout + result.stderr
        if result.exit_code == 2 or "no session given" in said or "Traceback" in said:
            failures[name] = f"exit {result.exit_code}: {result.stderr.strip()[:200]}"

    assert failures == {}


# -- the id as an argument -------------------------------------------------------


@pytest.mark.parametrize("verb", ["show", "enable", "disable", "revive", "recover"])
def test_a_session_command_takes_the_id_as_its_argument_too(orch_cli, session_id, verb):
    ok(orch_cli("session", "create", session_id))

    by_argument = ok(orch_cli("session", verb, session_id, "--json")).json()
    by_option = ok(orch_cli("session", verb, "--session", session_id, "--json")).json()

    assert by_argument["session_id"] == by_option["session_id"] == session_id


def test_session_create_takes_the_id_with_the_session_option(orch_cli):
    assert ok(orch_cli("session", "create", "--session", NEW)).stdout.strip() == NEW
    assert ok(orch_cli("session", "create", "-s", OTHER, "--json")).json()["session_id"] == OTHER

    assert ok(orch_cli("session", "show", NEW, "--json")).json()["session_id"] == NEW


def test_the_argument_and_the_option_naming_two_sessions_is_a_one_line_error(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    ok(orch_cli("session", "create", OTHER))

    result = orch_cli("session", "enable", session_id, "--session", OTHER)

    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"orch: error: two different sessions given: {session_id} as the argument and "
                             f"{OTHER} with --session; give one\n")
    assert ok(orch_cli("session", "show", "--json", session=session_id)).json()["orchestration_enabled"] is False
    assert orch_cli("session", "create", NEW, "-s", OTHER).exit_code == 1
    assert orch_cli("session", "show", NEW).exit_code == 1  # not created


def test_the_argument_and_the_option_naming_one_session_agree(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))

    shown = ok(orch_cli("session", "show", session_id.upper(), "--session", session_id, "--json")).json()

    assert shown["session_id"] == session_id


def test_merge_folds_into_the_session_named_by_option_argument_or_claude_code(orch_cli, session_id):
    for sid in (session_id, OTHER, NEW):
        ok(orch_cli("session", "create", sid))
    ok(orch_cli("state", "set", "state.metrics.ticks", "3", "--session", OTHER))

    by_option = ok(orch_cli("session", "merge", OTHER, "--session", session_id, "--dry-run", "--json")).json()
    by_argument = ok(orch_cli("session", "merge", OTHER, session_id, "--dry-run", "--json")).json()
    inside_claude_code = ok(orch_cli("session", "merge", OTHER, "--dry-run", "--json", session=session_id)).json()

    assert by_option == by_argument == inside_claude_code
    assert by_option["target"] == session_id
    assert "two different sessions" in orch_cli("session", "merge", OTHER, NEW, "--session", session_id).stderr


# -- lists say when they are cut -------------------------------------------------


def emit_ticks(orch_cli, session_id: str, n: int) -> None:
    for i in range(n):
        ok(orch_cli("events", "emit", "metric.recorded", "--data", f'{{"name": "ticks", "value": {i}}}',
                    "--session", session_id))


def test_events_list_says_on_stderr_when_it_shows_only_the_newest_fifty(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    emit_ticks(orch_cli, session_id, 59)  # and session.created: 60 events

    table = ok(orch_cli("events", "list", "--session", session_id))
    as_json = ok(orch_cli("events", "list", "--json", "--session", session_id))

    note = "orch: showing the newest 50 of 60 events; --limit 0 for all\n"
    assert table.stderr == note and as_json.stderr == note
    listed = as_json.json()
    assert [e["seq"] for e in listed] == list(range(11, 61))
    assert table.stdout.splitlines()[-1].startswith("60 ") and "showing" not in table.stdout


def test_events_list_says_nothing_when_it_shows_everything(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    emit_ticks(orch_cli, session_id, 49)  # 50 events: exactly the default

    for args in ([], ["--limit", "0"], ["--all"], ["--limit", "60"]):
        result = ok(orch_cli("events", "list", "--json", *args, "--session", session_id))
        assert (len(result.json()), result.stderr) == (50, "")


def test_events_list_counts_only_the_events_it_would_show(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    emit_ticks(orch_cli, session_id, 5)

    filtered = ok(orch_cli("events", "list", "--type", "metric.recorded", "--limit", "2", "--session", session_id))
    after = ok(orch_cli("events", "list", "--after", "2", "-n", "3", "--json", "--session", session_id))

    assert filtered.stderr == "orch: showing the newest 2 of 5 events; --limit 0 for all\n"
    assert after.stderr == "orch: showing the newest 3 of 4 events; --limit 0 for all\n"


def test_msg_receive_says_how_many_wait_beyond_its_limit(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    for i in range(3):
        ok(orch_cli("msg", "send", "qa", f"note {i}", "--session", session_id))

    peeked = ok(orch_cli("msg", "receive", "--as", "qa", "--peek", "--limit", "2", "--session", session_id))
    taken = ok(orch_cli("msg", "receive", "--as", "qa", "--limit", "2", "--json", "--session", session_id))
    last = ok(orch_cli("msg", "receive", "--as", "qa", "--limit", "2", "--session", session_id))

    assert peeked.stderr == taken.stderr == "orch: 1 more message(s) waiting for qa; receive again, or --limit up to 100\n"
    assert len(taken.json()) == 2
    assert last.stderr == "" and "note 2" in last.stdout


def test_dashboard_says_when_it_shows_only_some_live_sessions(orch_cli):
    from orchcore.cli.dashboard_cmd import MAX_SESSIONS
    from orchcore.ids import new_session_id

    for _ in range(MAX_SESSIONS + 1):
        ok(orch_cli("session", "create", new_session_id()))

    frame = ok(orch_cli("dashboard", "--all", "--json"))

    assert len(frame.json()["sessions"]) == MAX_SESSIONS
    assert frame.stderr == (f"orch: showing the {MAX_SESSIONS} most recently active of {MAX_SESSIONS + 1} live "
                            "sessions; --session ID for another\n")
