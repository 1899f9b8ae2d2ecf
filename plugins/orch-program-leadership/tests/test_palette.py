"""The palette: commands typed at the prompt, answered by the router without a model request."""

from __future__ import annotations

import pytest

from conftest import SID, prompt


def stored(bus):
    return bus.store.get(SID).plugins.get("leadership", {})


def test_help_lists_every_command(palette):
    text = palette("help")

    assert text.splitlines()[0] == "leadership_chat commands (typed at the prompt, answered without the model):"
    for usage in ("threads [all]", "thread <id>", "new-thread <title…>", "post <id> [<who>:] <text…>",
                  "close-thread <id> [outcome…]", "decisions [<owner>]", "decide <who> <what> -- <why>",
                  "allocate <team> <n>", "teams", "perf [<team>]"):
        assert usage in text


def test_a_thread_is_opened_discussed_and_closed_from_the_prompt(palette, active):
    assert palette("threads") == "no open threads. Open one with: new-thread <title…>"

    assert palette("new-thread Q3 database choice").startswith("opened thread #1: Q3 database choice\n")
    assert palette("post 1 eng-director: Postgres, we need transactions") == (
        "#1 Q3 database choice: post 1 by eng-director: Postgres, we need transactions")
    assert palette("post #1 Agreed, let's decide") == "#1 Q3 database choice: post 2 by chair: Agreed, let's decide"
    assert palette("threads") == (
        "1 thread(s)\n#1 Q3 database choice (open, 2 posts; eng-director, chair)\n    last: chair: Agreed, let's decide")

    shown = palette("thread 1")
    assert shown.startswith("#1 Q3 database choice\n  open, opened by chair at ")
    assert "  1. eng-director (" in shown and "): Postgres, we need transactions" in shown

    assert palette("close-thread 1 Postgres it is") == "closed thread #1: Q3 database choice — Postgres it is"
    assert palette("threads") == "no open threads; `threads all` lists the closed ones. Open one with: new-thread <title…>"
    assert "#1 Q3 database choice (closed, 2 posts" in palette("threads all")
    thread = stored(active)["threads"]["1"]
    assert (thread["status"], thread["outcome"], len(thread["posts"])) == ("closed", "Postgres it is", 2)


def test_a_decision_is_logged_with_owner_rationale_and_date(palette, active):
    answer = palette("decide eng-director Adopt Postgres for payments -- we need transactions")

    decision = stored(active)["decisions"][0]
    assert answer == "recorded D-1 [eng-director] Adopt Postgres for payments — because we need transactions"
    assert (decision["decision"], decision["owner"], decision["rationale"]) == (
        "Adopt Postgres for payments", "eng-director", "we need transactions")
    assert decision["date"] == active.store.events(SID, types=["leadership.decision_recorded"])[0].ts[:10]

    palette("decide qa Freeze the test plan because the release is close")
    assert stored(active)["decisions"][1]["rationale"] == "the release is close"
    listed = palette("decisions")
    assert listed.splitlines()[0] == "2 decision(s)"
    assert listed.splitlines()[1].endswith("[qa] Freeze the test plan — because the release is close")
    assert palette("decisions qa").splitlines()[0] == "1 decision(s)"


def test_a_decision_without_rationale_says_so(palette):
    assert palette("decide product Ship on Friday").endswith("(no rationale given: add one after `--` next time)")


def test_allocate_and_teams(palette, active):
    assert palette("allocate qa 3") == "qa: 3 agent(s) allocated (first allocation); 2 working for it now"
    assert palette("allocate qa 4") == "qa: 4 agent(s) allocated (was 3); 2 working for it now"

    teams = palette("teams").splitlines()
    assert teams[0].split()[:2] == ["team", "agents"]
    assert teams[2].split() == ["qa", "2", "0", "2", "1", "1", "0", "50%", "0.5", "4"]
    assert "- qa: allocated 4 agent(s), has 2 (needs 2)" in teams
    assert stored(active)["allocations"]["qa"]["agents"] == 4


def test_teams_include_the_installed_organisation(org, palette):
    assert any(line.split()[0] == "devops" for line in palette("teams").splitlines()[1:])
    assert palette("allocate devops 2").startswith("devops: 2 agent(s) allocated")


def test_perf_analyses_every_team_or_one(palette):
    text = palette("perf")
    assert text.splitlines()[0] == "Performance by team:"
    assert "  engineering: 1/4 tasks done (25%), 5/18 points, avg cycle " in text
    assert "  - engineering: 2 tasks in progress, above its limit of 1" in text

    qa = palette("perf qa")
    assert "engineering" not in qa and "  qa: 1/2 tasks done (50%)" in qa


