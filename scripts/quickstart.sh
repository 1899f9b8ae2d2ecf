#!/usr/bin/env bash
# README command 1: set up orchcore in .venv and run the main job on a
# throwaway project: the installed plugins, then a session's state.
source "$(dirname "$0")/lib.sh"
ensure_venv

demo="$(mktemp -d "${TMPDIR:-/tmp}/orchcore-demo.XXXXXX")"
mkdir -p "$demo/.claude"
export CLAUDE_PROJECT_DIR="$demo"
export CLAUDE_CODE_SESSION_ID="$("$PY" -c 'import uuid; print(uuid.uuid4())')"
cd "$demo"

echo "==> orch plugins list"
orch plugins list
echo
echo "==> a session in $demo (as Claude Code would start it)"
orch session create --enable >/dev/null
orch session set-mode sprint_execution --output-style sprint_execution >/dev/null
orch events emit epic.created -d '{"id": "E-1", "title": "Checkout v2"}' >/dev/null
orch events emit sprint.started -d '{"id": "S-1", "name": "Sprint 1", "epic": "E-1", "duration_days": 10}' >/dev/null
orch events emit task.created -d '{"id": "T-1", "title": "Payment API", "sprint": "S-1", "points": 5}' >/dev/null
orch events emit task.created -d '{"id": "T-2", "title": "Checkout page", "sprint": "S-1", "points": 3}' >/dev/null
orch events emit agent.upserted -d '{"id": "eng-backend", "name": "eng-backend", "team": "engineering", "status": "active"}' >/dev/null
orch events emit task.assigned -d '{"id": "T-1", "assignee": "eng-backend"}' >/dev/null
orch events emit message.sent -d '{"id": "M-1", "from": "eng-director", "to": "eng-backend", "priority": "high", "payload": "API first"}' >/dev/null
orch state set state.metrics.velocity 0 >/dev/null
echo "==> orch session show"
orch session show
echo
echo "==> orch events list"
orch events list
echo
echo "(state kept in $demo/.claude/state; remove it when done)"
