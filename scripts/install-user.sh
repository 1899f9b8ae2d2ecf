#!/usr/bin/env bash
# Install orchcore and every first-party plugin once for this user, for all
# projects: one pipx environment named orchcore (the core from this checkout,
# the plugins in plugins/* injected into it), its `orch` in pipx's bin folder
# (~/.local/bin unless PIPX_BIN_DIR says otherwise). `orch install` run from
# that `orch` wires Claude Code to that environment's Python, so no venv is
# ever activated.
#
# pipx: the one on PATH, else `python3 -m pipx`, else bootstrapped with
# `python3 -m pip install --user pipx` (from PyPI, or wherever pip is set up
# to look: PIP_INDEX_URL, PIP_FIND_LINKS …). orchcore itself is built from
# this checkout, never fetched. The copies are not editable: the checkout can
# move or go. Running it again updates the environment from the checkout and
# keeps plugins added later with `pipx inject orchcore NAME`.
source "$(dirname "$0")/lib.sh"

python="$(find_python)"

find_pipx() {
  if command -v pipx >/dev/null 2>&1; then
    PIPX=(pipx)
  elif "$python" -m pipx --version >/dev/null 2>&1; then
    PIPX=("$python" -m pipx)
  else
    echo "==> installing pipx for this user ($python -m pip install --user pipx)" >&2
    if ! "$python" -m pip install --quiet --user pipx >&2; then
      echo "could not install pipx with pip; install it with your package manager (e.g. apt install pipx) and run this again" >&2
      exit 1
    fi
    PIPX=("$python" -m pipx)
  fi
}
find_pipx

mapfile -t plugins < <(plugin_dirs)

# A second run updates the environment in place, so plugins injected since stay.
# Not `pipx install --force` nor `pipx reinstall`: both reinstall dependencies
# too, and a plugin's `orchcore` is then looked for on the package index (where
# a different project of that name lives). pip reinstalls a folder's package
# whatever its version, and takes `orchcore` from the folder named beside it.
venvs="$("${PIPX[@]}" environment --value PIPX_LOCAL_VENVS)"
existing=0
if [ -d "$venvs/orchcore" ]; then
  existing=1
else
  echo "==> pipx install orchcore from $ROOT" >&2
  "${PIPX[@]}" install --python "$python" "$ROOT" >&2
fi
echo "==> pipx inject orchcore ${plugins[*]##*/}" >&2
"${PIPX[@]}" inject orchcore "${plugins[@]}" >&2
if [ "$existing" = 1 ]; then
  echo "==> updating orchcore and its plugins from $ROOT" >&2
  "${PIPX[@]}" runpip orchcore install --quiet "$ROOT" "${plugins[@]}" >&2
fi

bin_dir="$("${PIPX[@]}" environment --value PIPX_BIN_DIR)"
"$bin_dir/orch" --version
case ":$PATH:" in
  *":$bin_dir:"*) echo "orch is $bin_dir/orch; run \`orch install\` in any project" ;;
  *) echo "orch is $bin_dir/orch; add $bin_dir to PATH (\`pipx ensurepath\`), then run \`orch install\` in any project" ;;
esac
