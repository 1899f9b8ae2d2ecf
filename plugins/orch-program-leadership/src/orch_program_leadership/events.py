"""The leadership event types and their reducers.

Everything the program records lives under ``session.plugins["leadership"]``::

    {"threads": {"1": {"id": "1", "title": ..., "status": "open", "posts": [...], ...}},
     "decisions": [{"id": "D-1", "decision": ..., "rationale": ..., "owner": ..., "date": ...}],
     "allocations": {"engineering": {"agents": 4, "previous": 3, "note": ..., "by": ..., "set_at": ...}}}

Each reducer is pure: it reads only the state and the event (timestamps and
dates come from ``event.ts``), so ``orch events replay`` rebuilds exactly the
stored state. Bad data raises InvalidValue, which rejects the event and
changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from orchcore.api import EventType, InvalidValue

NAMESPACE = "leadership"

THREAD_OPENED = "leadership.thread_opened"
POSTED = "leadership.posted"
THREAD_CLOSED = "leadership.thread_closed"
DECISION_RECORDED = "leadership.decision_recorded"
ALLOCATION_SET = "leadership.allocation_set"

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
THREAD_ID = re.compile(r"[1-9][0-9]{0,5}")
DECISION_ID = re.compile(r"D-[1-9][0-9]{0,5}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

LIMITS = {"title": 200, "text": 4000, "decision": 1000, "rationale": 2000, "outcome": 1000, "note": 500}
MAX_AGENTS = 1000


def space(session: Any) -> dict[str, Any]:
    """The program's namespace in the session, created on first use."""
    ns = session.plugins.setdefault(NAMESPACE, {})
    ns.setdefault("threads", {})
    ns.setdefault("decisions", [])
    ns.setdefault("allocations", {})
    return ns


def read_space(session: Any) -> dict[str, Any]:
    """The namespace for reading: never writes into ``session``."""
    ns = session.plugins.get(NAMESPACE) or {}
    return {
        "threads": ns.get("threads") or {},
        "decisions": ns.get("decisions") or [],
        "allocations": ns.get("allocations") or {},
    }


# -- validation shared with the commands (they check before they emit) ------


