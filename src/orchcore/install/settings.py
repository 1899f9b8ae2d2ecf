"""Claude Code's settings files: read as data, merged into, written back in their own layout.

Settings are rewritten with the indentation (2 or 4 spaces, tabs), line
endings and trailing newline of the existing file, keys in their order.
Uninstall restores the backup's exact bytes when the result holds the same
data as the backup (so even a hand-formatted file comes back byte-identical),
and deletes the file when install created it and nothing else was added
since. The backup (``<file>.orchcore-backup``) is the file as it was before
orchcore wired it, never one holding orchcore's hooks.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import attrs

from orchcore import jsonlimits
from orchcore.errors import JsonTooDeep, OrchError
from orchcore.install.changes import BACKUP_SUFFIX, Change, read_text
from orchcore.install.wiring import TOKEN_VAR, unwire
from orchcore.jsonstyle import JsonStyle


def parse_settings(path: Path, text: str | None) -> dict[str, Any]:
    """A settings file's object; refuses what we could not merge into safely."""
    if text is None or not text.strip():
        return {}
    try:
        data = jsonlimits.loads(text, str(path))  # too deep: one line (JsonTooDeep), the file untouched
    except json.JSONDecodeError as exc:
        raise OrchError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix it, then run the command again (the file was not changed)"
        ) from None
    if not isinstance(data, dict):
        raise OrchError(f"{path} must hold a JSON object, not {json_type(data)}; the file was not changed")
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise OrchError(f'"hooks" in {path} must be an object, not {json_type(hooks)}; the file was not changed')
    for event, entries in hooks.items():
        if not isinstance(entries, list):
            raise OrchError(
                f'"hooks.{event}" in {path} must be a list, not {json_type(entries)}; the file was not changed'
            )
    return data


def json_type(value: Any) -> str:
    """What a JSON value is, for an error message: "an object", "a list" …"""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def holds_orchcore(data: dict[str, Any]) -> bool:
    """Whether settings hold any of orchcore's wiring: a hook entry, the status line or the http hooks' secret."""
    done = unwire(copy.deepcopy(data), None)
    env = data.get("env")
    return bool(done["removed"]) or done["status_line"] != "unchanged" or (isinstance(env, dict) and TOKEN_VAR in env)


def _settings_change(
    path: Path, text: str | None, data: dict[str, Any], created_file: bool, backup_wanted: bool
) -> Change | None:
    """The change that writes ``data`` back in the file's own layout, None when nothing changes.

    The backup is the file as it was before orchcore: it is written only when
    the file holds none of orchcore's wiring yet, so it never holds our hooks.
    """
    if text is None and not data:
        return None  # nothing to write into a file that is not there
    if text is not None and not data and created_file:
        return Change(path, text, None)
    new = JsonStyle.of(text).dump(data)
    backup = read_text(path.with_name(path.name + BACKUP_SUFFIX))
    if backup is not None and text is not None:
        try:
            if json.dumps(jsonlimits.loads(backup, "the backup")) == json.dumps(data):
                new = backup  # same data as before install: give back the exact bytes
        except (json.JSONDecodeError, JsonTooDeep):
            pass
    if new == text:
        return None
    fresh = text is not None and not holds_orchcore(parse_settings(path, text))
    return Change(path, text, new, backup=backup_wanted and fresh)


class SettingsEdits:
    """The settings files one plan changes: each read once, edited as data, written back in its own layout."""

    def __init__(self, backup: bool = True) -> None:
        self.backup = backup  # install keeps the file as it was; uninstall writes no backup
        self.files: dict[Path, tuple[str | None, dict[str, Any]]] = {}
        self.created: set[Path] = set()  # files install created, to delete when they become empty

    def data(self, path: Path) -> dict[str, Any]:
        if path not in self.files:
            text = read_text(path)
            self.files[path] = (text, copy.deepcopy(parse_settings(path, text)))
        return self.files[path][1]

    def existed(self, path: Path) -> bool:
        self.data(path)
        return self.files[path][0] is not None

    def changes(self) -> list[Change]:
        found = []
        for path, (text, data) in self.files.items():
            change = _settings_change(path, text, data, created_file=path in self.created, backup_wanted=self.backup)
            if change is not None:
                secret = isinstance(data.get("env"), dict) and TOKEN_VAR in data["env"]
                found.append(attrs.evolve(change, private=secret))
        return found
