"""Running the real Claude Code binary in tests: isolated HOME, ``-p`` runs, tmux sessions.

The fixtures in ``conftest.py`` wrap these; plugin test suites can use the
classes directly. Everything here is independent of orchcore.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A syntactically plausible key; only its last 20 characters matter (approval list).
FAKE_API_KEY = "sk-ant-api03-" + "orchcore-e2e-fake-key-" * 3 + "AAAAorchcoreE2Efake00"

# Variables of the developer's shell (or of a Claude Code the tests run inside)
# that would leak into the binary under test.
_LEAKY_PREFIXES = ("CLAUDE", "ANTHROPIC", "ORCH_", "TMUX", "OTEL_", "AWS_BEARER",
                   "VERTEX_", "CLOUD_ML_", "XDG_")
_LEAKY_NAMES = {"NODE_OPTIONS", "NO_COLOR", "FORCE_COLOR", "DEBUG", "IS_SANDBOX",
                "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                "all_proxy"}


def ci_enabled() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


# --------------------------------------------------------------------------
# HOME and project
# --------------------------------------------------------------------------


def write_claude_json(home: Path, trusted_dirs: Iterable[Path], api_key: str = FAKE_API_KEY,
                      extra: Mapping[str, Any] | None = None) -> Path:
    """``$HOME/.claude.json`` with onboarding done, the dirs trusted and the key approved."""
    home.mkdir(parents=True, exist_ok=True)
    projects: dict[str, Any] = {}
    for d in trusted_dirs:
        for form in {str(Path(d)), str(Path(d).resolve())}:
            projects[form] = {
                "hasTrustDialogAccepted": True,
                "hasCompletedProjectOnboarding": True,
                "allowedTools": [],
            }
    config: dict[str, Any] = {
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": "2.1.328",
        "bypassPermissionsModeAccepted": True,
        "hasSeenAutoModeEntryWarning": True,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": projects,
    }
    config.update(extra or {})
    path = home / ".claude.json"
    path.write_text(json.dumps(config, indent=2))
    (home / ".claude").mkdir(exist_ok=True)
    return path


def init_project(project: Path) -> Path:
    """A project folder with ``.claude/`` and an initialised git repository."""
    (project / ".claude").mkdir(parents=True, exist_ok=True)
    git = shutil.which("git")
    if git:
        subprocess.run([git, "init", "-q"], cwd=project, check=True,
                       stdin=subprocess.DEVNULL, capture_output=True)
        for key, value in (("user.email", "e2e@example.invalid"), ("user.name", "orchcore e2e"),
                           ("commit.gpgsign", "false")):
            subprocess.run([git, "config", key, value], cwd=project, check=True,
                           capture_output=True)
    return project.resolve()


def claude_env(home: Path, base_url: str, api_key: str = FAKE_API_KEY,
               extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for the binary: isolated HOME, the fake API, no telemetry."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_LEAKY_PREFIXES) and k not in _LEAKY_NAMES}
    env.update({
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": api_key,
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "TERM": env.get("TERM") or "xterm-256color",
        "LANG": env.get("LANG") or "C.UTF-8",
    })
    if hasattr(os, "getuid") and os.getuid() == 0:
        # Claude Code refuses bypassPermissions as root unless it is told it is sandboxed.
        env["IS_SANDBOX"] = "1"
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------
# -p runs
# --------------------------------------------------------------------------


@dataclass
class ClaudeRun:
    """The outcome of one ``claude -p`` run."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    session_id: str | None
    debug_log: Path | None = None
    result: Any = None  # parsed --output-format json (dict) or stream-json (list of dicts)

    @property
    def text(self) -> str:
        """The final answer (``result`` of the json output)."""
        if isinstance(self.result, dict):
            return str(self.result.get("result", ""))
        if isinstance(self.result, list):
            finals = [m for m in self.result if isinstance(m, dict) and m.get("type") == "result"]
            return str(finals[-1].get("result", "")) if finals else ""
        return self.stdout

    def debug_text(self) -> str:
        if self.debug_log and self.debug_log.exists():
            return self.debug_log.read_text(errors="replace")
        return ""

    def describe(self, debug_tail: int = 60) -> str:
        parts = [f"$ {shlex.join(self.args)}",
                 f"exit code {self.returncode} after {self.duration:.2f}s",
                 f"--- stdout ---\n{self.stdout[-4000:]}",
                 f"--- stderr ---\n{self.stderr[-4000:]}"]
        debug = self.debug_text()
        if debug:
            tail = "\n".join(debug.splitlines()[-debug_tail:])
            parts.append(f"--- debug log {self.debug_log} (last {debug_tail} lines) ---\n{tail}")
        return "\n".join(parts)


