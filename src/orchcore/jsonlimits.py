"""How deep a JSON value orchcore takes, from anyone: one limit, checked where a value comes in.

Python's ``json``, ``copy.deepcopy`` and cattrs recurse once per level of
nesting, so about 1,000 levels (the interpreter's recursion limit, less the
frames already in use; a few hundred for deepcopy and cattrs) end in a
RecursionError with a traceback of thousands of lines, at whichever step
first goes deep enough. Nothing orchcore keeps needs more than a handful of
levels, nor does any payload Claude Code sends; ``MAX_DEPTH`` leaves room
for anyone's data and keeps every recursive step far from the interpreter's
limit. It is checked where a value comes in (a command's argument, a hook
payload, the status-line input, a transcript line, the config file) and
in every event's data before it is stored, so a value that got in can always
be copied, structured and written again (a state holds it a few levels down,
far from the interpreter's limit; a reducer that nests deeper than that is
refused by the store).

The size limit on hook input is ``orchcore.gate.MAX_INPUT_BYTES`` (the gate
reads stdin before anything else is imported); a command's argument is
bounded by the operating system.
"""

from __future__ import annotations

import json

from orchcore.errors import JsonTooDeep

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this module is on the hook path
    from typing import Any

__all__ = ["MAX_DEPTH", "check_depth", "loads", "message", "too_deep"]

MAX_DEPTH = 100
"""Levels of nesting (objects and arrays inside each other) orchcore takes: ``[]`` is 1, ``{"a": [1]}`` is 2."""


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests objects and arrays more than ``limit`` levels deep (walked without recursion)."""
    if not isinstance(value, (dict, list, tuple)):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list, tuple)):
                stack.append((child, depth + 1))
    return False


def check_depth(value: Any, what: str) -> None:
    """JsonTooDeep naming ``what`` and the limit when ``value`` nests more than ``MAX_DEPTH`` levels."""
    if too_deep(value):
        raise JsonTooDeep(message(what))


def message(what: str) -> str:
    """The one line every refusal says, naming the limit."""
    return f"{what} nests deeper than orchcore's limit of {MAX_DEPTH} levels of JSON"


def loads(text: str | bytes, what: str) -> Any:
    """``json.loads``, but JsonTooDeep (one line, naming ``what`` and the limit) for a value nested too deep.

    Text that is not JSON is still ``ValueError``, so a caller's own answer to that stays as it was.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTooDeep(message(what)) from None
    check_depth(value, what)
    return value
