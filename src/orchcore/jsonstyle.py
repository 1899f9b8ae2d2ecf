"""A JSON file's own layout, so that a rewrite by orchcore looks like the file it replaces.

Claude Code's settings and orchcore's config are edited by people too: a
rewrite keeps their indentation (2 or 4 spaces, tabs), line endings and
trailing newline, with keys in their order.
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs


@attrs.frozen
class JsonStyle:
    """How an existing JSON file is laid out; ``JsonStyle.of(old).dump(data)`` writes ``data`` the same way.

    Attributes:
        indent: spaces per level, ``"\\t"`` for tabs, or None for one line.
        newline: ``"\\n"`` or ``"\\r\\n"``, as the old file had.
        final_newline: whether the text ends with a newline.
    """

    indent: int | str | None = 2
    newline: str = "\n"
    final_newline: bool = True

    @classmethod
    def of(cls, text: str | None) -> JsonStyle:
        """The layout of ``text``; two spaces and ``\\n`` for a new or empty file."""
        if text is None or not text.strip():
            return cls()
        found = re.search(r"^([ \t]+)\S", text, re.M)
        indent: int | str | None = None
        if found:
            indent = "\t" if found.group(1).startswith("\t") else len(found.group(1))
        newline = "\r\n" if "\r\n" in text else "\n"
        return cls(indent=indent, newline=newline, final_newline=text.endswith("\n"))

    def dump(self, data: Any) -> str:
        text = json.dumps(data, indent=self.indent, ensure_ascii=False)
        if self.final_newline:
            text += "\n"
        return text.replace("\n", self.newline) if self.newline != "\n" else text
