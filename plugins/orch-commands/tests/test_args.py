"""$ARGUMENTS arrive as one raw string that the shell splits: every common style must read the same."""

import shlex

import pytest

from orch_commands.args import ArgumentError, Param, parse

START = (
    Param("name", "name", positional=True, greedy=True),
    Param("epic", "epic"),
    Param("days", "days", kind="days", aliases=("duration",)),
    Param("teams", "teams", kind="list", aliases=("team",)),
    Param("replace", "replace", kind="flag"),
)
EXPECTED = {"name": "Auth sprint", "epic": "auth", "days": 10, "teams": ["engineering", "qa"]}


def shell(raw: str) -> list[str]:
    """What a `` !`orch … $ARGUMENTS` `` line hands to orch: the raw text, split by the shell."""
    return shlex.split(raw)


@pytest.mark.parametrize("raw", [
    'name="Auth sprint" epic=auth days=10 teams=engineering,qa',
    "Auth sprint epic=auth days=10 teams=engineering,qa",
    "--name 'Auth sprint' --epic auth --days 10 --teams engineering,qa",
    "--name='Auth sprint' --epic=auth --duration=10d --team engineering --team qa",
    "epic=auth Auth sprint --days 10 teams=engineering, qa",
    "EPIC=auth Days=10 TEAMS=engineering,qa Auth sprint",
    "epic=auth days=10 teams=engineering,qa,qa -- Auth sprint",
    "teams: engineering,qa epic:auth days:10 Auth sprint",
    "name=Auth sprint epic=auth days=10 teams=engineering,qa",
    "epic=auth --name Auth sprint --days 10 teams=engineering,qa",
])
def test_every_style_of_arguments_reads_the_same(raw):
    assert parse(shell(raw), START, "orch sprint start") == EXPECTED


def test_the_whole_string_as_one_word_is_split_too():
    one_word = ["name='Auth sprint' epic=auth days=10 teams=engineering,qa"]

    assert parse(one_word, START, "orch sprint start") == EXPECTED


def test_a_value_with_spaces_and_an_equals_sign_stays_whole():
    params = (Param("note", "note", positional=True, greedy=True),)

    assert parse(["note=compare x=1 and y"], params, "c") == {"note": "compare x=1 and y"}


@pytest.mark.parametrize("raw, days", [("days=2w", 14), ("duration=3", 3), ("--days 1week", 7), ("days=5days", 5)])
def test_durations_take_days_and_weeks(raw, days):
    assert parse(shell(raw), START, "c")["days"] == days


def test_flags_take_every_spelling():
    assert parse(["--replace"], START, "c") == {"replace": True}
    assert parse(["--no-replace"], START, "c") == {"replace": False}
    assert parse(["replace=yes"], START, "c") == {"replace": True}
    assert parse(["--replace=false"], START, "c") == {"replace": False}


def test_json_and_session_are_understood_anywhere():
    values = parse(["--json", "session=8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"], START, "c")

    assert values == {"json": True, "session": "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"}


def test_no_arguments_is_nothing_given():
    assert parse([], START, "c") == {}
    assert parse(None, START, "c") == {}


@pytest.mark.parametrize("raw, message", [
    ("colour=blue", "unknown argument 'colour' in 'colour=blue' (it takes: name, epic, days, teams, replace)"),
    ("--colour blue", "unknown option --colour"),
    ("days=ten", "days must be a number of days (10, 10d, 2w), not 'ten'"),
    ("--days", "--days needs a value"),
    ("days=3 days=4", "days is given twice (3 and 4); give it once"),
    ("epic=", "epic needs a value"),
    ("--replace=maybe", "--replace takes true or false, not 'maybe'"),
])
def test_bad_arguments_are_one_line_errors(raw, message):
    with pytest.raises(ArgumentError) as caught:
        parse(shell(raw), START, "orch sprint start")

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_leftover_words_are_an_error_when_nothing_takes_them():
    params = (Param("team", "t", positional=True), Param("agent", "a", positional=True))

    assert parse(["qa", "qa-tester"], params, "c") == {"team": "qa", "agent": "qa-tester"}
    assert parse(["agent=qa-tester", "qa"], params, "c") == {"team": "qa", "agent": "qa-tester"}
    with pytest.raises(ArgumentError, match="unexpected 'extra'; use key=value"):
        parse(["qa", "qa-tester", "extra"], params, "c")


def test_choices_are_checked_and_case_insensitive():
    params = (Param("priority", "p", kind="choice", choices=("high", "low")),)

    assert parse(["priority=HIGH"], params, "c") == {"priority": "high"}
    with pytest.raises(ArgumentError, match="priority must be one of high, low, not 'urgent'"):
        parse(["priority=urgent"], params, "c")


def test_numbers_that_look_like_flags_are_values():
    params = (Param("to", "seq", kind="int", positional=True),)

    assert parse(["-3"], params, "c") == {"to": -3}  # (the command then refuses it)
