# Shared by scripts/quickstart.sh and scripts/test.sh: a project-local virtual
# environment with orchcore and every first-party plugin installed editable.
# Re-installs only when a pyproject.toml changed (a stamp file remembers).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ORCH_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "orchcore needs Python 3.11 or newer; none found on PATH" >&2
  return 1
}

plugin_dirs() {
  local d
  for d in "$ROOT"/plugins/*/; do
    [ -f "$d/pyproject.toml" ] && echo "${d%/}"
  done
  return 0
}

ensure_venv() {
  if [ ! -x "$PY" ]; then
    echo "==> creating $VENV" >&2
    "$(find_python)" -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  fi
  local stamp="$VENV/.orchcore-installed" want
  # The folders' paths count too: an editable install points at a folder by its path.
  want="$({ plugin_dirs; cat "$ROOT/pyproject.toml" $(plugin_dirs | sed 's|$|/pyproject.toml|'); } | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing orchcore and its plugins into $VENV" >&2
    local args=(-e "$ROOT[test]")
    local d
    for d in $(plugin_dirs); do args+=(-e "$d"); done
    "$PY" -m pip install --quiet --disable-pip-version-check "${args[@]}" >&2
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}
