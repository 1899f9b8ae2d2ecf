"""Writing a file so that readers see the old text or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from orchcore.errors import OrchError


def atomic_write(path: Path, text: str, private: bool = False) -> None:
    """Write through a temp file in the same folder and os.replace, keeping the file's mode.

    A reader (Claude Code reloading its settings) sees the old file or the new
    one, never half of one. A symlinked file is written at its target.
    ``private``: the text holds a secret; nobody but the owner may read it.
    """
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    if private:
        mode &= 0o700
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OrchError(f"cannot write {path}: {exc.strerror}") from None
