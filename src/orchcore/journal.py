"""Hook events the store could not take, kept on disk until it can again.

When the store fails on the hook path (read-only, full disk, damaged), the
router answers Claude Code safely and appends the payload here: one JSON line
with its receive time, fsync'd, in ``.claude/state/journal/`` when that can
be written, else in a per-user folder (``$XDG_STATE_HOME/orchcore/journal/<hash
of the state folder>/``). ``drain`` routes the entries, oldest first, as
recovered events once the store works (``orchcore.recovery.catch_up`` does
the same for the transcript; the router does the routing, ``router.drain_journal``:
this module never imports the router), and removes each file only after every line
of it was applied; a cursor beside the file says how many lines are done, so
a drain cut short by a new failure goes on where it stopped.

Appending and draining meet on ``flock``: an appender locks the file it
appends to; a drain renames ``pending.jsonl`` away under that lock (an
appender that opened it before sees the rename and writes to a new one),
then works on the renamed file alone, under a lock on the folder.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing costs milliseconds on the hook path
    from pathlib import Path
    from typing import Any

FOLDER = "journal"
PENDING = "pending.jsonl"
DRAINING = "draining-"  # + a nanosecond stamp + ".jsonl": files a drain took over, oldest first
DONE = ".done"  # beside a draining file: how many of its lines were applied
TOLD = "told"  # one empty file per session told that its state is not being saved


def folders(env: dict[str, str], project: str) -> list[str]:
    """Where entries may be: the state folder's journal, then the per-user fallback."""
    from orchcore import gate

    state = os.path.abspath(gate.state_dir(env, project))
    return [os.path.join(state, FOLDER), fallback_folder(env, state)]


def fallback_folder(env: dict[str, str], state: str) -> str:
    """``$XDG_STATE_HOME/orchcore/journal/<hash of the state folder>`` (``~/.local/state`` by default)."""
    try:
        from _sha256 import sha256  # no OpenSSL: hashlib costs 15 ms to import
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import sha256
    base = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "orchcore", FOLDER, sha256(state.encode("utf-8", "surrogateescape")).hexdigest()[:24])


def waiting(env: dict[str, str], project: str) -> bool:
    """Whether entries may be waiting: one stat per folder (a journal folder exists only while it holds some)."""
    return any(os.path.isdir(folder) for folder in folders(env, project))


# -- keeping ------------------------------------------------------------------


class Kept:
    """Where an event went (None: nowhere, and ``problem`` says why)."""

    def __init__(self, where: str | None, problem: str = ""):
        self.where = where
        self.problem = problem


def keep(payload: dict[str, Any], env: dict[str, str], project: str, received_at: str | None = None) -> Kept:
    """Append the payload to the first journal folder that takes it; never raises."""
    from orchcore import clock

    entry = {"received_at": received_at or clock.now_iso(), "enabled": env.get("ORCH_ENABLED"), "payload": payload}
    line = (json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
    problems = []
    for folder in folders(env, project):
        try:
            _append(folder, line)
        except OSError as exc:
            problems.append(f"{folder}: {exc.strerror or exc}")
            continue
        return Kept(os.path.join(folder, PENDING))
    return Kept(None, "; ".join(problems))


def _append(folder: str, line: bytes) -> None:
    """One whole line, fsync'd, or nothing (a short write on a full disk is cut off again)."""
    import fcntl

    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, PENDING)
    for _ in range(5):  # a drain may rename the file between our open and our lock
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:  # a drain tidied the folder away meanwhile
            os.makedirs(folder, mode=0o700, exist_ok=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    continue
            except FileNotFoundError:
                continue
            start = os.fstat(fd).st_size
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, start)
                raise
            return
        finally:
            os.close(fd)
    raise OSError(11, "the journal kept changing under us")


