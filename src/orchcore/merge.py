"""Folding one session's state into another, as events on the target.

``orch session merge A B`` and a fork's carry-over (``orchcore.lineage``) are
the same operation with a different list of what travels: a *plan* reads
both sessions through the public store interface and lists the events to
emit on the target; *apply* emits them through the bus, so the target's
state stays the fold of its own log and nothing is written to the source.

Rules, the same for every kind of item:

* an item is imported once: its event carries the key ``from:<A>:<kind>:<id>``,
  so a second merge (or a retry after a crash) finds the key and imports
  nothing twice;
* an id the target has already (and did not get from A) is a conflict: the
  target's item is kept and the conflict is reported; an identical item is
  not a conflict;
* an item the target refuses (a full message queue, a limit) is reported as
  refused, and the rest goes on.
"""

from __future__ import annotations

from typing import Any

import attrs

from orchcore.errors import DuplicateEvent, InvalidValue, OrchError
from orchcore.models import Agent, Epic, Event, Session, Sprint, Task, structure, unstructure

NAMESPACE = "lineage"  # session.plugins[NAMESPACE]: parent, how, and what was merged from whom
IMPORTED = "session.imported"
MERGED = "session.merged"
ITEM_KINDS: dict[str, tuple[str, type]] = {
    "epic": ("epics", Epic), "sprint": ("sprints", Sprint), "task": ("tasks", Task), "agent": ("agents", Agent),
}
# What travels. A merge brings A's work and activity; a fork starts from its parent's work and settings
# (agents, messages and metrics belong to the Claude Code process that ran them: they stay with the parent).
WHAT = {
    "merge": ("team", "epic", "sprint", "task", "agent", "message", "metric"),
    "fork": ("settings", "team", "epic", "sprint", "task", "pointers"),
}
IN_PROGRESS = "in_progress"


@attrs.frozen
class Step:
    """One event to emit on the target."""

    kind: str
    id: str
    type: str
    data: dict[str, Any]
    key: str | None = None


@attrs.frozen
class Plan:
    """What folding ``source`` into ``target`` would do; nothing has been written yet."""

    source: str
    target: str
    source_seq: int
    how: str
    steps: list[Step]
    already: list[tuple[str, str]]  # (kind, id) imported by an earlier merge
    conflicts: list[dict[str, Any]]  # {kind, id, kept, why}
    shared: list[str]  # in-progress tasks that are now in progress in both sessions (a fork)
    metrics: dict[str, float]  # the source's numeric metrics as imported after this merge


def key(source: str, kind: str, item_id: str) -> str:
    return f"from:{source}:{kind}:{item_id}"


def plan(store: Any, source_id: str, target_id: str, how: str = "merge") -> Plan:
    """The events that fold ``source_id``'s state into ``target_id``'s (``how``: merge | fork)."""
    if source_id == target_id:
        raise InvalidValue(f"cannot merge session {source_id} into itself")
    source, target = store.get(source_id), store.get(target_id)
    source_seq = _last_seq(store, source_id)
    steps: list[Step] = []
    conflicts: list[dict[str, Any]] = []
    candidates: list[Step] = []
    what = WHAT[how]
    if "settings" in what:
        steps += _settings(source, target)
    if "team" in what:
        team_steps, team_conflicts = _teams(source, target)
        steps += team_steps
        conflicts += team_conflicts
    for kind in ("epic", "sprint", "task", "agent"):
        if kind not in what:
            continue
        collection, _ = ITEM_KINDS[kind]
        mine, theirs = getattr(target.state, collection), getattr(source.state, collection)
        for item_id, item in theirs.items():
            data = {"kind": kind, "item": unstructure(item), "from": source_id}
            step = Step(kind, item_id, IMPORTED, data, key(source_id, kind, item_id))
            candidates.append(step)
    if "message" in what:
        for message in source.state.messages:
            data = {k: v for k, v in unstructure(message).items() if k not in ("created_at", "status")}
            candidates.append(Step("message", message.id, "message.sent", data, key(source_id, "message", message.id)))
    recorded = store.recorded_keys(target_id, [s.key for s in candidates]) if candidates else set()
    already = [(s.kind, s.id) for s in candidates if s.key in recorded]
    for step in candidates:
        if step.key in recorded:
            continue
        clash = _clash(target, step)
        if clash is None:
            steps.append(step)
        elif clash != "same":
            conflicts.append({"kind": step.kind, "id": step.id, "kept": target_id, "why": clash})
    if "pointers" in what:
        steps += _pointers(source, target)
    metrics = _metrics(source)
    if "metric" in what:
        done = _merged(target).get(source_id, {}).get("metrics", {})
        for name, value in metrics.items():
            delta = value - done.get(name, 0)
            if delta:
                steps.append(Step("metric", name, "metric.recorded", {"name": name, "value": delta, "op": "inc"},
                                  f"{key(source_id, 'metric', name)}@{source_seq}"))
    shared = sorted(
        task.id for task in source.state.tasks.values()
        if task.status == IN_PROGRESS and any(s.kind == "task" and s.id == task.id for s in steps)
    ) if how == "fork" else []
    return Plan(source_id, target_id, source_seq, how, steps, already, conflicts, shared, metrics)


