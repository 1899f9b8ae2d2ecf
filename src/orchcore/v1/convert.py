"""V1's records as orchcore's: statuses and key names mapped, every other key kept.

The rules, the same for every kind of record:

* a V1 key orchcore has a field for is moved there (``assigned_to`` is the
  task's ``assignee``, ``sprint_id`` its ``sprint``, an agent's
  ``created_at`` its ``started_at``); task statuses are mapped
  (``completed`` is ``done``), the others are V1's own words already;
* every other key is kept as it is, in the model's ``extra`` (so it is in
  ``orch state get`` and written back unchanged);
* a value orchcore cannot hold in its field (``points: "3"``, a priority
  orchcore does not know) stays under ``v1_<key>`` rather than failing the
  migration or being guessed at;
* V1 wrote local times without a zone (``datetime.now().isoformat()``);
  orchcore's rule for a time without a zone is UTC, so they become UTC times
  with the same digits (``2025-08-20T01:31:54.845058Z``); a time that does
  not read is an error naming the file and the key.

Each function returns the model's plain data, normalised (``unstructure``
of ``structure``), so what the migration compares on a second run is
exactly what the store holds.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable

import attrs

from orchcore.domain.vocabulary import PRIORITIES, TaskStatus
from orchcore.errors import InvalidValue
from orchcore.models import Agent, Epic, Message, Sprint, Task, structure, unstructure
from orchcore.v1.source import V1FormatError

__all__ = ["TASK_STATUS", "agent", "epic", "message", "sprint", "stream_event", "task", "timestamp"]

TASK_STATUS = {"pending": TaskStatus.PENDING, "in_progress": TaskStatus.IN_PROGRESS,
               "completed": TaskStatus.DONE, "blocked": TaskStatus.BLOCKED}
"""V1's task statuses and orchcore's for them; a status outside these is kept as V1 wrote it."""

_INSTANCE = re.compile(r"^(?P<type>.+?)-\d+$")  # V1 numbered the agents it started: engineering-fullstack-1


def timestamp(value: Any, where: str) -> str:
    """A V1 time as orchcore writes times (ISO 8601, UTC, ``Z``)."""
    if not isinstance(value, str) or not value.strip():
        raise V1FormatError(f"{where}: expected a time (ISO 8601), found {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise V1FormatError(f"{where}: {value!r} is not a time (ISO 8601)") from None
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class _Record:
    """One V1 record being turned into a model's data: fields taken, the rest kept."""

    def __init__(self, raw: dict[str, Any], where: str):
        self.left = dict(raw)
        self.out: dict[str, Any] = {}
        self.where = where

    def take(self, v1_key: str, field: str, ok: Callable[[Any], bool], convert: Callable[[Any], Any] | None = None,
             *, none_ok: bool = True) -> None:
        """Move ``v1_key`` to ``field`` when orchcore can hold it there; else keep it as ``v1_<key>``."""
        if v1_key not in self.left:
            return
        value = self.left.pop(v1_key)
        if value is None and none_ok:
            self.out[field] = None
        elif ok(value):
            self.out[field] = convert(value) if convert else value
        else:
            self.out[f"v1_{v1_key}"] = value

    def time(self, v1_key: str, field: str) -> None:
        if v1_key in self.left:
            value = self.left.pop(v1_key)
            self.out[field] = None if value is None else timestamp(value, f"{self.where}.{v1_key}")

    def done(self, cls: type) -> dict[str, Any]:
        """The model's normalised data, with every key not taken kept as it is.

        A key kept as it is that has a field's name but not its type (a V1
        task's own ``tags: "a,b"`` is fine; its ``sprint: {...}`` is not) is
        kept as ``v1_<key>`` instead.
        """
        kept = {k: v for k, v in self.left.items() if k not in self.out}
        try:
            return unstructure(structure({**kept, **self.out}, cls))
        except InvalidValue:
            pass
        wire = {f.name for f in attrs.fields(cls)} | {"from", "to"}
        kept = {(f"v1_{k}" if k in wire else k): v for k, v in kept.items()}
        try:
            return unstructure(structure({**kept, **self.out}, cls))
        except InvalidValue as exc:
            raise V1FormatError(f"{self.where}: {exc}") from None


