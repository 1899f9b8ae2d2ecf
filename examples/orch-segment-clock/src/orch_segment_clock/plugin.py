"""The ``clock`` segment: how long the session has been going, and the local time.

A segment is a function of a SegmentContext (the session, Claude Code's
status-line input, whether colours are on) that returns text, or None to
stay out of the line. Keep it quick: it runs within a time budget
(``timeout_ms``) and is dropped from the line when it is late.
"""

from __future__ import annotations

from datetime import datetime, timezone

from orchcore.api import StatusSegment, hookimpl, parse_iso


def age(created_at: str, now: datetime) -> str:
    minutes = int((now - parse_iso(created_at)).total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def clock(ctx, now: datetime | None = None) -> str | None:
    now = now or datetime.now(timezone.utc)
    local = now.astimezone().strftime("%H:%M")
    if ctx.session is None or not ctx.session.created_at:
        return local
    text = f"⏱ {age(ctx.session.created_at, now)} · {local}"
    return f"\033[2m{text}\033[0m" if ctx.color else text


@hookimpl
def orch_status_segments():
    return [StatusSegment(name="clock", render=clock, description="session age and local time", timeout_ms=50)]
