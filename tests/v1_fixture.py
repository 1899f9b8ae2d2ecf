"""A project with V1 in it, in V1's real formats (see ../shared/v1/README.md): for the tests of
``orch migrate v1`` and of running V1 and orchcore side by side.

``make_v1_project(root)`` writes V1's state, message bus, event stream and orchestration files; with
``installed=True`` (the default) also what V1 installs into Claude Code: ``.claude/settings.json`` with
V1's hooks (they only log, as V1's did), the hook scripts, commands in folders with `` !`…` `` lines,
agents named ``<team>-<role>``, and small working copies of V1's scripts (``state_manager.py get|summary``).
The files are this project's own, written here; nothing is copied from V1.

The returned dict names the paths (``root``, ``claude``, ``state``, ``messages``, ``message_files``,
``stream``, ``teams``, ...; with ``installed`` also ``settings``, ``hooks``, ``hooks_log``, ``sessions``,
``scripts``, ``commands``, ``command_files``, ``agents``, ``agent_files``). What the files hold is this
module's constants (``TASKS``, ``SPRINTS``, ``EPICS``, ``AGENTS``, ``EVENTS``, ``TEAMS``, ...), and
``messages()`` / ``v1_receive_order(agent)`` give the queue and the order V1 delivers it in.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

# -- V1's runtime state ----------------------------------------------------------------------------

TASKS: dict[str, dict[str, Any]] = {
    "task-1": {
        "id": "task-1", "title": "Set up the repository", "status": "completed", "sprint_id": "sprint-1",
        "points": 2, "assigned_to": "engineering-lead",
        "created_at": "2025-08-18T09:00:00.000000", "updated_at": "2025-08-18T15:30:00.000000",
    },
    "task-2": {
        "id": "task-2", "title": "Login form", "status": "completed", "sprint_id": "sprint-1", "points": 3,
        "assigned_to": "engineering-fullstack", "labels": ["frontend", "auth"],
        "created_at": "2025-08-18T09:05:00.000000", "updated_at": "2025-08-19T11:00:00.000000",
    },
    "task-3": {
        "id": "task-3", "title": "Session tokens", "status": "in_progress", "sprint_id": "sprint-1",
        "points": 5, "assigned_to": "engineering-fullstack",
        "created_at": "2025-08-18T09:10:00.000000", "updated_at": "2025-08-20T08:15:00.000000",
    },
    "task-4": {
        "id": "task-4", "title": "Login tests", "status": "in_progress", "sprint_id": "sprint-1", "points": 3,
        "assigned_to": "engineering-test",
        "created_at": "2025-08-18T09:15:00.000000", "updated_at": "2025-08-20T09:00:00.000000",
    },
    "task-5": {
        "id": "task-5", "title": "Password reset", "status": "pending", "sprint_id": "sprint-1", "points": 3,
        "created_at": "2025-08-18T09:20:00.000000", "updated_at": "2025-08-18T09:20:00.000000",
    },
    "task-6": {
        "id": "task-6", "title": "Rate limiting", "status": "blocked", "sprint_id": "sprint-1", "points": 2,
        "assigned_to": "engineering-ux", "blocked_reason": "waiting for the API gateway decision",
        "created_at": "2025-08-18T09:25:00.000000", "updated_at": "2025-08-20T10:00:00.000000",
    },
    "task-7": {
        "id": "task-7", "title": "Billing page", "status": "pending", "sprint_id": "sprint-2", "points": 5,
        "created_at": "2025-08-19T10:00:00.000000", "updated_at": "2025-08-19T10:00:00.000000",
    },
    "task-8": {
        "id": "task-8", "title": "Invoice export", "status": "pending", "sprint_id": "sprint-2", "points": 8,
        "assigned_to": "engineering-fullstack", "epic_id": "epic-1",
        "created_at": "2025-08-19T10:05:00.000000", "updated_at": "2025-08-19T10:05:00.000000",
    },
    "task-9": {
        "id": "task-9", "title": "Payment provider sandbox", "status": "blocked", "sprint_id": "sprint-2",
        "points": 3, "epic_id": "epic-1",
        "created_at": "2025-08-19T10:10:00.000000", "updated_at": "2025-08-20T07:45:00.000000",
    },
    "task-10": {  # V1 tasks need not belong to a sprint
        "id": "task-10", "title": "Write the onboarding doc", "status": "completed", "points": 1,
        "assigned_to": "engineering-docs",
        "created_at": "2025-08-17T16:00:00.000000", "updated_at": "2025-08-17T17:00:00.000000",
    },
}

SPRINTS: dict[str, dict[str, Any]] = {
    "sprint-1": {
        "name": "Sprint 1", "status": "active", "goal": "Users can log in",
        "start_date": "2025-08-18", "end_date": "2025-09-01",
        "tasks": {
            "pending": ["task-5"], "in_progress": ["task-3", "task-4"],
            "completed": ["task-1", "task-2"], "blocked": ["task-6"],
        },
        "metrics": {"velocity": 18, "completed_points": 5},
    },
    "sprint-2": {
        "name": "Sprint 2", "status": "planned", "goal": "Billing",
        "tasks": {"pending": ["task-7", "task-8"], "blocked": ["task-9"]},
        "metrics": {"velocity": 0, "completed_points": 0},
    },
}

EPICS: dict[str, dict[str, Any]] = {
    "epic-1": {
        "id": "epic-1", "title": "Payments", "status": "in_progress", "sprints": ["sprint-2"],
        "created_at": "2025-08-17T12:00:00.000000", "updated_at": "2025-08-19T10:10:00.000000",
    },
}

AGENTS: dict[str, dict[str, Any]] = {
    "engineering-lead": {
        "id": "engineering-lead", "status": "idle", "current_task": None,
        "created_at": "2025-08-18T08:55:00.000000", "last_update": "2025-08-18T15:30:00.000000",
    },
    "engineering-fullstack": {
        "id": "engineering-fullstack", "status": "busy", "current_task": "task-3",
        "created_at": "2025-08-18T08:56:00.000000", "last_update": "2025-08-20T08:15:00.000000",
    },
    "engineering-test": {
        "id": "engineering-test", "status": "busy", "current_task": "task-4",
        "created_at": "2025-08-18T08:57:00.000000", "last_update": "2025-08-20T09:00:00.000000",
    },
    "engineering-ux": {
        "id": "engineering-ux", "status": "blocked", "current_task": "task-6",
        "created_at": "2025-08-18T08:58:00.000000", "last_update": "2025-08-20T10:00:00.000000",
    },
}


def orchestration_state() -> dict[str, Any]:
    """``.claude/state/orchestration.json`` as V1's ``state_manager.py`` keeps it."""
    return {
        "organization": {"name": "Acme"},
        "projects": {},
        "epics": EPICS,
        "sprints": SPRINTS,
        "tasks": TASKS,
        "agents": {"active": AGENTS},
        "communication": {"questions": [], "handoffs": []},
        "observability": {"metrics": {}, "events": []},
    }


