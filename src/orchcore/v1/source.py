"""A V1 project's files, as the migration reads them: JSON checked once, never written.

V1 kept everything under ``.claude/`` (``state/orchestration.json``,
``messages/*.json``, ``events/stream.jsonl``, ``orchestration/*.json``). A
file that is absent is ``None``; one that is not valid JSON is a
``V1FormatError`` naming the file and the line and column, raised before
anything is imported, so a migration is all or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from orchcore.errors import OrchError
from orchcore.jsonlimits import loads

__all__ = ["STATE_FILE", "V1FormatError", "V1Project"]

STATE_FILE = "state/orchestration.json"
MESSAGES_DIR = "messages"
STREAM_FILE = "events/stream.jsonl"
TEAMS_FILE = "orchestration/teams.json"
TEAM_STATE_FILE = "orchestration/team-state.json"
SETTINGS_FILE = "orchestration/settings.json"
WORKFLOWS_FILE = "orchestration/workflows.json"


class V1FormatError(OrchError):
    """A V1 file orchcore cannot read: the message names the file and the place."""


@attrs.define(eq=False)
class V1Project:
    """The V1 project at ``root`` (the folder that holds ``.claude/``), imported into ``target``.

    ``target`` is the orchcore project the import writes into (its
    ``.claude/``); it is often ``root`` itself. Reads are cached, so the
    plan and every plugin see the same bytes.
    """

    root: Path
    target: Path
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)

    @property
    def claude(self) -> Path:
        return self.root / ".claude"

    def path(self, relative: str) -> Path:
        """Where V1 keeps ``relative`` (a path under ``.claude/``)."""
        return self.claude / relative

    def text(self, relative: str) -> str | None:
        """The file's text; None when V1 has no such file."""
        path = self.path(relative)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise V1FormatError(f"{path} is a folder, not a V1 file") from None
        except OSError as exc:
            raise V1FormatError(f"cannot read {path}: {exc.strerror}") from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise V1FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None

    def json(self, relative: str, kind: type | None = dict) -> Any:
        """The file's JSON (of ``kind`` when given); None when V1 has no such file."""
        if relative not in self._cache:
            text = self.text(relative)
            self._cache[relative] = None if text is None else self.parse(text, relative, kind)
        return self._cache[relative]

    def parse(self, text: str, where: str, kind: type | None = dict, line: int | None = None) -> Any:
        """One JSON value; a mistake is one line with the file, its line and its column."""
        place = f"{self.path(where)}" + (f" line {line}" if line is not None else "")
        try:
            value = loads(text, place)
        except json.JSONDecodeError as exc:
            at = f"column {exc.colno}" if line is not None else f"line {exc.lineno} column {exc.colno}"
            raise V1FormatError(f"{place}: not valid JSON at {at}: {exc.msg}") from None
        except OrchError as exc:
            raise V1FormatError(f"{place}: {exc}") from None
        if kind is not None and not isinstance(value, kind):
            name = {dict: "an object", list: "a list"}.get(kind, kind.__name__)
            raise V1FormatError(f"{place}: expected {name}, found {type(value).__name__}")
        return value

    def files(self, folder: str, pattern: str) -> list[str]:
        """The files of a V1 folder matching ``pattern``, as paths relative to ``.claude/``, sorted."""
        base = self.path(folder)
        if not base.is_dir():
            return []
        return sorted(f"{folder}/{p.name}" for p in base.glob(pattern) if p.is_file())

    def has_v1(self) -> bool:
        """Whether the folder holds any V1 state at all."""
        return any(self.path(p).exists() for p in (STATE_FILE, STREAM_FILE, TEAMS_FILE)) or bool(
            self.files(MESSAGES_DIR, "*.json"))
