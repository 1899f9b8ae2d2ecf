"""Wiring orchcore into Claude Code (``orch install``) and unwiring it (``orch uninstall``).

``orch install`` edits one settings file (the scope's) and renders what the
installed plugins provide (output styles, slash commands, agents) as Markdown
files under a ``.claude/`` folder. Both are planned first as a list of file
changes, so ``--dry-run`` can print the exact diff of what a real run writes.

**Two transports.** Claude Code can POST a hook event to a URL (an ``http``
hook) instead of starting a command; the resident runtime
(``orchcore.resident``) listens for those on 127.0.0.1, so most events cost
no process at all. ``orch install`` (project and local scope) wires
``HTTP_EVENTS`` as http hooks to a per-project port, with the project's
secret in a header, and keeps the rest as commands: SessionStart and Setup
(Claude Code runs no http hook for them) and the events only an exit code can
block. The secret (``ORCH_HOOK_TOKEN``) lives in ``.claude/settings.local.json``
under ``env``: never committed, and Claude Code fills the header from it. User
scope wires commands only (its settings apply to every project, and a port is
per project); ``--transport command`` does the same anywhere.

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

**What install created.** ``.claude/orchcore-manifest.json`` records the
hash of every file install rendered (so a file the user edited is never
overwritten or removed without ``--force``), the folders it created, and per
scope what it added to the settings file (the file itself, the ``hooks`` key,
event keys, the status line and the one it replaced). Uninstall reads it to
remove exactly that.

**Formatting.** Settings are rewritten with the indentation (2 or 4 spaces,
tabs), line endings and trailing newline of the existing file, keys in their
order. Uninstall restores the backup's exact bytes when the result holds the
same data as the backup (so even a hand-formatted file comes back
byte-identical), and deletes the file when install created it and nothing else
was added since.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
import secrets
import shlex
import socket
import sys
from pathlib import Path, PurePath
from typing import Any

import attrs

from orchcore.errors import OrchError
from orchcore.files import atomic_write
from orchcore.specs import AgentSpec, CommandSpec, ProgramSpec

SCOPES = ("project", "user", "local")

# The Claude Code events `orch hook` is wired to. Left out on purpose:
# - WorktreeCreate: its stdout is the new worktree's path; the router's usual
#   empty answer would make worktree creation fail.
# - MessageDisplay: fires for every batch of streamed assistant lines; a process
#   per line is too slow and there is nothing to orchestrate there.
# - FileChanged: its matcher is also the list of files to watch; "*" would be
#   meaningless and nothing in orchcore reacts to it.
# - Elicitation / ElicitationResult: their answers are MCP form data; an answer
#   we do not mean to give is risky and nothing in orchcore needs them.
# - WorktreeRemove / DirectoryAdded: nothing in orchcore reacts to them yet.
WIRED_EVENTS = (
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "PermissionRequest",
    "PermissionDenied",
    "UserPromptSubmit",
    "UserPromptExpansion",
    "SessionStart",
    "SessionEnd",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
    "Notification",
    "TaskCreated",
    "TaskCompleted",
    "TeammateIdle",
    "ConfigChange",
    "CwdChanged",
    "InstructionsLoaded",
    "Setup",
    "PreModelSwitch",
    "PostModelSwitch",
)

# Events whose entries take no matcher in Claude Code 2.1.x (REFERENCE.md §2,
# "Matcher on: —"); every other wired event gets "*" (match everything).
NO_MATCHER_EVENTS = frozenset(
    {"PostToolBatch", "UserPromptSubmit", "Stop", "TeammateIdle", "TaskCreated", "TaskCompleted", "CwdChanged"}
)

# Events Claude Code posts to the resident runtime (http hooks): all but those it runs
# no http hook for (SessionStart, Setup) and those only an exit code 2 can block.
COMMAND_ONLY_EVENTS = frozenset({"SessionStart", "Setup"})
EXIT_CODE_BLOCK_EVENTS = frozenset({"PreCompact", "TeammateIdle", "TaskCreated", "TaskCompleted", "ConfigChange"})
HTTP_EVENTS = tuple(e for e in WIRED_EVENTS if e not in COMMAND_ONLY_EVENTS | EXIT_CODE_BLOCK_EVENTS)
TRANSPORTS = ("http", "command")

HOOK_TIMEOUT_S = 30
HTTP_TIMEOUT_S = 10  # the runtime answers in milliseconds; a stuck one must not hold a tool call for long
TOKEN_VAR = "ORCH_HOOK_TOKEN"
HOOK_PATH = "/orchcore/hook"
PORT_RANGE = (20000, 60000)
_OUR_URL = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/orchcore/hook")
MANIFEST_NAME = "orchcore-manifest.json"
MANIFEST_VERSION = 1
BACKUP_SUFFIX = ".orchcore-backup"
_SAFE_NAME = re.compile(r"[\w][\w .-]*")


# -- where things are --------------------------------------------------------


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise OrchError(f"unknown scope {scope!r}; use project, user or local")
    return scope


def user_claude_dir() -> Path:
    """Claude Code's own folder: $CLAUDE_CONFIG_DIR, else ~/.claude."""
    env = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(env).expanduser() if env else Path.home() / ".claude"