def text(event_type: str, data: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{event_type}: {key!r} must be non-empty text")
    value = value.strip()
    limit = LIMITS.get(key, 200)
    if len(value) > limit:
        raise InvalidValue(f"{event_type}: {key!r} is {len(value)} characters; at most {limit}")
    return value


def name(event_type: str, data: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise InvalidValue(
            f"{event_type}: {key!r} must be a name such as eng-director or qa (letters, digits, - _ . @), "
            f"got {value!r}"
        )
    return value


def next_thread_id(session: Any) -> str:
    threads = read_space(session)["threads"]
    return str(max((int(t) for t in threads if THREAD_ID.fullmatch(t)), default=0) + 1)


def next_decision_id(session: Any) -> str:
    numbers = [int(d["id"][2:]) for d in read_space(session)["decisions"] if DECISION_ID.fullmatch(str(d.get("id")))]
    return f"D-{max(numbers, default=0) + 1}"


def _open_thread(ns: dict[str, Any], event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    thread_id = data.get("thread")
    if isinstance(thread_id, int) and not isinstance(thread_id, bool):
        thread_id = str(thread_id)
    if not isinstance(thread_id, str) or thread_id not in ns["threads"]:
        known = ", ".join(f"#{t}" for t in ns["threads"]) or "none yet"
        raise InvalidValue(f"{event_type}: no thread {thread_id!r} (threads: {known})")
    thread = ns["threads"][thread_id]
    if thread["status"] != "open":
        raise InvalidValue(f"{event_type}: thread #{thread_id} is closed")
    return thread


# -- reducers ------------------------------------------------------------------


def thread_opened(session: Any, event: Any) -> Any:
    ns = space(session)
    data = event.data
    thread_id = data.get("id", None)
    if thread_id is None:
        thread_id = next_thread_id(session)
    if not isinstance(thread_id, str) or not THREAD_ID.fullmatch(thread_id):
        raise InvalidValue(f"{event.type}: 'id' must be a thread number such as '3', got {thread_id!r}")
    if thread_id in ns["threads"]:
        raise InvalidValue(f"{event.type}: thread #{thread_id} already exists")
    participants = data.get("participants", [])
    if not isinstance(participants, list) or not all(isinstance(p, str) and NAME.fullmatch(p) for p in participants):
        raise InvalidValue(f"{event.type}: 'participants' must be a list of names")
    ns["threads"][thread_id] = {
        "id": thread_id,
        "title": text(event.type, data, "title"),
        "opened_by": name(event.type, data, "by", required=False) or "chair",
        "opened_at": event.ts,
        "team": name(event.type, data, "team", required=False),
        "participants": list(dict.fromkeys(participants)),
        "status": "open",
        "posts": [],
        "closed_at": None,
        "outcome": None,
    }
    return session


def posted(session: Any, event: Any) -> Any:
    ns = space(session)
    thread = _open_thread(ns, event.type, event.data)
    author = name(event.type, event.data, "author")
    thread["posts"].append(
        {"n": len(thread["posts"]) + 1, "author": author, "text": text(event.type, event.data, "text"), "ts": event.ts}
    )
    if author not in thread["participants"]:
        thread["participants"].append(author)
    return session


def thread_closed(session: Any, event: Any) -> Any:
    ns = space(session)
    thread = _open_thread(ns, event.type, event.data)
    thread["status"] = "closed"
    thread["closed_at"] = event.ts
    thread["closed_by"] = name(event.type, event.data, "by", required=False) or "chair"
    thread["outcome"] = text(event.type, event.data, "outcome", required=False)
    return session


def decision_recorded(session: Any, event: Any) -> Any:
    ns = space(session)
    data = event.data
    decision_id = data.get("id", None)
    if decision_id is None:
        decision_id = next_decision_id(session)
    if not isinstance(decision_id, str) or not DECISION_ID.fullmatch(decision_id):
        raise InvalidValue(f"{event.type}: 'id' must look like D-3, got {decision_id!r}")
    if any(d.get("id") == decision_id for d in ns["decisions"]):
        raise InvalidValue(f"{event.type}: decision {decision_id} already exists")
    date = data.get("date", None)
    if date is None:
        date = event.ts[:10]
    if not isinstance(date, str) or not DATE.fullmatch(date):
        raise InvalidValue(f"{event.type}: 'date' must be YYYY-MM-DD, got {date!r}")
    thread = data.get("thread", None)
    if thread is not None:
        thread = str(thread)
        if thread not in ns["threads"]:
            raise InvalidValue(f"{event.type}: no thread {thread!r} to link the decision to")
    ns["decisions"].append({
        "id": decision_id,
        "decision": text(event.type, data, "decision"),
        "rationale": text(event.type, data, "rationale", required=False) or "",
        "owner": name(event.type, data, "owner"),
        "date": date,
        "thread": thread,
        "team": name(event.type, data, "team", required=False),
        "by": name(event.type, data, "by", required=False) or "chair",
        "recorded_at": event.ts,
    })
    return session


def allocation_set(session: Any, event: Any) -> Any:
    ns = space(session)
    data = event.data
    team = name(event.type, data, "team")
    agents = data.get("agents")
    if isinstance(agents, bool) or not isinstance(agents, int) or not 0 <= agents <= MAX_AGENTS:
        raise InvalidValue(f"{event.type}: 'agents' must be a whole number from 0 to {MAX_AGENTS}, got {agents!r}")
    previous = ns["allocations"].get(team, {}).get("agents")
    ns["allocations"][team] = {
        "agents": agents,
        "previous": previous,
        "note": text(event.type, data, "note", required=False),
        "by": name(event.type, data, "by", required=False) or "chair",
        "set_at": event.ts,
    }
    return session


EVENT_TYPES = [
    EventType(THREAD_OPENED, thread_opened, "a leadership thread opens: {id?, title, by?, team?, participants?}"),
    EventType(POSTED, posted, "a director (or the chair) posts in a thread: {thread, author, text}"),
    EventType(THREAD_CLOSED, thread_closed, "a thread is closed: {thread, by?, outcome?}"),
    EventType(
        DECISION_RECORDED, decision_recorded,
        "a decision is logged: {id?, decision, owner, rationale?, date?, thread?, team?, by?}",
    ),
    EventType(ALLOCATION_SET, allocation_set, "agents allocated to a team: {team, agents, note?, by?}"),
]
