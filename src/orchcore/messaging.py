"""Sending and taking messages on the session's bus: one rule set for ``orch msg`` and ``orch mcp``.

A send is checked before anything is written (a known priority, some text,
a live session) and held to the project's queue limit (``limits.admit``); the
reducer refuses a full queue inside the store's transaction. Taking returns
what waits for a set of names, most urgent first, oldest first within a
priority (the order SubagentStart delivers them in too).
"""

from __future__ import annotations

import uuid
from typing import Any

from orchcore.domain.vocabulary import PRIORITIES, MessageStatus, priority_rank
from orchcore.errors import OrchError


def send(runtime: Any, session_id: str, sender: str, recipient: str, text: str, priority: str = "normal",
         kind: str = "note", source: str = "cli", **extra: Any) -> tuple[dict[str, Any], Any]:
    """Queue one message; returns its data and the ``message.sent`` event. OrchError when refused."""
    from orchcore import expiry, limits  # (not at the top: the hook path takes ``waiting`` from here)

    if priority not in PRIORITIES:
        raise OrchError(f"--priority must be one of {', '.join(PRIORITIES)}")
    if not text.strip():
        raise OrchError("the message is empty")
    if not recipient.strip():
        raise OrchError("the message has no recipient")
    data = {"id": f"M-{uuid.uuid4().hex[:8]}", "from": sender, "to": recipient, "type": kind,
            "priority": priority, "payload": text, **extra}
    expiry.require_live(runtime.store.get(session_id))  # an archived session is read-only
    sent = limits.admit(runtime, session_id, "message.sent", data)  # held to the configured queue limit
    event, _ = runtime.bus.emit(session_id, "message.sent", sent, source=source)
    return data, event


def waiting(messages: list, names: set[str] | None = None) -> list:
    """The queued messages (addressed to any of ``names``, when given): the one delivery order.

    Most urgent first, then oldest; ``orch msg``, ``orch mcp``, SubagentStart,
    the dashboard and the programs' views all list and deliver in it.
    """
    queued = [m for m in messages if m.status == MessageStatus.QUEUED and (names is None or m.recipient in names)]
    return sorted(queued, key=lambda m: (priority_rank(m.priority), m.created_at or ""))


def take(runtime: Any, session_id: str, names: set[str], limit: int = 10, peek: bool = False,
         source: str = "cli", **extra: Any) -> list[dict[str, Any]]:
    """What waits for ``names`` (at most ``limit``), delivered (out of the queue) unless ``peek``."""
    state = runtime.store.get(session_id)
    taken = waiting(state.state.messages, names)[:limit]
    if taken and not peek:
        runtime.bus.emit(session_id, "message.delivered", {"ids": [m.id for m in taken], **extra}, source=source)
    return [{"id": m.id, "from": m.sender, "to": m.recipient, "priority": m.priority, "type": m.type,
             "payload": m.payload, "created_at": m.created_at} for m in taken]