class ClaudeRunError(AssertionError):
    pass


_RESUME_FLAGS = {"--resume", "-r", "--continue", "-c", "--session-id"}


def run_claude_print(
    binary: Path,
    prompt: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    settings: Mapping[str, Any] | str | Path | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 120,
    session_id: str | None = None,
    permission_mode: str | None = "bypassPermissions",
    max_turns: int | None = 10,
    output_format: str = "json",
    debug_file: Path | None = None,
    check: bool = True,
    scratch_dir: Path | None = None,
    describe_extra: Callable[[], str] | None = None,
) -> ClaudeRun:
    """Run ``claude -p PROMPT --output-format json`` and parse its output.

    * ``settings``: a dict (written to a file in ``scratch_dir``, or a temporary file
      removed afterwards) or a path, passed as ``--settings``;
    * ``session_id``: fixed session id (default: a fresh UUID) unless ``extra_args``
      resume/continue a session;
    * ``permission_mode``: ``--permission-mode``; the default ``bypassPermissions``
      lets the fake model's tool calls run without prompts; None leaves it out;
    * ``check``: raise :class:`ClaudeRunError` (with stdout, stderr, the debug-log
      tail and ``describe_extra()``) if the exit code is not 0 or the output is not JSON.
    """
    args = [str(binary), "-p", prompt, "--output-format", output_format]
    if output_format == "stream-json":
        args.append("--verbose")
    if not _RESUME_FLAGS.intersection(extra_args):
        session_id = session_id or str(uuid.uuid4())
        args += ["--session-id", session_id]
    temp_settings: Path | None = None
    if settings is not None:
        if isinstance(settings, Mapping):
            if scratch_dir is not None:
                scratch_dir.mkdir(parents=True, exist_ok=True)
                path = scratch_dir / f"settings-{uuid.uuid4().hex[:8]}.json"
            else:
                fd, name = tempfile.mkstemp(prefix="cc-settings-", suffix=".json")
                os.close(fd)
                path = temp_settings = Path(name)
            path.write_text(json.dumps(settings, indent=2))
            settings = path
        args += ["--settings", str(settings)]
    if permission_mode:
        args += ["--permission-mode", permission_mode]
    if max_turns is not None:
        args += ["--max-turns", str(max_turns)]
    if debug_file is not None:
        args += ["--debug-file", str(debug_file)]
    args += list(extra_args)

    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        stdout, stderr = proc.communicate()
    finally:
        # hooks or Bash commands left behind in the binary's process group
        _kill_group(proc, only_if_alive=False)
        if temp_settings is not None:
            temp_settings.unlink(missing_ok=True)
    run = ClaudeRun(args=args, returncode=proc.returncode, stdout=stdout, stderr=stderr,
                    duration=time.monotonic() - start, session_id=session_id,
                    debug_log=debug_file)

    def fail(why: str) -> ClaudeRunError:
        extra = describe_extra() if describe_extra else ""
        return ClaudeRunError(f"claude -p {why}\n{run.describe()}\n{extra}")

    if timed_out:
        raise fail(f"timed out after {timeout}s")
    try:
        if output_format == "json":
            run.result = json.loads(stdout) if stdout.strip() else None
        elif output_format == "stream-json":
            run.result = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    except ValueError as exc:
        if check:
            raise fail(f"printed output that is not {output_format}: {exc}") from exc
    if run.session_id is None and isinstance(run.result, dict):
        run.session_id = run.result.get("session_id")
    if check and run.returncode != 0:
        raise fail(f"exited with {run.returncode}")
    if check and output_format == "json" and not isinstance(run.result, dict):
        raise fail("printed no JSON result")
    return run


