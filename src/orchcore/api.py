"""The public API for plugin authors: the one module a plugin imports, besides ``orchcore.testing``.

Everything a program, command set, status segment, hook handler or store
backend needs is here: the hook marker, the specs a plugin returns, the models
it reads, Claude Code's hook protocol (the event, the answer, the handler's
context), the store interface, the domain vocabulary (task statuses and
priorities, sprints, team load, automatic assignment), view helpers, the
shared palette commands, the status line's layout, CLI helpers, the errors,
the configuration and its schema (every key the core reads), and time, paths
and files. ``__all__`` lists every name;
``CONTRIBUTING.md`` ("What a plugin may import") presents them by group.

The modules these names come from are internal and may change in any
release; a name in ``__all__`` is renamed, removed or changed in meaning only
with a note in ``CHANGELOG.md``.

Names are loaded on first use (PEP 562), so ``from orchcore.api import
hookimpl`` in a plugin module costs what importing ``orchcore.plugins`` costs,
not the whole core: plugin modules are imported on the hook path, where typer
and rich must never be. ``tests/test_public_api.py`` checks that every name
resolves, and that nothing in ``plugins/`` or ``examples/``, and no example
in the documentation (Markdown code blocks, the hookspecs' docstrings),
imports anything else from orchcore.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> "module" (same name there) or "module:name" (another name there),
# grouped as CONTRIBUTING.md presents them.
_EXPORTS: dict[str, str] = {
    # hooks
    "hookimpl": "orchcore.plugins",
    # specs: what registration hooks return
    "AgentSpec": "orchcore.specs",
    "CliCommand": "orchcore.specs",
    "McpTool": "orchcore.specs",
    "McpContext": "orchcore.mcp_tools",
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
    "V1Importer": "orchcore.specs",
    "ImportPlan": "orchcore.specs",
    # models: a session's state and its events
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
    # Claude Code's hook protocol: what a handler gets, what it answers, what it may do
    "HookEvent": "orchcore.protocol",
    "HookResult": "orchcore.protocol",
    "HookContext": "orchcore.hookcontext",
    # store backends: the interface a backend implements, the rule all share, the in-memory one
    "SessionStore": "orchcore.store.base",
    "SessionInfo": "orchcore.store.base",
    "apply_event": "orchcore.store.base",
    "StoreLimits": "orchcore.store.base",
    "check_state_size": "orchcore.store.base",
    "MemoryStore": "orchcore.store.memory",
    # ... and what a backend that keeps state in parts, snapshots and compacts, as SQLite does, reuses
    "encode_data": "orchcore.store.base",
    "reduced_state": "orchcore.store.base:reduced",
    "StoredState": "orchcore.store.parts:Stored",
    "state_changes": "orchcore.store.parts:changes",
    "snapshot_text": "orchcore.store.parts",
    "from_snapshot": "orchcore.store.parts",
    "compaction_due": "orchcore.store.compaction:due",
    "stale_snapshots": "orchcore.store.compaction",
    "COMPACT": "orchcore.store.compaction",
    "HOURLY_SNAPSHOT": "orchcore.store.compaction",
    "AUTO_SNAPSHOT": "orchcore.store.compaction",
    "AUTOMATIC_SNAPSHOTS": "orchcore.store.compaction:AUTOMATIC",
    "FIRST_ACTIVITY": "orchcore.store.compaction",
    "write_gate_flag": "orchcore.gate:write_flag",
    "touch_gate_flag": "orchcore.gate:touch",
    "clear_gate_flags": "orchcore.gate:clear_flags",
    # a session's lifecycle: checkpoints, rollback, expiry
    "Checkpoint": "orchcore.checkpoints",
    "Rollback": "orchcore.checkpoints",
    "checkpoints_of": "orchcore.checkpoints:checkpoints",
    "find_checkpoint": "orchcore.checkpoints:find",
    "create_checkpoint": "orchcore.checkpoints:create",
    "rollback_target": "orchcore.checkpoints:target",
    "roll_back": "orchcore.checkpoints:rollback",
    "require_live": "orchcore.expiry",
    # the domain vocabulary: words, orders, sprints, load, assignment
    "TaskStatus": "orchcore.domain.vocabulary",
    "Priority": "orchcore.domain.vocabulary",
    "AgentStatus": "orchcore.domain.vocabulary",
    "MessageStatus": "orchcore.domain.vocabulary",
    "SprintStatus": "orchcore.domain.vocabulary",
    "OPEN_TASK": "orchcore.domain.vocabulary",
    "CLOSED_TASK": "orchcore.domain.vocabulary",
    "WORKING_AGENT": "orchcore.domain.vocabulary",
    "ENDED_AGENT": "orchcore.domain.vocabulary",
    "PRIORITIES": "orchcore.domain.vocabulary",
    "FLOW_ORDER": "orchcore.domain.vocabulary",
    "ATTENTION_ORDER": "orchcore.domain.vocabulary",
    "by_urgency": "orchcore.domain.vocabulary",
    "priority_rank": "orchcore.domain.vocabulary",
    "status_rank": "orchcore.domain.vocabulary",
    "SprintProgress": "orchcore.domain.sprints",
    "percent": "orchcore.domain.sprints",
    "sprint_day": "orchcore.domain.sprints",
    "sprint_progress": "orchcore.domain.sprints",
    "sprint_tasks": "orchcore.domain.sprints",
    "MemberLoad": "orchcore.domain.load",
    "TeamLoad": "orchcore.domain.load",
    "NO_TEAM": "orchcore.domain.load",
    "team_loads": "orchcore.domain.load",
    "team_definitions": "orchcore.domain.teams",
    "plan_assignments": "orchcore.domain.assignment:plan",
    "AssignmentPlan": "orchcore.domain.assignment:Plan",
    "AssignmentDecision": "orchcore.domain.assignment:Decision",
    "ASSIGNMENT_STRATEGIES": "orchcore.domain.assignment:STRATEGIES",
    "CURRENT_SPRINT": "orchcore.domain.assignment:CURRENT",
    "SESSION_AGENTS": "orchcore.domain.assignment:POOL",
    "Wanted": "orchcore.domain.assignment",
    "agent_facts": "orchcore.domain.assignment",
    "assignee_for": "orchcore.domain.assignment",
    "member_load": "orchcore.domain.assignment",
    "skill_score": "orchcore.domain.assignment",
    "stem": "orchcore.domain.assignment",
    "terms": "orchcore.domain.assignment",
    # views: read-only questions about a session and short text for answers
    "agent_label": "orchcore.views",
    "agent_status": "orchcore.views",
    "ago": "orchcore.views",
    "by_status": "orchcore.views",
    "clip": "orchcore.views",
    "count": "orchcore.views",
    "defined_agents": "orchcore.views",
    "describe_task": "orchcore.views",
    "find_task": "orchcore.views",
    "find_team": "orchcore.views",
    "hook_event_total": "orchcore.views",
    "listing": "orchcore.views",
    "names_of": "orchcore.views",
    "number": "orchcore.views",
    "payload_text": "orchcore.views",
    "plugin_specs": "orchcore.views",
    "queued": "orchcore.views",
    "resolve_agent": "orchcore.views",
    "roster": "orchcore.views",
    "scalar_metrics": "orchcore.views",
    "task_line": "orchcore.views",
    "tasks_of": "orchcore.views",
    "team_tasks": "orchcore.views",
    "teams": "orchcore.views",
    "unknown_task": "orchcore.views",
    "words": "orchcore.views",
    # palette commands programs share
    "never_raises": "orchcore.palette_commands",
    "palette_task": "orchcore.palette_commands:task",
    "palette_assign": "orchcore.palette_commands:assign",
    # the status line
    "status_line_layout": "orchcore.statusline:layout",
    # CLI groups of plugins (typer is imported only when one of these is used)
    "JsonOption": "orchcore.cli.common",
    "SessionOption": "orchcore.cli.common",
    "known_session_of": "orchcore.cli.common",
    "runtime_of": "orchcore.cli.common",
    "session_id_of": "orchcore.cli.common",
    "session_of": "orchcore.cli.common",
    "print_json": "orchcore.cli.output",
    "print_table": "orchcore.cli.output:table",
    "note": "orchcore.cli.output",
    # migrating from V1: its files, as importers read them
    "V1Project": "orchcore.v1.source",
    "V1FormatError": "orchcore.v1.source",
    # errors: one line each, shown to the user as they are
    "OrchError": "orchcore.errors",
    "ConfigError": "orchcore.errors",
    "DuplicateEvent": "orchcore.errors",
    "InvalidSessionId": "orchcore.errors",
    "InvalidValue": "orchcore.errors",
    "JsonTooDeep": "orchcore.errors",
    "LimitExceeded": "orchcore.errors",
    "NoSession": "orchcore.errors",
    "PluginConflictError": "orchcore.errors",
    "PluginError": "orchcore.errors",
    "SessionArchived": "orchcore.errors",
    "StatePathError": "orchcore.errors",
    "StoreError": "orchcore.errors",
    "UnknownEventType": "orchcore.errors",
    "UnknownSession": "orchcore.errors",
    # configuration: .claude/orchcore.json, every key the core reads (keys, defaults, variables, checks)
    "Config": "orchcore.config",
    "ConfigKey": "orchcore.config_schema",
    "CONFIG_KEYS": "orchcore.config_schema",
    "InstalledNames": "orchcore.config_check",
    "config_problems": "orchcore.config_check:problems",
    "unknown_config_keys": "orchcore.config_check:unknown_keys",
    "config_lookup": "orchcore.config_schema:lookup",
    "DEFAULT_STATUS_SEGMENTS": "orchcore.config_schema:DEFAULT_SEGMENTS",
    "orchestration_override": "orchcore.gate:env_override",
    # the plan's limits (limits.* in the configuration): what to emit under them, and long text cut with a marker
    "admit_event": "orchcore.limits:admit",
    "truncate_text": "orchcore.limits",
    # time, paths, files, state paths
    "now": "orchcore.clock",
    "now_iso": "orchcore.clock",
    "parse_iso": "orchcore.clock",
    "read_iso": "orchcore.clock",
    "project_dir": "orchcore.paths",
    "config_file": "orchcore.paths",
    "atomic_write": "orchcore.files",
    "JsonStyle": "orchcore.jsonstyle",
    "MAX_JSON_DEPTH": "orchcore.jsonlimits:MAX_DEPTH",
    "load_json": "orchcore.jsonlimits:loads",
    "get_path": "orchcore.statepath",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"orchcore.api has no {name!r}; the public names are listed in orchcore.api.__all__")
    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
