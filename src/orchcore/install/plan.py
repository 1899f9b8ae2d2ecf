"""Planning ``orch install`` and ``orch uninstall`` for one scope: every file change, and a summary.

Install edits one settings file (the scope's), the local settings for the
http hooks' secret, the rendered files under the scope's ``.claude/`` and
the manifest; uninstall takes out what the manifest says install added.
"""

from __future__ import annotations

import copy
from pathlib import Path, PurePath
from typing import Any

from orchcore.errors import OrchError
from orchcore.install.changes import BACKUP_SUFFIX, Change, Plan, read_text
from orchcore.install.endpoint import add_token, remove_token
from orchcore.install.links import check_links
from orchcore.install.mcp import MCP_SCOPES, unwire_mcp, wire_mcp
from orchcore.install.manifest import dump_manifest, manifest_path, read_manifest, sha256
from orchcore.install.render import provided_files
from orchcore.install.scopes import check_scope, claude_dir, settings_file
from orchcore.install.settings import SettingsEdits, holds_orchcore, parse_settings
from orchcore.install.events import WIRED_EVENTS
from orchcore.install.wiring import (
    PORT_RANGE,
    TRANSPORTS,
    Wiring,
    claude_code_version,
    command_kind,
    default_port,
    orch_launcher,
    unwire,
    wire,
    wired_port,
)


def plan_install(
    runtime: Any, scope: str, force: bool = False, launcher: str | None = None,
    transport: str | None = None, port: int | None = None, mcp: bool = True,
) -> Plan:
    """Everything ``orch install`` would change for this scope.

    ``launcher`` replaces this environment's command for orch in the wiring,
    e.g. ``"$CLAUDE_PROJECT_DIR"/.venv/bin/orch`` for settings committed with
    a project (Claude Code runs hook commands through a shell). ``transport``:
    ``http`` (default for project and local scope) or ``command``. ``port``:
    where the http hooks post; default: the port these settings use already,
    else one derived from the project's path. ``mcp``: add the ``orch mcp``
    server (``orchcore.install.mcp``; project scope only); False takes out one
    an earlier install added.
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
    wiring = Wiring(command, transport, port if transport == "http" else None, claude_code_version())
    done = wire(data, wiring, force, record)
    record["transport"] = transport
    mcp_summary = _plan_mcp(project, scope, command, data, path, manifest, record, mcp, plan)
    manifest["settings"][scope] = record
    if transport == "http":
        local = settings_file("local", project)
        token = manifest.get("token") or {"file": local.name, "created_file": not edits.existed(local)}
        add_token(edits.data(local), local, token)
        manifest["token"] = token
    else:
        _drop_token_if_unused(project, manifest, edits)
    plan.changes.extend(edits.changes())
    plan.fallback = _plan_manifest(folder, old_manifest, manifest, plan)

    settings_change = next((c for c in plan.changes if c.path == path), None)
    plan.summary = {
        "command": "install",
        "scope": scope,
        "settings": str(path),
        "transport": transport,
        "port": wiring.port,
        "hook_command": f"{command} hook",
        "hooks": {k: done[k] for k in ("added", "updated", "removed")},
        "claude_code": wiring.claude_version,  # None: not known, every event wired
        "events_left_out": [e for e in WIRED_EVENTS if e not in wiring.events],  # newer than that Claude Code
        "status_line": done["status_line"],
        "files": files,
        "mcp": mcp_summary,
        "backup": str(path) + BACKUP_SUFFIX if settings_change is not None and settings_change.backup else None,
    }
    if "foreign_status_line" in done:
        plan.summary["foreign_status_line"] = done["foreign_status_line"]
    plan.summary["changed"] = plan.changed
    plan.summary["links"] = check_links(plan, _root(scope, project, folder))
    return plan


def plan_uninstall(runtime: Any, scope: str, keep_backup: bool = False) -> Plan:
    """Everything ``orch uninstall`` would change for this scope.

    The backups install made of the settings files it takes orchcore out of
    are removed, unless ``keep_backup``; one that holds orchcore's wiring (an
    older orchcore wrote those) is removed even then.
    """
    project = Path(runtime.project)
    path = settings_file(check_scope(scope), project)
    folder = claude_dir(scope, project)
    edits = SettingsEdits(backup=False)
    exists = edits.existed(path)
    manifest = read_manifest(folder)
    old_manifest = dump_manifest(manifest)

    plan = Plan(scope=scope, settings=path)
    record = manifest["settings"].pop(scope, None)
    done = unwire(edits.data(path), record)
    mcp_summary: dict[str, Any] = {"server": "unchanged"}
    if manifest.get("mcp", {}).get("scope") == scope or (record or {}).get("mcp"):
        change, mcp_summary = unwire_mcp(project, edits.data(path), manifest.pop("mcp", None), record)
        if change is not None:
            plan.changes.append(change)
    if record and record.get("created_file"):
        edits.created.add(path)
    if scope != "user":
        _drop_token_if_unused(project, manifest, edits)
    if not exists:
        edits.files.pop(path)  # nothing to write back into a file that is not there
    plan.changes.extend(edits.changes())
    backups = _plan_backup_removals(edits, keep_backup, plan)

    files: dict[str, list[Any]] = {"written": [], "updated": [], "removed": [], "restored": [], "skipped": []}
    if not manifest["settings"]:  # rendered files are shared by the scopes using this folder
        _plan_removals(folder, manifest, list(manifest["files"]), False, plan, files, uninstall=True)
        backups += _plan_rendered_backups(files["restored"], keep_backup, plan)
    _plan_manifest(folder, old_manifest, manifest, plan)

    plan.summary = {
        "command": "uninstall",
        "scope": scope,
        "settings": str(path),
        "hooks": {k: done[k] for k in ("added", "updated", "removed")},
        "status_line": done["status_line"],
        "files": files,
        "mcp": mcp_summary,
        "backups_removed": backups,
        "changed": plan.changed,
    }
    plan.summary["links"] = check_links(plan, _root(scope, project, folder))
    return plan


def _backup(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _plan_rendered_backups(restored: list[str], keep_backup: bool, plan: Plan) -> list[str]:
    """Remove the backups of the rendered files uninstall put back, unless ``keep_backup``."""
    if keep_backup:
        return []
    for path in restored:
        backup = _backup(Path(path))
        plan.changes.append(Change(backup, read_text(backup), None))
    return [str(_backup(Path(path))) for path in restored]


def _root(scope: str, project: Path, folder: Path) -> Path:
    """The folder no write may leave through a symlink: the user's Claude folder, or the project."""
    return folder if scope == "user" else project


