#!/usr/bin/env bash
# README command 2: the whole test suite: the core's tests (end-to-end tests
# included, under tests/e2e), then every first-party plugin's own tests, each
# plugin on its own. Extra arguments go to every pytest run.
source "$(dirname "$0")/lib.sh"
ensure_venv
cd "$ROOT"

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
for d in $(plugin_dirs); do
  if [ -d "$d/tests" ]; then
    echo "==> plugin tests: ${d#$ROOT/}"
    (cd "$d" && "$PY" -m pytest tests "$@") || { rc=$?; [ "$rc" -eq 5 ] || status=$rc; }
  fi
done
exit "$status"