def claude_dir(scope: str, project: Path) -> Path:
    """Where rendered files and the manifest go: the project's .claude, or the user's for user scope."""
    return user_claude_dir() if scope == "user" else project / ".claude"


def settings_file(scope: str, project: Path) -> Path:
    if scope == "user":
        return user_claude_dir() / "settings.json"
    name = "settings.local.json" if scope == "local" else "settings.json"
    return project / ".claude" / name


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


def command_kind(command: Any) -> str | None:
    """``"hook"`` or ``"statusline"`` when ``command`` runs orchcore's entry for it, else None."""
    if not isinstance(command, str):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 2 or words[-1] not in ("hook", "statusline") or not _is_launcher(words[:-1]):
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


# -- reading and writing files -----------------------------------------------


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


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class JsonStyle:
    """How an existing JSON file is laid out, so a rewrite looks like the original."""

    indent: int | str | None = 2
    newline: str = "\n"
    final_newline: bool = True

    @classmethod
    def of(cls, text: str | None) -> JsonStyle:
        if text is None or not text.strip():
            return cls()
        found = re.search(r"^([ \t]+)\S", text, re.M)
        indent: int | str | None = None
        if found:
            indent = "\t" if found.group(1).startswith("\t") else len(found.group(1))
        newline = "\r\n" if "\r\n" in text else "\n"
        return cls(indent=indent, newline=newline, final_newline=text.endswith("\n"))

    def dump(self, data: Any) -> str:
        text = json.dumps(data, indent=self.indent, ensure_ascii=False)
        if self.final_newline:
            text += "\n"
        return text.replace("\n", self.newline) if self.newline != "\n" else text


def parse_settings(path: Path, text: str | None) -> dict[str, Any]:
    """A settings file's object; refuses what we could not merge into safely."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OrchError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix it, then run the command again (the file was not changed)"
        ) from None
    if not isinstance(data, dict):
        raise OrchError(f"{path} must hold a JSON object, not {_json_type(data)}; the file was not changed")
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise OrchError(f'"hooks" in {path} must be an object, not {_json_type(hooks)}; the file was not changed')
    for event, entries in hooks.items():
        if not isinstance(entries, list):
            raise OrchError(
                f'"hooks.{event}" in {path} must be a list, not {_json_type(entries)}; the file was not changed'
            )
    return data


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# -- the manifest ------------------------------------------------------------


def manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


def read_manifest(folder: Path) -> dict[str, Any]:
    path = manifest_path(folder)
    text = read_text(path)
    empty = {"version": MANIFEST_VERSION, "files": {}, "dirs": [], "settings": {}}
    if text is None:
        return empty
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("files", {}), dict)
        or not isinstance(data.get("dirs", []), list)
        or not isinstance(data.get("settings", {}), dict)
        or not isinstance(data.get("token", {}), dict)
    ):
        raise OrchError(
            f"{path} is damaged, so orchcore cannot tell which files it wrote; "
            "move it aside and run `orch install --force`"
        )
    return {**empty, **data}


def dump_manifest(manifest: dict[str, Any]) -> str | None:
    """The manifest's text, or None when it records nothing (then it is removed)."""
    if not manifest["files"] and not manifest["settings"]:
        return None
    body = {
        "about": "Written by `orch install`: what it added, so `orch uninstall` removes exactly that. Do not edit.",
        "version": MANIFEST_VERSION,
        "files": dict(sorted(manifest["files"].items())),
        "dirs": sorted(set(manifest["dirs"])),
        "settings": dict(sorted(manifest["settings"].items())),
    }
    if manifest.get("token"):
        body["token"] = manifest["token"]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


