"""orchcore as a native Claude Code plugin (``orch export claude-plugin DIR``).

Claude Code installs extensions as plugins from marketplaces. The export
writes one plugin folder holding what ``orch install`` would put into a
project, so that one ``claude plugin install`` brings orchcore to every
project without touching their settings:

* ``hooks/hooks.json``: every event ``orch install`` wires, as command hooks
  calling this environment's orch by absolute path, built by the same
  ``wire`` as ``orch install --transport command`` (a plugin is not tied to
  one project, so there is no per-project port for http hooks);
* ``commands/``, ``agents/``, ``output-styles/``: what the installed plugins
  provide, rendered as ``orch install`` renders them into ``.claude/``
  (Claude Code names them ``/<plugin>:<folder>:<name>`` and ``<plugin>:<agent>``);
* ``.mcp.json``: the ``orch mcp`` server, in the form install writes;
* ``bin/orch``: a wrapper starting that same orch; Claude Code puts a
  plugin's ``bin/`` on the PATH of its shell, so the commands'
  `` !`orch …` `` lines find orch with no virtual environment activated;
* ``.claude-plugin/plugin.json`` and a README.

With ``marketplace``, DIR is a marketplace folder (``.claude-plugin/marketplace.json``)
holding the plugin under ``plugins/<name>``. A plugin cannot set the main
status line: ``status_line_entry`` is the settings line the export prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs

from orchcore import __version__
from orchcore.errors import OrchError
from orchcore.install.events import WIRED_EVENTS
from orchcore.install.mcp import SERVER, server_entry
from orchcore.install.render import provided_files
from orchcore.install.wiring import Wiring, orch_launcher, status_line_entry, wire

DEFAULT_NAME = "orchcore"
PLUGIN_MANIFEST = ".claude-plugin/plugin.json"
MARKETPLACE_MANIFEST = ".claude-plugin/marketplace.json"
EXECUTABLES = frozenset({"bin/orch"})
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
DESCRIPTION = ("Session-aware orchestration for Claude Code: orchcore's hook router, programs (output styles), "
               "slash commands, agents and MCP tools, from the orchcore installed on this machine.")


@attrs.frozen
class PluginExport:
    """What an export writes: every file by its path below ``root``, and what to tell the user."""

    root: Path
    name: str
    marketplace: str | None
    files: dict[str, str]
    launcher: str
    skipped: list[dict[str, str]]

    @property
    def plugin_dir(self) -> Path:
        return self.root / "plugins" / self.name if self.marketplace else self.root

    @property
    def status_line(self) -> dict[str, Any]:
        """The ``statusLine`` settings entry a user adds by hand: plugins cannot set it."""
        return status_line_entry(self.launcher)

    def summary(self) -> dict[str, Any]:
        counts = {folder: sum(path.startswith(self._in_plugin(f"{folder}/")) for path in self.files)
                  for folder in ("commands", "agents", "output-styles")}
        return {
            "dir": str(self.root),
            "plugin": self.name,
            "plugin_dir": str(self.plugin_dir),
            "marketplace": self.marketplace,
            "install": f"{self.name}@{self.marketplace}" if self.marketplace else None,
            "hook_command": f"{self.launcher} hook",
            "hooks": list(WIRED_EVENTS),  # wire() adds an entry for each
            **counts,
            "files": sorted(self.files),
            "skipped": self.skipped,
            "status_line": {"statusLine": self.status_line},
        }

    def _in_plugin(self, relative: str) -> str:
        return f"plugins/{self.name}/{relative}" if self.marketplace else relative


def check_name(name: str) -> str:
    """Claude Code uses the plugin's name as its namespace (``/orchcore:…``): lower-case letters, digits, dashes."""
    if not _NAME.fullmatch(name):
        raise OrchError(f"plugin name {name!r}: use lower-case letters, digits and dashes (e.g. orchcore)")
    return name


