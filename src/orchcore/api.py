"""The public API for plugin authors: the one module a plugin imports, besides ``orchcore.testing``.

Everything a program, command set, status segment, hook handler or store
backend needs is here: the hook marker, the specs a plugin returns, the models
it reads, Claude Code's hook answers, the domain vocabulary (task statuses and
priorities, sprints, team load, automatic assignment), view helpers, CLI
helpers, and the errors. The modules these names come from are internal and
may change; a name here changes only with a note in the changelog.

Names are loaded on first use (PEP 562), so ``from orchcore.api import
hookimpl`` in a plugin module costs what importing ``orchcore.plugins`` costs,
not the whole core: plugin modules are imported on the hook path, where typer
and rich must never be. ``tests/test_public_api.py`` checks that every name
resolves and that ``plugins/`` and ``examples/`` import nothing else.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the internal module it lives in, grouped as CONTRIBUTING.md presents them.
_EXPORTS: dict[str, str] = {
    # hooks and plugin management
    "hookimpl": "orchcore.plugins",
    # specs: what registration hooks return (orchcore.specs)
    "AgentSpec": "orchcore.specs",
    "CliCommand": "orchcore.specs",
    "CommandSpec": "orchcore.specs",
    "EventType": "orchcore.specs",
    "HookHandler": "orchcore.specs",
    "PaletteCommand": "orchcore.specs",
    "ProgramSpec": "orchcore.specs",
    "SegmentContext": "orchcore.specs",
    "StatusSegment": "orchcore.specs",
    "StoreBackend": "orchcore.specs",
    "Subscriber": "orchcore.specs",
    "TeamSpec": "orchcore.specs",
    # models: a session's state and its events (orchcore.models)
    "Agent": "orchcore.models",
    "Delegation": "orchcore.models",
    "Epic": "orchcore.models",
    "Event": "orchcore.models",
    "Message": "orchcore.models",
    "Session": "orchcore.models",
    "SessionState": "orchcore.models",
    "Sprint": "orchcore.models",
    "Task": "orchcore.models",
    "Team": "orchcore.models",
    "structure": "orchcore.models",
    "unstructure": "orchcore.models",
    # Claude Code's hook protocol: what a handler gets and answers
    "HookEvent": "orchcore.protocol",
    "HookResult": "orchcore.protocol",
    # errors: one line each, shown to the user as they are
    "OrchError": "orchcore.errors",
    "ConfigError": "orchcore.errors",
    "DuplicateEvent": "orchcore.errors",
    "InvalidSessionId": "orchcore.errors",
    "InvalidValue": "orchcore.errors",
    "NoSession": "orchcore.errors",
    "PluginConflictError": "orchcore.errors",
    "PluginError": "orchcore.errors",
    "StatePathError": "orchcore.errors",
    "StoreError": "orchcore.errors",
    "UnknownEventType": "orchcore.errors",
    "UnknownSession": "orchcore.errors",
    # time, paths, files and configuration
    "now_iso": "orchcore.clock",
    "parse_iso": "orchcore.clock",
    "project_dir": "orchcore.paths",
    "config_file": "orchcore.paths",
    "atomic_write": "orchcore.files",
    "Config": "orchcore.config",
    "get_path": "orchcore.statepath",
    # palette commands shared by programs
    "never_raises": "orchcore.palette_commands",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"orchcore.api has no {name!r}; the public names are listed in orchcore.api.__all__")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
