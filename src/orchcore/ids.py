"""Session ids: Claude Code's format only, so an id can never be a path."""

from __future__ import annotations

import re

from orchcore.errors import InvalidSessionId

_SESSION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_session_id(value: object) -> bool:
    return isinstance(value, str) and bool(_SESSION_ID.fullmatch(value.lower()))


def check_session_id(value: object) -> str:
    """Return the id in canonical (lower-case) form, or raise InvalidSessionId."""
    if not is_session_id(value):
        shown = repr(value) if not isinstance(value, str) else repr(value[:80])
        raise InvalidSessionId(
            f"invalid session id {shown}: expected a Claude Code session id "
            "such as 8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
        )
    return value.lower()  # type: ignore[union-attr]


def new_session_id() -> str:
    import uuid

    return str(uuid.uuid4())
