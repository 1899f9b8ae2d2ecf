"""The leadership event types: pure reducers under session.plugins["leadership"], replayable."""

from __future__ import annotations

import pytest

from orchcore.api import InvalidValue

SID = "3f0c2a8e-5d1b-4c7e-9a61-2b7d8e4f1c90"


def leadership(bus):
    return bus.store.get(SID).plugins["leadership"]


def test_a_thread_opens_takes_posts_and_closes(session):
    session.emit(SID, "leadership.thread_opened", {"title": "Q3 database choice", "team": "engineering"})
    session.emit(SID, "leadership.posted", {"thread": "1", "author": "eng-director", "text": "Postgres: transactions."})
    session.emit(SID, "leadership.posted", {"thread": "1", "author": "qa-director", "text": "Fine by QA."})
    event, _ = session.emit(SID, "leadership.thread_closed", {"thread": "1", "outcome": "Postgres"})

    thread = leadership(session)["threads"]["1"]
    assert (thread["title"], thread["team"], thread["status"], thread["outcome"]) == (
        "Q3 database choice", "engineering", "closed", "Postgres")
    assert [(p["n"], p["author"]) for p in thread["posts"]] == [(1, "eng-director"), (2, "qa-director")]
    assert thread["participants"] == ["eng-director", "qa-director"]
    assert thread["closed_at"] == event.ts


def test_thread_ids_count_up_and_an_explicit_id_is_kept(session):
    session.emit(SID, "leadership.thread_opened", {"title": "Hiring"})
    session.emit(SID, "leadership.thread_opened", {"id": "7", "title": "Budget"})
    session.emit(SID, "leadership.thread_opened", {"title": "Offsite"})

    assert list(leadership(session)["threads"]) == ["1", "7", "8"]


def test_a_decision_is_dated_from_its_event_and_numbered(session):
    event, _ = session.emit(SID, "leadership.decision_recorded", {
        "decision": "Adopt Postgres", "owner": "eng-director", "rationale": "we need transactions"})
    session.emit(SID, "leadership.decision_recorded", {
        "decision": "Freeze scope", "owner": "product", "date": "2025-03-01"})

    first, second = leadership(session)["decisions"]
    assert first["id"] == "D-1" and first["date"] == event.ts[:10] and first["rationale"] == "we need transactions"
    assert (second["id"], second["date"], second["rationale"], second["owner"]) == ("D-2", "2025-03-01", "", "product")


def test_an_allocation_remembers_the_previous_one(session):
    session.emit(SID, "leadership.allocation_set", {"team": "qa", "agents": 2})
    session.emit(SID, "leadership.allocation_set", {"team": "qa", "agents": 4, "note": "release week"})

    assert leadership(session)["allocations"]["qa"] | {"set_at": None} == {
        "agents": 4, "previous": 2, "note": "release week", "by": "chair", "set_at": None}


@pytest.mark.parametrize("event_type, data, message", [
    ("leadership.thread_opened", {"title": "  "}, "'title' must be non-empty text"),
    ("leadership.thread_opened", {"id": "x", "title": "A"}, "'id' must be a thread number"),
    ("leadership.thread_opened", {"title": "A", "participants": "eng-director"}, "'participants' must be a list"),
    ("leadership.posted", {"thread": "9", "author": "eng-director", "text": "hi"}, "no thread '9'"),
    ("leadership.posted", {"thread": "1", "author": "eng director", "text": "hi"}, "'author' must be a name"),
    ("leadership.posted", {"thread": "1", "author": "eng-director", "text": "x" * 4001}, "at most 4000"),
    ("leadership.decision_recorded", {"decision": "A", "owner": "qa", "date": "tomorrow"}, "'date' must be YYYY-MM-DD"),
    ("leadership.decision_recorded", {"decision": "A"}, "'owner' must be a name"),
    ("leadership.decision_recorded", {"decision": "A", "owner": "qa", "thread": "5"}, "no thread '5'"),
    ("leadership.allocation_set", {"team": "qa", "agents": True}, "'agents' must be a whole number"),
    ("leadership.allocation_set", {"team": "qa", "agents": -1}, "'agents' must be a whole number"),
    ("leadership.allocation_set", {"team": "qa", "agents": "3"}, "'agents' must be a whole number"),
])
def test_bad_data_is_rejected_and_changes_nothing(session, event_type, data, message):
    session.emit(SID, "leadership.thread_opened", {"title": "Open question"})
    before = session.store.get(SID)
    count = len(session.store.events(SID))

    with pytest.raises(InvalidValue, match=message):
        session.emit(SID, event_type, data)

    assert session.store.get(SID) == before
    assert len(session.store.events(SID)) == count


def test_a_closed_thread_takes_no_posts(session):
    session.emit(SID, "leadership.thread_opened", {"title": "Done deal"})
    session.emit(SID, "leadership.thread_closed", {"thread": "1"})

    with pytest.raises(InvalidValue, match="thread #1 is closed"):
        session.emit(SID, "leadership.posted", {"thread": "1", "author": "qa-director", "text": "late"})


def test_replaying_the_log_gives_back_the_stored_state(company):
    company.emit(SID, "leadership.thread_opened", {"title": "Q3 database choice", "participants": ["eng-director"]})
    company.emit(SID, "leadership.posted", {"thread": "1", "author": "eng-director", "text": "Postgres."})
    company.emit(SID, "leadership.decision_recorded", {"decision": "Adopt Postgres", "owner": "eng-director",
                                                       "thread": "1"})
    company.emit(SID, "leadership.thread_closed", {"thread": "1", "outcome": "Postgres"})
    company.emit(SID, "leadership.allocation_set", {"team": "qa", "agents": 3})
    company.emit(SID, "leadership.allocation_set", {"team": "qa", "agents": 2})

    assert company.replay(SID) == company.store.get(SID)
    middle = company.replay(SID, upto=len(company.store.events(SID)) - 3)
    assert middle.plugins["leadership"]["threads"]["1"]["status"] == "open"


def test_the_types_are_listed_with_their_plugin(session, orch_cli):
    rows = orch_cli("events", "types", "--json").json()

    mine = {r["type"]: r["plugin"] for r in rows if r["type"].startswith("leadership.")}
    assert mine == {t: "leadership-chat" for t in (
        "leadership.thread_opened", "leadership.posted", "leadership.thread_closed",
        "leadership.decision_recorded", "leadership.allocation_set")}
