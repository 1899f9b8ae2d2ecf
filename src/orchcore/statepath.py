"""Dotted paths into a session's state: ``state.tasks.T-1.status``, ``state.messages.0``.

Reading walks the session's JSON form. Writing is stricter: the parent must
exist, and a typed model only accepts its own fields, so a typo is an error
rather than a new key; the result is validated as a whole Session.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs

from orchcore.errors import StatePathError
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
    node: Any = unstructure(session)
    walked: list[str] = []
    for part in split(path):
        node = _step(node, part, walked)
        walked.append(part)
    return node


def set_path(session: Session, path: str, value: Any) -> Session:
    """A new Session with ``value`` at ``path``; raises StatePathError or InvalidValue."""
    parts = split(path)
    if parts[0] in READ_ONLY:
        raise StatePathError(f"{parts[0]} is kept by orchcore and cannot be set")
    data = copy.deepcopy(unstructure(session))  # never write through to the caller's session
    parent: Any = data
    model: Any = session
    walked: list[str] = []
    for part in parts[:-1]:
        parent = _step(parent, part, walked)
        model = _model_step(model, part)
        walked.append(part)
    last = parts[-1]
    here = ".".join(walked) or "the session"
    if isinstance(parent, list):
        _step(parent, last, walked)  # the index must exist
        parent[int(last)] = value
    elif isinstance(parent, dict):
        if attrs.has(type(model)) and last not in _json_fields(model) and last not in parent:
            fields = ", ".join(sorted(_json_fields(model)))
            raise StatePathError(f"{here} has no field {last!r} (fields: {fields})")
        parent[last] = value
    else:
        raise StatePathError(f"{here} is a {type(parent).__name__}; it has no {last!r}")
    return structure(data, Session)


def _json_fields(model: Any) -> set[str]:
    renames = _RENAMES.get(type(model), {})
    return {renames.get(f.name, f.name) for f in attrs.fields(type(model)) if not f.metadata.get("orch_extra")}


def _model_step(model: Any, part: str) -> Any:
    """Follow the same step in the typed model, to know whether a node is a model or a free dict."""
    if attrs.has(type(model)):
        reverse = {key: name for name, key in _RENAMES.get(type(model), {}).items()}
        name = reverse.get(part, part)
        if name in {f.name for f in attrs.fields(type(model))} and name != "extra":
            return getattr(model, name)
        return model.extra.get(part)
    if isinstance(model, dict):
        return model.get(part)
    if isinstance(model, list):
        try:
            return model[int(part)]
        except (ValueError, IndexError):
            return None
    return None
