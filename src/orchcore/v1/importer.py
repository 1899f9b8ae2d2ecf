"""``orch migrate v1``: what to import from a V1 project (the plan), then importing it (apply).

Safe by construction:

* V1's files are only read (``orchcore.v1.source``);
* the plan reads and checks everything first (every V1 file, the message
  queue's room, the state's size, every plugin's part), so a mistake is one
  line and nothing is imported;
* everything imported carries a key and a fingerprint: a second run imports
  nothing twice, takes what V1 added since, and takes what V1 changed since
  only where orchcore did not change it too (else it keeps orchcore's and
  says so); a message imported once is never queued again, even once
  delivered;
* the state goes in as events on the bus, so the migrated session's state is
  the fold of its log like any other.

One session holds V1's top-level state, its messages and its event stream;
a V1 project entry (``projects.<id>``) that holds tasks, sprints, epics or
agents of its own gets a session of its own. Session ids are derived from
the V1 folder's path (and the entry), so running again finds them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import attrs

from orchcore.domain.vocabulary import priority_rank
from orchcore.errors import DuplicateEvent, OrchError
from orchcore.models import Session, unstructure
from orchcore.specs import ImportPlan
from orchcore.v1 import convert, events, source
from orchcore.v1.source import V1FormatError, V1Project

__all__ = ["Migration", "apply", "plan", "report", "lines"]

SOURCE = "migrate"  # the events' source
NAMESPACE_ID = uuid.UUID("6f1d9b7e-3c2a-5e4f-9a8b-0c1d2e3f4a5b")  # session ids: uuid5 of the V1 folder (and entry)
KIND_ORDER = ("epic", "sprint", "task", "agent", "message")
PLURAL = {"epic": "epics", "sprint": "sprints", "task": "tasks", "agent": "agents", "message": "messages",
          "event": "events"}
COLLECTIONS = ("tasks", "sprints", "epics", "agents")  # what makes a V1 project entry a session of its own
NOT_IMPORTED = {
    source.WORKFLOWS_FILE: "orchcore's programs run the sprint and review flow themselves",
}


@attrs.frozen
class Item:
    """One record to import: converted, normalised, fingerprinted."""

    kind: str
    id: str
    item: dict[str, Any]
    fingerprint: str

    @property
    def key(self) -> str:
        """Unique in the session's log: once per id for a message, once per version for the rest."""
        return f"v1:{self.kind}:{self.id}" + ("" if self.kind == "message" else f"@{self.fingerprint}")


@attrs.frozen
class StreamLine:
    """One line of V1's event stream, as the ``v1.event`` it becomes."""

    ts: str
    source: str
    data: dict[str, Any]
    key: str


@attrs.define
class SessionPlan:
    """What one session gets: new and updated items, stream events, what is there already, what conflicts."""

    session_id: str
    project: str | None  # the V1 project entry, None for V1's top-level state
    exists: bool
    archived: bool = False
    new: list[Item] = attrs.Factory(list)
    updated: list[Item] = attrs.Factory(list)
    events: list[StreamLine] = attrs.Factory(list)
    already: dict[str, int] = attrs.Factory(dict)
    conflicts: list[dict[str, str]] = attrs.Factory(list)
    gone: dict[str, int] = attrs.Factory(dict)  # imported earlier, no longer in V1: kept in orchcore
    current_sprint: str | None = None
    active_teams: list[str] = attrs.Factory(list)
    kept: dict[str, Any] | None = None  # V1's state orchcore has no model for, when it changed

    @property
    def changes(self) -> bool:
        return bool(self.new or self.updated or self.events or self.kept is not None or self.current_sprint
                    or self.active_teams)

    def counts(self, items: list[Item]) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in items:
            out[PLURAL[item.kind]] = out.get(PLURAL[item.kind], 0) + 1
        return out


@attrs.define
class Migration:
    """The whole plan: every session's part, every plugin's part, the project default."""

    v1: V1Project
    sessions: list[SessionPlan]
    parts: dict[str, ImportPlan]
    switch: bool | None  # V1's orchestration_mode.enabled, when its settings have it
    default: dict[str, Any] | None = None  # {"path", "text"} when --set-default changes the project config
    notes: list[str] = attrs.Factory(list)


