"""A session's state in parts, so one event costs the same on a small state and a large one.

The state of a long session is mostly its entities: tasks with long
descriptions, agents, delegations, plugin namespaces. Stored as one JSON
document, every event would decode, validate, encode and write all of it.
Here a state is a small *head* (the session's scalars, metrics, messages and
other fields) plus one *part* per entity, and an event rewrites the head and
only the parts it touched.

Reducers keep their contract: they get a whole ``Session`` and may change it
in place. What they touched is known because each collection of entities is a
``PartDict``: the first time a reducer (or anyone) takes a value out of it,
the value is replaced by a private copy and its key is marked touched. A
value nobody took out cannot have changed, so it is neither copied, nor
validated, nor written. A reducer that replaces a whole collection, or
returns another Session, makes that collection count as touched throughout.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from orchcore import jsonlimits
from orchcore.errors import InvalidValue
from orchcore.models import Agent, Delegation, Epic, Session, Sprint, Task, Team, structure, unstructure

# kind -> (where the collection lives: "state" or "session", its attribute, the model of its values or None)
KINDS: dict[str, tuple[str, str, type | None]] = {
    "agents": ("state", "agents", Agent),
    "tasks": ("state", "tasks", Task),
    "teams": ("state", "teams", Team),
    "sprints": ("state", "sprints", Sprint),
    "epics": ("state", "epics", Epic),
    "delegations": ("state", "delegations", Delegation),
    "plugins": ("session", "plugins", None),  # a plugin's namespace: any JSON object
}


def encode(value: Any) -> str:
    """The stored text of a head or a part: compact, ASCII (a lone surrogate still stores), no NaN."""
    try:
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError:
        raise InvalidValue("the state would hold a number that is not finite (NaN or infinity)") from None


class PartDict(dict):
    """A collection of entities that copies a value on its first way out and remembers which went out.

    The values it starts with are shared (with the store's cache of the
    session); they never change, because nobody gets them: every method that
    hands a value out gives a private copy instead, once, and marks its key
    ``touched``. Keys set or deleted are touched too.
    """

    def __init__(self, shared: dict[str, Any]):
        super().__init__(shared)
        self.touched: set[str] = set()
        self.deleted: set[str] = set()  # set again afterwards, a key moves to the end, as in any dict

    def _own(self, key: Any) -> Any:
        if key not in self.touched and dict.__contains__(self, key):
            dict.__setitem__(self, key, copy.deepcopy(dict.__getitem__(self, key)))
        self.touched.add(key)
        return dict.__getitem__(self, key)

    def _own_all(self) -> None:
        for key in list(dict.keys(self)):
            self._own(key)

    def __getitem__(self, key: Any) -> Any:
        if not dict.__contains__(self, key):
            return dict.__getitem__(self, key)  # KeyError, or a subclass's __missing__
        return self._own(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._own(key) if dict.__contains__(self, key) else default

    def __setitem__(self, key: Any, value: Any) -> None:
        self.touched.add(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, key)
        self._removed(key)

    def _removed(self, key: Any) -> None:
        self.deleted.add(key)
        self.touched.add(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self._own(key)
        self[key] = default
        return default

    def pop(self, key: Any, *default: Any) -> Any:
        if not dict.__contains__(self, key):
            return dict.pop(self, key, *default)
        value = self._own(key)
        dict.__delitem__(self, key)
        self._removed(key)
        return value

    def popitem(self) -> tuple[Any, Any]:
        key = next(reversed(dict.keys(self)))
        return key, self.pop(key)

    def clear(self) -> None:
        self.touched.update(dict.keys(self))
        self.deleted.update(dict.keys(self))
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> PartDict:
        self.update(other)
        return self

    def __or__(self, other: Any) -> dict:
        return {**self, **other}

    def __ror__(self, other: Any) -> dict:
        return {**other, **self}

    def values(self) -> Any:
        self._own_all()
        return dict.values(self)

    def items(self) -> Any:
        self._own_all()
        return dict.items(self)

    def copy(self) -> dict:
        return dict(self.items())

    def __iter__(self) -> Iterator[Any]:
        # Overridden so that dict(d), {**d} and d2.update(d) take the slow path
        # (keys, then __getitem__) instead of copying the shared values in C.
        return dict.__iter__(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return dict, (dict(self.items()),)  # a copy or a pickle is a plain dict of private values


def collection(session: Session, kind: str) -> Any:
    where, attribute, _ = KINDS[kind]
    return getattr(session.state if where == "state" else session, attribute)


def _set_collection(session: Session, kind: str, value: dict[str, Any]) -> None:
    where, attribute, _ = KINDS[kind]
    setattr(session.state if where == "state" else session, attribute, value)


@attrs.define
class Stored:
    """A session's state as stored: the head's text, and per kind the parts' texts and models, in order.

    ``models`` hold the decoded values that views share; nothing may change them.
    """

    head: str
    texts: dict[str, dict[str, str]] = attrs.Factory(dict)
    models: dict[str, dict[str, Any]] = attrs.Factory(dict)
    order: dict[str, int] = attrs.Factory(dict)  # per kind: the next ordinal
    size: int = 0

    @classmethod
    def load(cls, head: str, rows: Iterable[tuple[str, str, int, str]]) -> Stored:
        """From the head's text and the (kind, id, ordinal, text) rows, in ordinal order."""
        stored = cls(head=head)
        for kind, item_id, ordinal, text in rows:
            stored.texts.setdefault(kind, {})[item_id] = text
            stored.order[kind] = max(stored.order.get(kind, 0), ordinal + 1)
        stored.size = len(head) + sum(len(t) for texts in stored.texts.values() for t in texts.values())
        return stored

    def model(self, kind: str, item_id: str) -> Any:
        found = self.models.setdefault(kind, {})
        if item_id not in found:
            found[item_id] = _decode_part(kind, item_id, self.texts[kind][item_id])
        return found[item_id]

    def view(self, session_id: str, where: str) -> Session:
        """A Session to hand to a reducer or a reader: a fresh head, the entities shared until taken out."""
        from orchcore.store.base import decode_state

        session = decode_state(session_id, self.head, where)
        for kind in KINDS:
            inline = collection(session, kind)  # a head written before the split still holds its entities
            shared = {item_id: self.model(kind, item_id) for item_id in self.texts.get(kind, {})}
            view = PartDict({**inline, **shared})
            if inline:
                view.touched.update(inline)
            _set_collection(session, kind, view)
        return session

    def whole(self, session_id: str, where: str) -> Session:
        """The state as one plain Session of private objects (what a read returns)."""
        session = self.view(session_id, where)
        for kind in KINDS:
            _set_collection(session, kind, {k: copy.deepcopy(v) for k, v in dict.items(collection(session, kind))})
        return session