# -- V1's message bus: one file per message, <to>_<uuid>.json ----------------------------------------

BROADCAST_ID = "b7f0c0de-0000-4000-8000-00000000b0b0"

# (id, timestamp, from, to, type, payload, priority); a receive orders by priority then time.
_MESSAGES = [
    ("0f1e2d3c-0001-4000-8000-000000000001", "2025-08-20T09:00:00.000001", "orchestrator",
     "engineering-fullstack", "TASK_ASSIGNMENT", {"task_id": "task-8"}, "low"),
    ("0f1e2d3c-0002-4000-8000-000000000002", "2025-08-20T09:05:00.000002", "engineering-lead",
     "engineering-fullstack", "REVIEW_REQUEST", {"task_id": "task-3", "pr": 41}, "normal"),
    ("0f1e2d3c-0003-4000-8000-000000000003", "2025-08-20T09:01:00.000003", "engineering-lead",
     "engineering-fullstack", "QUESTION", "Which token lifetime did we agree on?", "normal"),
    ("0f1e2d3c-0004-4000-8000-000000000004", "2025-08-20T09:10:00.000004", "engineering-test",
     "engineering-fullstack", "BUG_REPORT", {"task_id": "task-3", "failing": "test_refresh"}, "high"),
    ("0f1e2d3c-0005-4000-8000-000000000005", "2025-08-20T09:20:00.000005", "orchestrator",
     "engineering-fullstack", "SYSTEM_ANNOUNCEMENT", "Production freeze at 3 PM", "critical"),
    ("0f1e2d3c-0006-4000-8000-000000000006", "2025-08-20T09:02:00.000006", "orchestrator",
     "engineering-test", "TASK_ASSIGNMENT", {"task_id": "task-4"}, "normal"),
    ("0f1e2d3c-0007-4000-8000-000000000007", "2025-08-20T09:30:00.000007", "engineering-fullstack",
     "engineering-test", "HANDOFF", {"task_id": "task-3", "note": "ready for tests"}, "high"),
    ("0f1e2d3c-0008-4000-8000-000000000008", "2025-08-20T09:03:00.000008", "engineering-lead",
     "engineering-test", "STATUS_UPDATE", "Coverage target is 80%", "low"),
]