def first_notice(kept: Kept, session_id: str) -> bool:
    """True once per session and journal folder (its marker file is created now); always when nothing was kept."""
    if kept.where is None:
        return True
    folder = os.path.dirname(kept.where)
    try:
        os.makedirs(os.path.join(folder, TOLD), mode=0o700, exist_ok=True)
        os.close(os.open(os.path.join(folder, TOLD, session_id.lower()), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError:
        return True
    return True


def notice(problem: str, kept: Kept) -> str:
    """The one systemMessage a session gets while its store fails."""
    if kept.where is None:
        return (f"orchcore: orchestration state is not being saved and this event could not be kept either: "
                f"{problem} (the journal: {kept.problem}). Fix it, then run `orch doctor`.")
    return (f"orchcore: orchestration state is not being saved: {problem}. Events are kept in {kept.where} and "
            "applied once the store works again; after fixing it, run `orch doctor`.")


def orchestrated(env: dict[str, str], project: str, session_id: str) -> bool:
    """Whether the session is orchestrated, judged without the store: ORCH_ENABLED, its flag file, the config."""
    from orchcore import gate

    override = gate.env_override(env)
    if override is not None:
        return override
    directory = gate.state_dir(env, project)
    for enabled in (True, False):
        if os.path.exists(gate.flag_path(directory, session_id, enabled)):
            return enabled
    try:
        from pathlib import Path

        from orchcore.config import load_config
        from orchcore.paths import config_file

        return bool(load_config(config_file(Path(project))).orchestration_enabled)
    except Exception:  # noqa: BLE001 - an unreadable config is no reason to say more
        return False


# -- draining -----------------------------------------------------------------


def pending(env: dict[str, str], project: str) -> int:
    """How many entries wait to be applied."""
    count = 0
    for folder in folders(env, project):
        for path in _files(folder, with_pending=True):
            count += max(0, len(_lines(path)) - _done(path))
    return count


def drain(
    project: str, env: dict[str, str], apply: Any, log: Any = None, budget_s: float | None = None
) -> tuple[int, int]:
    """Apply waiting entries in order, each exactly once, with ``apply(entry)``; returns (applied, left).

    ``apply`` raises StoreError when the store still cannot take an entry:
    the drain stops there and the rest waits. An entry that is not JSON is
    passed to ``log`` and counts as done. While another process drains the
    same folder this one waits for it, within ``budget_s``; past that its
    entries count as left here.
    ``budget_s``: stop after this long (the hook path must answer Claude
    Code); the cursor keeps what was done.
    """
    locks = []
    try:
        entries = []
        for order, folder in enumerate(folders(env, project)):
            if not os.path.isdir(folder):
                continue
            try:
                lock = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            locks.append(lock)
            if not _lock_within(lock, budget_s):
                return 0, pending(env, project)  # another process is still draining
            _take_over(folder)
            for path in _files(folder):
                lines = _lines(path)
                if _done(path) >= len(lines):  # applied already, or empty (a write the full disk cut off)
                    _mark_done(path, len(lines), len(lines))
                for number in range(_done(path), len(lines)):
                    entries.append((order, path, number, lines[number]))
        return _apply(env, project, entries, apply, log or (lambda message: None), budget_s)
    finally:
        for lock in locks:
            os.close(lock)


def _lock_within(fd: int, budget_s: float | None) -> bool:
    """Take the folder's drain lock, waiting up to ``budget_s`` for another process's drain to finish.

    Waiting keeps the order: an event that arrives while another process
    applies the kept ones is routed after them, not between them.
    """
    import fcntl
    import time

    deadline = time.monotonic() + (budget_s if budget_s is not None else 60.0)
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def _apply(
    env: dict[str, str], project: str, entries: list, apply: Any, log: Any, budget_s: float | None
) -> tuple[int, int]:
    import time

    from orchcore.errors import StoreError

    deadline = None if budget_s is None else time.monotonic() + budget_s

    import heapq

    per_file: dict[str, list] = {}
    for order, path, number, line in entries:
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not isinstance(entry.get("payload"), dict):
                raise ValueError("not a kept hook event")
        except ValueError as exc:
            log(f"journal: line {number + 1} of {path} is skipped: {exc}")
            entry = None
        per_file.setdefault(path, []).append((str((entry or {}).get("received_at") or ""), order, path, number, entry))
    # Oldest first across files, but each file in its own order: its cursor counts the lines done from its start.
    merged = heapq.merge(*per_file.values(), key=lambda item: item[0])
    entries = [(order, path, number, entry) for _, order, path, number, entry in merged]
    totals: dict[str, int] = {}
    for _, path, number, _ in entries:
        totals[path] = max(totals.get(path, 0), number + 1)
    applied = 0
    for index, (_, path, number, entry) in enumerate(entries):
        try:
            if entry is not None:
                apply(entry)
        except StoreError:
            return applied, len(entries) - index
        _mark_done(path, number + 1, totals[path])
        applied += 1
        if deadline is not None and time.monotonic() > deadline and index + 1 < len(entries):
            return applied, len(entries) - index - 1
    for folder in {os.path.dirname(item[1]) for item in entries} | set(folders(env, project)):
        _tidy(folder)
    return applied, 0


def _take_over(folder: str) -> None:
    """Rename pending.jsonl to a draining file under its lock, so no appender writes to it any more."""
    import fcntl
    import time

    path = os.path.join(folder, PENDING)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(path, os.path.join(folder, f"{DRAINING}{time.time_ns():020d}.jsonl"))
    except OSError:
        pass
    finally:
        os.close(fd)


def _files(folder: str, with_pending: bool = False) -> list[str]:
    """The draining files, oldest first (and pending.jsonl, which appenders may still write to)."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith(DRAINING) and n.endswith(".jsonl"))
    except OSError:
        names = []
    found = [os.path.join(folder, n) for n in names]
    if with_pending and os.path.exists(os.path.join(folder, PENDING)):
        found.append(os.path.join(folder, PENDING))
    return found


def _lines(path: str) -> list[bytes]:
    try:
        with open(path, "rb") as handle:
            return [line for line in handle.read().split(b"\n") if line.strip()]
    except OSError:
        return []


def _done(path: str) -> int:
    try:
        with open(path + DONE, encoding="ascii") as handle:
            return int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _mark_done(path: str, count: int, total: int) -> None:
    """Record progress before the next entry: a crash now repeats at most this one (keyed events never double)."""
    from pathlib import Path

    from orchcore.errors import OrchError
    from orchcore.files import atomic_write

    if count >= total:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError:
            pass  # cannot remove it: the cursor below says it is done
        if not os.path.exists(path):
            try:
                os.remove(path + DONE)
            except OSError:
                pass
            return
    try:
        atomic_write(Path(path + DONE), f"{count}\n")
    except OrchError:
        pass


def _tidy(folder: str) -> None:
    """Remove a journal folder that holds nothing left to apply, and with it the notices given.

    ``rmdir`` only: an appender that just wrote pending.jsonl keeps the folder.
    """
    if _files(folder, with_pending=True):
        return
    told = os.path.join(folder, TOLD)
    try:
        for name in os.listdir(told):
            os.remove(os.path.join(told, name))
        os.rmdir(told)
    except OSError:
        pass
    try:
        os.rmdir(folder)
    except OSError:
        pass
