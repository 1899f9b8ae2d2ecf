"""Timestamps: ISO 8601 in UTC, as strings, so stored state round-trips exactly.

``now()`` is the one clock for questions about *today* (a sprint's day, how
long ago a task was updated). ``ORCH_NOW`` (an ISO 8601 time) pins it, for
tests and demos that need a sprint to be on day 5; what is recorded
(``now_iso``, the events' timestamps) always uses the real clock, so the log
stays in order.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

NOW_VARIABLE = "ORCH_NOW"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def now() -> datetime:
    """The current time (UTC, aware), or the time ``ORCH_NOW`` pins."""
    pinned = read_iso(os.environ.get(NOW_VARIABLE))
    return pinned or datetime.now(timezone.utc)


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read_iso(value: str | None) -> datetime | None:
    """A stored timestamp as an aware datetime (UTC when it names no zone); None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = parse_iso(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
