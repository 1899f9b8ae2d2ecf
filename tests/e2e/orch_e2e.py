"""orchcore wired into a test project, with the real ``orch`` console script.

Used by ``test_orchcore.py``. Everything orchcore does here happens in real
``orch`` processes: ``orch install`` (run by the test) writes the project's
``.claude/settings.json``, and from then on Claude Code itself runs ``orch
hook`` / ``orch statusline`` / ``!`orch …``` lines with its own environment,
which is the test's ``cc_env`` with:

* ``PATH``: the folder of the running interpreter (the venv's ``bin``, where
  ``orch`` lives) first, so a slash command's ``!`orch …``` finds it;
* ``PYTHONPATH``: a fake ``site-packages`` folder where test plugins are
  written as installed distributions (``orchcore.testing.write_distribution``);
* ``ORCH_CACHE_DIR``: a per-test cache for the entry-point index; ``ORCH_RUNTIME_IDLE_S``:
  the resident runtimes these tests start exit 10 s after their last event.

Nothing here imports orchcore's runtime: the test only reads what ``orch``
prints (``orch session show --json``, ``orch events list --json``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchcore.testing import write_distribution

ORCH_BIN_DIR = Path(sys.executable).parent
ORCH = ORCH_BIN_DIR / "orch"
ORCHESTRATION_ON = {"orchestration": {"enabled": True}}


class OrchCommandError(AssertionError):
    pass


@dataclass
class OrchProject:
    """A Claude Code test project with orchcore: run ``orch``, add plugins, read sessions."""

    project: Path
    env: dict[str, str]  # the test's cc_env itself: changes here reach the claude runs
    site: Path
    cache: Path
    sessions: list[str] = field(default_factory=list)  # shown in the failure report
    commands: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, project: Path, env: dict[str, str], scratch: Path) -> OrchProject:
        site, cache = scratch / "site-packages", scratch / "orch-cache"
        site.mkdir(parents=True, exist_ok=True)
        env["PATH"] = os.pathsep.join([str(ORCH_BIN_DIR), env.get("PATH", os.defpath)])
        env["PYTHONPATH"] = str(site)
        env["ORCH_CACHE_DIR"] = str(cache)
        env["ORCH_RUNTIME_IDLE_S"] = env["ORCH_RUNTIME_LINGER_S"] = "10"  # resident runtimes of these projects exit soon after the test
        return cls(project=project, env=env, site=site, cache=cache)

    # -- running orch -------------------------------------------------------
    def orch_env(self) -> dict[str, str]:
        env = dict(self.env, CLAUDE_PROJECT_DIR=str(self.project), COLUMNS="200")
        env.pop("CLAUDE_CODE_SESSION_ID", None)
        return env

    def orch(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run the real ``orch`` in the project (as a user would in a terminal)."""
        result = subprocess.run([str(ORCH), *args], cwd=self.project, env=self.orch_env(),
                                capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
        self.commands.append(f"$ orch {' '.join(args)}  -> exit {result.returncode}")
        if check and result.returncode != 0:
            raise OrchCommandError(f"orch {' '.join(args)} exited {result.returncode}\n"
                                   f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def orch_json(self, *args: str) -> Any:
        result = self.orch(*args)
        try:
            return json.loads(result.stdout)
        except ValueError as exc:
            raise OrchCommandError(f"orch {' '.join(args)} printed no JSON ({exc}):\n"
                                   f"{result.stdout}\n{result.stderr}") from exc

    def install(self, scope: str = "project") -> dict[str, Any]:
        return self.orch_json("install", "--scope", scope, "--json")

    def uninstall(self, scope: str = "project") -> dict[str, Any]:
        return self.orch_json("uninstall", "--scope", scope, "--json")

    # -- project setup --------------------------------------------------------
    def enable_by_default(self) -> Path:
        """``.claude/orchcore.json``: new sessions of this project start with orchestration on."""
        path = self.project / ".claude" / "orchcore.json"
        path.write_text(json.dumps(ORCHESTRATION_ON, indent=2) + "\n")
        return path

    def add_plugin(self, name: str, source: str) -> str:
        """Install a one-module plugin distribution ``name`` (entry point ``name``); returns the module."""
        module = re.sub(r"\W", "_", name)
        write_distribution(self.site, name, "0.1", {name: module}, {f"{module}.py": source})
        return module

    # -- reading what orchcore recorded -----------------------------------------
    def track(self, session_id: str) -> str:
        if session_id not in self.sessions:
            self.sessions.append(session_id)
        return session_id

    def session(self, session_id: str) -> dict[str, Any]:
        return self.orch_json("session", "show", "--session", self.track(session_id), "--json")

    def session_or_none(self, session_id: str) -> dict[str, Any] | None:
        listed = self.orch_json("session", "list", "--json")
        return next((s for s in listed if s["session_id"] == session_id), None)

    def events(self, session_id: str) -> list[dict[str, Any]]:
        return self.orch_json("events", "list", "--session", self.track(session_id), "--json",
                              "--limit", "0")

    def wait_for_events(self, session_id: str, predicate: Callable[[list[dict[str, Any]]], bool],
                        what: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Poll ``orch events list`` until ``predicate(events)`` (hooks may still be finishing)."""
        deadline = time.monotonic() + timeout
        events: list[dict[str, Any]] = []
        while True:
            try:
                events = self.events(session_id)
            except OrchCommandError:
                events = []  # the session does not exist yet
            if predicate(events):
                return events
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; events of "
                                     f"{session_id}:\n{format_events(events)}\n{self.describe()}")
            time.sleep(0.1)

    def wait_for_session(self, session_id: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.session_or_none(session_id)
            if found is not None:
                self.track(session_id)
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"session {session_id} never appeared\n{self.describe()}")
            time.sleep(0.1)

    def flag_file(self, session_id: str, enabled: bool) -> Path:
        """The gate's per-session flag file (``.claude/state/gate/<id>.on|.off``)."""
        return self.project / ".claude" / "state" / "gate" / f"{session_id}.{'on' if enabled else 'off'}"

    def hook_log(self) -> str:
        path = self.project / ".claude" / "state" / "hook.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def describe(self) -> str:
        """orch's side of a failure: commands run, settings, hook log, recorded events."""
        parts = ["orch commands:\n  " + ("\n  ".join(self.commands) or "(none)")]
        settings = self.project / ".claude" / "settings.json"
        if settings.exists():
            parts.append(f"--- {settings} ---\n{settings.read_text(errors='replace')[:3000]}")
        log = self.hook_log()
        parts.append("--- .claude/state/hook.log ---\n" + (log[-4000:] or "(empty)"))
        for session_id in self.sessions:
            result = subprocess.run([str(ORCH), "events", "list", "--session", session_id, "--json",
                                     "--limit", "0"], cwd=self.project, env=self.orch_env(),
                                    capture_output=True, text=True, timeout=60)
            try:
                text = format_events(json.loads(result.stdout))
            except ValueError:
                text = result.stdout + result.stderr
            parts.append(f"--- events of {session_id} ---\n{text}")
        return "\n".join(parts)


def format_events(events: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {e.get('seq')} {e.get('type')} {json.dumps(e.get('data'))[:200]}"
                     for e in events) or "  (none)"


def handled(events: list[dict[str, Any]], hook_event: str) -> list[dict[str, Any]]:
    """The ``hook.handled`` events' data for one Claude Code hook event."""
    return [e["data"] for e in events
            if e["type"] == "hook.handled" and e["data"].get("event") == hook_event]