# V1's ``message_bus.py broadcast`` writes one file per recipient, each with the same id.
_BROADCAST = ("2025-08-20T09:15:00.000009", "orchestrator", "BROADCAST", "Standup moved to 10:30", "normal",
              ["engineering-fullstack", "engineering-test"])


def messages() -> list[dict[str, Any]]:
    """Every queued message, as the files hold them (a broadcast once per recipient)."""
    out = [
        {"id": mid, "timestamp": ts, "from": sender, "to": to, "type": kind, "payload": payload, "priority": prio}
        for mid, ts, sender, to, kind, payload, prio in _MESSAGES
    ]
    ts, sender, kind, payload, prio, recipients = _BROADCAST
    out += [
        {"id": BROADCAST_ID, "timestamp": ts, "from": sender, "to": to, "type": kind, "payload": payload,
         "priority": prio}
        for to in recipients
    ]
    return out


_PRIORITY = {"critical": 0, "high": 1, "normal": 2, "low": 3}


def v1_receive_order(agent: str) -> list[dict[str, Any]]:
    """``agent``'s messages in the order V1's ``message_bus.py receive`` gives them: most urgent, then oldest."""
    mine = [m for m in messages() if m["to"] == agent]
    return sorted(mine, key=lambda m: (_PRIORITY[m["priority"]], m["timestamp"]))


# -- V1's event stream ------------------------------------------------------------------------------

EVENTS: list[dict[str, Any]] = [
    {"timestamp": "2025-08-18T08:55:00.000000", "type": "agent_registered", "source": "state_manager",
     "data": {"agent_id": "engineering-lead"}},
    {"timestamp": "2025-08-18T09:00:00.000000", "type": "task_created", "source": "state_manager",
     "data": {"task_id": "task-1"}},
    {"timestamp": "2025-08-18T09:30:00.000000", "type": "sprint_started", "source": "orchestrator",
     "data": {"sprint_id": "sprint-1", "goal": "Users can log in"}},
    {"timestamp": "2025-08-18T10:00:00.000000", "type": "task_assigned", "source": "orchestrator",
     "data": {"task_id": "task-3", "agent": "engineering-fullstack"}},
    {"timestamp": "2025-08-18T15:30:00.000000", "type": "task_completed", "source": "engineering-lead",
     "data": {"task_id": "task-1", "points": 2}},
    {"timestamp": "2025-08-19T11:00:00.000000", "type": "task_completed", "source": "engineering-fullstack",
     "data": {"task_id": "task-2", "points": 3}},
    {"timestamp": "2025-08-20T07:45:00.000000", "type": "task_blocked", "source": "orchestrator",
     "data": {"task_id": "task-9", "reason": "no sandbox credentials"}},
    {"timestamp": "2025-08-20T09:00:00.000000", "type": "message_sent", "source": "message_bus",
     "data": {"to": "engineering-fullstack", "priority": "low"}},
    {"timestamp": "2025-08-20T09:15:00.000000", "type": "broadcast", "source": "message_bus",
     "data": {"recipients": ["engineering-fullstack", "engineering-test"]}},
    {"timestamp": "2025-08-20T10:00:00.000000", "type": "agent_status_changed", "source": "state_manager",
     "data": {"agent_id": "engineering-ux", "status": "blocked", "nested": {"why": ["gateway", 1, None]}}},
]


