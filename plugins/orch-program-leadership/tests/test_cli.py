"""`orch leadership …`: the palette's commands from a terminal (or from Bash inside Claude Code)."""

from __future__ import annotations

import pytest

from conftest import SID


def leadership(bus):
    return bus.store.get(SID).plugins.get("leadership", {})


def run(orch_cli, *args):
    result = orch_cli("leadership", *args, session=SID)
    assert result.exit_code == 0, result.stderr
    return result


def test_a_meeting_from_the_terminal(company, orch_cli):
    opened = run(orch_cli, "open", "Q3", "database", "choice", "--team", "engineering",
                 "--participants", "eng-director,qa-director", "--json").json()
    assert (opened["id"], opened["title"], opened["team"], opened["participants"]) == (
        "1", "Q3 database choice", "engineering", ["eng-director", "qa-director"])

    post = run(orch_cli, "post", "1", "Postgres,", "for", "transactions", "--author", "eng-director", "--json").json()
    assert (post["n"], post["author"], post["text"]) == (1, "eng-director", "Postgres, for transactions")

    decision = run(orch_cli, "decide", "eng-director", "Adopt", "Postgres", "--rationale", "transactions",
                   "--thread", "#1", "--date", "2025-06-30", "--json").json()
    assert {k: decision[k] for k in ("id", "decision", "owner", "rationale", "date", "thread")} == {
        "id": "D-1", "decision": "Adopt Postgres", "owner": "eng-director", "rationale": "transactions",
        "date": "2025-06-30", "thread": "1"}

    closed = run(orch_cli, "close", "1", "--outcome", "Postgres", "--json").json()
    assert closed["status"] == "closed"

    assert run(orch_cli, "threads", "--json").json() == []
    assert [t["id"] for t in run(orch_cli, "threads", "--all", "--json").json()] == ["1"]
    assert "Postgres, for transactions" in run(orch_cli, "thread", "1").stdout
    assert company.replay(SID) == company.store.get(SID)


def test_decide_takes_the_rationale_as_an_option_or_after_because(company, orch_cli):
    run(orch_cli, "decide", "qa", "Freeze", "the", "plan", "--why", "the release is close")
    run(orch_cli, "decide", "qa", "Hire", "a", "tester", "because", "we", "are", "slow")

    first, second = leadership(company)["decisions"]
    assert (first["decision"], first["rationale"]) == ("Freeze the plan", "the release is close")
    assert (second["decision"], second["rationale"]) == ("Hire a tester", "we are slow")


def test_listing_decisions_newest_first(company, orch_cli):
    for text in ("One", "Two", "Three"):
        run(orch_cli, "decide", "product", text)

    assert [d["decision"] for d in run(orch_cli, "decisions", "--limit", "2", "--json").json()] == ["Two", "Three"]
    lines = run(orch_cli, "decisions").stdout.splitlines()
    assert lines[0] == "3 decision(s)" and lines[1].endswith("[product] Three")


def test_decisions_as_json_say_on_stderr_when_the_limit_left_some_out(company, orch_cli):
    for text in ("One", "Two", "Three"):
        run(orch_cli, "decide", "product", text)

    cut = run(orch_cli, "decisions", "--limit", "2", "--json")
    whole = run(orch_cli, "decisions", "--limit", "3", "--json")
    text = run(orch_cli, "decisions", "--limit", "2")

    assert cut.stderr == "orch: showing the last 2 of 3 decisions; --limit 0 for all\n" and len(cut.json()) == 2
    assert whole.stderr == "" and text.stderr == ""
    assert text.stdout.splitlines()[0] == "3 decision(s), the last 2"


def test_allocate_teams_and_perf(company, orch_cli):
    allocation = run(orch_cli, "allocate", "engineering", "5", "--note", "refund flow", "--json").json()
    assert (allocation["team"], allocation["agents"], allocation["note"]) == ("engineering", 5, "refund flow")

    teams = {t["team"]: t for t in run(orch_cli, "teams", "--json").json()}
    assert (teams["engineering"]["allocated"], teams["engineering"]["agents"], teams["engineering"]["completion"]) == (
        5, 3, 0.25)
    perf = run(orch_cli, "perf", "engineering", "--json").json()
    assert [t["team"] for t in perf["teams"]] == ["engineering"]
    assert "engineering: allocated 5 agent(s), has 3 (needs 2)" in perf["findings"]
    assert run(orch_cli, "perf").stdout.startswith("Performance by team:\n")


@pytest.mark.parametrize("args, error", [
    (("post", "4", "hello"), "orch: error: no thread #4 (threads: none yet)\n"),
    (("decide", "what", "to", "do"), "orch: error: 'what' does not look like an owner"),
    (("decide", "qa", "Ship", "--date", "31/12/2025"), "orch: error: 'date' must be YYYY-MM-DD, got '31/12/2025'\n"),
    (("allocate", "qa", "1001"), "orch: error: allocate between 0 and 1000 agents, not 1001\n"),
    (("allocate", "sales", "3"), "orch: error: no team 'sales'"),
    (("open", "Budget", "--author", "Chief Director"), "orch: error: the author must be a name"),
])
def test_bad_input_is_a_one_line_error_and_changes_nothing(company, orch_cli, args, error):
    count = len(company.store.events(SID))

    result = orch_cli("leadership", *args, session=SID)

    assert result.exit_code == 1
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1
    assert len(company.store.events(SID)) == count


def test_a_session_is_needed(plugin, orch_cli):
    result = orch_cli("leadership", "threads")

    assert result.exit_code == 1 and "no session given" in result.stderr


def test_the_group_is_listed_in_orch_help(plugin, orch_cli):
    assert "leadership" in orch_cli("--help").stdout
    assert "decide" in orch_cli("leadership", "--help").stdout
