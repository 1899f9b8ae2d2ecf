"""orchcore's MCP server (``orch mcp``) in the project's ``.mcp.json``, enabled and allowed in settings.

Claude Code starts a project's ``.mcp.json`` server only once settings enable
it, and asks before each tool call unless a permission rule allows it. So
install adds three things and uninstall takes out exactly those:

* ``mcpServers.orchcore`` in ``.mcp.json``: ``{"command": …, "args": [… "mcp"]}``,
  the launcher the hooks use, in exec form (through ``sh -c`` when it names
  ``$CLAUDE_PROJECT_DIR``: see ``server_entry``);
* ``"orchcore"`` in the settings' ``enabledMcpjsonServers`` (never
  ``enableAllProjectMcpServers``: that would enable the user's other servers too);
* ``mcp__orchcore__*`` in the settings' ``permissions.allow``.

An ``orchcore`` server that is not an orch launcher is the user's: kept,
reported, and then nothing is enabled or allowed for it. Only project scope
wires the server: user and local servers live in ``~/.claude.json``, Claude
Code's own state file, which orchcore does not rewrite (``claude mcp add``
does that; the summary says how).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from orchcore import jsonlimits
from orchcore.errors import JsonTooDeep, OrchError
from orchcore.install.changes import Change, read_text
from orchcore.install.settings import json_type
from orchcore.install.wiring import command_kind
from orchcore.jsonstyle import JsonStyle

MCP_FILE = ".mcp.json"
SERVER = "orchcore"
PERMISSION = f"mcp__{SERVER}__*"
MCP_SCOPES = ("project",)


def mcp_file(project: Path) -> Path:
    return project / MCP_FILE


def server_entry(launcher: str) -> dict[str, Any]:
    """The launcher as exec form; one that names ``$CLAUDE_PROJECT_DIR`` runs through ``sh -c``.

    Claude Code 2.1.328 expands ``${VAR}`` in ``.mcp.json`` from its own
    environment, where ``CLAUDE_PROJECT_DIR`` is not set ("Missing environment
    variables: CLAUDE_PROJECT_DIR", and the server does not start); it sets the
    variable only for the server it starts. So the shell expands it there
    (``$CLAUDE_PROJECT_DIR``, without braces, which Claude Code leaves alone).
    """
    if "CLAUDE_PROJECT_DIR" in launcher:
        script = launcher.replace("${CLAUDE_PROJECT_DIR}", "$CLAUDE_PROJECT_DIR")
        return {"command": "sh", "args": ["-c", f"exec {script} mcp"]}
    words = shlex.split(launcher)
    return {"command": words[0], "args": [*words[1:], "mcp"]}


def is_ours(entry: Any) -> bool:
    """Whether a ``mcpServers`` entry starts ``orch mcp`` (any orch launcher, as the hooks are recognised)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("command"), str):
        return False
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return False
    if entry["command"] == "sh" and len(args) == 2 and args[0] == "-c" and args[1].startswith("exec "):
        return command_kind(args[1].removeprefix("exec ")) == "mcp"
    return command_kind(shlex.join([entry["command"], *args])) == "mcp"


def parse_mcp(path: Path, text: str | None) -> dict[str, Any]:
    """``.mcp.json``'s object; a one-line error for what we could not merge into safely."""
    if text is None or not text.strip():
        return {}
    try:
        data = jsonlimits.loads(text, str(path))
    except json.JSONDecodeError as exc:
        raise OrchError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix it, "
                        "or run `orch install --no-mcp` (nothing was changed)") from None
    except JsonTooDeep as exc:
        raise OrchError(f"{exc}; nothing was changed") from None
    if not isinstance(data, dict):
        raise OrchError(f"{path} must hold a JSON object, not {json_type(data)}; nothing was changed")
    if not isinstance(data.get("mcpServers", {}), dict):
        raise OrchError(f'"mcpServers" in {path} must be an object, not {json_type(data["mcpServers"])}; '
                        "nothing was changed")
    return data


def _write_back(path: Path, text: str | None, data: dict[str, Any], record: dict[str, Any]) -> Change | None:
    """The change writing ``data`` in the file's own layout; the exact old bytes when the data is as it was."""
    if record.get("created_file") and not data:
        return Change(path, text, None) if text is not None else None
    original = record.get("original")
    new = JsonStyle.of(text).dump(data)
    if isinstance(original, str):
        try:
            if jsonlimits.loads(original, "the original") == data:
                new = original
        except (json.JSONDecodeError, JsonTooDeep):
            pass
    return None if new == text else Change(path, text, new)