def _decode_part(kind: str, item_id: str, text: str) -> Any:
    model = KINDS[kind][2]
    data = json.loads(text)
    return data if model is None else structure(data, model)


@attrs.frozen
class Change:
    """What one event does to the stored state: the new head, parts written and removed, the new size."""

    head: str
    written: list[tuple[str, str, int, str]]  # (kind, id, ordinal, text)
    removed: list[tuple[str, str]]  # (kind, id)
    size: int
    models: dict[str, dict[str, Any]]  # the canonical models of the parts touched, for the cache
    order: dict[str, int]  # per kind: the next ordinal

    def applied(self, before: Stored) -> Stored:
        """The stored state after this change (a new object: views of ``before`` stay as they are)."""
        texts = {kind: dict(found) for kind, found in before.texts.items()}
        models = {kind: dict(found) for kind, found in before.models.items()}
        for kind, item_id, place, text in self.written:
            found = texts.setdefault(kind, {})
            if place >= 0:  # a new ordinal: the entity goes to the end, as in the dict
                found.pop(item_id, None)
            found[item_id] = text
        for kind, item_id in self.removed:
            texts.get(kind, {}).pop(item_id, None)
            models.get(kind, {}).pop(item_id, None)
        for kind, found in self.models.items():
            models.setdefault(kind, {}).update(found)
        return Stored(head=self.head, texts=texts, models=models, order=self.order, size=self.size)


