"""The files a plan reads, the changes it would make to them, and carrying those out.

Everything ``orch install`` and ``orch uninstall`` do is planned first as a
list of ``Change``s, so ``--dry-run`` can print the exact diff of what a real
run writes.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import attrs

from orchcore.errors import OrchError
from orchcore.files import atomic_write

BACKUP_SUFFIX = ".orchcore-backup"


def read_text(path: Path) -> str | None:
    """The file's text, None when it does not exist; anything else is a one-line error."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # keep \r\n as it is
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise OrchError(f"{path} is not UTF-8 text; fix or move it aside") from None
    except OSError as exc:
        raise OrchError(f"cannot read {path}: {exc.strerror}") from None


@attrs.frozen
class Change:
    """One file to write (``new``) or delete (``new is None``); ``old`` is its current text."""

    path: Path
    old: str | None
    new: str | None
    backup: bool = False  # keep the old text as <path>.orchcore-backup first
    private: bool = False  # it holds the project's secret: readable by its owner only


@attrs.define
class Plan:
    """What a command will change, and the summary it reports."""

    scope: str
    settings: Path
    changes: list[Change] = attrs.Factory(list)
    remove_dirs: list[Path] = attrs.Factory(list)
    fallback: Change | None = None  # written when a failed run cannot be fully undone (install's manifest)
    summary: dict[str, Any] = attrs.Factory(dict)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def diff(self) -> str:
        """A unified diff of every file the plan changes."""
        return "".join(_diff(change) for change in self.changes)


def _diff(change: Change) -> str:
    old_lines = (change.old or "").splitlines(keepends=True)
    new_lines = (change.new or "").splitlines(keepends=True)
    before = str(change.path) if change.old is not None else "/dev/null"
    after = str(change.path) if change.new is not None else "/dev/null"
    out = []
    for line in difflib.unified_diff(old_lines, new_lines, before, after):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def apply(plan: Plan) -> None:
    """Carry the plan out: backups, then files, then the folders that became empty.

    All or nothing in effect: when a step fails, every step before it is
    undone in reverse order (files it replaced get their old text and mode
    back, files and folders it created go), so the project is as it was. When
    an undo step fails too, the error names the files left, and the plan's
    ``fallback`` (install's manifest) is written so ``orch uninstall`` can
    finish the job.
    """
    journal = _Journal()
    try:
        for change in plan.changes:
            if change.backup and change.old is not None:
                backup = change.path.with_name(change.path.name + BACKUP_SUFFIX)
                journal.write(backup, change.old, change.private)
            if change.new is None:
                journal.remove(change.path)
            else:
                journal.write(change.path, change.new, change.private)
    except OrchError as exc:
        raise OrchError(f"{exc}; {journal.undo(plan)}") from None
    for folder in sorted(plan.remove_dirs, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty (the user keeps something there) or already gone


@attrs.define
class _Before:
    """A file as it was before a step of ``apply`` touched it: its text (None: absent) and mode."""

    path: Path
    text: str | None
    mode: int | None


class _Journal:
    """The steps ``apply`` took, so a failed run can be undone in reverse order."""

    def __init__(self) -> None:
        self.before: list[_Before] = []
        self.made_dirs: list[Path] = []

    def _remember(self, path: Path) -> None:
        text = read_text(path)
        mode = path.stat().st_mode & 0o7777 if text is not None else None
        self.before.append(_Before(path, text, mode))
        folder = path.parent
        while not folder.exists():
            self.made_dirs.append(folder)
            folder = folder.parent

    def write(self, path: Path, text: str, private: bool) -> None:
        self._remember(path)
        atomic_write(path, text, private=private)

    def remove(self, path: Path) -> None:
        self._remember(path)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise OrchError(f"cannot remove {path}: {exc.strerror}") from None

    def undo(self, plan: Plan) -> str:
        """Undo every step, newest first; what became of the project, as the end of a one-line error."""
        left = []
        for before in reversed(self.before):
            try:
                _restore(before)
            except (OrchError, OSError):
                left.append(str(before.path))
        for folder in sorted(set(self.made_dirs), key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass  # still holds a file that could not be undone (listed), or was never made
        command = f"orch {plan.summary['command']}" if "command" in plan.summary else "the command"
        if not left:
            return f"{command} changed nothing"
        kept = ""
        if plan.fallback is not None and plan.fallback.new is not None:
            try:
                atomic_write(plan.fallback.path, plan.fallback.new)
                kept = f"; {plan.fallback.path} records them, so `orch uninstall` removes them"
            except OrchError:
                kept = "; no manifest could be written either: restore or remove them by hand"
        return f"{command} undid what it could, but these files could not be put back: {', '.join(left)}{kept}"


def _restore(before: _Before) -> None:
    if before.text is None:
        before.path.unlink(missing_ok=True)
        return
    if read_text(before.path) != before.text:
        atomic_write(before.path, before.text)
    if before.mode is not None and before.path.stat().st_mode & 0o7777 != before.mode:
        os.chmod(before.path, before.mode)
