"""orchcore's entries in Claude Code's settings: how they reach orch, how they are found again.

**Two transports.** Claude Code can POST a hook event to a URL (an ``http``
hook) instead of starting a command; the resident runtime
(``orchcore.resident``) listens for those on 127.0.0.1, so most events cost
no process at all. Project and local scope wire ``HTTP_EVENTS`` as http
hooks to a per-project port, with the project's secret in a header, and keep
the rest as commands (``orchcore.install.events``). User scope wires commands
only (its settings apply to every project, and a port is per project);
``--transport command`` does the same anywhere.

**Which settings entries are ours.** Claude Code validates its settings, so we
add no marker key. A hook handler is orchcore's when it is an ``http`` hook to
``http://127.0.0.1:<port>/orchcore/hook``, or ``{"type": "command", "command": C}``
where ``C``, split like a shell would, is an orch launcher followed by
``hook``: ``<path>/orch hook`` (any path whose file name is ``orch``),
``<python> [flags] -m orchcore hook`` or ``<python> [flags] -c <code starting
orchcore.entry> hook`` (what install writes: see ``orch_launcher``). The same rule with
``statusline`` finds our status line. A hand-written ``orch hook`` entry
therefore counts as ours too, which is what makes a second install (even from
another virtual environment) update entries instead of duplicating them.

**Which events.** Those the Claude Code that reads the settings knows
(``events.wired_events``): the version ``$ORCH_CLAUDE_VERSION`` names, else
the one ``claude --version`` reports for the ``claude`` on PATH; with neither,
every event (a Claude Code installed later is the newest).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path, PurePath
from typing import Any

import attrs

from orchcore.errors import OrchError
from orchcore.install.events import HTTP_EVENTS, NO_MATCHER_EVENTS, version_tuple, wired_events

TRANSPORTS = ("http", "command")
HOOK_TIMEOUT_S = 30
HTTP_TIMEOUT_S = 10  # the runtime answers in milliseconds; a stuck one must not hold a tool call for long
TOKEN_VAR = "ORCH_HOOK_TOKEN"
HOOK_PATH = "/orchcore/hook"
PORT_RANGE = (20000, 60000)
_OUR_URL = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/orchcore/hook")
CLAUDE_VERSION_VAR = "ORCH_CLAUDE_VERSION"
CLAUDE_VERSION_TIMEOUT_S = 15


# -- how the wiring starts orch ----------------------------------------------


LAUNCH_CODE = "import sys;sys.path.append({root});from orchcore.entry import main;sys.exit(main())"


def orch_launcher() -> str:
    """How the wiring starts orch: this interpreter, without ``site``, straight into ``orchcore.entry``.

    Claude Code starts a process for each command hook and status-line
    refresh, and pip 23.2's console-script launcher imports ``re`` (more than
    half an interpreter start). So, whatever installed orchcore (pip 23.2 or
    26, pipx, uv), the wiring costs the same, and less than a bare ``python -c
    pass``: ``-S`` skips ``site`` (no ``.pth`` file is read), ``-P`` keeps the
    project folder off ``sys.path``, and the code adds only the folder orchcore
    lives in; what needs other packages loads ``site`` itself
    (``entry.full_environment``). A missing orchcore is an ImportError, exit 1:
    a non-blocking error for Claude Code (exit 2 would block the event).
    """
    import orchcore

    root = os.path.dirname(os.path.dirname(os.path.abspath(orchcore.__file__)))
    code = LAUNCH_CODE.format(root=json.dumps(root))  # a JSON string is a Python string literal
    return f"{shlex.quote(sys.executable)} -S -P -c {shlex.quote(code)}"


def claude_code_version(env: dict[str, str] | None = None) -> str | None:
    """The version of the Claude Code these settings are for, or None when nothing says.

    ``$ORCH_CLAUDE_VERSION`` (a project shared by people on other versions,
    tests, CI), else what the ``claude`` on PATH reports.
    """
    env = dict(os.environ) if env is None else env
    given = env.get(CLAUDE_VERSION_VAR, "").strip()
    if given:
        found = version_tuple(given)
        if found is None:
            raise OrchError(f"{CLAUDE_VERSION_VAR}={given!r} is not a Claude Code version like 2.1.332")
        return ".".join(map(str, found))
    binary = shutil.which("claude", path=env.get("PATH"))
    if binary is None:
        return None
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             timeout=CLAUDE_VERSION_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = version_tuple(out.stdout) if out.returncode == 0 else None
    return ".".join(map(str, found)) if found else None


# -- recognising our entries -------------------------------------------------


def command_kind(command: Any) -> str | None:
    """``"hook"``, ``"statusline"`` or ``"mcp"`` when ``command`` runs orchcore's entry for it, else None."""
    if not isinstance(command, str):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 2 or words[-1] not in ("hook", "statusline", "mcp") or not _is_launcher(words[:-1]):
        return None
    return words[-1]


