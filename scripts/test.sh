#!/usr/bin/env bash
# README command 2: the whole test suite: the core's tests (end-to-end tests
# included, under tests/e2e), then every first-party plugin's own tests, each
# plugin on its own. Extra arguments go to every pytest run.
source "$(dirname "$0")/lib.sh"
ensure_venv
cd "$ROOT"

# The end-to-end tests drive the real Claude Code (installed from npm into a
# cache) and its interactive mode under tmux; the Redis store's tests need
# Debian's redis-server (each run starts its own, on a free loopback port).
# Under CI a missing piece is a failure; elsewhere those tests are skipped
# with the reason.
ensure_e2e_tools() {
  if ! command -v tmux >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "==> installing tmux (for the status-line end-to-end test)" >&2
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq tmux; } >&2 || echo "(could not install tmux)" >&2
  fi
  if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "==> installing redis-server (the Redis store's tests start their own, on loopback)" >&2
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq redis-server; } >&2 ||
      echo "(could not install redis-server)" >&2
  fi
  local version
  for version in pinned $E2E_ALSO; do
    echo "==> the Claude Code binary ($version)" >&2
    if ! "$PY" tests/e2e/claude_binary.py "$version" >&2; then
      if [ -n "${CI:-}" ]; then
        echo "the Claude Code binary ($version) could not be installed; the end-to-end tests cannot run" >&2
        exit 1
      fi
      echo "(continuing: the end-to-end tests will be skipped)" >&2
    fi
  done
}
# The end-to-end tests run with the pinned Claude Code as part of the core
# tests; under CI tests/e2e runs once more with each of these versions
# (`newest`: the newest release they are checked against, see
# tests/e2e/claude_binary.py). ORCH_E2E_ALSO="" skips that, or names others.
if [ -n "${CI:-}" ]; then
  E2E_ALSO="${ORCH_E2E_ALSO-newest}"
else
  E2E_ALSO="${ORCH_E2E_ALSO-}"
fi
ensure_e2e_tools

# Resident runtimes started by the tests' orch processes exit soon after the last event.
export ORCH_RUNTIME_IDLE_S="${ORCH_RUNTIME_IDLE_S:-10}"
export ORCH_RUNTIME_LINGER_S="${ORCH_RUNTIME_LINGER_S:-30}"

status=0
run_pytest() {
  local rc=0
  "$PY" -m pytest "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "(no tests collected in $*; that is not a failure)" >&2
    rc=0
  fi
  [ "$rc" -eq 0 ] || status=$rc
}

echo "==> core tests"
run_pytest tests "$@"
for version in $E2E_ALSO; do
  echo "==> end-to-end tests with Claude Code $version"
  ORCH_E2E_CLAUDE_VERSION="$version" run_pytest tests/e2e "$@"
done
for d in $(plugin_dirs); do
  if [ -d "$d/tests" ]; then
    echo "==> plugin tests: ${d#$ROOT/}"
    (cd "$d" && "$PY" -m pytest tests "$@") || { rc=$?; [ "$rc" -eq 5 ] || status=$rc; }
  fi
done
for d in "$ROOT"/examples/*/; do
  if [ -d "$d/tests" ]; then
    echo "==> example tests: ${d#$ROOT/}"
    # Examples are not installed into .venv: their source is put on the path for their own tests.
    (cd "$d" && PYTHONPATH="$d/src" "$PY" -m pytest tests "$@") || { rc=$?; [ "$rc" -eq 5 ] || status=$rc; }
  fi
done
exit "$status"
