"""Wiring orchcore into Claude Code (``orch install``) and unwiring it (``orch uninstall``).

``orch install`` edits one settings file (the scope's) and renders what the
installed plugins provide (output styles, slash commands, agents) as Markdown
files under a ``.claude/`` folder. Both are planned first as a list of file
changes, so ``--dry-run`` can print the exact diff of what a real run writes.

One concept per module; everything the CLI, ``orch doctor`` and the resident
runtime use is importable from here:

* ``scopes``: project, user and local scope, and where each keeps its files;
* ``events``: which of Claude Code's events (``orchcore.protocol``) are wired, and how;
* ``wiring``: our hook entries and status line: the launcher, recognising ours, wire and unwire;
* ``endpoint``: the port the http hooks post to and the secret they carry;
* ``settings``: settings files merged as data and written back in their own layout;
* ``mcp``: the ``orch mcp`` server in ``.mcp.json``, enabled and allowed in the settings;
* ``manifest``: what install created, so uninstall removes exactly that;
* ``render``: the Markdown of output styles, commands and agents;
* ``changes``: a plan's file changes, its diff, and carrying it out (all or nothing);
* ``links``: symlinks on the way to a file: followed inside the project, refused outside;
* ``plan``: ``plan_install`` and ``plan_uninstall``.
"""

from __future__ import annotations

from orchcore.install.changes import BACKUP_SUFFIX, Change, Plan, apply, read_text
from orchcore.install.endpoint import Endpoint, add_token, http_endpoint, remove_token
from orchcore.install.events import (
    COMMAND_ONLY_EVENTS,
    EXIT_CODE_BLOCK_EVENTS,
    HTTP_EVENTS,
    NO_MATCHER_EVENTS,
    UNWIRED_EVENTS,
    WIRED_EVENTS,
    wired_events,
)
from orchcore.install.links import check_links
from orchcore.install.manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    dump_manifest,
    manifest_path,
    read_manifest,
    sha256,
)
from orchcore.install.plan import plan_install, plan_uninstall
from orchcore.install.render import RENDERED, provided_files, render_agent, render_command, render_output_style
from orchcore.install.scopes import SCOPES, check_scope, claude_dir, settings_file, user_claude_dir
from orchcore.install.settings import JsonStyle, SettingsEdits, holds_orchcore, json_type, parse_settings
from orchcore.install.wiring import (
    HOOK_PATH,
    HOOK_TIMEOUT_S,
    HTTP_TIMEOUT_S,
    LAUNCH_CODE,
    PORT_RANGE,
    TOKEN_VAR,
    TRANSPORTS,
    Wiring,
    command_hook,
    command_kind,
    default_port,
    entry_kind,
    hook_entry,
    hook_handlers,
    http_hook,
    http_port,
    orch_launcher,
    status_line_entry,
    unwire,
    wire,
    wired_port,
)

__all__ = [
    "BACKUP_SUFFIX", "COMMAND_ONLY_EVENTS", "EXIT_CODE_BLOCK_EVENTS", "HOOK_PATH", "HOOK_TIMEOUT_S", "HTTP_EVENTS",
    "HTTP_TIMEOUT_S", "LAUNCH_CODE", "MANIFEST_NAME", "MANIFEST_VERSION", "NO_MATCHER_EVENTS", "PORT_RANGE",
    "RENDERED", "SCOPES", "TOKEN_VAR", "TRANSPORTS", "UNWIRED_EVENTS", "WIRED_EVENTS",
    "Change", "Endpoint", "JsonStyle", "Plan", "SettingsEdits", "Wiring",
    "add_token", "apply", "check_links", "check_scope", "claude_dir", "command_hook", "command_kind", "default_port",
    "dump_manifest", "entry_kind", "holds_orchcore", "hook_entry", "hook_handlers", "http_endpoint", "http_hook",
    "http_port", "wired_events",
    "json_type", "manifest_path", "orch_launcher", "parse_settings", "plan_install", "plan_uninstall",
    "provided_files", "read_manifest", "read_text", "remove_token", "render_agent", "render_command",
    "render_output_style", "settings_file", "sha256", "status_line_entry", "unwire", "user_claude_dir", "wire",
    "wired_port",
]
