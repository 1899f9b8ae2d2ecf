"""``orch statusline``: one line (or more) for Claude Code's status bar, from plugin segments.

Claude Code re-runs the status command whenever the conversation changes and
aborts a run still in flight, so it must be quick and must never pile up:

* orchestration off for the session: a plain line (model, folder, git
  branch) from the input alone, without loading the runtime;
* on: the segments in configured order, each within its time budget (a slow
  or failing segment is dropped from that line, not waited for), and the
  line is cached per session;
* while another process renders the same session, the cached line is
  printed at once instead of starting a second render.

Rows come from ``statusline.lines`` in ``.claude/orchcore.json`` (a list of
lists of segment names) or ``statusline.segments`` (one row); a session's own
``runtime_config.status_line.segments`` wins. ``NO_COLOR`` turns colours off.
"""

from __future__ import annotations

import os
import sys
import time

from orchcore import gate, jsonlimits
from orchcore.errors import JsonTooDeep

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CACHE_DIR = "statusline"
LOCK_STALE_S = 5.0
TOTAL_BUDGET_MS = 800
DEFAULT_OFF = ["model", "folder", "git-branch"]
SEPARATOR = " │ "


def main(data: bytes, stdout: Any = None, env: dict[str, str] | None = None, runtime: Any = None) -> int:
    """Print the status line for the session in ``data``; always exit 0 (non-zero shows nothing)."""
    env = dict(os.environ) if env is None else env
    stdout = stdout if stdout is not None else sys.stdout
    try:
        status = jsonlimits.loads(data, "the status-line input") if data.strip() else {}
    except (ValueError, JsonTooDeep):  # unusable input: the plain line, as for no input
        status = {}
    if not isinstance(status, dict):
        status = {}
    color = "NO_COLOR" not in env
    cwd = _cwd(status)
    project = gate.find_project(env, cwd)
    directory = gate.state_dir(env, project)
    session_id = status.get("session_id") if isinstance(status.get("session_id"), str) else None
    from orchcore.ids import is_session_id

    if session_id is None or not is_session_id(session_id):
        stdout.write(plain_line(status, color) + "\n")
        return 0
    session_id = session_id.lower()
    override = gate.env_override(env)
    if override is False or (override is None and os.path.exists(gate.flag_path(directory, session_id, False))):
        stdout.write(plain_line(status, color) + "\n")
        return 0
    cache = os.path.join(directory, CACHE_DIR, f"{session_id}.txt")
    lock = _lock(cache + ".lock")
    if lock is None:  # another render of this session is under way: never pile up
        stdout.write(_read(cache) or plain_line(status, color) + "\n")
        return 0
    try:
        text = render(status, session_id, project, env, color, runtime)
        if _written.get(cache) != text and _write(cache, text):
            _written[cache] = text
    except (Exception, SystemExit):  # a broken store or plugin: the last good line, else the plain one
        text = _read(cache) or plain_line(status, color) + "\n"
    finally:
        _unlock(lock)
    stdout.write(text)
    return 0


def render(status: dict, session_id: str, project: str, env: dict, color: bool, given_runtime: Any) -> str:
    """The full line(s) for an orchestrated session: configured segments, each within budget."""
    from pathlib import Path

    from orchcore.runtime import Runtime
    from orchcore.specs import SegmentContext

    runtime = given_runtime or Runtime(project=Path(project), state_dir=Path(gate.state_dir(env, project)))
    try:
        session = runtime.store.load(session_id)
        if session is None:
            # The status line can run before the SessionStart hook has created the session:
            # show what the router is about to create (nothing is stored here).
            from orchcore.models import Session

            default_on = runtime.config.orchestration_enabled
            session = Session(session_id=session_id, orchestration_enabled=default_on)
        enabled = session.orchestration_enabled
        override = gate.env_override(env)
        if override is not None:
            enabled = override
        if not enabled:
            return plain_line(status, color) + "\n"
        segments = runtime.plugins.specs("orch_status_segments")
        context = SegmentContext(session=session, status_input=status, color=color, plugins=runtime.plugins)
        rows = []
        deadline = time.perf_counter() + TOTAL_BUDGET_MS / 1000
        for names in layout(runtime.config, session, segments, runtime.plugins):
            parts = [run_segment(segments[name], context, deadline) for name in names if name in segments]
            row = SEPARATOR.join(p for p in parts if p)
            if row:
                rows.append(row)
        return "\n".join(rows or [plain_line(status, color)]) + "\n"
    finally:
        if given_runtime is None:
            runtime.close()