def fingerprint(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def session_id_for(v1: V1Project, project: str | None, chosen: str | None = None) -> str:
    """The session V1's state (``project``: an entry of V1's ``projects``) goes to: found again by the next run."""
    if chosen and project is None:
        return chosen
    base = chosen or str(v1.claude.resolve())
    return str(uuid.uuid5(NAMESPACE_ID, f"{base}\0{project or ''}"))


# -- the plan ------------------------------------------------------------------


def plan(runtime: Any, v1: V1Project, *, session: str | None = None, set_default: bool = False) -> Migration:
    """Everything ``orch migrate v1`` would do; nothing is written. Raises OrchError (one line) when it cannot."""
    if not v1.root.is_dir():
        raise V1FormatError(f"{v1.root}: no such folder")
    if not v1.has_v1():
        raise V1FormatError(
            f"no V1 state in {v1.claude}: looked for {source.STATE_FILE}, {source.MESSAGES_DIR}/*.json, "
            f"{source.STREAM_FILE} and {source.TEAMS_FILE}"
        )
    state = v1.json(source.STATE_FILE) or {}
    teams_file = v1.json(source.TEAMS_FILE) or {}
    teams = teams_file.get("teams") if isinstance(teams_file.get("teams"), dict) else {}
    team_state = v1.json(source.TEAM_STATE_FILE)
    settings = v1.json(source.SETTINGS_FILE)
    switch = _switch(settings)

    sessions: list[SessionPlan] = []
    top_kept = {k: v for k, v in state.items() if k not in COLLECTIONS}
    projects = state.get("projects")
    if isinstance(projects, dict):
        own = {pid: p for pid, p in projects.items() if isinstance(p, dict) and any(k in p for k in COLLECTIONS)}
        if own:
            top_kept["projects"] = {pid: p for pid, p in projects.items() if pid not in own}
        for pid, entry in own.items():
            kept = {k: v for k, v in entry.items() if k not in COLLECTIONS}
            sessions.append(_session(runtime, v1, session_id_for(v1, pid, session), pid, entry, teams,
                                     f"projects.{pid}.", kept=kept))
    agents = state.get("agents")
    if isinstance(agents, dict) and set(agents) - {"active"}:
        top_kept["agents"] = {k: v for k, v in agents.items() if k != "active"}
    if isinstance(team_state, dict):
        top_kept["team_state"] = team_state
    top = _session(runtime, v1, session_id_for(v1, None, session), None, state, teams, "",
                   kept=top_kept, team_state=team_state)
    _messages(v1, top, runtime)
    _stream(v1, top, runtime)
    sessions.insert(0, top)
    for each in sessions:
        _check_size(runtime, each)

    migration = Migration(v1, sessions, _parts(runtime, v1), switch)
    for relative, why in NOT_IMPORTED.items():
        if v1.path(relative).exists():
            migration.notes.append(f"not imported: {relative} ({why})")
    if set_default:
        migration.default = _default_change(v1, switch)
    elif switch is not None:
        migration.notes.append(
            f"V1's orchestration switch (orchestration_mode.enabled = {json.dumps(switch)}) is not made this "
            "project's default; --set-default does that"
        )
    return migration


def _switch(settings: dict[str, Any] | None) -> bool | None:
    mode = (settings or {}).get("orchestration_mode")
    value = mode.get("enabled") if isinstance(mode, dict) else None
    return value if isinstance(value, bool) else None


def _dict_of_records(container: Any, key: str, where: str) -> dict[str, dict[str, Any]]:
    value = container.get(key) if isinstance(container, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise V1FormatError(f"{where}{key} must be an object keyed by id, found {type(value).__name__}")
    for item_id, record in value.items():
        if not isinstance(record, dict):
            raise V1FormatError(f"{where}{key}.{item_id} must be an object, found {type(record).__name__}")
    return value


def _session(runtime: Any, v1: V1Project, session_id: str, project: str | None, state: dict[str, Any],
             teams: dict[str, Any], prefix: str, *, kept: dict[str, Any], team_state: Any = None) -> SessionPlan:
    """One session's part: ``state`` is V1's top-level state, or a project entry's (``prefix``: ``projects.<id>.``)."""
    current = runtime.store.load(session_id)
    plan_ = SessionPlan(session_id, project, current is not None,
                        archived=current is not None and current.archived_at is not None)
    path = f"{v1.path(source.STATE_FILE)}: {prefix}"
    tasks = _dict_of_records(state, "tasks", path)
    members: dict[str, list[str]] = {}
    for task_id, record in tasks.items():
        sprint = record.get("sprint_id")
        if isinstance(sprint, str):
            members.setdefault(sprint, []).append(task_id)
    items: list[Item] = []
    for epic_id, record in _dict_of_records(state, "epics", path).items():
        items.append(_item("epic", epic_id, convert.epic(epic_id, record, f"{path}epics.{epic_id}")))
    sprints = _dict_of_records(state, "sprints", path)
    for sprint_id, record in sprints.items():
        data = convert.sprint(sprint_id, record, f"{path}sprints.{sprint_id}", members.get(sprint_id, []))
        items.append(_item("sprint", sprint_id, data))
    for task_id, record in tasks.items():
        items.append(_item("task", task_id, convert.task(task_id, record, f"{path}tasks.{task_id}")))
    agents = _dict_of_records(state.get("agents") if isinstance(state.get("agents"), dict) else {}, "active",
                              f"{path}agents.")
    for agent_id, record in agents.items():
        items.append(_item("agent", agent_id, convert.agent(agent_id, record, f"{path}agents.active.{agent_id}",
                                                           teams)))
    _sort(plan_, current, items)
    _gone(plan_, current, items)

    done = events.record(current) if current is not None else {}
    active = [s for s, r in sprints.items() if r.get("status") == "active"]
    if active and done.get("current_sprint") != active[-1]:
        plan_.current_sprint = active[-1]
    wanted_teams = team_state.get("active_teams") if isinstance(team_state, dict) else None
    if isinstance(wanted_teams, list):
        names = [t for t in wanted_teams if isinstance(t, str) and t]
        plan_.active_teams = [t for t in names if current is None or t not in current.active_teams]
    previous = done.get("kept")
    if kept != (previous if previous is not None else {}):
        plan_.kept = kept
    return plan_


def _item(kind: str, item_id: str, data: dict[str, Any]) -> Item:
    return Item(kind, item_id, data, fingerprint(data))


def _sort(plan_: SessionPlan, current: Session | None, items: list[Item]) -> None:
    """New, updated (changed in V1 only), already there, or a conflict (changed on both sides, or orchcore's own)."""
    seen = events.record(current).get("imported", {}) if current is not None else {}
    for item in items:
        recorded = seen.get(item.kind, {}).get(item.id)
        mine = _current(current, item) if current is not None else None
        if recorded == item.fingerprint or (item.kind == "message" and recorded is not None):
            plan_.already[PLURAL[item.kind]] = plan_.already.get(PLURAL[item.kind], 0) + 1
        elif recorded is None and mine is None:
            plan_.new.append(item)
        elif recorded is None:
            if fingerprint(unstructure(mine)) == item.fingerprint:
                plan_.already[PLURAL[item.kind]] = plan_.already.get(PLURAL[item.kind], 0) + 1
            else:
                plan_.conflicts.append({"kind": item.kind, "id": item.id,
                                        "why": "orchcore has its own with this id; kept orchcore's"})
        elif mine is None:
            plan_.conflicts.append({"kind": item.kind, "id": item.id,
                                    "why": "changed in V1 since it was imported, and removed in orchcore; not imported again"})
        elif fingerprint(unstructure(mine)) == recorded:
            plan_.updated.append(item)
        else:
            plan_.conflicts.append({"kind": item.kind, "id": item.id,
                                    "why": "changed in V1 and in orchcore since it was imported; kept orchcore's"})


def _gone(plan_: SessionPlan, current: Session | None, items: list[Item]) -> None:
    """What an earlier run imported that V1 no longer has: the migration never deletes, it says so."""
    seen = events.record(current).get("imported", {}) if current is not None else {}
    for kind in ("epic", "sprint", "task", "agent"):
        now = {i.id for i in items if i.kind == kind}
        missing = [i for i in seen.get(kind, {}) if i not in now]
        if missing:
            plan_.gone[PLURAL[kind]] = len(missing)


def _current(session: Session, item: Item) -> Any:
    if item.kind == "message":
        return next((m for m in session.state.messages if m.id == item.id), None)
    collection, _ = events.KINDS[item.kind]
    return getattr(session.state, collection).get(item.id)


def _messages(v1: V1Project, top: SessionPlan, runtime: Any) -> None:
    """V1's queued messages, in the order V1 delivers them: most urgent first, then oldest."""
    items = []
    for relative in v1.files(source.MESSAGES_DIR, "*.json"):
        raw = v1.json(relative)
        items.append(convert.message(raw, str(v1.path(relative)), relative))
    ids = [i["id"] for i in items]
    for data in items:
        if ids.count(data["id"]) > 1:  # one id in several files (a broadcast): one message per recipient
            data["v1_id"] = data["id"]
            data["id"] = f"{data['id']}-{data['to']}"
    items.sort(key=lambda m: (priority_rank(m["priority"]), m["created_at"] or "", m["id"]))
    current = runtime.store.load(top.session_id)
    before = len(top.new)
    _sort(top, current, [_item("message", m["id"], m) for m in items])
    new = len(top.new) - before
    if new:
        from orchcore.config_schema import MAX_MESSAGES
        from orchcore.domain.vocabulary import MessageStatus

        limit = MAX_MESSAGES.read(runtime.config)
        queued = sum(m.status == MessageStatus.QUEUED for m in current.state.messages) if current else 0
        if queued + new > limit:
            raise OrchError(
                f"V1 has {new} messages to import and the session's queue takes {limit - queued} more "
                f"({MAX_MESSAGES.name} = {limit}, {queued} queued); raise the limit (ORCH_MAX_MESSAGES or "
                f"{MAX_MESSAGES.name} in .claude/orchcore.json) and run again; nothing was imported"
            )


def _stream(v1: V1Project, top: SessionPlan, runtime: Any) -> None:
    """V1's event stream, line by line; a line seen twice (same bytes) is two events."""
    text = v1.text(source.STREAM_FILE)
    if text is None:
        return
    lines: list[StreamLine] = []
    occurrences: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        raw = v1.parse(line, source.STREAM_FILE, dict, line=number)
        ts, origin, data = convert.stream_event(raw, f"{v1.path(source.STREAM_FILE)} line {number}")
        mark = fingerprint(raw)
        occurrences[mark] = occurrences.get(mark, 0) + 1
        lines.append(StreamLine(ts, origin, {**data, "fingerprint": mark}, f"v1:event:{mark}:{occurrences[mark]}"))
    recorded = runtime.store.recorded_keys(top.session_id, [s.key for s in lines]) if top.exists and lines else set()
    top.events = [s for s in lines if s.key not in recorded]
    if recorded:
        top.already["events"] = len(recorded)


def _check_size(runtime: Any, each: SessionPlan) -> None:
    """Refuse up front what the store would refuse half-way: a state past ``limits.max_state_kb``."""
    limit = runtime.store.limits.max_state_bytes
    current = runtime.store.load(each.session_id)
    size = len(json.dumps(unstructure(current), default=str)) if current is not None else 0
    size += sum(len(json.dumps(i.item, default=str)) for i in each.new)
    if size > limit:
        raise OrchError(
            f"the V1 state would make session {each.session_id} about {size // 1024:,} KB, past "
            f"limits.max_state_kb = {limit // 1024:,}; raise it (ORCH_MAX_STATE_KB or limits.max_state_kb in "
            ".claude/orchcore.json) and run again; nothing was imported"
        )


def _parts(runtime: Any, v1: V1Project) -> dict[str, ImportPlan]:
    """Every plugin's part (``orch_v1_importers``), planned; one that breaks stops the migration."""
    parts: dict[str, ImportPlan] = {}
    for name, provided in runtime.plugins.collect("orch_v1_importers").items():
        try:
            result = provided.spec.plan(v1)
        except OrchError:
            raise
        except Exception as exc:  # a plugin's bug: one line naming it, nothing imported
            raise OrchError(
                f"the V1 importer {name!r} of plugin {provided.plugin} failed: {type(exc).__name__}: {exc}; "
                "nothing was imported"
            ) from None
        if not isinstance(result, ImportPlan):
            raise OrchError(f"the V1 importer {name!r} of plugin {provided.plugin} did not return an ImportPlan; "
                            "nothing was imported")
        parts[name] = result
    return parts


def _default_change(v1: V1Project, switch: bool | None) -> dict[str, Any] | None:
    """The project config with ``orchestration.enabled`` set to V1's switch; None when it says so already."""
    from orchcore.jsonlimits import loads
    from orchcore.jsonstyle import JsonStyle
    from orchcore.paths import config_file

    if switch is None:
        raise OrchError(f"--set-default: {v1.path(source.SETTINGS_FILE)} has no orchestration_mode.enabled "
                        "(true or false) to take; nothing was imported")
    path = config_file(v1.target)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    except OSError as exc:
        raise OrchError(f"cannot read {path}: {exc.strerror}; nothing was imported") from None
    try:
        data = loads(text, str(path)) if text and text.strip() else {}
    except ValueError as exc:
        raise OrchError(f"{path} is not valid JSON ({exc}); fix it first, nothing was imported") from None
    if not isinstance(data, dict):
        raise OrchError(f"{path} must hold a JSON object; fix it first, nothing was imported")
    section = data.get("orchestration", {})
    if not isinstance(section, dict):
        raise OrchError(f"{path}: orchestration must be an object; fix it first, nothing was imported")
    if section.get("enabled") is switch:
        return None
    data["orchestration"] = {**section, "enabled": switch}
    return {"path": str(path), "text": JsonStyle.of(text).dump(data), "enabled": switch}


# -- applying it ---------------------------------------------------------------


def apply(runtime: Any, migration: Migration) -> dict[str, Any]:
    """Import what the plan found; returns the report. Each event carries its key, so a retry is safe."""
    from orchcore import expiry
    from orchcore.config_schema import MAX_MESSAGES
    from orchcore.files import atomic_write

    bus = runtime.bus
    outcome: list[dict[str, Any]] = []
    for each in migration.sessions:
        done = {"imported": {}, "updated": {}, "already": dict(each.already)}
        if not each.changes:
            outcome.append(done)
            continue
        if not each.exists:
            bus.ensure_session(each.session_id, source=SOURCE)
        elif each.archived:
            expiry.revive(runtime, each.session_id, by="orch migrate v1", source=SOURCE)
        reduce = bus.reducer(events.STREAM_EVENT)
        for line in each.events:
            try:
                runtime.store.append(each.session_id, events.STREAM_EVENT, line.data, line.source, reduce,
                                     key=line.key, ts=line.ts)
            except DuplicateEvent:
                done["already"]["events"] = done["already"].get("events", 0) + 1
                continue
            done["imported"]["events"] = done["imported"].get("events", 0) + 1
        limit = {"messages": MAX_MESSAGES.read(runtime.config)}
        for kind in KIND_ORDER:
            for bucket, items in (("imported", each.new), ("updated", each.updated)):
                for item in (i for i in items if i.kind == kind):
                    data = {"kind": item.kind, "id": item.id, "item": item.item, "fingerprint": item.fingerprint}
                    if kind == "message":
                        data["limits"] = limit
                    try:
                        bus.emit(each.session_id, events.IMPORTED, data, SOURCE, key=item.key)
                    except DuplicateEvent:  # another run imported it meanwhile
                        done["already"][PLURAL[kind]] = done["already"].get(PLURAL[kind], 0) + 1
                        continue
                    done[bucket][PLURAL[kind]] = done[bucket].get(PLURAL[kind], 0) + 1
        summary: dict[str, Any] = {"source": str(migration.v1.claude), "imported": done["imported"]}
        if each.current_sprint:
            summary["current_sprint"] = each.current_sprint
        if each.active_teams:
            summary["active_teams"] = each.active_teams
        if each.kept is not None:
            summary["kept"] = each.kept
        bus.emit(each.session_id, events.MIGRATED, summary, SOURCE)
        outcome.append(done)
    for part in migration.parts.values():
        if part.apply is not None and part.counts:
            part.apply()
    if migration.default is not None:
        atomic_write(Path(migration.default["path"]), migration.default["text"])
    return report(migration, outcome)


# -- the report ------------------------------------------------------------------


def report(migration: Migration, outcome: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The outcome as data (``--json``); without ``outcome`` it is the dry run's: what would be imported."""
    done = outcome is not None
    sessions = []
    for i, each in enumerate(migration.sessions):
        row: dict[str, Any] = {"session_id": each.session_id, "v1_project": each.project, "new_session": not each.exists}
        if done:
            row.update(outcome[i])
        else:
            would = each.counts(each.new)
            if each.events:
                would["events"] = len(each.events)
            row.update({"would_import": would, "would_update": each.counts(each.updated), "already": each.already})
        row["conflicts"] = each.conflicts
        row["gone_from_v1"] = each.gone
        sessions.append(row)
    parts = {name: {("imported" if done else "would_import"): part.counts, "already": part.already,
                    "notes": list(part.notes)} for name, part in migration.parts.items()}
    default = None
    if migration.default is not None:
        default = {"orchestration.enabled": migration.default["enabled"], "file": migration.default["path"],
                   ("written" if done else "would_write"): True}
    return {"source": str(migration.v1.claude), "dry_run": not done, "sessions": sessions, "parts": parts,
            "v1_orchestration_enabled": migration.switch, "default": default, "notes": migration.notes}


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind if n != 1 else kind.removesuffix('s')}" for kind, n in counts.items() if n)


def lines(result: dict[str, Any]) -> list[str]:
    """The report as the lines ``orch migrate v1`` prints."""
    done = not result["dry_run"]
    verb, update = ("imported", "updated") if done else ("would import", "would update")
    out = []
    for row in result["sessions"]:
        what = f"V1 project {row['v1_project']!r}" if row["v1_project"] else "V1's state"
        status = "new session" if row["new_session"] else "session"
        out.append(f"{what} -> {status} {row['session_id']}")
        imported = row["imported" if done else "would_import"]
        out.append(f"  {verb}: {_counts(imported) or 'nothing new'}")
        if row["updated" if done else "would_update"]:
            out.append(f"  {update} (changed in V1 since the last import): {_counts(row['updated' if done else 'would_update'])}")
        if row["already"]:
            out.append(f"  already there from an earlier import: {_counts(row['already'])}")
        for conflict in row["conflicts"]:
            out.append(f"  conflict: {conflict['kind']} {conflict['id']}: {conflict['why']}")
        if row["gone_from_v1"]:
            out.append(f"  no longer in V1, kept in orchcore: {_counts(row['gone_from_v1'])}")
    for name, part in result["parts"].items():
        counts = part["imported" if done else "would_import"]
        if counts or part["already"] or part["notes"]:
            out.append(f"{name}: {verb} {_counts(counts) or 'nothing new'}"
                       + (f"; already there: {_counts(part['already'])}" if part["already"] else ""))
        out += [f"  {note}" for note in part["notes"]]
    if result["default"]:
        d = result["default"]
        out.append(f"project default: orchestration.enabled = {json.dumps(d['orchestration.enabled'])} "
                   f"({'written to' if done else 'would be written to'} {d['file']})")
    out += result["notes"]
    if not done:
        out.append("dry run: nothing was changed")
    return out
