"""``.claude/orchcore-manifest.json``: what install created, so uninstall removes exactly that.

It records the hash of every file install rendered (so a file the user
edited is never overwritten or removed without ``--force``), the folders it
created, per scope what it added to the settings file (the file itself, the
``hooks`` key, event keys, the status line and the one it replaced, and
whether it enabled and allowed the MCP server: ``enabled_server``,
``allowed_tools`` and the keys it created for them), where the http hooks'
secret went, and under ``mcp`` what it did to ``.mcp.json`` (``scope``,
``created_file``, ``created_servers``, and ``original``: the file's text
before install, given back byte for byte on uninstall).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from orchcore import jsonlimits
from orchcore.errors import JsonTooDeep, OrchError
from orchcore.install.changes import read_text

MANIFEST_NAME = "orchcore-manifest.json"
MANIFEST_VERSION = 1


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


def read_manifest(folder: Path) -> dict[str, Any]:
    path = manifest_path(folder)
    text = read_text(path)
    empty = {"version": MANIFEST_VERSION, "files": {}, "dirs": [], "settings": {}}
    if text is None:
        return empty
    try:
        data = jsonlimits.loads(text, str(path))
    except (json.JSONDecodeError, JsonTooDeep):
        data = None  # reported below as damaged
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("files", {}), dict)
        or not isinstance(data.get("dirs", []), list)
        or not isinstance(data.get("settings", {}), dict)
        or not isinstance(data.get("token", {}), dict)
        or not isinstance(data.get("mcp", {}), dict)
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
    if manifest.get("mcp"):
        body["mcp"] = manifest["mcp"]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