# -- V1's orchestration configuration --------------------------------------------------------------

TEAMS: dict[str, Any] = {
    "version": "1.0",
    "description": "Team definitions and hierarchy for orchestration system",
    "last_modified": "2025-08-17",
    "teams": {
        "engineering": {
            "name": "Engineering Team",
            "description": "Core development team for implementation tasks",
            "orchestrator": "engineering-director",
            "model_preference": "opus",
            "settings": {"max_parallel_agents": 4, "require_code_review": True},
            "members": [
                {"agent": "engineering-lead", "role": "Technical Leadership", "capacity": 1,
                 "skills": ["architecture", "code_review"], "model": "opus",
                 "responsibilities": ["Review all code changes"]},
                {"agent": "engineering-fullstack", "role": "Full Stack Development", "capacity": 3,
                 "skills": ["frontend", "backend", "api"], "model": "sonnet",
                 "responsibilities": ["Implement features end-to-end"]},
                {"agent": "engineering-ux", "role": "UX Engineering", "capacity": 2,
                 "skills": ["ui_components", "accessibility"], "model": "sonnet",
                 "responsibilities": ["Implement UI components"]},
                {"agent": "engineering-test", "role": "Quality Assurance", "capacity": 2,
                 "skills": ["unit_testing", "e2e_testing"], "model": "haiku",
                 "responsibilities": ["Write comprehensive test suites"]},
                {"agent": "engineering-docs", "role": "Documentation", "capacity": 1,
                 "skills": ["api_docs"], "model": "haiku", "responsibilities": ["Keep the docs current"]},
            ],
        },
        "qa": {
            "name": "QA Team",
            "description": "Quality assurance and testing",
            "orchestrator": "qa-director",
            "model_preference": "sonnet",
            "settings": {"max_parallel_agents": 2},
            "members": [
                {"agent": "qa-e2e", "role": "End-to-end testing", "capacity": 2,
                 "skills": ["playwright"], "model": "sonnet", "responsibilities": ["Run e2e suites"]},
            ],
        },
    },
}

TEAM_STATE: dict[str, Any] = {
    "version": "1.0",
    "description": "Runtime state tracking for team assignments and capacity",
    "last_updated": "2025-08-20T10:00:00Z",
    "active_teams": ["engineering"],
    "assignments": {"task-3": "engineering-fullstack", "task-4": "engineering-test"},
    "capacity_tracking": {
        "engineering": {"total_capacity": 9, "used_capacity": 2, "active_tasks": ["task-3", "task-4"]},
        "qa": {"total_capacity": 2, "used_capacity": 0, "active_tasks": []},
    },
    "handoffs": {"pending": [], "completed": []},
    "performance_metrics": {
        "engineering": {"tasks_completed": 3, "average_completion_time": 0, "success_rate": 100,
                        "last_7_days": {"tasks": 3, "velocity": 6}},
    },
    "events": [],
}

ORCHESTRATION_SETTINGS: dict[str, Any] = {
    "version": "1.0",
    "description": "Global orchestration settings and preferences",
    "orchestration_mode": {"enabled": True, "default_mode": "manual"},
    "resource_limits": {"max_concurrent_agents": 10, "max_agents_per_team": 5},
    "state_management": {"state_file": ".claude/state/orchestration.json", "lock_timeout_seconds": 5},
    "communication": {"message_dir": ".claude/messages", "event_stream": ".claude/events/stream.jsonl"},
}

