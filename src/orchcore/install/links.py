"""Symlinks on the way to a file ``orch install`` or ``orch uninstall`` writes.

A link that leads outside the scope's folder (the project, or the user's
Claude folder for user scope) is refused: writing through it would rewrite a
file elsewhere (dotfiles, another project) without a word. A link that stays
inside is followed, and the summary says so.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchcore.errors import OrchError
from orchcore.install.changes import BACKUP_SUFFIX, Plan


def check_links(plan: Plan, root: Path) -> list[dict[str, str]]:
    """The links inside ``root`` the plan writes through; a one-line error for one leading outside."""
    inside = root.resolve()
    followed: dict[str, dict[str, str]] = {}
    targets: dict[Path, Path] = {}
    for change in plan.changes:
        paths = [change.path]
        if change.backup and change.old is not None:
            paths.append(change.path.with_name(change.path.name + BACKUP_SUFFIX))
        for path in paths:
            for link in _links_on(root, path):
                target = link.resolve()
                if target != inside and inside not in target.parents:
                    raise OrchError(
                        f"{link} is a symlink to {os.readlink(link)}, outside {root}; orchcore does not write "
                        f"through it: replace the link with a copy of {target}, or run the command where it points"
                    )
                followed[str(link)] = {"link": str(link), "target": str(target)}
            real = path.resolve()
            if real in targets and targets[real] != path:
                raise OrchError(f"{path} and {targets[real]} are the same file ({real}) through a symlink; "
                                "make them separate files")
            targets[real] = path
    return list(followed.values())


def _links_on(root: Path, path: Path) -> list[Path]:
    """The symlinks among ``path`` and its folders below ``root``."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return [path] if path.is_symlink() else []
    found = []
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            found.append(current)
    return found