def fold(bus: Any, source_id: str, target_id: str, *, dry_run: bool = False, archive: bool = False) -> dict[str, Any]:
    """``orch session merge A B``: A's state into B as events on B; A unchanged, or archived when asked."""
    merge_plan = plan(bus.store, source_id, target_id)
    if dry_run:
        return report(merge_plan)
    result = apply(bus, merge_plan)
    if archive:
        from orchcore.builtin.lifecycle_events import ARCHIVED

        if bus.store.get(source_id).archived_at is None:
            bus.emit(source_id, ARCHIVED, {"reason": f"merged into {target_id}"})
        result["archived"] = source_id
    return result


def apply(bus: Any, plan: Plan, source: str = "orch") -> dict[str, Any]:
    """Emit the plan's events on the target; returns what was imported, already there, conflicting, refused.

    A merge ends with a ``session.merged`` event naming the source and its last
    seq (a fork's carry-over is recorded by ``session.linked`` instead).
    """
    imported: dict[str, int] = {}
    already = list(plan.already)
    refused: list[dict[str, str]] = []
    for step in plan.steps:
        try:
            bus.emit(plan.target, step.type, step.data, source, key=step.key)
        except DuplicateEvent:
            already.append((step.kind, step.id))  # imported meanwhile by another merge
            continue
        except OrchError as exc:
            refused.append({"kind": step.kind, "id": step.id, "why": str(exc)})
            continue
        imported[step.kind] = imported.get(step.kind, 0) + 1
    result = report(plan, imported, already, refused)
    if plan.how == "merge" and (imported or plan.source_seq != _merged(bus.store.get(plan.target))
                                .get(plan.source, {}).get("seq")):
        data = {"source": plan.source, "source_seq": plan.source_seq, "imported": imported,
                "conflicts": plan.conflicts, "refused": refused, "metrics": plan.metrics}
        try:
            bus.emit(plan.target, MERGED, data, source, key=f"from:{plan.source}:merged:{plan.source_seq}")
        except DuplicateEvent:
            pass  # this state of the source was merged already
    return result


def report(plan: Plan, imported: dict[str, int] | None = None, already: list | None = None,
           refused: list | None = None) -> dict[str, Any]:
    """The outcome as data (``--json``); without ``imported`` it is the dry run's: what would be imported."""
    done = imported is not None
    wanted: dict[str, int] = {}
    for step in plan.steps:
        wanted[step.kind] = wanted.get(step.kind, 0) + 1
    return {
        "source": plan.source, "target": plan.target, "source_seq": plan.source_seq, "how": plan.how,
        "dry_run": not done,
        "imported" if done else "would_import": imported if done else wanted,
        "already": [{"kind": k, "id": i} for k, i in (already if already is not None else plan.already)],
        "conflicts": plan.conflicts, "refused": refused or [], "shared_in_progress": plan.shared,
    }


def lines(result: dict[str, Any]) -> list[str]:
    """The report as the lines ``orch session merge`` prints."""
    counts = result.get("imported", result.get("would_import")) or {}
    verb = "imported" if "imported" in result else "would import"
    what = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(counts.items())) or "nothing new"
    out = [f"{result['source']} -> {result['target']} (up to event {result['source_seq']}): {verb} {what}"]
    if result["already"]:
        out.append(f"  already imported earlier: {len(result['already'])}")
    for conflict in result["conflicts"]:
        out.append(f"  conflict: {conflict['kind']} {conflict['id']}: kept the target's ({conflict['why']})")
    for item in result["refused"]:
        out.append(f"  refused: {item['kind']} {item['id']}: {item['why']}")
    return out