WORKFLOWS: dict[str, Any] = {
    "version": "1.0",
    "description": "Workflow templates for sprints, epics, and development processes",
    "workflows": {
        "sprint": {
            "description": "Two-week sprint workflow",
            "phases": [{"name": "planning", "duration_hours": 4}, {"name": "execution", "duration_days": 9}],
        },
    },
    "automation_rules": [{"trigger": "task_completed", "action": "update_sprint_metrics"}],
}


# -- what V1 installs into Claude Code ---------------------------------------------------------------

HOOKS_LOG = ".claude/logs/v1_hooks.jsonl"  # every V1 hook appends one line here
V1_HOOK_OUTPUT = (".claude/logs/", ".claude/data/")  # what V1's hooks write as they run

# What orchcore keeps in .claude/state/ beside V1's state (orchestration.json, .orchestration.lock), and
# leaves there after ``orch uninstall``: its store (the user's orchcore history), the gate's flag files,
# the transcript-recovery cursors, the hook journal and log, and the .gitignore that keeps them out of git.
ORCHCORE_STATE = tuple(
    ".claude/state/" + name
    for name in ("orchcore.db", "gate/", "recovery/", "journal/", "hook.log", ".gitignore")
)


# V1's hooks as its settings wire them (event, script, arguments, timeout), in the order of the file; as in
# V1, SessionStart and PostToolUse have two groups each, and every group has ``"matcher": ""``.
V1_HOOKS: list[tuple[str, str, str, int | None]] = [
    ("PreToolUse", "pre_tool_use", "", None),
    ("PostToolUse", "post_tool_use", "", None),
    ("PostToolUse", "orchestration_handler", "", 3),
    ("Notification", "notification", " --notify", None),
    ("Stop", "stop", " --chat", None),
    ("SubagentStop", "subagent_stop", " --notify", None),
    ("UserPromptSubmit", "user_prompt_submit", " --log-only --store-last-prompt --name-agent", None),
    ("PreCompact", "pre_compact", "", None),
    ("SessionStart", "session_start", "", None),
    ("SessionStart", "orchestration_session_init", "", 5),
]


def v1_scripts(event: str) -> list[str]:
    """The V1 hook scripts wired for ``event``, in the settings' order."""
    return [script for name, script, _, _ in V1_HOOKS if name == event]


def claude_settings() -> dict[str, Any]:
    """V1's ``.claude/settings.json``: its permissions, and its hooks (which only log)."""
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event, script, arguments, timeout in V1_HOOKS:
        handler: dict[str, Any] = {
            "type": "command", "command": f"python3 $CLAUDE_PROJECT_DIR/.claude/hooks/{script}.py{arguments}",
        }
        if timeout is not None:
            handler["timeout"] = timeout
        group: dict[str, Any] = {"hooks": [handler]}
        if event != "UserPromptSubmit":
            group = {"matcher": "", **group}
        hooks.setdefault(event, []).append(group)
    return {
        "permissions": {"allow": ["Bash(mkdir:*)", "Bash(python3:*)", "Bash(git:*)", "Write", "Edit"], "deny": []},
        "enableAllProjectMcpServers": True,
        "hooks": hooks,
    }


_HOOK = '''\
"""V1 hook {script}: logs the event ({{hook, script, session_id, tool_name}} a line); never blocks."""
import json
import os
import sys
from pathlib import Path

data = json.load(sys.stdin)
project = Path(os.environ.get("CLAUDE_PROJECT_DIR", "."))
log = project / ".claude/logs/v1_hooks.jsonl"
log.parent.mkdir(parents=True, exist_ok=True)
with log.open("a") as f:
    f.write(json.dumps({{"hook": data.get("hook_event_name"), "script": "{script}",
                        "session_id": data.get("session_id"), "tool_name": data.get("tool_name")}}) + "\\n")
'''