def wire_mcp(project: Path, launcher: str, settings: dict[str, Any], settings_path: Path,
             record: dict[str, Any] | None, scope_record: dict[str, Any]) -> tuple[Change | None, dict[str, Any], dict[str, Any]]:
    """Add the server to ``.mcp.json`` and enable and allow it in ``settings`` (in place).

    ``record`` is the manifest's ``mcp`` entry (None before the first
    install); ``scope_record`` the scope's settings entry, noting what was
    added to the settings. Returns the ``.mcp.json`` change, the new record
    and the summary.
    """
    path = mcp_file(project)
    text = read_text(path)
    data = parse_mcp(path, text)
    record = dict(record) if record else {"file": MCP_FILE, "created_file": text is None}
    if text is not None and "original" not in record and not record.get("created_file"):
        record["original"] = text  # the file as it was before orchcore: uninstall gives back these bytes
    wanted = server_entry(launcher)
    if "mcpServers" not in data:
        data["mcpServers"] = {}
        record["created_servers"] = True
    servers = data["mcpServers"]
    current = servers.get(SERVER)
    summary: dict[str, Any] = {"file": str(path), "server": "unchanged"}
    if current is not None and not is_ours(current):
        summary["server"] = "kept foreign"
        summary["foreign_server"] = current
        if record.get("created_servers") and not servers:
            del data["mcpServers"]
        return None, record, summary
    if current is None:
        servers[SERVER] = wanted
        summary["server"] = "added"
    elif current != wanted:
        servers[SERVER] = {**current, **wanted}
        summary["server"] = "updated"
    summary["enabled"] = _add_to_list(settings, settings_path, ("enabledMcpjsonServers",), SERVER, scope_record,
                                      "enabled_server")
    summary["permission"] = _add_to_list(settings, settings_path, ("permissions", "allow"), PERMISSION, scope_record,
                                         "allowed_tools")
    return _write_back(path, text, data, record), record, summary


def unwire_mcp(project: Path, settings: dict[str, Any] | None, record: dict[str, Any] | None,
               scope_record: dict[str, Any] | None) -> tuple[Change | None, dict[str, Any]]:
    """Take out what ``wire_mcp`` added: the server (when ours), the enabling and the permission rule."""
    summary: dict[str, Any] = {"server": "unchanged"}
    if settings is not None and scope_record:
        _remove_from_list(settings, ("enabledMcpjsonServers",), SERVER, scope_record, "enabled_server")
        _remove_from_list(settings, ("permissions", "allow"), PERMISSION, scope_record, "allowed_tools")
    if record is None:
        return None, summary
    path = mcp_file(project)
    text = read_text(path)
    summary["file"] = str(path)
    try:
        data = parse_mcp(path, text)
    except OrchError:
        summary["server"] = "kept (the file is not valid JSON now)"
        return None, summary
    servers = data.get("mcpServers")
    if isinstance(servers, dict) and is_ours(servers.get(SERVER)):
        del servers[SERVER]
        summary["server"] = "removed"
        if not servers and record.get("created_servers"):
            del data["mcpServers"]
    return _write_back(path, text, data, record), summary


def _container(settings: dict[str, Any], path: Path, keys: tuple[str, ...], scope_record: dict[str, Any],
               mark: str) -> list[Any]:
    """The list at ``keys`` (e.g. ``permissions.allow``), created (and noted in ``scope_record``) when absent."""
    node = settings
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if key not in node:
            node[key] = [] if last else {}
            scope_record.setdefault(f"created_{mark}", []).append(".".join(keys[: depth + 1]))
        node = node[key]
        if not isinstance(node, list if last else dict):
            kind = "a list" if last else "an object"
            raise OrchError(f'"{".".join(keys[: depth + 1])}" in {path} must be {kind}, not {json_type(node)}; '
                            "the file was not changed")
    return node


def _add_to_list(settings: dict[str, Any], path: Path, keys: tuple[str, ...], value: str,
                 scope_record: dict[str, Any], mark: str) -> str:
    items = _container(settings, path, keys, scope_record, mark)
    if value in items:
        return "unchanged" if scope_record.get(mark) else "already there"
    items.append(value)
    scope_record[mark] = True
    return "added"


def _remove_from_list(settings: dict[str, Any], keys: tuple[str, ...], value: str, scope_record: dict[str, Any],
                      mark: str) -> None:
    """Remove ``value`` if install added it, then the keys install created that are now empty (innermost first)."""
    nodes: list[tuple[dict[str, Any], str]] = []
    node: Any = settings
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return
        nodes.append((node, key))
        node = node[key]
    if scope_record.get(mark) and isinstance(node, list) and value in node:
        node.remove(value)
    created = set(scope_record.get(f"created_{mark}", []))
    for depth in range(len(nodes) - 1, -1, -1):
        parent, key = nodes[depth]
        if ".".join(keys[: depth + 1]) in created and not parent[key]:
            del parent[key]