def _kill_group(proc: subprocess.Popen, only_if_alive: bool = True) -> None:
    if only_if_alive and proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------
# Interactive mode under tmux
# --------------------------------------------------------------------------


def tmux_path() -> str | None:
    return shutil.which("tmux")


@dataclass
class TmuxClaude:
    """The interactive TUI in a detached tmux session on a private socket.

    ``start()`` launches it (without waiting); ``send_line("hi")`` waits for the input
    box, types, checks the box shows the text and presses Enter; ``wait_for("STATUS")``
    polls ``capture()`` until the text shows. Without ``--permission-mode`` the
    interactive default in 2.1.328 is ``auto``. The pane stays after claude exits
    (``remain-on-exit``) so its last screen can be read.
    """

    binary: Path
    cwd: Path
    env: Mapping[str, str]
    args: Sequence[str] = ()
    width: int = 200
    height: int = 50
    tmux: str = field(default_factory=lambda: tmux_path() or "tmux")
    session: str = "cc"
    _dir: Path | None = None

    @property
    def socket(self) -> Path:
        assert self._dir is not None, "not started"
        return self._dir / "sock"

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([self.tmux, "-S", str(self.socket), *args], capture_output=True,
                              text=True, check=check, stdin=subprocess.DEVNULL, timeout=30)

    def start(self) -> TmuxClaude:
        # a short path: unix socket paths are limited to ~100 bytes
        self._dir = Path(tempfile.mkdtemp(prefix="cctmux-", dir="/tmp" if os.path.isdir("/tmp") else None))
        conf = self._dir / "tmux.conf"
        conf.write_text("set -g remain-on-exit on\nset -g history-limit 10000\n"
                        "set -g status off\n")
        command = shlex.join([str(self.binary), *self.args])
        # The private server starts with exactly this environment; the pane inherits it.
        env = dict(self.env)
        env.setdefault("TERM", "xterm-256color")
        subprocess.run([self.tmux, "-S", str(self.socket), "-f", str(conf), "new-session", "-d",
                        "-x", str(self.width), "-y", str(self.height), "-s", self.session,
                        "-c", str(self.cwd), command],
                       env=env, cwd=self.cwd, check=True, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
        return self

    def capture(self, history: bool = False) -> str:
        args = ["capture-pane", "-p", "-J", "-t", self.session]
        if history:
            args += ["-S", "-"]
        out = self._tmux(*args, check=False)
        return out.stdout

    def pane_dead(self) -> bool:
        out = self._tmux("display-message", "-p", "-t", self.session, "#{pane_dead}", check=False)
        return out.stdout.strip() == "1"

    def send_keys(self, *keys: str) -> None:
        """tmux key names: ``Enter``, ``Escape``, ``C-c``, ``BTab`` ..."""
        self._tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.session, "-l", text)

    PROMPT_GLYPH = "\u276f"  # "❯", the input box prompt in 2.1.328

    def input_text(self, screen: str | None = None) -> str | None:
        """Text of the prompt input box (the last line starting with ``❯``), or None."""
        lines = [line.strip() for line in (screen or self.capture()).splitlines()]
        boxes = [line for line in lines if line.startswith(self.PROMPT_GLYPH)]
        return boxes[-1][len(self.PROMPT_GLYPH):].strip() if boxes else None

    def wait_ready(self, timeout: float = 30) -> str:
        """Wait until the TUI shows its input box (keys typed earlier may be lost)."""
        return self.wait_for(lambda screen: self.input_text(screen) is not None, timeout=timeout)

    def send_line(self, text: str, timeout: float = 10) -> None:
        """Type ``text``, wait until the input box shows it, then press Enter."""
        self.wait_ready(timeout=timeout)
        self.type(text)
        tail = " ".join(text.split())[-30:]
        self.wait_for(lambda screen: (self.input_text(screen) or "").endswith(tail),
                      timeout=timeout)
        self.send_keys("Enter")

    def clear_input(self) -> None:
        """Empty the prompt input (after a blocked prompt the TUI puts it back there)."""
        self.send_keys("C-u")

    def wait_for(self, expected: str | Callable[[str], bool], timeout: float = 30,
                 interval: float = 0.1) -> str:
        """Poll the screen until it contains ``expected`` (or ``expected(screen)``)."""
        check = expected if callable(expected) else (lambda screen: expected in screen)
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if check(screen):
                return screen
            if self.pane_dead():
                screen = self.capture(history=True)
                if check(screen):
                    return screen
                raise AssertionError(f"claude exited before {expected!r} showed:\n{screen}")
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {expected!r}; "
                             f"screen:\n{self.capture(history=True)}")

    def close(self) -> None:
        if self._dir is None:
            return
        self._tmux("kill-server", check=False)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def __enter__(self) -> TmuxClaude:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------
