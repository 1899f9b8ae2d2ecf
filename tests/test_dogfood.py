"""This repository's own .claude/ is exactly what `orch install` produces for it."""

from pathlib import Path

import pytest

from orchcore.install import plan_install
from orchcore.plugins import get_plugin_manager
from orchcore.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
# Committed settings cannot name one machine's virtual environment: the repo's
# hooks start the orch of the checkout's own .venv (what README command 1 makes).
REPO_LAUNCHER = '"$CLAUDE_PROJECT_DIR"/.venv/bin/orch'
REPO_PORT = 47470  # the http hooks' port is committed too: one fixed port rather than one per checkout path
CLAUDE_VERSION = "2.1.332"  # the committed settings are for the newest Claude Code, whatever `claude` is on PATH
UPDATE = f"ORCH_CLAUDE_VERSION={CLAUDE_VERSION} orch install --scope project --launcher '{REPO_LAUNCHER}' --port {REPO_PORT}"
def committed_change(path: Path) -> bool:
    """The local settings (with the secret) and install's safety copies are per machine, never committed."""
    return path.name != "settings.local.json" and not path.name.endswith(".orchcore-backup")


@pytest.fixture
def repo_runtime(monkeypatch, tmp_path):
    for name in ("ORCH_PLUGINS_ALLOW", "ORCH_PLUGINS_DENY", "ORCH_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ORCH_CLAUDE_VERSION", CLAUDE_VERSION)
    runtime = Runtime(project=ROOT, state_dir=tmp_path / "state", plugins=get_plugin_manager(allow=(), deny=()))
    yield runtime
    runtime.close()


def test_installing_again_changes_nothing_in_the_repository(repo_runtime):
    plan = plan_install(repo_runtime, "project", launcher=REPO_LAUNCHER, port=REPO_PORT)

    drift = [str(change.path.relative_to(ROOT)) for change in plan.changes if committed_change(change.path)]
    assert not drift, f".claude/ drifted from `orch install` ({', '.join(drift)}); run `{UPDATE}`"


def test_the_repository_claude_folder_is_byte_for_byte_a_fresh_install(repo_runtime, tmp_path):
    fresh = tmp_path / "fresh"
    (fresh / ".claude").mkdir(parents=True)
    (fresh / ".claude" / "orchcore.json").write_bytes((ROOT / ".claude" / "orchcore.json").read_bytes())
    runtime = Runtime(project=fresh, state_dir=tmp_path / "state", plugins=repo_runtime.plugins)

    plan = plan_install(runtime, "project", launcher=REPO_LAUNCHER, port=REPO_PORT)

    produced = {change.path.relative_to(fresh): change.new for change in plan.changes
                if change.new is not None and committed_change(change.path)}
    committed = {
        path.relative_to(ROOT): path.read_text(encoding="utf-8")
        for path in (ROOT / ".claude").rglob("*")
        if path.is_file() and "state" not in path.relative_to(ROOT / ".claude").parts
        and path.name != "orchcore.json" and committed_change(path)
    }
    committed[Path(".mcp.json")] = (ROOT / ".mcp.json").read_text(encoding="utf-8")  # orch mcp, beside .claude/
    assert produced == committed, f"run `{UPDATE}` (and remove files it no longer writes)"


def test_the_repository_hooks_start_the_checkouts_own_orch():
    settings = (ROOT / ".claude" / "settings.json").read_text(encoding="utf-8")

    assert f'"command": "{REPO_LAUNCHER.replace(chr(34), chr(92) + chr(34))} hook"' in settings
    assert "/work/" not in settings and "/home/" not in settings
