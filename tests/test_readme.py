"""The README's promises: its two commands exist, and command 1 runs the main job."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "the README opens with a bash block holding the two commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_opens_with_a_setup_command_and_a_test_command():
    assert readme_commands() == ["bash scripts/quickstart.sh", "bash scripts/test.sh"]
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:2500]
    assert "bash scripts/quickstart.sh" in head and "bash scripts/test.sh" in head


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci


def test_quickstart_shows_the_plugins_and_a_populated_session(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "ORCH_"))}
    env.update(ORCH_VENV=sys.prefix, TMPDIR=str(tmp_path), ORCH_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "quickstart.sh")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "built-ins (6)" in out and "active" in out
    assert "orchestration  on" in out
    assert "epic / sprint  E-1 / S-1" in out
    assert "tasks          1 in_progress, 1 pending" in out
    assert "Traceback" not in out + done.stderr