# -- plans -------------------------------------------------------------------


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


# -- rendering what plugins provide ------------------------------------------


def _yaml_scalar(value: str | bool) -> str:
    """A frontmatter value: plain when YAML reads it back unchanged, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    plain = (
        re.fullmatch(r"[A-Za-z_(/][^\n#]*", value)
        and ": " not in value
        and not value.endswith((":", " "))
        and value.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def _markdown(front: list[tuple[str, str | bool]], body: str) -> str:
    head = "\n".join(["---", *(f"{key}: {_yaml_scalar(value)}" for key, value in front), "---"]) + "\n"
    body = body.strip("\n")
    return f"{head}\n{body}\n" if body else head


def render_output_style(spec: ProgramSpec) -> str:
    front: list[tuple[str, str | bool]] = [("name", spec.name), ("description", spec.description)]
    if spec.keep_coding_instructions:
        front.append(("keep-coding-instructions", True))
    return _markdown(front, spec.output_style)


def render_command(spec: CommandSpec) -> str:
    front: list[tuple[str, str | bool]] = [("description", spec.description)]
    if spec.allowed_tools:
        front.append(("allowed-tools", ", ".join(spec.allowed_tools)))
    if spec.argument_hint:
        front.append(("argument-hint", spec.argument_hint))
    return _markdown(front, spec.body)


def render_agent(spec: AgentSpec) -> str:
    front: list[tuple[str, str | bool]] = [("name", spec.name), ("description", spec.description)]
    if spec.tools:
        front.append(("tools", ", ".join(spec.tools)))
    if spec.model:
        front.append(("model", spec.model))
    return _markdown(front, spec.prompt)


# registration hook -> the spec type it returns, the folder under .claude/, how to render one
RENDERED = (
    ("orch_programs", ProgramSpec, "output-styles", render_output_style),
    ("orch_commands", CommandSpec, "commands", render_command),
    ("orch_agents", AgentSpec, "agents", render_agent),
)


def _file_name_parts(spec: Any) -> list[str]:
    """The path of a spec's file below its folder: <name>, or <folder>/<command> for commands."""
    if isinstance(spec, CommandSpec):
        return [spec.folder, spec.command] if spec.folder else [spec.command]
    return [spec.name]


def _safe(part: Any) -> bool:
    """A single file or folder name: no separators, no leading dot, nothing a path could escape with."""
    return isinstance(part, str) and bool(_SAFE_NAME.fullmatch(part)) and not part.endswith((" ", "."))