@pytest.mark.parametrize("text, error", [
    ("decide which database to use", "'which' does not look like an owner"),
    ("allocate marketing 2", "no team 'marketing' (teams: engineering, product, qa)"),
    ("allocate qa many", "'many' is not a number of agents"),
    ("allocate qa 5000", "allocate between 0 and 1000 agents"),
    ("post 9 hello there", "no thread #9 (threads: none yet)"),
    ("post the update to slack", "'the' is not a thread id"),
    ("thread x", "'x' is not a thread id"),
    ("close-thread 4", "no thread #4"),
    ("perf marketing", "no team 'marketing'"),
    ("threads open", "usage: threads [all]"),
])
def test_a_mistake_is_answered_with_a_clear_error_and_records_nothing(palette, active, text, error):
    count = len(active.store.events(SID))
    before = active.store.get(SID).plugins

    answer = palette(text)

    assert answer.startswith("✗ ") and error in answer
    assert active.store.get(SID).plugins == before
    # only the router's own bookkeeping (hook.handled) was added
    assert [e.type for e in active.store.events(SID, after=count)] == ["hook.handled"]


def test_posting_to_a_closed_thread_is_refused(palette):
    palette("new-thread Old topic")
    palette("close-thread 1")

    assert palette("post 1 one more thing") == "✗ thread #1 is closed"


@pytest.mark.parametrize("text", [
    "decisions we made last week?",
    "teams that are overloaded, what do we do?",
    "perf of the qa team this sprint",
    "allocate two more agents to qa",
    "threads",  # answered: see below, this one is a command
])
def test_prompts_that_do_not_fit_a_command_reach_the_model(active, orch_hook, text):
    answer = orch_hook(prompt(text)).answer

    if text == "threads":
        assert answer["decision"] == "block"
    else:
        assert "decision" not in answer
        assert "You chair the leadership meeting" in answer["hookSpecificOutput"]["additionalContext"]


def test_the_palette_is_silent_while_another_program_runs(company, orch_hook):
    answer = orch_hook(prompt("teams")).answer

    assert answer is None  # no program: the prompt goes to the model untouched


# -- directors speak in the thread that has the floor --------------------------------


def subagent_stop(agent_type: str, message: str, agent_id: str = "a-eng-dir") -> dict:
    return {"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "SubagentStop",
            "agent_id": agent_id, "agent_type": agent_type, "agent_transcript_path": "",
            "last_assistant_message": message, "stop_hook_active": False}


def test_a_directors_final_answer_is_posted_to_the_thread_with_the_floor(palette, active, orch_hook):
    palette("new-thread Q3 database choice")
    palette("new-thread Release date")

    orch_hook(subagent_stop("eng-director", "Friday works if QA signs off."))
    orch_hook(subagent_stop("qa-tester", "All tests pass.", agent_id="a-tester"))  # not a director

    threads = stored(active)["threads"]
    assert threads["1"]["posts"] == []
    assert [(p["author"], p["text"]) for p in threads["2"]["posts"]] == [
        ("eng-director", "Friday works if QA signs off.")]


def test_a_director_by_definition_counts_too(org, palette, active, orch_hook):
    palette("new-thread Agenda")

    orch_hook(subagent_stop("chief-of-staff", "Three items today.", agent_id="a-cos"))

    assert stored(active)["threads"]["1"]["posts"][0]["author"] == "chief-of-staff"


def test_without_an_open_thread_or_outside_the_program_nothing_is_posted(company, orch_hook, orch_cli):
    company.emit(SID, "leadership.thread_opened", {"title": "Q3"})
    orch_hook(subagent_stop("eng-director", "Postgres."))  # program not active
    assert stored(company)["threads"]["1"]["posts"] == []

    orch_cli("program", "activate", "leadership_chat", session=SID)
    company.emit(SID, "leadership.thread_closed", {"thread": "1"})
    orch_hook(subagent_stop("eng-director", "Postgres."))  # no open thread
    assert stored(company)["threads"]["1"]["posts"] == []


def test_a_bug_in_a_command_is_reported_as_text_never_raised(palette, active, monkeypatch):
    from orch_program_leadership import actions

    def broken(*args, **kwargs):
        raise KeyError("posts")

    monkeypatch.setattr(actions, "list_threads", broken)
    count = len(active.store.events(SID))

    assert palette("threads") == "✗ leadership_chat failed: KeyError: 'posts' (nothing was recorded)"
    assert [e.type for e in active.store.events(SID, after=count)] == ["hook.handled"]  # no plugin.error either