# Small helpers for test projects
# --------------------------------------------------------------------------


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def write_script(path: Path, body: str) -> Path:
    """An executable shell script (``#!/bin/sh`` is added unless ``body`` has a shebang)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not body.startswith("#!"):
        body = "#!/bin/sh\n" + body
    path.write_text(body)
    path.chmod(0o755)
    return path


def recording_hook(directory: Path, name: str = "record", stdout: str | None = None) -> Path:
    """A command hook that appends each payload (one JSON line) to ``<dir>/<name>.jsonl``,
    its environment to ``<dir>/<name>.env`` (NUL-separated, one dump per call),
    and prints ``stdout`` (if given) for Claude Code to read."""
    log = directory / f"{name}.jsonl"
    envlog = directory / f"{name}.env"
    body = (
        "payload=$(cat)\n"
        f"printf '%s\\n' \"$payload\" >> {shlex.quote(str(log))}\n"
        f"env -0 >> {shlex.quote(str(envlog))}; printf '\\0--END--\\0' >> {shlex.quote(str(envlog))}\n"
    )
    if stdout is not None:
        body += f"printf '%s\\n' {shlex.quote(stdout)}\n"
    return write_script(directory / f"{name}.sh", body)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_env_dumps(path: Path) -> list[dict[str, str]]:
    """The environments recorded by :func:`recording_hook`, one dict per call."""
    if not path.exists():
        return []
    dumps, current = [], {}
    for item in path.read_bytes().decode(errors="replace").split("\0"):
        if item == "--END--":
            dumps.append(current)
            current = {}
        elif "=" in item:
            key, _, value = item.partition("=")
            current[key] = value
    return dumps


def hook_settings(event: str, command: str | Path, matcher: str | None = None,
                  timeout: int = 30) -> dict[str, Any]:
    """``{"hooks": {event: [{matcher, hooks: [{type: command, ...}]}]}}``."""
    entry: dict[str, Any] = {"hooks": [{"type": "command", "command": str(command),
                                         "timeout": timeout}]}
    if matcher is not None:
        entry["matcher"] = matcher
    return {"hooks": {event: [entry]}}


def merge_settings(*parts: Mapping[str, Any]) -> dict[str, Any]:
    """Merge settings dicts; ``hooks`` lists of the same event are concatenated."""
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "hooks":
                hooks = out.setdefault("hooks", {})
                for event, entries in value.items():
                    hooks.setdefault(event, []).extend(entries)
            else:
                out[key] = value
    return out
