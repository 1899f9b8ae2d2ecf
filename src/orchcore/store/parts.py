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
from functools import partial
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
    """A collection of entities that decodes a value on its first way out and remembers which went out.

    It starts holding the stored *texts* of its entities, shared with the
    store's copy of the session; every method that hands a value out decodes
    it first, into a private model, once, and marks its key ``touched``. Keys
    set or deleted are touched too. So building a view costs one dict copy,
    and an event pays to decode and encode only what it took out.
    """

    def __init__(self, texts: dict[str, Any], decode: Any, touched: Iterable[str] = ()):
        super().__init__(texts)
        self._decode = decode  # (key, text) -> a private model
        self.touched: set[str] = set(touched)  # keys whose value is a model now (or that were set or deleted)
        self.appended: dict[str, None] = {}  # keys set while absent, in order: they take new ordinals

    def _own(self, key: Any) -> Any:
        if key not in self.touched:
            dict.__setitem__(self, key, self._decode(key, dict.__getitem__(self, key)))
            self.touched.add(key)
        return dict.__getitem__(self, key)

    def _own_all(self) -> None:
        for key in [k for k in dict.keys(self) if k not in self.touched]:
            self._own(key)

    def __getitem__(self, key: Any) -> Any:
        if not dict.__contains__(self, key):
            raise KeyError(key)
        return self._own(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._own(key) if dict.__contains__(self, key) else default

    def __setitem__(self, key: Any, value: Any) -> None:
        if not dict.__contains__(self, key):
            self.appended.pop(key, None)
            self.appended[key] = None
        self.touched.add(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, key)
        self._removed(key)

    def _removed(self, key: Any) -> None:
        self.appended.pop(key, None)
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
        if not self:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(dict.keys(self)))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(dict.keys(self)):
            del self[key]

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

    def __eq__(self, other: object) -> bool:
        self._own_all()
        if isinstance(other, PartDict):
            other._own_all()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._own_all()
        return dict.__repr__(self)

    def __iter__(self) -> Iterator[Any]:
        # Overridden so that dict(d), {**d} and d2.update(d) take the slow path
        # (keys, then __getitem__) instead of copying the stored texts in C.
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
    """A session's state as stored: the head's text, and per kind its parts' texts in order.

    A Stored is never changed once made (``Change.applied`` makes the next
    one), so views built from it, in any thread, stay what they were.
    """

    head: str
    texts: dict[str, dict[str, str]] = attrs.Factory(dict)
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

    @classmethod
    def empty(cls, session_id: str) -> Stored:
        head = encode(unstructure(Session(session_id=session_id)))
        return cls(head=head, size=len(head))

    def view(self, session_id: str, where: str) -> Session:
        """A Session to hand to a reducer or a reader: a fresh head, each entity decoded when it is taken out.

        What nobody takes out is never decoded, so reading a mode or one task
        of a large session costs about what it costs in a small one.
        """
        from orchcore.store.base import decode_state

        session = decode_state(session_id, self.head, where)
        for kind in KINDS:
            inline = collection(session, kind)  # a head written before the split still holds its entities
            texts = self.texts.get(kind, {})
            decode = partial(_checked_part, session_id, where, kind)
            if inline:  # decoded already, and not yet a row: touched, so the next write stores them
                view = PartDict({**texts, **inline}, decode, touched=inline)
            else:
                view = PartDict(texts, decode)
            _set_collection(session, kind, view)
        return session

    def whole(self, session_id: str, where: str) -> Session:
        """The state as one plain Session (what a read returns), decoded from the texts."""
        from orchcore.store.base import decode_state

        session = decode_state(session_id, self.head, where)
        for kind in KINDS:
            inline = collection(session, kind)
            texts = self.texts.get(kind, {})
            _set_collection(session, kind, {**inline, **{k: _decode_part(kind, k, t) for k, t in texts.items()}})
        return session


def _checked_part(session_id: str, where: str, kind: str, item_id: str, text: str) -> Any:
    try:
        return _decode_part(kind, item_id, text)
    except (ValueError, InvalidValue) as exc:
        from orchcore.store.base import corrupt_state

        raise corrupt_state(session_id, where, f"{kind} {item_id!r}: {exc}") from None


def _decode_part(kind: str, item_id: str, text: str) -> Any:
    """A private model of a part's text: decoded once per process and text, then copied (about twice as fast).

    The status line and the router read the same entities at every event;
    in the resident runtime they are decoded once, not at every refresh.
    """
    model = KINDS[kind][2]
    if model is None:
        return json.loads(text)
    decoded = _DECODED.get((kind, text))
    if decoded is None:
        decoded = structure(json.loads(text), model)
        if len(_DECODED) >= DECODED_PARTS:
            try:  # the oldest goes; another thread may be trimming too
                _DECODED.pop(next(iter(_DECODED)), None)
            except (StopIteration, RuntimeError):
                pass
        _DECODED[(kind, text)] = decoded
    return _copy(decoded)


