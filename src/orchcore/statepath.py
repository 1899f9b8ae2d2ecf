"""Dotted paths into a session's state: ``state.tasks.T-1.status``, ``state.messages.0``.

Both walk the models, not the whole session's JSON, so a path costs the
same in a small and a large session. Writing is stricter than reading: the
parent must exist, a typed model only accepts its own fields (a typo is an
error rather than a new key), and the value is checked against the type of
the place it goes to.
"""

from __future__ import annotations

import copy
from typing import Any, get_args, get_origin, get_type_hints

import attrs

from orchcore.errors import InvalidValue, StatePathError
from orchcore.models import _RENAMES, Session, structure, unstructure

READ_ONLY = {"session_id", "created_at", "updated_at"}


def split(path: str) -> list[str]:
    parts = path.strip().strip(".").split(".") if path.strip() else []
    if not parts or any(not p for p in parts):
        raise StatePathError(f"invalid state path {path!r}: use dotted keys such as state.tasks or mode")
    return parts


def _step(node: Any, part: str, walked: list[str]) -> Any:
    here = ".".join(walked) or "the session"
    if isinstance(node, dict):
        if part in node:
            return node[part]
        choices = ", ".join(sorted(map(str, node))[:12]) or "nothing"
        raise StatePathError(f"no {part!r} in {here} (it holds: {choices})")
    if isinstance(node, list):
        try:
            return node[int(part)]
        except (ValueError, IndexError):
            raise StatePathError(f"{here} is a list of {len(node)}; {part!r} is not an index in it") from None
    raise StatePathError(f"{here} is a {type(node).__name__}, not an object; it has no {part!r}")


def get_path(session: Session, path: str) -> Any:
    """The JSON value at ``path`` (a copy: changing it changes nothing).

    The walk goes through the models, so reading one task of a large
    session decodes that task, not the session.
    """
    node: Any = session
    walked: list[str] = []
    for part in split(path):
        node = _child(node, part, walked)
        walked.append(part)
    return copy.deepcopy(unstructure(node))


def set_path(session: Session, path: str, value: Any) -> Session:
    """A new Session with ``value`` at ``path``; the given one is unchanged. StatePathError or InvalidValue."""
    return write_path(copy.deepcopy(session), path, value)


def write_path(session: Session, path: str, value: Any) -> Session:
    """``session`` with ``value`` written at ``path`` in place (for reducers, which may change what they get).

    Only the nodes on the path are touched, and the value is checked against
    the type of the place it goes to (a task's field, a whole agent, a free
    dict), so a write costs the same in a small and a large session.
    """
    parts = split(path)
    if parts[0] in READ_ONLY:
        raise StatePathError(f"{parts[0]} is kept by orchcore and cannot be set")
    node: Any = session
    kind: Any = Session
    walked: list[str] = []
    where = "Session"
    for part in parts[:-1]:
        kind = _slot_type(node, kind, part)
        where += _where_step(node, part)
        node = _child(node, part, walked)
        walked.append(part)
    last = parts[-1]
    here = ".".join(walked) or "the session"
    target = _slot_type(node, kind, last)
    where += _where_step(node, last)
    if attrs.has(type(node)):
        name = _attribute(type(node), last)
        if name is not None:
            setattr(node, name, _checked(value, target, where))  # attrs runs the field's validators too
        elif last in node.extra:
            node.extra[last] = copy.deepcopy(value)
        else:
            fields = ", ".join(sorted(_json_fields(node)))
            raise StatePathError(f"{here} has no field {last!r} (fields: {fields})")
    elif isinstance(node, list):
        _step(node, last, walked)  # the index must exist
        node[int(last)] = _checked(value, target, where)
    elif isinstance(node, dict):
        node[last] = _checked(value, target, where)
    else:
        raise StatePathError(f"{here} is a {type(node).__name__}; it has no {last!r}")
    return session


def _child(node: Any, part: str, walked: list[str]) -> Any:
    """One step of a path: a model's field (by its JSON key) or kept unknown key, a dict's key, a list's index."""
    if attrs.has(type(node)):
        name = _attribute(type(node), part)
        if name is not None:
            return getattr(node, name)
        if part in node.extra:
            return node.extra[part]
        here = ".".join(walked) or "the session"
        choices = ", ".join(sorted(_json_fields(node) | set(node.extra))[:12])
        raise StatePathError(f"no {part!r} in {here} (it holds: {choices})")
    return _step(node, part, walked)


def _attribute(cls: type, key: str) -> str | None:
    """The attribute a JSON key of a model stands for (``from`` is Message.sender), or None."""
    renames = _RENAMES.get(cls, {})  # attribute -> JSON key
    reverse = {wire: name for name, wire in renames.items()}
    if key in reverse:
        return reverse[key]
    if key in renames:
        return None  # an attribute whose JSON key is another word is not a key itself
    fields = {f.name for f in attrs.fields(cls) if not f.metadata.get("orch_extra")}
    return key if key in fields else None


def _slot_type(node: Any, kind: Any, part: str) -> Any:
    """The declared type of what sits at ``part`` of ``node`` (Any for free JSON)."""
    if attrs.has(type(node)):
        name = _attribute(type(node), part)
        return _hints(type(node)).get(name, Any) if name is not None else Any
    args = get_args(kind)
    if isinstance(node, dict) and get_origin(kind) is dict and len(args) == 2:
        return args[1]
    if isinstance(node, list) and get_origin(kind) is list and args:
        return args[0]
    return Any


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = get_type_hints(cls)
    return found


_HINTS: dict[type, dict[str, Any]] = {}


def _where_step(node: Any, part: str) -> str:
    """The path as the converter's messages write it: ``.field``, ``['key']``, ``[0]``."""
    if attrs.has(type(node)):
        return f".{part}"
    if isinstance(node, list):
        return f"[{part}]"
    return f"[{part!r}]"


def _checked(value: Any, kind: Any, where: str) -> Any:
    """``value`` as the place it goes to holds it: structured and checked, or a copy of free JSON."""
    if kind is Any:
        return copy.deepcopy(value)
    try:
        return structure(copy.deepcopy(value), kind)
    except InvalidValue as exc:
        message = str(exc)
        name = getattr(kind, "__name__", "")
        if name and f"@ {name}" in message:
            raise InvalidValue(message.replace(f"@ {name}", f"@ {where}")) from None
        raise InvalidValue(f"{message} @ {where}") from None  # as the converter words a whole session's


def _json_fields(model: Any) -> set[str]:
    renames = _RENAMES.get(type(model), {})
    return {renames.get(f.name, f.name) for f in attrs.fields(type(model)) if not f.metadata.get("orch_extra")}