def plugin_files(plugins: Any, name: str, launcher: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The plugin folder's files by relative path, and the specs that cannot be written (as install skips them)."""
    rendered, skipped = provided_files(plugins)
    settings: dict[str, Any] = {}
    wire(settings, Wiring(launcher), force=False, record={})
    files = {
        PLUGIN_MANIFEST: _json({
            "name": name,
            "version": __version__,
            "description": DESCRIPTION,
            "author": {"name": "orchcore"},
            "license": "MIT",
            "keywords": ["orchestration", "hooks", "sessions", "status-line"],
        }),
        "hooks/hooks.json": _json({"description": "orchcore's hook router (orch hook) for every event it routes",
                                   "hooks": settings["hooks"]}),
        ".mcp.json": _json({"mcpServers": {SERVER: server_entry(launcher)}}),
        "bin/orch": f"#!/bin/sh\n# the orch this plugin was exported from\nexec {launcher} \"$@\"\n",
        "README.md": _readme(name, launcher),
        **rendered,
    }
    return files, skipped


def marketplace_file(marketplace: str, name: str) -> str:
    return _json({
        "name": marketplace,
        "owner": {"name": "orchcore"},
        "description": "orchcore exported from this machine's installation (orch export claude-plugin --marketplace)",
        "plugins": [{"name": name, "source": f"./plugins/{name}", "description": DESCRIPTION, "version": __version__}],
    })


def plan_export(plugins: Any, root: Path, name: str = DEFAULT_NAME, marketplace: bool = False) -> PluginExport:
    """Everything the export writes into ``root``; nothing is written yet."""
    check_name(name)
    command = orch_launcher()
    files, skipped = plugin_files(plugins, name, command)
    market = f"{name}-local" if marketplace else None
    if market is not None:
        files = {f"plugins/{name}/{path}": text for path, text in files.items()}
        files[MARKETPLACE_MANIFEST] = marketplace_file(market, name)
    return PluginExport(root=root, name=name, marketplace=market, files=files, launcher=command, skipped=skipped)


def write_export(export: PluginExport, force: bool = False) -> None:
    """Write the export into a new folder beside ``root``, then put it in place: all or nothing.

    ``root`` must be absent or empty; ``force`` replaces an earlier export
    (a folder holding a plugin or marketplace manifest), never any other folder.
    """
    root = export.root
    if root.exists() and not root.is_dir():
        raise OrchError(f"{root} is a file, not a folder; choose another DIR")
    replacing = root.is_dir() and any(root.iterdir())
    if replacing and not force:
        raise OrchError(f"{root} is not empty; --force replaces an earlier export there")
    if replacing and not ((root / PLUGIN_MANIFEST).is_file() or (root / MARKETPLACE_MANIFEST).is_file()):
        raise OrchError(f"{root} holds no {PLUGIN_MANIFEST} or {MARKETPLACE_MANIFEST}, so it is not an earlier "
                        "export; --force replaces only those (nothing was changed)")
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.export-"))
    except OSError as exc:
        raise OrchError(f"cannot create {root}: {exc.strerror}") from None
    try:
        for relative, text in sorted(export.files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if relative.removeprefix(f"plugins/{export.name}/") in EXECUTABLES:
                path.chmod(0o755)
        staging.chmod(0o755)
        _put_in_place(staging, root)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OrchError(f"cannot write the plugin into {root}: {exc.strerror or exc}; nothing was changed") from None


def _put_in_place(staging: Path, root: Path) -> None:
    """``staging`` becomes ``root``; an earlier ``root`` is moved aside first and back if that fails."""
    if not root.exists():
        staging.rename(root)
        return
    old = root.with_name(f".{root.name}.replaced-{os.getpid()}")
    root.rename(old)
    try:
        staging.rename(root)
    except OSError:
        old.rename(root)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _readme(name: str, launcher: str) -> str:
    line = json.dumps({"statusLine": status_line_entry(launcher)})
    return f"""# {name}: orchcore as a Claude Code plugin

This plugin was written by `orch export claude-plugin` from the orchcore
installed on this machine (version {__version__}). Its hooks send every event
orchcore routes to `orch hook`; its slash commands (`/{name}:…`), agents and
output styles are those of orchcore and its installed plugins; `.mcp.json`
starts `orch mcp`. The hooks and the server call this orch by absolute path:

    {launcher}

so the plugin works in any project without `orch install`, and only on a
machine where that orchcore is installed. After installing or removing
orchcore plugins, export again and update the plugin.

A plugin cannot set Claude Code's status line. To show orchcore's, add this
line to `~/.claude/settings.json`:

    {line}

Do not also run `orch install` in a project that uses this plugin: both
would wire the hooks, and every event would be recorded twice.
"""
