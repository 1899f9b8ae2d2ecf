"""Expiry and garbage collection: idle sessions are archived, old archived ones removed.

A session with no activity for ``sessions.expire_after_hours`` (24) is
archived: a ``session.archived`` event sets ``Session.archived_at``. Its
activity is the later of its last event and its gate flag file's time (the
gate notes events of sessions whose orchestration is off without recording
any). Archiving removes the session's flag files, so its next hook event
reaches the router, which revives it. None of this runs on the hook path:
``orch session gc`` and the resident runtime's housekeeping call it.

``orch session gc`` also removes what no one needs any more: archived
sessions idle for longer than ``--older-than`` (where the store can remove a
session) and flag files of sessions the store no longer has or has archived.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from orchcore import gate
from orchcore.builtin.lifecycle_events import ARCHIVED, REVIVED, archived_message
from orchcore.clock import now, read_iso
from orchcore.errors import InvalidValue, OrchError, SessionArchived
from orchcore.models import Session

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks", "": "days"}


@attrs.frozen
class Idle:
    """A session and how long it has had no activity."""

    session_id: str
    last_activity: datetime
    archived_at: str | None


@attrs.frozen
class Collection:
    """What ``orch session gc`` removed, or would remove (``dry_run``)."""

    archived: list[str]  # sessions archived by this run (idle past the expiry)
    removed: list[str]  # archived sessions removed from the store
    kept: list[str]  # archived sessions old enough that the store cannot remove
    flags: list[str]  # stale flag files (paths)
    dry_run: bool


def parse_age(text: str) -> timedelta:
    """``7d``, ``36h``, ``90m``, ``2w`` (a bare number is days)."""
    match = _AGE.match(text or "")
    if match is None:
        raise InvalidValue(f"{text!r} is not an age: a number and a unit, e.g. 7d, 36h, 90m, 2w")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def expire_after(runtime: Any) -> timedelta:
    from orchcore.config_schema import EXPIRE_AFTER_HOURS

    return timedelta(hours=EXPIRE_AFTER_HOURS.read(runtime.config))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def archived_at(store: Any, info: Any) -> str | None:
    """The session's archived_at: from its list entry, else from its state (stores that do not list it)."""
    if info.archived_at is not None:
        return info.archived_at
    session = store.load(info.session_id)
    return session.archived_at if session is not None else None


def _seen(runtime: Any, info: Any) -> datetime:
    """The session's last event or gate activity, whichever is later (no state loaded)."""
    moments = [read_iso(info.updated_at)]
    seen = gate.last_activity(str(runtime.state_dir), info.session_id)
    if seen is not None:
        moments.append(datetime.fromtimestamp(seen, timezone.utc))
    return max((m for m in moments if m is not None), default=datetime.fromtimestamp(0, timezone.utc))


def sessions(runtime: Any) -> list[Idle]:
    """Every session with its last activity (for an archived one, the last before it was archived), newest first."""
    found = []
    for info in runtime.store.sessions():
        last = _seen(runtime, info)
        stored = archived_at(runtime.store, info)
        if stored is not None:
            last = _last_activity_before_archive(runtime.store, info.session_id) or last
        found.append(Idle(info.session_id, last, stored))
    return sorted(found, key=lambda i: i.last_activity, reverse=True)


def _last_activity_before_archive(store: Any, session_id: str) -> datetime | None:
    newest = store.events(session_id, types=[ARCHIVED], limit=1, newest=True)
    return read_iso(newest[-1].data.get("last_activity")) if newest else None


def archive_idle(runtime: Any, *, dry_run: bool = False, limit: int | None = None) -> list[str]:
    """Archive every session idle past the expiry; returns their ids (at most ``limit``)."""
    after = expire_after(runtime)
    cutoff = now() - after
    # Live sessions are passed over without loading their state; the longest idle go first.
    idle = sorted(((seen, info) for info in runtime.store.sessions() if (seen := _seen(runtime, info)) <= cutoff),
                  key=lambda pair: pair[0])
    done: list[str] = []
    for seen, info in idle:
        if limit is not None and len(done) >= limit:
            break
        if archived_at(runtime.store, info) is not None:
            continue
        if not dry_run:
            data = {"last_activity": _iso(seen), "after_hours": after.total_seconds() / 3600}
            try:
                runtime.bus.emit(info.session_id, ARCHIVED, data, source="orchcore")
            except InvalidValue:
                continue  # archived meanwhile by another process
            gate.clear_flags(str(runtime.state_dir), info.session_id)  # its next event goes to the router
        done.append(info.session_id)
    return done


def revive(runtime: Any, session_id: str, by: str, source: str) -> Session:
    """Make an archived session live again with a ``session.revived`` event; a live one is returned as it is."""
    session = runtime.store.get(session_id)
    if session.archived_at is None:
        return session
    try:
        return runtime.bus.emit(session_id, REVIVED, {"by": by}, source=source)[1]
    except InvalidValue:
        return runtime.store.get(session_id)  # revived meanwhile


def require_live(session: Session) -> Session:
    """The session, unless it is archived: then the one-line error saying how to revive it."""
    if session.archived_at is not None:
        raise SessionArchived(archived_message(session.session_id, session.archived_at))
    return session


def collect(runtime: Any, older_than: timedelta, *, dry_run: bool = False) -> Collection:
    """Archive idle sessions, remove archived ones idle longer than ``older_than``, and stale flag files."""
    archived = archive_idle(runtime, dry_run=dry_run)
    cutoff = now() - older_than
    removed, kept = [], []
    for idle in sessions(runtime):
        if (idle.archived_at is None and idle.session_id not in archived) or idle.last_activity > cutoff:
            continue
        if dry_run:
            removed.append(idle.session_id)
        elif runtime.store.remove_session(idle.session_id):
            removed.append(idle.session_id)
        else:
            kept.append(idle.session_id)
    flags = stale_flags(runtime, set(archived) | set(removed))
    if not dry_run:
        for path in flags:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise OrchError(f"cannot remove the flag file {path}: {exc.strerror or exc}") from None
    return Collection(archived, removed, kept, flags, dry_run)


def stale_flags(runtime: Any, gone: set[str]) -> list[str]:
    """Flag files of sessions the store does not have or has archived (``gone``: ids to count as such)."""
    stale = []
    for session_id, paths in gate.flag_files(str(runtime.state_dir)).items():
        if session_id in gone or not runtime.store.has_session(session_id):
            stale.extend(paths)
            continue
        session = runtime.store.load(session_id)
        if session is not None and session.archived_at is not None:
            stale.extend(paths)
    return sorted(stale)