# UserPromptSubmit also keeps each session's prompts, as V1's did: .claude/data/sessions/<session_id>.json
_PROMPT_LOG = '''
session_id = data.get("session_id", "unknown")
path = project / ".claude/data/sessions" / f"{session_id}.json"
path.parent.mkdir(parents=True, exist_ok=True)
record = {"session_id": session_id, "prompts": [], "agent_name": None}
if path.exists():
    record = json.loads(path.read_text())
record["prompts"].append(data.get("prompt", ""))
path.write_text(json.dumps(record, indent=2))
'''

_STATE_MANAGER = '''\
#!/usr/bin/env python3
"""V1's state manager (the part commands read): get <dot.path> | summary."""
import json
import sys
from pathlib import Path

STATE = Path(".claude/state/orchestration.json")


def load():
    return json.loads(STATE.read_text())


def get(path):
    node = load()
    for key in [k for k in path.split(".") if k]:
        node = node[key]
    print(json.dumps(node, indent=2))


def summary():
    state = load()
    tasks = state.get("tasks", {})
    counts = {}
    for task in tasks.values():
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    agents = state.get("agents", {}).get("active", {})
    print("V1 orchestration summary")
    print("tasks: " + ", ".join(f"{s}={counts[s]}" for s in sorted(counts)))
    for sid, sprint in sorted(state.get("sprints", {}).items()):
        done = sprint.get("metrics", {}).get("completed_points", 0)
        print(f"sprint {sid}: {sprint.get('status')} completed_points={done}")
    print("agents: " + ", ".join(f"{a}={agents[a]['status']}" for a in sorted(agents)))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("get", "summary"):
        sys.exit("usage: state_manager.py get <path> | summary")
    get(sys.argv[2] if len(sys.argv) > 2 else "") if sys.argv[1] == "get" else summary()
'''

_MESSAGE_BUS = '''\
#!/usr/bin/env python3
"""V1's message bus (the read side): queue-status | receive <agent> --peek."""
import json
import sys
from pathlib import Path

MESSAGES = Path(".claude/messages")
PRIORITY = {"critical": 0, "high": 1, "normal": 2, "low": 3}

if __name__ == "__main__":
    files = sorted(MESSAGES.glob("*.json"))
    if sys.argv[1:2] == ["queue-status"]:
        counts = {}
        for f in files:
            to = json.loads(f.read_text())["to"]
            counts[to] = counts.get(to, 0) + 1
        print(json.dumps(counts, indent=2, sort_keys=True))
    elif sys.argv[1:2] == ["receive"] and "--peek" in sys.argv:
        mine = [json.loads(f.read_text()) for f in files if f.name.startswith(sys.argv[2] + "_")]
        mine.sort(key=lambda m: (PRIORITY[m["priority"]], m["timestamp"]))
        print(json.dumps(mine, indent=2))
    else:
        sys.exit("usage: message_bus.py queue-status | receive <agent> --peek")
'''

COMMANDS: dict[str, str] = {
    "orchestrate/sprint-status.md": """\
---
description: Show the current sprint's status and the team's load
allowed-tools: Bash(python3:*)
---
# Sprint status

Current state:
!`python3 .claude/scripts/state_manager.py summary`

Summarise the sprint for the user in three lines.
""",
    "state/get.md": """\
---
description: Read a value from the orchestration state
argument-hint: <dot.path>
allowed-tools: Bash(python3:*)
---
Value at `$ARGUMENTS`:
!`python3 .claude/scripts/state_manager.py get $ARGUMENTS`
""",
    "monitor/queue.md": """\
---
description: Show the message queue per agent
allowed-tools: Bash(python3:*)
---
!`python3 .claude/scripts/message_bus.py queue-status`
""",
    "team/status.md": """\
---
description: Show team members and their status
allowed-tools: Bash(python3:*)
---
!`python3 .claude/scripts/state_manager.py get agents.active`
""",
}

