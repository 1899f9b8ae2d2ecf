"""The message bus: priority routing, broadcast, a bounded queue, and `orch msg` from the terminal."""

from __future__ import annotations

import pytest

from orchcore.builtin.core_events import MAX_QUEUED_MESSAGES
from orchcore.errors import InvalidValue

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


@pytest.fixture
def session(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)
    return orch_bus


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def test_messages_are_received_most_urgent_first_then_oldest(session, orch_cli):
    for text, priority in [("low one", "low"), ("first normal", "normal"), ("alarm", "critical"),
                           ("second normal", "normal")]:
        ok(orch_cli("msg", "send", "qa-tester", text, "-p", priority, session=SID))

    got = ok(orch_cli("msg", "receive", "--as", "qa-tester", "--json", session=SID)).json()

    assert [m["payload"] for m in got] == ["alarm", "first normal", "second normal", "low one"]
    assert ok(orch_cli("msg", "receive", "--as", "qa-tester", "--json", session=SID)).json() == []  # delivered


def test_a_broadcast_reaches_the_team_and_all_reaches_everyone(session, orch_cli):
    ok(orch_cli("msg", "broadcast", "standup at 10", "--team", "qa", session=SID))
    ok(orch_cli("msg", "broadcast", "release frozen", "-p", "high", session=SID))

    tester = ok(orch_cli("msg", "receive", "--as", "qa-tester", "--team", "qa", "--peek", "--json",
                         session=SID)).json()
    backend = ok(orch_cli("msg", "receive", "--as", "eng-backend", "--team", "engineering", "--peek", "--json",
                          session=SID)).json()

    assert [m["payload"] for m in tester] == ["release frozen", "standup at 10"]
    assert [m["payload"] for m in backend] == ["release frozen"]


def test_peek_leaves_messages_queued(session, orch_cli):
    ok(orch_cli("msg", "send", "qa", "hello", session=SID))
    ok(orch_cli("msg", "receive", "--as", "qa", "--peek", session=SID))

    assert ok(orch_cli("msg", "status", "--json", session=SID)).json()["queued"] == 1


def test_the_queue_refuses_the_message_beyond_its_limit_with_a_clear_error(session, orch_cli):
    for n in range(MAX_QUEUED_MESSAGES):
        session.emit(SID, "message.sent", {"id": f"M-{n}", "from": "a", "to": "b"})

    refused = orch_cli("msg", "send", "b", "one too many", session=SID)

    assert refused.exit_code == 1
    assert "the message queue is full (100 queued, limits.max_messages = 100)" in refused.stderr
    assert len(session.store.get(SID).state.messages) == MAX_QUEUED_MESSAGES  # nothing dropped, nothing added
    with pytest.raises(InvalidValue, match="queue is full"):
        session.emit(SID, "message.sent", {"id": "M-x", "from": "a", "to": "b"})


def test_bad_input_is_a_one_line_error(session, orch_cli):
    for args in (["msg", "send", "qa", "x", "-p", "urgent"], ["msg", "send", "qa", "  "]):
        result = orch_cli(*args, session=SID)
        assert result.exit_code == 1 and result.stderr.startswith("orch: error:") and result.stderr.count("\n") == 1
