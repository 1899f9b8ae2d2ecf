"""The files a plan reads, the changes it would make to them, and carrying those out.

Everything ``orch install`` and ``orch uninstall`` do is planned first as a
list of ``Change``s, so ``--dry-run`` can print the exact diff of what a real
run writes.
"""

from __future__ import annotations

import difflib
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
    """Carry the plan out: backups, then files, then the folders that became empty."""
    for change in plan.changes:
        if change.backup and change.old is not None:
            atomic_write(change.path.with_name(change.path.name + BACKUP_SUFFIX), change.old, private=change.private)
        if change.new is None:
            try:
                change.path.unlink(missing_ok=True)
            except OSError as exc:
                raise OrchError(f"cannot remove {change.path}: {exc.strerror}") from None
        else:
            atomic_write(change.path, change.new, private=change.private)
    for folder in sorted(plan.remove_dirs, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty (the user keeps something there) or already gone