AGENT_FILES: dict[str, str] = {
    name: f"""\
---
name: {name}
description: V1 {role} of the {team} team. Use for {role_lower} work.
tools: Read, Write, Edit, Bash
model: {model}
---
You are the V1 {role} ({name}). Read .claude/state/orchestration.json with
`python3 .claude/scripts/state_manager.py get tasks` before you start.
"""
    for name, team, role, role_lower, model in [
        ("engineering-lead", "engineering", "Technical Lead", "technical leadership", "opus"),
        ("engineering-fullstack", "engineering", "Full Stack Engineer", "full stack", "sonnet"),
        ("engineering-test", "engineering", "Test Engineer", "testing", "haiku"),
        ("qa-director", "qa", "QA Director", "quality", "sonnet"),
    ]
}


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def make_v1_project(root: Path, *, installed: bool = True) -> dict[str, Any]:
    """Write a V1 project into ``root`` (created if needed); the paths of its parts and what they hold.

    ``installed=False`` writes only V1's data (state, messages, events, orchestration files): a project
    whose Claude Code set-up no longer has V1 in it.
    """
    root.mkdir(parents=True, exist_ok=True)
    claude = root / ".claude"
    paths: dict[str, Any] = {
        "root": root,
        "claude": claude,
        "state": claude / "state" / "orchestration.json",
        "lock": claude / "state" / ".orchestration.lock",
        "messages": claude / "messages",
        "stream": claude / "events" / "stream.jsonl",
        "teams": claude / "orchestration" / "teams.json",
        "team_state": claude / "orchestration" / "team-state.json",
        "orchestration_settings": claude / "orchestration" / "settings.json",
        "workflows": claude / "orchestration" / "workflows.json",
    }
    _write_json(paths["state"], orchestration_state())
    paths["lock"].touch()
    message_files = []
    for message in messages():
        path = paths["messages"] / f"{message['to']}_{message['id']}.json"
        _write_json(path, message)
        message_files.append(path)
    paths["message_files"] = message_files
    paths["stream"].parent.mkdir(parents=True, exist_ok=True)
    paths["stream"].write_text("".join(json.dumps(event) + "\n" for event in EVENTS))
    _write_json(paths["teams"], TEAMS)
    _write_json(paths["team_state"], TEAM_STATE)
    _write_json(paths["orchestration_settings"], ORCHESTRATION_SETTINGS)
    _write_json(paths["workflows"], WORKFLOWS)

    if installed:
        paths["settings"] = claude / "settings.json"
        _write_json(paths["settings"], claude_settings())
        hooks = claude / "hooks"
        hooks.mkdir(parents=True, exist_ok=True)
        for _, script, _, _ in V1_HOOKS:
            extra = _PROMPT_LOG if script == "user_prompt_submit" else ""
            (hooks / f"{script}.py").write_text(_HOOK.format(script=script) + extra)
        paths["hooks"] = hooks
        paths["hooks_log"] = root / HOOKS_LOG
        paths["sessions"] = claude / "data" / "sessions"
        scripts = claude / "scripts"
        scripts.mkdir(parents=True, exist_ok=True)
        (scripts / "state_manager.py").write_text(_STATE_MANAGER)
        (scripts / "message_bus.py").write_text(_MESSAGE_BUS)
        paths["scripts"] = scripts
        paths["commands"] = claude / "commands"
        paths["command_files"] = []
        for rel, text in COMMANDS.items():
            path = paths["commands"] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths["command_files"].append(path)
        paths["agents"] = claude / "agents"
        paths["agent_files"] = []
        for name, text in AGENT_FILES.items():
            path = paths["agents"] / f"{name}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths["agent_files"].append(path)

    return paths


def tree_hashes(root: Path, *, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """The sha256 of every file below ``root`` by its relative path, leaving out paths that start with
    one of ``exclude``: to show a tree is byte-identical before and after."""
    import hashlib

    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(exclude):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