def layout(config: Any, session: Any, segments: dict, plugins: Any = None) -> list[list[str]]:
    """Rows of segment names; ``*`` stands for every installed segment not named elsewhere."""
    # Imported here: the plain line (orchestration off) must not pay for attrs.
    from orchcore.config_schema import STATUSLINE_LINES, STATUSLINE_SEGMENTS

    own = session.runtime_config.status_line.segments if session is not None else []
    lines = STATUSLINE_LINES.read(config)
    if own:
        rows = [list(own)]
    elif lines:
        rows = lines
    else:
        rows = [STATUSLINE_SEGMENTS.read(config) or STATUSLINE_SEGMENTS.default_value()]
    named = {n for r in rows for n in r}
    hidden = _other_programs_segments(plugins, session)
    rest = [n for n in segments if n not in named and n not in DEFAULT_OFF and n not in hidden]
    return [[m for n in r for m in (rest if n == "*" else [n])] for r in rows]


def _other_programs_segments(plugins: Any, session: Any) -> set[str]:
    """Segments a program ships (``ProgramSpec.segments``) show only while it is the session's mode."""
    return set() if plugins is None else {
        name
        for program in plugins.specs("orch_programs").values()
        if session is None or program.session_mode != session.mode
        for name in program.segments
    }


def run_segment(segment: Any, context: Any, deadline: float) -> str | None:
    """The segment's text, or None when it fails or runs past its budget (never waited for)."""
    from orchcore.budget import call_within

    budget = min(segment.timeout_ms / 1000, max(deadline - time.perf_counter(), 0))
    if budget <= 0:
        return None
    outcome = call_within(lambda: segment.render(context), budget)
    text = outcome.value if outcome.finished and outcome.error is None else None
    return text.strip() if isinstance(text, str) and text.strip() else None


# -- the plain line: model, folder, branch from the input alone ------------------


def plain_line(status: dict, color: bool) -> str:
    parts = [model_name(status), folder_name(status), git_branch(_cwd(status))]
    return SEPARATOR.join(paint(p, code, color) for p, code in zip(parts, ("1", "36", "35")) if p)


def paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def model_name(status: dict) -> str | None:
    model = status.get("model")
    if isinstance(model, dict):
        name = model.get("display_name") or model.get("id")
        return name if isinstance(name, str) else None
    return None


def folder_name(status: dict) -> str | None:
    cwd = _cwd(status)
    return os.path.basename(cwd.rstrip("/")) or cwd if cwd else None


def git_branch(cwd: str | None) -> str | None:
    """The current branch from .git/HEAD (no subprocess): ``main``, or a short commit when detached."""
    folder = os.path.abspath(cwd or os.getcwd())
    while True:
        dot_git = os.path.join(folder, ".git")
        if os.path.exists(dot_git):
            head = _head_file(dot_git)
            try:
                with open(head, encoding="utf-8") as f:
                    text = f.read().strip()
            except OSError:
                return None
            if text.startswith("ref: refs/heads/"):
                return text[len("ref: refs/heads/"):]
            return text[:7] or None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _head_file(dot_git: str) -> str:
    if os.path.isdir(dot_git):
        return os.path.join(dot_git, "HEAD")
    try:  # a worktree or submodule: ".git" is a file pointing at the real folder
        with open(dot_git, encoding="utf-8") as f:
            line = f.read().strip()
        if line.startswith("gitdir:"):
            target = line[len("gitdir:"):].strip()
            return os.path.join(os.path.join(os.path.dirname(dot_git), target), "HEAD")
    except OSError:
        pass
    return os.path.join(dot_git, "HEAD")


def _cwd(status: dict) -> str | None:
    workspace = status.get("workspace")
    if isinstance(workspace, dict) and isinstance(workspace.get("current_dir"), str):
        return workspace["current_dir"]
    return status.get("cwd") if isinstance(status.get("cwd"), str) else None


# -- cache and lock ---------------------------------------------------------------


def _lock(path: str) -> str | None:
    """Take the session's render lock: its path, "" when there is nowhere to lock, None when busy.

    The lock file holds our pid, so a process whose stale lock was taken over
    never removes its successor's lock (see ``_unlock``).
    """
    for _ in range(2):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            return path
        except FileExistsError:
            try:
                if time.time() - os.stat(path).st_mtime <= LOCK_STALE_S:
                    return None
                os.remove(path)  # its owner died mid-render: take it over
            except OSError:
                return None
        except OSError:
            return ""
    return None


def _unlock(path: str) -> None:
    if path and _read(path) == str(os.getpid()):
        try:
            os.remove(path)
        except OSError:
            pass


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() or None
    except OSError:
        return None


_written: dict[str, str] = {}  # what this process last wrote to each cache (the resident runtime renders often)


def _write(path: str, text: str) -> bool:
    try:
        tmp = f"{path}.{os.getpid()}.{_thread_id()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        return True
    except OSError:
        return False


def _thread_id() -> int:
    """Threads of one process (the resident runtime) must not share a temporary file."""
    import threading

    return threading.get_ident()