def _is_launcher(words: list[str]) -> bool:
    """``<…>/orch``, ``<python> [-flags] -m orchcore`` or ``<python> [-flags] -c <code running orchcore.entry>``."""
    if len(words) == 1:
        return PurePath(words[0]).name in ("orch", "orch.exe")
    flags, target = words[1:-2], words[-2:]
    if target == ["-m", "orchcore"] or (target[0] == "-c" and "from orchcore.entry import main" in target[1]):
        return len(words) > 2 and all(flag.startswith("-") and flag not in ("-m", "-c") for flag in flags)
    return False


def entry_kind(entry: Any) -> str | None:
    """What kind of orchcore entry a hook handler or statusLine value is, if it is ours."""
    if isinstance(entry, dict) and entry.get("type") == "command":
        return command_kind(entry.get("command"))
    if isinstance(entry, dict) and entry.get("type") == "http" and http_port(entry) is not None:
        return "hook"
    return None


def http_port(entry: Any) -> int | None:
    """The port of one of our http hook entries, else None."""
    found = _OUR_URL.fullmatch(entry.get("url", "")) if isinstance(entry.get("url"), str) else None
    if found is None or not 0 < int(found.group(1)) < 65536:
        return None
    return int(found.group(1))


def hook_handlers(group: Any) -> list[Any]:
    """The handlers of one matcher group under ``hooks.<event>`` (none when the group is malformed)."""
    if isinstance(group, dict) and isinstance(group.get("hooks"), list):
        return group["hooks"]
    return []


def wired_port(data: dict[str, Any]) -> int | None:
    """The port our http hooks in these settings post to, if any."""
    hooks = data.get("hooks")
    for entries in hooks.values() if isinstance(hooks, dict) else ():
        for group in entries if isinstance(entries, list) else ():
            for handler in hook_handlers(group):
                if isinstance(handler, dict) and handler.get("type") == "http" and http_port(handler):
                    return http_port(handler)
    return None


def default_port(project: Path) -> int:
    """A port for this project that stays the same across installs: derived from its path, skipping taken ones."""
    seed = int(hashlib.sha1(str(project.resolve()).encode()).hexdigest()[:8], 16)
    low, high = PORT_RANGE
    for step in range(64):
        port = low + (seed + step * 7919) % (high - low)
        if _port_free(port):
            return port
    return low + seed % (high - low)


def _port_free(port: int) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


# -- our entries -------------------------------------------------------------


def command_hook(command: str) -> dict[str, Any]:
    return {"type": "command", "command": f"{command} hook", "timeout": HOOK_TIMEOUT_S}


def http_hook(port: int) -> dict[str, Any]:
    """Claude Code POSTs the event to the resident runtime; the headers carry the secret and ORCH_ENABLED."""
    return {
        "type": "http",
        "url": f"http://127.0.0.1:{port}{HOOK_PATH}",
        "timeout": HTTP_TIMEOUT_S,
        "headers": {"X-Orch-Token": f"${TOKEN_VAR}", "X-Orch-Enabled": "$ORCH_ENABLED"},
        "allowedEnvVars": [TOKEN_VAR, "ORCH_ENABLED"],
    }


