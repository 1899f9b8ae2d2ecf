"""The plan's limits in one place: the checks reducers cannot make alone, and what each refusal says.

Every limit is a key under ``limits`` in ``.claude/orchcore.json`` with a
variable that wins over it (``config_schema``). Where each is enforced:

* **state size, event buffer**: the store, on every append, whatever path the event came by.
* **agents per session, queued messages**: the reducer, inside the store's
  transaction, so parallel processes cannot both take the last place. The
  reducer cannot read the configuration, so whoever emits puts the configured
  value into the event's data (``limits``: delegation's ``{"session": …}``,
  ``{"messages": …}`` here, see ``admit``); the log then says which limit an
  event was held to and replay decides the same. An event without one (a log
  from before, a plugin's own emit) is held to the default.
* **orchestrated sessions per project**: before the emit (``session_slot_problem``):
  it spans sessions, and no store transaction does, so two sessions turning on
  in the same instant can both pass. On the hook path a session over the limit
  is created with orchestration off and told so once (``open_hook_session``).
* **long text from hook events**: never a refusal. Where the router commits
  what handlers emit, every string longer than ``limits.max_field_kb`` is cut
  with a marker (``fit_hook_fields``), so one huge task description cannot
  fill the state and a hook event is never refused for its size.

Every message names the limit's key, its value and how to change it.
"""

from __future__ import annotations

from typing import Any

from orchcore.config_schema import MAX_AGENTS, MAX_FIELD_KB, MAX_MESSAGES, MAX_SESSIONS, ConfigKey
from orchcore.errors import LimitExceeded

DEFAULT_MAX_MESSAGES = MAX_MESSAGES.default  # what a message.sent without its limit is held to
MARKER_RESERVE = 120  # bytes kept free for the marker, so a cut field stays within its limit


def how_to_change(key: ConfigKey) -> str:
    """The sentence every limit message ends with."""
    return f"raise {key.name} in .claude/orchcore.json (or set {key.env})"


# -- text fields -------------------------------------------------------------


def field_bytes(config: Any) -> int:
    """``limits.max_field_kb`` in bytes: the longest text a hook-derived event keeps."""
    return MAX_FIELD_KB.read(config) * 1024


def truncate_text(value: str, max_bytes: int) -> str:
    """``value`` when it fits in ``max_bytes`` (UTF-8); else its start and a marker saying what was cut.

    The result, marker included, is at most ``max_bytes`` long (or the marker
    alone, for a limit smaller than the marker). Lone surrogates, which
    Claude Code can leave when it cuts inside an emoji, count as three bytes
    and are kept.
    """
    if len(value) * 4 <= max_bytes:
        return value  # no character is longer than 4 bytes: it fits without encoding
    if len(value) <= max_bytes and len(value.encode("utf-8", "surrogatepass")) <= max_bytes:
        return value
    budget = max(max_bytes - MARKER_RESERVE, 0)
    encoded = value[:budget].encode("utf-8", "surrogatepass")  # what is kept is at most this: never encode it all
    kept = ""
    for end in range(budget, max(budget - 4, -1), -1):  # step back off the middle of a character
        try:
            kept = encoded[:end].decode("utf-8", "surrogatepass")
            break
        except UnicodeDecodeError:
            continue
    cut = len(value) - len(kept)
    return f"{kept}… [cut by orchcore: {cut:,} more characters; {MAX_FIELD_KB.name} = {max_bytes // 1024}]"


def fit_hook_fields(data: Any, max_bytes: int) -> Any:
    """``data`` with every string in it (nested ones too, keys excepted) cut to ``max_bytes``.

    Returns the same object when nothing was too long, a copy otherwise: the
    caller's data is never changed in place. Depth is already bounded
    (``jsonlimits``) by the time event data gets here.
    """
    if isinstance(data, str):
        return truncate_text(data, max_bytes)
    if isinstance(data, dict):
        fitted = {key: fit_hook_fields(value, max_bytes) for key, value in data.items()}
        return data if all(fitted[k] is data[k] for k in data) else fitted
    if isinstance(data, list):
        items = [fit_hook_fields(value, max_bytes) for value in data]
        return data if all(a is b for a, b in zip(items, data)) else items
    return data


# -- messages ----------------------------------------------------------------


def queue_full(queued: int, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"the message queue is full ({queued} queued, {MAX_MESSAGES.name} = {limit}): receive messages first "
        f"(`orch msg receive`, `orch msg status`) or {how_to_change(MAX_MESSAGES)}"
    )