def task(task_id: str, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A V1 task (``tasks.<id>``) as an orchcore ``Task``."""
    record = _Record(raw, where)
    record.left.pop("id", None)
    record.out["id"] = task_id
    status = record.left.pop("status", TaskStatus.PENDING)
    if isinstance(status, str) and status:
        record.out["status"] = str(TASK_STATUS.get(status, status))
    else:
        record.out["v1_status"] = status
    record.take("assigned_to", "assignee", _is_text)
    record.take("sprint_id", "sprint", _is_text)
    record.take("epic_id", "epic", _is_text)
    for key in ("title", "description", "team"):
        record.take(key, key, _is_text, none_ok=key == "team")
    if "title" not in record.out:
        record.take("name", "title", _is_text, none_ok=False)
    record.take("priority", "priority", lambda p: p in PRIORITIES, none_ok=False)
    record.take("points", "points", _is_count)
    record.take("blockers", "blockers", _is_names, none_ok=False)
    record.time("created_at", "created_at")
    record.time("updated_at", "updated_at")
    record.time("completed_at", "completed_at")
    if record.out["status"] == TaskStatus.DONE and not record.out.get("completed_at"):
        record.out["completed_at"] = record.out.get("updated_at")  # V1 kept no completion time: its last change
    return record.done(Task)


def sprint(sprint_id: str, raw: dict[str, Any], where: str, members: list[str]) -> dict[str, Any]:
    """A V1 sprint: its task lists (keyed by status) kept as V1 had them, and the tasks in it as orchcore lists them.

    ``members`` are the tasks whose ``sprint_id`` names the sprint; V1's
    lists come first, in their order, then any such task they missed.
    """
    record = _Record(raw, where)
    record.left.pop("id", None)
    record.out["id"] = sprint_id
    lists = record.left.pop("tasks", None)
    ids: list[str] = []
    if isinstance(lists, dict):
        record.out["task_lists"] = lists
        for bucket in lists.values():
            ids += [t for t in bucket if isinstance(t, str)] if isinstance(bucket, list) else []
    elif _is_names(lists):
        ids = list(lists)
    elif lists is not None:
        record.out["v1_tasks"] = lists
    record.out["tasks"] = list(dict.fromkeys(ids + members))
    for key in ("name", "goal"):
        record.take(key, key, _is_text, none_ok=False)
    record.take("status", "status", lambda s: isinstance(s, str) and bool(s), none_ok=False)
    record.take("epic_id", "epic", _is_text)
    record.take("teams", "teams", _is_names, none_ok=False)
    record.take("duration_days", "duration_days", _is_count)
    for v1_key, field in (("started_at", "started_at"), ("start_date", "started_at"),
                          ("ended_at", "ended_at"), ("end_date", "ended_at")):
        if field not in record.out:
            record.time(v1_key, field)
    return record.done(Sprint)


def epic(epic_id: str, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A V1 epic as an orchcore ``Epic`` (its ``name`` is the title when it has no title)."""
    record = _Record(raw, where)
    record.left.pop("id", None)
    record.out["id"] = epic_id
    record.take("title", "title", _is_text, none_ok=False)
    if "title" not in record.out:
        record.take("name", "title", _is_text, none_ok=False)
    record.take("description", "description", _is_text, none_ok=False)
    record.take("status", "status", lambda s: isinstance(s, str) and bool(s), none_ok=False)
    record.time("created_at", "created_at")
    return record.done(Epic)


def agent(agent_id: str, raw: dict[str, Any], where: str, teams: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A V1 agent (``agents.active.<id>``): its type and team found in V1's teams, where they name it.

    V1 named the agents it started ``<member>-<n>`` after a member of a team
    (``engineering-fullstack-1``); a team's ``orchestrator`` is a director.
    """
    record = _Record(raw, where)
    record.left.pop("id", None)
    record.out["id"] = agent_id
    record.take("status", "status", lambda s: isinstance(s, str) and bool(s), none_ok=False)
    record.take("current_task", "current_task", _is_text)
    record.time("created_at", "started_at")
    record.take("name", "name", _is_text, none_ok=False)
    agent_type, team, director = _member(agent_id, teams)
    if agent_type:
        record.out["agent_type"] = agent_type
        record.out["team"] = team
        if director:
            record.out["role"] = "director"
    record.take("team", "team", _is_text)
    return record.done(Agent)


def _member(agent_id: str, teams: dict[str, dict[str, Any]]) -> tuple[str | None, str | None, bool]:
    """(agent type, team, is a director) for a V1 agent id, from V1's teams; Nones when no team names it."""
    found = _INSTANCE.match(agent_id)
    candidates = [agent_id] + ([found.group("type")] if found else [])
    for name in candidates:
        for team_name, team in teams.items():
            if not isinstance(team, dict):
                continue
            if team.get("orchestrator") == name:
                return name, team_name, True
            members = team.get("members") if isinstance(team.get("members"), list) else []
            if any(isinstance(m, dict) and m.get("agent") == name for m in members):
                return name, team_name, False
    return None, None, False


def message(raw: dict[str, Any], where: str, file_name: str) -> dict[str, Any]:
    """A V1 message file (``messages/<to>_<uuid>.json``) as a queued orchcore ``Message``.

    Its time stays its time, so orchcore delivers in V1's order (most urgent
    first, then oldest); ``to`` comes from the file name when the file has none.
    """
    record = _Record(raw, where)
    stem = file_name.rsplit("/", 1)[-1].removesuffix(".json")
    to_from_name, _, file_id = stem.rpartition("_")
    record.take("id", "id", lambda v: isinstance(v, str) and bool(v), none_ok=False)
    record.out.setdefault("id", file_id or stem)
    record.take("from", "from", _is_text, none_ok=False)
    record.take("to", "to", lambda v: isinstance(v, str) and bool(v), none_ok=False)
    if "to" not in record.out:
        if not to_from_name:
            raise V1FormatError(f"{where}: the message names no recipient ('to'), nor does its file name")
        record.out["to"] = to_from_name
    record.take("type", "type", lambda v: isinstance(v, str) and bool(v), none_ok=False)
    record.take("priority", "priority", lambda p: p in PRIORITIES, none_ok=False)
    if "payload" in record.left:
        record.out["payload"] = record.left.pop("payload")
    if "timestamp" not in record.left:
        raise V1FormatError(f"{where}: the message has no 'timestamp'")
    record.time("timestamp", "created_at")
    record.out["status"] = "queued"
    record.out["v1_file"] = file_name
    return record.done(Message)


def stream_event(raw: dict[str, Any], where: str) -> tuple[str, str, dict[str, Any]]:
    """A line of V1's ``events/stream.jsonl``: (when, source, data) for its ``v1.event``.

    The data is ``{"type": V1's type, "data": V1's data}``, plus any other key the line had.
    """
    if "timestamp" not in raw:
        raise V1FormatError(f"{where}: the event has no 'timestamp'")
    ts = timestamp(raw["timestamp"], f"{where}.timestamp")
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise V1FormatError(f"{where}: the event has no 'type'")
    source = raw.get("source")
    source = source if isinstance(source, str) and source.strip() else "v1"
    data = {k: v for k, v in raw.items() if k not in ("timestamp", "source")}
    data.setdefault("data", None)
    return ts, source, data