# -- reducers (registered by orchcore.builtin.session_links) ------------------


def session_imported(session: Session, event: Event) -> Session:
    """One epic, sprint, task or agent copied from another session as it was there; an existing id is refused."""
    kind = event.need("kind")
    if kind not in ITEM_KINDS:
        raise InvalidValue(f"event {IMPORTED!r}: kind must be one of {', '.join(ITEM_KINDS)}")
    collection_name, cls = ITEM_KINDS[kind]
    item = structure(event.need("item", dict), cls)
    collection = getattr(session.state, collection_name)
    if item.id in collection:
        raise InvalidValue(f"{kind} {item.id!r} already exists")
    collection[item.id] = item
    return session


def session_merged(session: Session, event: Event) -> Session:
    """Remember how far each source was merged, and the metric totals taken from it (the next merge adds the rest)."""
    source = event.need("source")
    seq = event.need("source_seq", int)
    metrics = event.data.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise InvalidValue(f"event {MERGED!r}: metrics must map names to numbers")
    merged = session.plugins.setdefault(NAMESPACE, {}).setdefault("merged", {})
    merged[source] = {"seq": seq, "at": event.ts, "metrics": metrics}
    return session


# -- what travels ------------------------------------------------------------


def _last_seq(store: Any, session_id: str) -> int:
    last = store.events(session_id, limit=1, newest=True)
    return last[-1].seq if last else 0


def _merged(session: Session) -> dict[str, Any]:
    return session.plugins.get(NAMESPACE, {}).get("merged", {})


def _clash(target: Session, step: Step) -> str | None:
    """Why the target cannot take the item: None (it can), "same" (it has it as it is), or the conflict."""
    if step.kind == "message":
        mine = next((m for m in target.state.messages if m.id == step.id), None)
        return None if mine is None else "a message with this id is queued there"
    collection, _ = ITEM_KINDS[step.kind]
    mine = getattr(target.state, collection).get(step.id)
    if mine is None:
        return None
    if unstructure(mine) == step.data["item"]:
        return "same"
    status = getattr(mine, "status", None)
    theirs = step.data["item"].get("status")
    return f"both have it; there {status}, here {theirs}" if status != theirs else "both have it, with other fields"


def _settings(source: Session, target: Session) -> list[Step]:
    steps = []
    if source.orchestration_enabled != target.orchestration_enabled:
        steps.append(Step("settings", "orchestration", "session.orchestration",
                          {"enabled": source.orchestration_enabled}))
    style = source.runtime_config.output_style
    if source.mode != target.mode or style != target.runtime_config.output_style:
        steps.append(Step("settings", "mode", "session.mode", {"mode": source.mode, "output_style": style}))
    return steps


def _teams(source: Session, target: Session) -> tuple[list[Step], list[dict[str, Any]]]:
    new = [t for t in source.active_teams if t not in target.active_teams]
    definitions, conflicts = {}, []
    for name, team in source.state.teams.items():
        mine = target.state.teams.get(name)
        if mine is None:
            definitions[name] = {k: v for k, v in unstructure(team).items() if k != "name"}
        elif unstructure(mine) != unstructure(team):
            conflicts.append({"kind": "team", "id": name, "kept": target.session_id, "why": "defined differently"})
    if not new and not definitions:
        return [], conflicts
    step = Step("team", ",".join(new) or ",".join(definitions), "session.teams",
                {"teams": new, "definitions": definitions})
    return [step], conflicts


def _pointers(source: Session, target: Session) -> list[Step]:
    """A fork goes on with its parent's current sprint and epic (when it has none of its own)."""
    steps = []
    for field in ("current_epic", "current_sprint"):
        value = getattr(source, field)
        if value is not None and getattr(target, field) is None:
            steps.append(Step("pointer", field, "state.set", {"path": field, "value": value}))
    return steps


def _metrics(source: Session) -> dict[str, float]:
    """The source's top-level numeric metrics (the router's per-hook counters describe its own traffic)."""
    return {
        name: value for name, value in source.state.metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
