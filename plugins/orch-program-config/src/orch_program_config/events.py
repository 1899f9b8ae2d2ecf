"""``config_manager.changed``: a change to the project config, recorded in the session that made it.

The file is the project's, shared by every session; the event is the
session's record of who changed what, so ``orch events list --type
config_manager.changed`` answers "what did we change, and what was it before?".
The reducer keeps the last ``KEEP`` changes under ``session.plugins["config_manager"]``
(the event log keeps them all) and is pure: the time comes from the event.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import EventType, InvalidValue

NAMESPACE = "config_manager"
CHANGED = "config_manager.changed"
KEEP = 50


def changed(session: Any, event: Any) -> Any:
    data = event.data
    key = data.get("key")
    if not isinstance(key, str) or not key:
        raise InvalidValue(f"{CHANGED}: 'key' must be the dotted key that changed")
    if data.get("scope", "project") not in ("project", "session"):
        raise InvalidValue(f"{CHANGED}: 'scope' must be project or session")
    if "old" not in data and "new" not in data:
        raise InvalidValue(f"{CHANGED}: give 'old', 'new' or both")
    entry = {"key": key, "scope": data.get("scope", "project"), "ts": event.ts}
    for field in ("old", "new"):
        if field in data:
            entry[field] = data[field]
    changes = session.plugins.setdefault(NAMESPACE, {}).setdefault("changes", [])
    changes.append(entry)
    del changes[:-KEEP]
    return session


EVENT_TYPES = [EventType(CHANGED, changed, "a project config key changed: {key, old?, new?, scope}")]
