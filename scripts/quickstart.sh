#!/usr/bin/env bash
# README command 1: set up orchcore and its first-party plugins in .venv, then
# run the main job: a recorded multi-agent sprint replayed through `orch hook`
# into a throwaway project, shown as the dashboard and the status line.
source "$(dirname "$0")/lib.sh"
ensure_venv

work="$(mktemp -d "${TMPDIR:-/tmp}/orchcore-quickstart.XXXXXX")"
cd "$work"
unset CLAUDE_PROJECT_DIR CLAUDE_CODE_SESSION_ID

echo "==> orch plugins list"
orch plugins list
echo
echo "==> orch program list"
orch program list
echo
echo "==> orch demo"
orch demo