def _copy(entity: Any) -> Any:
    """A copy of a flat entity model: its scalars shared (immutable), its lists and dicts (JSON) copied."""
    cls = type(entity)
    new = object.__new__(cls)
    for name in _field_names(cls):
        value = getattr(entity, name)
        if isinstance(value, (list, dict)):
            value = copy.deepcopy(value) if value else type(value)()
        object.__setattr__(new, name, value)
    return new


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls))
    return names


DECODED_PARTS = 20_000  # decoded entities a process keeps (their texts are in the store's cache anyway)
_DECODED: dict[tuple[str, str], Any] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}


@attrs.frozen
class Change:
    """What one event does to the stored state: the new head, parts written and removed, the new size."""

    head: str
    written: list[tuple[str, str, int, str]]  # (kind, id, ordinal, text); ordinal -1: it keeps its own
    removed: list[tuple[str, str]]  # (kind, id)
    size: int
    order: dict[str, int]  # per kind: the next ordinal

    def applied(self, before: Stored) -> Stored:
        """The stored state after this change (a new object: views of ``before`` stay as they are)."""
        texts = dict(before.texts)
        for kind in {k for k, *_ in self.written} | {k for k, _ in self.removed}:
            texts[kind] = dict(texts.get(kind, {}))
        for kind, item_id, place, text in self.written:
            found = texts[kind]
            if place >= 0:  # a new ordinal: the entity goes to the end, as in the dict
                found.pop(item_id, None)
            found[item_id] = text
        for kind, item_id in self.removed:
            texts[kind].pop(item_id, None)
        return Stored(head=self.head, texts=texts, order=self.order, size=self.size)


def changes(before: Stored, view: Session, after: Session, event_type: str) -> Change:
    """Validate what the reducer touched and work out what to write; InvalidValue when it does not load again."""
    written: list[tuple[str, str, int, str]] = []
    removed: list[tuple[str, str]] = []
    orders: dict[str, int] = {}
    size = before.size
    for kind in KINDS:
        current = collection(after, kind)
        if not isinstance(current, dict):
            raise InvalidValue(f"event {event_type!r} would leave an invalid state: {kind} must be an object")
        old = before.texts.get(kind, {})
        ordinal = before.order.get(kind, 0)
        if after is view and isinstance(current, PartDict) and current is collection(view, kind):
            # Keys set while absent (new, or deleted and set again) take new ordinals in the order they were
            # set, then entities of a head written before the split; the rest keep theirs.
            fresh = [k for k in current.appended if dict.__contains__(current, k)]
            fresh += [k for k in current.touched if k not in old and dict.__contains__(current, k) and k not in fresh]
            kept = [k for k in current.touched if k in old and dict.__contains__(current, k) and k not in fresh]
            gone = [k for k in current.touched if k in old and not dict.__contains__(current, k)]
        else:  # a new collection: everything in it, in its own order
            fresh, kept, gone = list(current), [], [k for k in old if k not in current]
        for item_id in fresh + kept:
            if not isinstance(item_id, str) or not item_id:
                raise InvalidValue(f"event {event_type!r} would leave an invalid state: {kind} keys must be text")
            text = _validated(kind, item_id, dict.__getitem__(current, item_id), event_type)
            place = -1
            if item_id in fresh or item_id not in old:
                place, ordinal = ordinal, ordinal + 1
            elif text == old[item_id]:
                continue
            size += len(text) - len(old.get(item_id, ""))
            written.append((kind, item_id, place, text))
        for item_id in gone:
            removed.append((kind, item_id))
            size -= len(old[item_id])
        orders[kind] = ordinal
    head = _head(after, event_type)
    size += len(head) - len(before.head)
    return Change(head=head, written=written, removed=removed, size=size, order=orders)


def _validated(kind: str, item_id: str, value: Any, event_type: str) -> str:
    """The text of a touched part; it must load again, as a whole state would."""
    model = KINDS[kind][2]
    try:
        if model is None:
            if not isinstance(value, dict):
                raise InvalidValue(f"a plugin namespace must be an object, not {type(value).__name__}")
            jsonlimits.check_depth(value, f"plugins.{item_id}")
            return encode(value)
        if not isinstance(value, model):
            value = structure(value, model)  # a dict where a model belongs: as a whole state's load would take it
        data = unstructure(value)
        jsonlimits.check_depth(data, f"{kind}.{item_id}")
        text = encode(data)
        structure(json.loads(text), model)
        return text
    except RecursionError:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {jsonlimits.message('it')}") from None
    except InvalidValue as exc:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {kind} {item_id!r}: {exc}") from None


def _head(after: Session, event_type: str) -> str:
    """The head's text: the session without its entities, validated the way a whole state is."""
    state = attrs.evolve(after.state, **{KINDS[k][1]: {} for k in KINDS if KINDS[k][0] == "state"})
    shell = attrs.evolve(after, state=state, plugins={})
    try:
        data = unstructure(shell)
        text = encode(data)
        structure(json.loads(text), Session)
    except RecursionError:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {jsonlimits.message('it')}") from None
    except InvalidValue as exc:
        raise InvalidValue(f"event {event_type!r} would leave an invalid state: {exc}") from None
    return text


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
