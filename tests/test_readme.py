"""The README's promises: its two commands exist, command 1 runs the main job, and its map of the code is whole."""

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


def test_how_it_is_built_names_every_module_and_package_of_src_orchcore_once():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\nsrc/orchcore/\n(.*?)\nplugins/ ", text, re.S)
    assert block, "How it is built lists src/orchcore/, then plugins/"
    listed = [line.split()[0].rstrip("/") for line in block.group(1).splitlines()]
    present = [p.name for p in (ROOT / "src" / "orchcore").iterdir() if p.name != "__pycache__"]

    assert sorted(listed) == sorted(set(present))


def test_quickstart_shows_the_plugins_and_ends_in_a_populated_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "ORCH_"))}
    env.update(ORCH_VENV=sys.prefix, TMPDIR=str(tmp_path), ORCH_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1",
               COLUMNS="200")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "quickstart.sh")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "built-ins (" in out and "active" in out
    assert "==> orch demo" in out and out.index("==> orch demo") > out.index("==> orch plugins list")
    assert "sprint Checkout v2 (active)" in out  # the demo's dashboard, populated
    assert "agents (" in out and "messages (1 queued)" in out
    assert "Traceback" not in out + done.stderr
