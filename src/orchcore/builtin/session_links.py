"""Built-in plugin: the event types that link sessions (forks, resumes, merges).

``session.linked`` (``orchcore.lineage``), ``session.imported`` and
``session.merged`` (``orchcore.merge``), whose reducers are there. Pure
reducers, as every reducer: replaying the log rebuilds the state.
"""

from __future__ import annotations

from orchcore import lineage, merge
from orchcore.plugins import hookimpl
from orchcore.specs import EventType

EVENT_TYPES = [
    EventType(lineage.LINKED, lineage.session_linked,
              "the session's parent is known: {parent, how: fork|resume, pending?, parent_seq?, carried?, shared?, reason?}"),
    EventType(merge.IMPORTED, merge.session_imported,
              "an epic, sprint, task or agent copied from another session: {kind, item, from}"),
    EventType(merge.MERGED, merge.session_merged,
              "another session's state was folded in: {source, source_seq, imported, conflicts, refused, metrics}"),
]


@hookimpl
def orch_event_types():
    return EVENT_TYPES