def hook_entry(event: str, handler: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {} if event in NO_MATCHER_EVENTS else {"matcher": "*"}
    entry["hooks"] = [handler]
    return entry


def status_line_entry(command: str) -> dict[str, Any]:
    return {"type": "command", "command": f"{command} statusline", "padding": 0}


@attrs.frozen
class Wiring:
    """How one scope reaches orch: the launcher of its commands, http hooks to ``port`` or none, which events."""

    command: str
    transport: str = "command"
    port: int | None = None
    claude_version: str | None = None  # None: wire every event, as for the newest Claude Code

    @property
    def events(self) -> tuple[str, ...]:
        return wired_events(self.claude_version)

    def handler(self, event: str) -> dict[str, Any]:
        if self.transport == "http" and event in HTTP_EVENTS and self.port is not None:
            return http_hook(self.port)
        return command_hook(self.command)


# -- wiring and unwiring -----------------------------------------------------


def wire(data: dict[str, Any], wiring: Wiring, force: bool, record: dict[str, Any]) -> dict[str, Any]:
    """Add our hook entries and status line to ``data`` in place; returns what changed.

    ``record`` (this scope's manifest entry) is updated with what was created.
    """
    done: dict[str, Any] = {"added": [], "updated": [], "removed": [], "status_line": "unchanged"}
    if "hooks" not in data:
        data["hooks"] = {}
        record["created_hooks"] = True
    hooks = data["hooks"]
    created_events = set(record.get("created_events", []))
    events = wiring.events
    for event in events:
        if event not in hooks:
            hooks[event] = []
            created_events.add(event)
        wanted = wiring.handler(event)
        found = False
        for group in hooks[event]:
            handlers = hook_handlers(group)
            for index, handler in enumerate(handlers):
                if entry_kind(handler) == "hook":
                    found = True
                    if handler != wanted:
                        handlers[index] = copy.deepcopy(wanted)
                        done["updated"].append(event)
        if not found:
            hooks[event].append(hook_entry(event, wanted))
            done["added"].append(event)
    for event in [e for e in hooks if e not in events]:  # also one an older Claude Code does not know
        if _unwire_event(hooks, event, created=True):
            done["removed"].append(event)
    record["created_events"] = sorted(created_events)

    wanted_line = status_line_entry(wiring.command)
    current = data.get("statusLine")
    if "statusLine" not in data:
        data["statusLine"] = wanted_line
        record["status_line"] = True
        done["status_line"] = "added"
    elif entry_kind(current) == "statusline":
        record["status_line"] = True
        if current["command"] != wanted_line["command"]:
            current["command"] = wanted_line["command"]
            done["status_line"] = "updated"
    elif force:
        record.setdefault("replaced_status_line", current)
        record["status_line"] = True
        data["statusLine"] = wanted_line
        done["status_line"] = "replaced"
    else:
        done["status_line"] = "kept foreign"
        done["foreign_status_line"] = current
    return done


def _unwire_event(hooks: dict[str, Any], event: str, created: bool) -> bool:
    """Remove our handlers from one event; drop groups (and the key, if ``created``) they emptied."""
    removed = False
    kept_groups = []
    for group in hooks[event]:
        handlers = hook_handlers(group)
        mine = [h for h in handlers if entry_kind(h) == "hook"]
        if mine:
            removed = True
            group["hooks"] = [h for h in handlers if entry_kind(h) != "hook"]
            if not group["hooks"]:
                continue
        kept_groups.append(group)
    hooks[event] = kept_groups
    if removed and created and not kept_groups:
        del hooks[event]
    return removed


def unwire(data: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """Remove our hook entries and status line from ``data`` in place; returns what changed.

    Without a manifest record (it was deleted), keys our removal emptied are
    assumed to be ours.
    """
    done: dict[str, Any] = {"added": [], "updated": [], "removed": [], "status_line": "unchanged"}
    hooks = data.get("hooks")
    if isinstance(hooks, dict):
        created = set(record.get("created_events", [])) if record is not None else None
        for event in list(hooks):
            if _unwire_event(hooks, event, created=created is None or event in created):
                done["removed"].append(event)
        if not hooks and (record is None or record.get("created_hooks")) and done["removed"]:
            del data["hooks"]
    if entry_kind(data.get("statusLine")) == "statusline":
        replaced = (record or {}).get("replaced_status_line")
        if replaced is not None:
            data["statusLine"] = replaced
            done["status_line"] = "restored"
        else:
            del data["statusLine"]
            done["status_line"] = "removed"
    return done
