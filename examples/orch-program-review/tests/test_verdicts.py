"""The program's event type: a verdict is recorded in the session's ``review`` namespace, and replays."""

from __future__ import annotations

import pytest

from orchcore.api import InvalidValue


def test_a_verdict_is_kept_with_its_note_and_time(review, session_id):
    event, session = review.emit(session_id, "review.verdict",
                                 {"task": "T-1", "verdict": "changes", "note": "  retry on 503 "})

    assert session.plugins["review"]["verdicts"] == [
        {"task": "T-1", "verdict": "changes", "note": "retry on 503", "at": event.ts}]


@pytest.mark.parametrize(("data", "why"), [
    ({"task": "T-9", "verdict": "approved"}, "no task 'T-9' in this session"),
    ({"task": "T-1", "verdict": "maybe"}, "verdict must be 'approved' or 'changes'"),
    ({"task": "T-1", "verdict": "changes"}, "asking for changes needs a note"),
    ({"verdict": "approved"}, "needs 'task'"),
])
def test_a_bad_verdict_is_refused_and_changes_nothing(review, session_id, data, why):
    before = review.store.get(session_id)

    with pytest.raises(InvalidValue, match=why):
        review.emit(session_id, "review.verdict", data)

    assert review.store.get(session_id) == before


def test_orch_events_emit_refuses_a_bad_verdict_in_one_line(review, orch_cli, session_id):
    result = orch_cli("events", "emit", "review.verdict", "--data", '{"task": "T-1", "verdict": "maybe"}',
                      session=session_id)

    assert result.exit_code != 0
    assert result.stderr.strip().count("\n") == 0 and "verdict must be" in result.stderr


def test_replaying_the_log_rebuilds_the_verdicts(active, palette, orch_cli, session_id):
    palette("approve T-1")
    palette("changes T-2 add the rollback test")

    assert orch_cli("events", "replay", "--check", "--from-start", session=session_id).exit_code == 0