def message_limit(data: dict[str, Any]) -> int:
    """The queue limit an event was emitted under (``data["limits"]["messages"]``), else the default."""
    limits = data.get("limits")
    value = limits.get("messages") if isinstance(limits, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return DEFAULT_MAX_MESSAGES
    return value


def touches_messages(path: str) -> bool:
    """Whether a ``state.set`` at ``path`` can change the message queue (``state``, ``state.messages…``)."""
    parts = path.strip().strip(".").split(".")
    return parts[0] == "state" and (len(parts) == 1 or parts[1] == "messages")


# -- sessions ----------------------------------------------------------------


def turns_on(event_type: str, data: dict[str, Any]) -> bool:
    """Whether emitting this event turns a session's orchestration on."""
    if event_type == "session.orchestration":
        return data.get("enabled") is True
    if event_type == "session.created":
        return data.get("orchestration_enabled") is True
    if event_type == "state.set":
        return str(data.get("path") or "").strip() == "orchestration_enabled" and data.get("value") is True
    return False


def orchestrated_sessions(store: Any, but: str | None = None, enough: int | None = None) -> list[str]:
    """Sessions of the store with orchestration on that are active (not ended, not archived); not ``but``.

    ``enough``: stop counting there (the caller only asks whether the limit is reached).
    """
    found: list[str] = []
    for info in store.sessions():
        if info.session_id == but or not info.orchestration_enabled or info.archived_at:
            continue
        session = store.load(info.session_id)
        if session is None or session.ended_at or session.archived_at:  # (not every store lists archived_at)
            continue
        found.append(info.session_id)
        if enough is not None and len(found) >= enough:
            break
    return found


def session_slot_problem(store: Any, config: Any, session_id: str) -> str | None:
    """Why ``session_id`` may not turn orchestration on now (the project is at ``limits.max_sessions``), or None."""
    limit = MAX_SESSIONS.read(config)
    others = orchestrated_sessions(store, but=session_id, enough=limit)
    if len(others) < limit:
        return None
    return (
        f"orchestration stays off for session {session_id}: this project already has {len(others)} orchestrated "
        f"sessions active ({MAX_SESSIONS.name} = {limit}); end or `orch session disable` one of them "
        f"(`orch session list`), or {how_to_change(MAX_SESSIONS)}"
    )


# -- before an emit ----------------------------------------------------------


def admit(
    runtime: Any, session_id: str | None, event_type: str, data: dict[str, Any], store: Any = None,
) -> dict[str, Any]:
    """The data to emit for this event under the project's limits; LimitExceeded when it may not be emitted.

    Every path that emits an event someone asked for (the CLI's commands,
    ``orch events emit``, ``orch state set``, the router for hook handlers,
    plugins' commands through ``orchcore.api``) calls this first: it refuses
    a session turning on past ``limits.max_sessions`` and writes the
    configured queue limit into events that can fill the queue (and the
    session's agent limit into a delegation that came without its limits). ``store``:
    the connection to count sessions with, when not the runtime's (a handler's thread has its own).
    """
    if session_id and turns_on(event_type, data):
        problem = session_slot_problem(store or runtime.store, runtime.config, session_id)
        if problem:
            raise LimitExceeded(problem)
    if event_type == "message.sent" or (event_type == "state.set" and touches_messages(str(data.get("path", "")))):
        data = {**data, "limits": {"messages": MAX_MESSAGES.read(runtime.config)}}
    elif event_type == "delegation.requested" and "limits" not in data:  # the hook handler sends its own
        data = {**data, "limits": {"session": MAX_AGENTS.read(runtime.config)}}
    return data


def open_hook_session(runtime: Any, session_id: str, default_on: bool, **fields: Any) -> tuple[Any, str | None]:
    """The hook's session, created when new; and the one notice to show when the limit kept orchestration off.

    A new session of a project whose default is on starts with orchestration
    off when ``limits.max_sessions`` are already active: Claude Code is never
    blocked, and the notice goes out once, with the event that created it.
    """
    session = runtime.store.load(session_id)
    if session is not None:
        return session, None
    problem = session_slot_problem(runtime.store, runtime.config, session_id) if default_on else None
    on = default_on and not problem
    session = runtime.bus.ensure_session(session_id, source="hook", orchestration_enabled=on, **fields)
    return session, (f"orchcore: {problem}" if problem else None)
