"""When a store snapshots a session and compacts its log: one policy for every backend.

A long session's log grows without end; replay and key look-ups must not. So
once ``limits.event_buffer`` live events are exceeded by ``compact_step`` more,
the store snapshots the state and moves the older events to its archive
(archived events are still returned: compaction moves, it never hides). A
session also gets a snapshot once per hour of activity, so replay to a time
starts near it. The SQLite and Redis stores both ask ``due`` inside their
append and do what it says, so their logs look alike.
"""

from __future__ import annotations

from orchcore.clock import parse_iso

AUTO_SNAPSHOT = "auto: compaction"
HOURLY_SNAPSHOT = "auto: hourly"
AUTOMATIC = (AUTO_SNAPSHOT, HOURLY_SNAPSHOT)
KEPT_SNAPSHOTS = 24  # automatic snapshots kept per session (named checkpoints are all kept)

COMPACT = "compact"  # snapshot, then archive the events up to ``upto``
HOURLY = "hourly"  # an hourly snapshot
FIRST_ACTIVITY = "first"  # no snapshot yet: remember when activity started


def compact_step(buffer: int) -> int:
    """How many events past the buffer a session gathers before compaction moves them (a quarter, 10 to 1,000).

    Each compaction writes a snapshot of the whole state, so it is spread over
    this many events: a 1 MB state adds a few microseconds to each.
    """
    return max(10, min(1000, buffer // 4))


def due(seq: int, ts: str, *, buffer: int, archived_upto: int, snapshot_ts: str | None) -> tuple[str, int] | None:
    """What the append of event ``seq`` (at ``ts``) must do besides storing it: (what, archive upto) or None."""
    if seq - archived_upto >= buffer + compact_step(buffer):
        return COMPACT, seq - buffer
    if snapshot_ts is None:
        return FIRST_ACTIVITY, archived_upto
    if hours_between(snapshot_ts, ts) >= 1:
        return HOURLY, archived_upto
    return None


def hours_between(start: str, end: str) -> float:
    try:
        return (parse_iso(end) - parse_iso(start)).total_seconds() / 3600
    except (TypeError, ValueError):
        return 0.0


def stale_snapshots(automatic_seqs: list[int]) -> list[int]:
    """Of a session's automatic snapshots (their seqs), the ones past the newest ``KEPT_SNAPSHOTS`` to remove."""
    return sorted(automatic_seqs, reverse=True)[KEPT_SNAPSHOTS:]