def changes(before: Stored, view: Session, after: Session, event_type: str) -> Change:
    """Validate what the reducer touched and work out what to write; InvalidValue when it does not load again."""
    written: list[tuple[str, str, int, str]] = []
    removed: list[tuple[str, str]] = []
    models: dict[str, dict[str, Any]] = {}
    orders: dict[str, int] = {}
    size = before.size
    bare = {}
    for kind in KINDS:
        current = collection(after, kind)
        if not isinstance(current, dict):
            raise InvalidValue(f"event {event_type!r} would leave an invalid state: {kind} must be an object")
        old = before.texts.get(kind, {})
        tracked = after is view and isinstance(current, PartDict) and current is collection(view, kind)
        if tracked:
            touched, moved = current.touched, current.deleted
        else:  # a new collection: everything in it, in its own order
            touched, moved = set(current) | set(old), set(current)
        ordinal = before.order.get(kind, 0)
        for item_id in current:  # in the dict's order, so new ordinals follow it
            if item_id not in touched:
                continue
            if not isinstance(item_id, str) or not item_id:
                raise InvalidValue(f"event {event_type!r} would leave an invalid state: {kind} keys must be text")
            model, text = _validated(kind, item_id, dict.__getitem__(current, item_id), event_type)
            models.setdefault(kind, {})[item_id] = model
            fresh = item_id not in old or item_id in moved
            if text == old.get(item_id) and not fresh:
                continue
            size += len(text) - len(old.get(item_id, ""))
            place = -1  # an entity that stays where it is keeps its ordinal
            if fresh:
                place, ordinal = ordinal, ordinal + 1
            written.append((kind, item_id, place, text))
        for item_id in touched:
            if item_id in old and item_id not in current:
                removed.append((kind, item_id))
                size -= len(old[item_id])
        orders[kind] = ordinal
        bare[kind] = {}
    head = _head(after, bare, event_type)
    size += len(head) - len(before.head)
    return Change(head=head, written=written, removed=removed, size=size, models=models, order=orders)


def _validated(kind: str, item_id: str, value: Any, event_type: str) -> tuple[Any, str]:
    """The canonical model of a touched part and its text; it must load again, as a whole state would."""
    model = KINDS[kind][2]
    try:
        if model is None:
            if not isinstance(value, dict):
                raise InvalidValue(f"a plugin namespace must be an object, not {type(value).__name__}")
            jsonlimits.check_depth(value, f"plugins.{item_id}")
            text = encode(value)
            return json.loads(text), text
        data = unstructure(value)
        jsonlimits.check_depth(data, f"{kind}.{item_id}")
        text = encode(data)
        return structure(json.loads(text), model), text
    except RecursionError:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {jsonlimits.message('it')}") from None
    except InvalidValue as exc:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {kind} {item_id!r}: {exc}") from None


def _head(after: Session, bare: dict[str, dict], event_type: str) -> str:
    """The head's text: the session without its entities, validated the way a whole state is."""
    state = attrs.evolve(after.state, **{KINDS[k][1]: v for k, v in bare.items() if KINDS[k][0] == "state"})
    shell = attrs.evolve(after, state=state, plugins=bare["plugins"])
    try:
        data = unstructure(shell)
        text = encode(data)
        structure(json.loads(text), Session)
    except RecursionError:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {jsonlimits.message('it')}") from None
    except InvalidValue as exc:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {exc}") from None
    return text


def split(session: Session) -> tuple[str, list[tuple[str, str, int, str]]]:
    """A whole Session as a head and its parts (for a new or restored state)."""
    empty = Stored(head=encode(unstructure(Session(session_id=session.session_id))))
    empty.size = len(empty.head)
    change = changes(empty, Session(session_id=session.session_id), session, "state")
    return change.head, change.written


def snapshot_text(stored: Stored) -> str:
    """A whole state as one JSON text, put together from the stored texts (nothing is encoded again)."""
    kinds = []
    for kind, texts in stored.texts.items():
        items = ",".join(f"[{json.dumps(item_id)},{text}]" for item_id, text in texts.items())
        kinds.append(f"{json.dumps(kind)}:[{items}]")
    return f'{{"head":{stored.head},"parts":{{{",".join(kinds)}}}}}'


def from_snapshot(session_id: str, text: str, where: str) -> Session:
    """The Session a snapshot text holds."""
    from orchcore.store.base import decode_state

    data = json.loads(text)
    rows = [(kind, item_id, n, encode(value)) for kind, items in data["parts"].items()
            for n, (item_id, value) in enumerate(items)]
    return Stored.load(encode(data["head"]), rows).whole(session_id, where)
