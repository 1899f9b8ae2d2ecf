"""The events a V1 migration writes, and their reducers (registered by ``orchcore.builtin.v1_migration``).

* ``v1.imported``: one epic, sprint, task, agent or queued message as V1 had
  it (converted, ``orchcore.v1.convert``). An epic, sprint, task or agent
  replaces the one imported before (V1 changed it since, and orchcore had
  not); a message joins the queue with its V1 time.
* ``v1.event``: one line of V1's event stream, with V1's time and source.
* ``v1.migrated``: the end of a run: what it imported, V1's current sprint,
  active teams, and the parts of V1's state orchcore has no model for.

What was imported, with the fingerprint of each item, is kept in
``session.plugins["v1"]``: a second run compares with it (and a message
delivered since is not queued again). Pure reducers: replaying the log
rebuilds the state.
"""

from __future__ import annotations

from typing import Any

from orchcore import limits
from orchcore.builtin.core_events import queue_message
from orchcore.errors import InvalidValue
from orchcore.models import Agent, Epic, Event, Message, Session, Sprint, Task, structure

IMPORTED = "v1.imported"
STREAM_EVENT = "v1.event"
MIGRATED = "v1.migrated"
NAMESPACE = "v1"  # session.plugins[NAMESPACE]: {imported: {kind: {id: fingerprint}}, events, runs, kept}
KINDS: dict[str, tuple[str, type]] = {
    "epic": ("epics", Epic), "sprint": ("sprints", Sprint), "task": ("tasks", Task), "agent": ("agents", Agent),
    "message": ("messages", Message),
}
RUNS_KEPT = 20


def record(session: Session) -> dict[str, Any]:
    """What earlier migrations left in this session (empty when none ran)."""
    return session.plugins.get(NAMESPACE, {})


def imported(session: Session, event: Event) -> Session:
    kind = event.need("kind")
    if kind not in KINDS:
        raise InvalidValue(f"event {IMPORTED!r}: kind must be one of {', '.join(KINDS)}")
    item_id = event.need("id")
    fingerprint = event.need("fingerprint")
    collection_name, cls = KINDS[kind]
    item = structure(event.need("item", dict), cls)
    if item.id != item_id:
        raise InvalidValue(f"event {IMPORTED!r}: the item's id is {item.id!r}, not {item_id!r}")
    if kind == "message":
        queue_message(session, item, limits.message_limit(event.data))  # with V1's time, as imported
    else:
        getattr(session.state, collection_name)[item_id] = item
    seen = session.plugins.setdefault(NAMESPACE, {}).setdefault("imported", {}).setdefault(kind, {})
    seen[item_id] = fingerprint
    return session


def stream_event(session: Session, event: Event) -> Session:
    event.need("type")
    ns = session.plugins.setdefault(NAMESPACE, {})
    ns["events"] = ns.get("events", 0) + 1
    return session


def migrated(session: Session, event: Event) -> Session:
    source = event.need("source")
    counts = event.data.get("imported") or {}
    if not isinstance(counts, dict):
        raise InvalidValue(f"event {MIGRATED!r}: imported must map kinds to counts")
    ns = session.plugins.setdefault(NAMESPACE, {})
    runs = ns.setdefault("runs", [])
    runs.append({"at": event.ts, "source": source, "imported": counts})
    del runs[:-RUNS_KEPT]
    ns["source"] = source
    if "kept" in event.data:
        ns["kept"] = event.data["kept"]
    sprint = event.data.get("current_sprint")
    if sprint is not None:
        if not isinstance(sprint, str) or sprint not in session.state.sprints:
            raise InvalidValue(f"event {MIGRATED!r}: current_sprint must name a sprint of the session")
        if session.current_sprint in (None, ns.get("current_sprint")):  # never over one orchcore chose
            session.current_sprint = sprint
        ns["current_sprint"] = sprint
    teams = event.data.get("active_teams") or []
    if not isinstance(teams, list) or not all(isinstance(t, str) and t for t in teams):
        raise InvalidValue(f"event {MIGRATED!r}: active_teams must be a list of team names")
    session.active_teams = list(dict.fromkeys(session.active_teams + teams))
    return session
