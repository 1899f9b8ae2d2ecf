"""Built-in plugin: the event types ``orch migrate v1`` writes (reducers in ``orchcore.v1.events``).

Built in, not a plugin one may uninstall: a migrated session's log must
replay for as long as the session is kept.
"""

from __future__ import annotations

from orchcore.plugins import hookimpl
from orchcore.specs import EventType
from orchcore.v1 import events

EVENT_TYPES = [
    EventType(events.IMPORTED, events.imported,
              "an epic, sprint, task, agent or queued message imported from V1: {kind, id, item, fingerprint}"),
    EventType(events.STREAM_EVENT, events.stream_event,
              "a line of V1's events/stream.jsonl, at its own time and source: {type, data, fingerprint}"),
    EventType(events.MIGRATED, events.migrated,
              "a V1 migration ran: {source, imported, current_sprint?, active_teams?, kept?}"),
]


@hookimpl
def orch_event_types():
    return EVENT_TYPES