def _plan_backup_removals(edits: SettingsEdits, keep_backup: bool, plan: Plan) -> list[str]:
    """Remove the backups of the settings files that no longer hold any of orchcore's wiring."""
    removed = []
    for path, (_, data) in edits.files.items():
        if holds_orchcore(data):
            continue  # another scope still wires orchcore here: its backup is still the way back
        backup = _backup(path)
        text = read_text(backup)
        if text is None:
            continue
        try:
            ours = holds_orchcore(parse_settings(backup, text))
        except OrchError:
            ours = False  # not settings we can read: the user's, keep it unless asked not to
        if keep_backup and not ours:
            continue
        plan.changes.append(Change(backup, text, None))
        removed.append(str(backup))
    return removed


# -- the MCP server ----------------------------------------------------------


def _plan_mcp(
    project: Path, scope: str, command: str, data: dict[str, Any], path: Path, manifest: dict[str, Any],
    record: dict[str, Any], wanted: bool, plan: Plan,
) -> dict[str, Any]:
    """Wire ``orch mcp`` for this scope (project scope only), or take out what an earlier install added."""
    if wanted and scope in MCP_SCOPES:
        change, manifest_mcp, summary = wire_mcp(project, command, data, path, manifest.get("mcp"), record)
        manifest_mcp["scope"] = scope
        manifest["mcp"] = manifest_mcp
        record["mcp"] = True
    else:
        ours = manifest.get("mcp", {}).get("scope") == scope
        change, summary = unwire_mcp(project, data, manifest.pop("mcp", None) if ours else None, record)
        for key in [k for k in record if k == "mcp" or k.endswith(("enabled_server", "allowed_tools"))]:
            del record[key]
        if wanted:
            summary = {"server": f"not wired in {scope} scope: Claude Code keeps {scope} MCP servers in "
                       "~/.claude.json, which orchcore does not rewrite; "
                       f"`claude mcp add --scope {scope} orchcore -- {command} mcp` adds it"}
        elif summary.get("server") == "unchanged":
            summary = {"server": "unchanged"}  # left out (--no-mcp), and nothing of ours to take out
    if change is not None:
        plan.changes.append(change)
    return summary


# -- the secret --------------------------------------------------------------


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


# -- rendered files and the manifest -----------------------------------------


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
    folder: Path, manifest: dict[str, Any], relatives: list[str], force: bool, plan: Plan, report: dict[str, list[Any]],
    uninstall: bool = False,
) -> None:
    """Plan removing rendered files (unless edited), then the folders install created that are now unused.

    On uninstall, a file ``install --force`` replaced gets its backup back in place of ours.
    """
    recorded: dict[str, str] = manifest["files"]
    for relative in sorted(relatives):
        path = folder / relative
        current = read_text(path)
        if current is not None and sha256(current) != recorded[relative] and not force:
            report["skipped"].append({"path": str(path), "reason": "edited since orch install wrote it; kept"})
        elif current is not None:
            saved = read_text(_backup(path)) if uninstall else None
            plan.changes.append(Change(path, current, saved))
            report["removed" if saved is None else "restored"].append(str(path))
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


def _plan_manifest(folder: Path, old: str | None, manifest: dict[str, Any], plan: Plan) -> Change | None:
    new = dump_manifest(manifest)
    if new == old:
        return None
    change = Change(manifest_path(folder), old, new)
    plan.changes.append(change)
    return change
