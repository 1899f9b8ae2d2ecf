"""The gate: answer a hook event of a session whose orchestration is off, importing nothing.

Claude Code starts a process for every hook event, and most belong to
sessions where orchestration is off. For those the whole job is to note the
activity and answer nothing, so this module uses ``os`` and ``sys`` only (not
even ``json``: on a stock CPython, ``import json`` costs more than half of the
interpreter's own start).

The embedded store keeps a *flag file* per session in ``.claude/state/gate/``:
``<session_id>.on`` or ``<session_id>.off``, replaced inside the transaction
that changes the session's flag, so the file never disagrees with the
database for long. The gate touches ``<session_id>.off`` (its modification
time is the session's last activity); if that file is not there, or anything
about the input is unusual, it hands the event to the full router, which
parses it properly and knows what to do.
"""

from __future__ import annotations

import os

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
GATE_DIR = "gate"
MAX_INPUT_BYTES = 16 * 1024 * 1024
LIFECYCLE_MARKERS = (b"SessionStart", b"SessionEnd")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def word_bool(text: str) -> bool | None:
    """True or False for one of the words above (any case, spaces around); None for anything else."""
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return None


def env_override(env) -> bool | None:
    """ORCH_ENABLED=1 or 0 wins over the session's flag and the project default."""
    return word_bool(env.get("ORCH_ENABLED", ""))


def find_project(env, cwd: str | None = None) -> str:
    """CLAUDE_PROJECT_DIR, else the nearest folder upward from ``cwd`` with .claude/ or .git."""
    if env.get("CLAUDE_PROJECT_DIR"):
        return env["CLAUDE_PROJECT_DIR"]
    start = os.path.abspath(cwd or os.getcwd())
    folder = start
    while True:
        if os.path.isdir(os.path.join(folder, ".claude")) or os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return start
        folder = parent


def state_dir(env, project: str) -> str:
    """ORCH_STATE_DIR, else <project>/.claude/state."""
    return env.get("ORCH_STATE_DIR") or os.path.join(project, ".claude", "state")


def flag_path(directory: str, session_id: str, enabled: bool) -> str:
    return os.path.join(directory, GATE_DIR, f"{session_id}.{'on' if enabled else 'off'}")


def write_flag(directory: str, session_id: str, enabled: bool) -> None:
    """Make the session's flag file say ``enabled`` (called by the store inside its transaction).

    A flag that cannot be written is cleared instead, never left saying the
    old value: without one, the router decides from the store itself.
    """
    wanted, other = flag_path(directory, session_id, enabled), flag_path(directory, session_id, not enabled)
    try:
        os.makedirs(os.path.join(directory, GATE_DIR), exist_ok=True)
        try:
            os.replace(other, wanted)  # keeps the activity time
        except FileNotFoundError:
            with open(wanted, "a"):
                pass
    except OSError:
        clear_flags(directory, session_id)


def clear_flags(directory: str, session_id: str) -> None:
    """Remove the session's flag files, so the router decides from the store itself."""
    for enabled in (False, True):
        try:
            os.remove(flag_path(directory, session_id, enabled))
        except OSError:
            pass


def flag_files(directory: str) -> dict[str, list[str]]:
    """Every flag file in the gate folder, by session id (``orch session gc`` removes the stale ones)."""
    found: dict[str, list[str]] = {}
    try:
        names = sorted(os.listdir(os.path.join(directory, GATE_DIR)))
    except OSError:
        return found
    for name in names:
        session_id, _, kind = name.rpartition(".")
        if kind in ("on", "off") and session_id:
            found.setdefault(session_id, []).append(os.path.join(directory, GATE_DIR, name))
    return found


def last_activity(directory: str, session_id: str) -> float | None:
    """When the gate or the router last saw an event of this session (a Unix time)."""
    for enabled in (False, True):
        try:
            return os.stat(flag_path(directory, session_id, enabled)).st_mtime
        except OSError:
            continue
    return None


def touch(directory: str, session_id: str, enabled: bool) -> bool:
    """Note activity on the session's flag file; False when the file is not there."""
    try:
        os.utime(flag_path(directory, session_id, enabled))
    except OSError:
        return False
    return True


def session_id_of(data: bytes) -> str | None:
    """The session id, when the payload starts the way Claude Code writes it: ``{"session_id": "<uuid>"``.

    Anything else (another key first, escapes, a malformed id) returns None and
    the full router parses the payload properly.
    """
    text = data.lstrip()
    if not text.startswith(b"{"):
        return None
    text = text[1:].lstrip()
    if not text.startswith(b'"session_id"'):
        return None
    text = text[len(b'"session_id"'):].lstrip()
    if not text.startswith(b":"):
        return None
    text = text[1:].lstrip()
    if len(text) < 38 or text[:1] != b'"' or text[37:38] != b'"':
        return None
    value = text[1:37]
    for index, char in enumerate(value):
        if index in (8, 13, 18, 23):
            if char != 45:  # "-"
                return None
        elif char not in _HEX:
            return None
    return value.decode("ascii").lower()


def is_off(data: bytes, env, session_id: str) -> bool:
    """Whether orchestration is off for this session, judging by its flag file and ORCH_ENABLED."""
    override = env_override(env)
    if override is not None:
        return not override
    return os.path.exists(flag_path(state_dir(env, find_project(env)), session_id, False))


def pass_off_session(data: bytes, env) -> bool:
    """True when ``data`` is an event of a session whose orchestration is off, and its activity is noted."""
    if any(marker in data for marker in LIFECYCLE_MARKERS):
        return False  # session start and end are recorded by the router
    session_id = session_id_of(data)
    if session_id is None:
        return False
    override = env_override(env)
    if override is True:
        return False
    directory = state_dir(env, find_project(env))
    if touch(directory, session_id, enabled=False):
        return True
    return override is False and touch(directory, session_id, enabled=True)