def provided_files(plugins: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Relative path -> text of every file the plugins provide, and the specs that cannot be written."""
    files: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    for hook, spec_type, folder, render in RENDERED:
        for name, spec in plugins.specs(hook).items():
            if not isinstance(spec, spec_type):
                got = type(spec).__name__
                problems.append({"path": name, "reason": f"{hook} returned a {got}, not a {spec_type.__name__}"})
                continue
            parts = _file_name_parts(spec)
            if not all(_safe(part) for part in parts):
                problems.append({"path": name, "reason": f"{'/'.join(map(str, parts))!r} cannot be a file name"})
                continue
            files["/".join([folder, *parts]) + ".md"] = render(spec)
    return files, problems


def _plan_files(
    folder: Path, manifest: dict[str, Any], wanted: dict[str, str], force: bool, plan: Plan
) -> dict[str, list[Any]]:
    """Plan writing ``wanted`` and removing what install wrote before but no plugin provides now."""
    report: dict[str, list[Any]] = {"written": [], "updated": [], "removed": [], "skipped": []}
    recorded: dict[str, str] = manifest["files"]
    for relative, text in sorted(wanted.items()):
        path = folder / relative
        current = read_text(path)
        if current == text:
            recorded[relative] = sha256(text)  # identical: safe to own
            continue
        theirs = current is not None and recorded.get(relative) != sha256(current)
        if theirs and not force:
            why = "edited since orch install wrote it" if relative in recorded else "not written by orch install"
            report["skipped"].append({"path": str(path), "reason": f"{why}; --force overwrites it"})
            continue
        for parent in _new_dirs(folder, path.parent):
            manifest["dirs"].append(parent.relative_to(folder).as_posix())
        plan.changes.append(Change(path, current, text, backup=theirs))
        report["written" if current is None else "updated"].append(str(path))
        recorded[relative] = sha256(text)
    stale = [r for r in recorded if r not in wanted]
    _plan_removals(folder, manifest, stale, force, plan, report)
    return report


def _plan_removals(
    folder: Path, manifest: dict[str, Any], relatives: list[str], force: bool, plan: Plan, report: dict[str, list[Any]]
) -> None:
    """Plan removing rendered files (unless edited), then the folders install created that are now unused."""
    recorded: dict[str, str] = manifest["files"]
    for relative in sorted(relatives):
        path = folder / relative
        current = read_text(path)
        if current is not None and sha256(current) != recorded[relative] and not force:
            report["skipped"].append({"path": str(path), "reason": "edited since orch install wrote it; kept"})
        elif current is not None:
            plan.changes.append(Change(path, current, None))
            report["removed"].append(str(path))
        del recorded[relative]  # either gone or the user's now
    used = {PurePath(r).parent.as_posix() for r in recorded}
    kept = []
    for relative in sorted(set(manifest["dirs"])):
        if any(u == relative or u.startswith(relative + "/") for u in used):
            kept.append(relative)
        else:
            plan.remove_dirs.append(folder / relative)  # removed only if empty
    manifest["dirs"] = kept


def _new_dirs(root: Path, folder: Path) -> list[Path]:
    """The folders between ``root`` and ``folder`` that do not exist yet."""
    missing = []
    while folder != root and root in folder.parents and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


# -- settings ----------------------------------------------------------------


def _handlers(group: Any) -> list[Any]:
    if isinstance(group, dict) and isinstance(group.get("hooks"), list):
        return group["hooks"]
    return []


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
    """How one scope reaches orch: the launcher of its commands, and http hooks to ``port`` or none."""

    command: str
    transport: str = "command"
    port: int | None = None

    def handler(self, event: str) -> dict[str, Any]:
        if self.transport == "http" and event in HTTP_EVENTS and self.port is not None:
            return http_hook(self.port)
        return command_hook(self.command)


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
    for event in WIRED_EVENTS:
        if event not in hooks:
            hooks[event] = []
            created_events.add(event)
        wanted = wiring.handler(event)
        found = False
        for group in hooks[event]:
            handlers = _handlers(group)
            for index, handler in enumerate(handlers):
                if entry_kind(handler) == "hook":
                    found = True
                    if handler != wanted:
                        handlers[index] = copy.deepcopy(wanted)
                        done["updated"].append(event)
        if not found:
            hooks[event].append(hook_entry(event, wanted))
            done["added"].append(event)
    for event in [e for e in hooks if e not in WIRED_EVENTS]:
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


def wired_port(data: dict[str, Any]) -> int | None:
    """The port our http hooks in these settings post to, if any."""
    hooks = data.get("hooks")
    for entries in hooks.values() if isinstance(hooks, dict) else ():
        for group in entries if isinstance(entries, list) else ():
            for handler in _handlers(group):
                if isinstance(handler, dict) and handler.get("type") == "http" and http_port(handler):
                    return http_port(handler)
    return None


def _unwire_event(hooks: dict[str, Any], event: str, created: bool) -> bool:
    """Remove our handlers from one event; drop groups (and the key, if ``created``) they emptied."""
    removed = False
    kept_groups = []
    for group in hooks[event]:
        handlers = _handlers(group)
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


def add_token(data: dict[str, Any], path: Path, record: dict[str, Any]) -> None:
    """Put the project's secret into ``env`` unless one is there; ``record`` notes what was created."""
    env = data.get("env")
    if env is None:
        env = data["env"] = {}
        record["created_env"] = True
    elif not isinstance(env, dict):
        raise OrchError(f'"env" in {path} must be an object, not {_json_type(env)}; the file was not changed')
    if isinstance(env.get(TOKEN_VAR), str) and env[TOKEN_VAR]:
        return
    env[TOKEN_VAR] = secrets.token_urlsafe(32)
    record["created_token"] = True


def remove_token(data: dict[str, Any], record: dict[str, Any]) -> None:
    """Take out what ``add_token`` put in, and nothing else."""
    env = data.get("env")
    if not isinstance(env, dict):
        return
    if record.get("created_token"):
        env.pop(TOKEN_VAR, None)
    if not env and record.get("created_env"):
        del data["env"]


def _settings_change(path: Path, text: str | None, data: dict[str, Any], created_file: bool) -> Change | None:
    """The change that writes ``data`` back in the file's own layout, None when nothing changes."""
    if text is None and not data:
        return None  # nothing to write into a file that is not there
    if text is not None and not data and created_file:
        return Change(path, text, None)
    new = JsonStyle.of(text).dump(data)
    backup = read_text(path.with_name(path.name + BACKUP_SUFFIX))
    if backup is not None and text is not None:
        try:
            if json.dumps(json.loads(backup)) == json.dumps(data):
                new = backup  # same data as before install: give back the exact bytes
        except json.JSONDecodeError:
            pass
    if new == text:
        return None
    return Change(path, text, new, backup=text is not None)


class SettingsEdits:
    """The settings files one plan changes: each read once, edited as data, written back in its own layout."""

    def __init__(self) -> None:
        self.files: dict[Path, tuple[str | None, dict[str, Any]]] = {}
        self.created: set[Path] = set()  # files install created, to delete when they become empty

    def data(self, path: Path) -> dict[str, Any]:
        if path not in self.files:
            text = read_text(path)
            self.files[path] = (text, copy.deepcopy(parse_settings(path, text)))
        return self.files[path][1]

    def existed(self, path: Path) -> bool:
        self.data(path)
        return self.files[path][0] is not None

    def changes(self) -> list[Change]:
        found = []
        for path, (text, data) in self.files.items():
            change = _settings_change(path, text, data, created_file=path in self.created)
            if change is not None:
                secret = isinstance(data.get("env"), dict) and TOKEN_VAR in data["env"]
                found.append(attrs.evolve(change, private=secret))
        return found


def _http_scopes(manifest: dict[str, Any]) -> list[str]:
    return [scope for scope, record in manifest["settings"].items() if record.get("transport") == "http"]


def _drop_token_if_unused(project: Path, manifest: dict[str, Any], edits: SettingsEdits) -> None:
    """The secret goes when the last scope wired with http hooks does."""
    token = manifest.get("token")
    if token is None or _http_scopes(manifest):
        return
    path = settings_file("local", project)
    remove_token(edits.data(path), token)
    if token.get("created_file"):
        edits.created.add(path)
    del manifest["token"]


# -- install and uninstall ---------------------------------------------------


def plan_install(
    runtime: Any, scope: str, force: bool = False, launcher: str | None = None,
    transport: str | None = None, port: int | None = None,
) -> Plan:
    """Everything ``orch install`` would change for this scope.

    ``launcher`` replaces this environment's command for orch in the wiring,
    e.g. ``"$CLAUDE_PROJECT_DIR"/.venv/bin/orch`` for settings committed with
    a project (Claude Code runs hook commands through a shell). ``transport``:
    ``http`` (default for project and local scope) or ``command``. ``port``:
    where the http hooks post; default: the port these settings use already,
    else one derived from the project's path.
    """
    project = Path(runtime.project)
    path = settings_file(check_scope(scope), project)
    folder = claude_dir(scope, project)
    command = launcher or orch_launcher()
    if command_kind(f"{command} hook") != "hook":
        raise OrchError(f"--launcher {command!r} does not start orch (its program must be named orch, "
                        "or be a Python running -m orchcore)")
    transport = transport or ("command" if scope == "user" else "http")
    if transport not in TRANSPORTS:
        raise OrchError(f"unknown transport {transport!r}; use http or command")
    if transport == "http" and scope == "user":
        raise OrchError("user settings apply to every project, and an http hook posts to one project's port: "
                        "use --scope project or local for http hooks, or --transport command")
    if port is not None and not PORT_RANGE[0] <= port < 65536:
        raise OrchError(f"--port {port}: choose a port from {PORT_RANGE[0]} to 65535")
    edits = SettingsEdits()
    data = edits.data(path)
    manifest = read_manifest(folder)
    old_manifest = dump_manifest(manifest)

    plan = Plan(scope=scope, settings=path)
    wanted, problems = provided_files(runtime.plugins)
    files = _plan_files(folder, manifest, wanted, force, plan)
    files["skipped"].extend(problems)

    record = copy.deepcopy(manifest["settings"].get(scope)) or {"created_file": not edits.existed(path)}
    record["file"] = path.name
    if transport == "http":
        port = port or wired_port(data) or default_port(project)
    wiring = Wiring(command, transport, port if transport == "http" else None)
    done = wire(data, wiring, force, record)
    record["transport"] = transport
    manifest["settings"][scope] = record
    if transport == "http":
        local = settings_file("local", project)
        token = manifest.get("token") or {"file": local.name, "created_file": not edits.existed(local)}
        add_token(edits.data(local), local, token)
        manifest["token"] = token
    else:
        _drop_token_if_unused(project, manifest, edits)
    plan.changes.extend(edits.changes())
    _plan_manifest(folder, old_manifest, manifest, plan)

    settings_change = next((c for c in plan.changes if c.path == path), None)
    plan.summary = {
        "command": "install",
        "scope": scope,
        "settings": str(path),
        "transport": transport,
        "port": wiring.port,
        "hook_command": f"{command} hook",
        "hooks": {k: done[k] for k in ("added", "updated", "removed")},
        "status_line": done["status_line"],
        "files": files,
        "backup": str(path) + BACKUP_SUFFIX if settings_change is not None and settings_change.backup else None,
    }
    if "foreign_status_line" in done:
        plan.summary["foreign_status_line"] = done["foreign_status_line"]
    plan.summary["changed"] = plan.changed
    return plan


def plan_uninstall(runtime: Any, scope: str) -> Plan:
    """Everything ``orch uninstall`` would change for this scope."""
    project = Path(runtime.project)
    path = settings_file(check_scope(scope), project)
    folder = claude_dir(scope, project)
    edits = SettingsEdits()
    exists = edits.existed(path)
    manifest = read_manifest(folder)
    old_manifest = dump_manifest(manifest)

    plan = Plan(scope=scope, settings=path)
    record = manifest["settings"].pop(scope, None)
    done = unwire(edits.data(path), record)
    if record and record.get("created_file"):
        edits.created.add(path)
    if scope != "user":
        _drop_token_if_unused(project, manifest, edits)
    if not exists:
        edits.files.pop(path)  # nothing to write back into a file that is not there
    plan.changes.extend(edits.changes())

    files: dict[str, list[Any]] = {"written": [], "updated": [], "removed": [], "skipped": []}
    if not manifest["settings"]:  # rendered files are shared by the scopes using this folder
        _plan_removals(folder, manifest, list(manifest["files"]), False, plan, files)
    _plan_manifest(folder, old_manifest, manifest, plan)

    plan.summary = {
        "command": "uninstall",
        "scope": scope,
        "settings": str(path),
        "hooks": {k: done[k] for k in ("added", "updated", "removed")},
        "status_line": done["status_line"],
        "files": files,
        "changed": plan.changed,
    }
    return plan


@attrs.frozen
class Endpoint:
    """Where the project's http hooks post, and the secret they carry (what the resident runtime serves)."""

    port: int
    token: str | None


def http_endpoint(project: Path, env: Any) -> Endpoint | None:
    """The project's http hook wiring as Claude Code will see it: local settings over project settings.

    The secret is read the way Claude Code fills the header: the ``env`` of
    local over project over user settings, else the process environment.
    """
    port = None
    token = None
    for scope in ("user", "project", "local"):
        file = settings_file(scope, project)
        try:
            data = parse_settings(file, read_text(file))
        except OrchError:
            continue
        if scope != "user":
            port = wired_port(data) or port
        block = data.get("env")
        if isinstance(block, dict) and isinstance(block.get(TOKEN_VAR), str) and block[TOKEN_VAR]:
            token = block[TOKEN_VAR]
    if port is None:
        return None
    return Endpoint(port, token or env.get(TOKEN_VAR) or None)


def _plan_manifest(folder: Path, old: str | None, manifest: dict[str, Any], plan: Plan) -> None:
    new = dump_manifest(manifest)
    if new != old:
        plan.changes.append(Change(manifest_path(folder), old, new))
