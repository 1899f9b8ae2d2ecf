"""Reading and writing ``.claude/orchcore.json`` without ever leaving it broken.

* A file that is not a JSON object is never written over: the change is
  refused with the parser's line and column, and the file stays as it is.
* A write goes to a temporary file in the same folder, is flushed to disk,
  and replaces the file in one ``os.replace``: a reader (a hook starting at
  that moment) sees the old file or the new one, never half of one.
* Read-modify-write happens under an exclusive lock on the ``.claude``
  folder, so two changes at once (a palette command and ``orch config set``)
  both land instead of one overwriting the other.
* Keys it does not manage, their order, and the file's indentation are kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchcore.api import JsonTooDeep, load_json

from orch_program_config.keys import SettingError

LOCK_WAIT_S = 0.5


def read(path: Path) -> tuple[str | None, dict[str, Any]]:
    """The file's text (None when it does not exist) and its object; SettingError when unusable."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # keep \r\n as it is
            text = handle.read()
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not text.strip():
        return text, {}
    try:
        data = load_json(text, str(path))
    except JsonTooDeep as exc:
        raise SettingError(f"{exc}; fix it by hand first, nothing was changed") from None
    except json.JSONDecodeError as exc:
        raise SettingError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix it by hand first, nothing was changed"
        ) from None
    if not isinstance(data, dict):
        raise SettingError(f"{path} must hold a JSON object, not {type(data).__name__}; nothing was changed")
    return text, data


def set_key(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Write ``value`` at ``dotted`` in place; a non-object on the way is an error, never replaced."""
    parts = dotted.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parts[: i + 1])
            raise SettingError(
                f"{where} in the file is {json.dumps(child)}, not an object, so {dotted} cannot be set; "
                f"unset {where} first"
            )
        node = child
    node[parts[-1]] = value


def unset_key(data: dict[str, Any], dotted: str) -> bool:
    """Remove ``dotted``, and the objects that removal left empty; False when it was not there."""
    parts = dotted.split(".")
    trail = [data]
    for part in parts[:-1]:
        child = trail[-1].get(part)
        if not isinstance(child, dict):
            return False
        trail.append(child)
    if parts[-1] not in trail[-1]:
        return False
    del trail[-1][parts[-1]]
    for depth in range(len(parts) - 1, 0, -1):
        if trail[depth]:
            break
        del trail[depth - 1][parts[depth - 1]]
    return True


def dump(data: dict[str, Any], old_text: str | None) -> str:
    """JSON in the old file's layout (its indentation, line endings, final newline); 2 spaces when new."""
    from orchcore.api import JsonStyle

    return JsonStyle.of(old_text).dump(data)


def atomic_write(path: Path, text: str) -> None:
    """orchcore's atomic write (temp file, fsync, os.replace, mode kept), with this plugin's error."""
    from orchcore.api import OrchError
    from orchcore.api import atomic_write as write

    try:
        write(path, text)
    except OrchError as exc:
        raise SettingError(f"{exc}; nothing was changed") from None


@contextlib.contextmanager
def locked(path: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold an exclusive lock on the config's folder (no lock file is left behind)."""
    import fcntl

    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SettingError(f"{path} is being changed by another process; try again") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def change(path: Path, edit) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply ``edit(data)`` to the file under the lock; returns (before, after). Nothing changes on error."""
    import copy

    with locked(path):
        text, data = read(path)
        before = copy.deepcopy(data)
        edit(data)
        if data != before:
            atomic_write(path, dump(data, text))
            _, written = read(path)
            if written != data:  # pragma: no cover - the filesystem lied
                raise SettingError(f"{path} did not read back as written")
    return before, data
