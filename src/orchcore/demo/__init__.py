"""``orch demo``: a recorded multi-agent session replayed into a throwaway project.

``checkout-sprint.jsonl`` is a sprint as Claude Code runs it with orchcore
installed: hook payloads in Claude Code 2.1.x's own format (a session starts,
a sprint is started with a slash command, work is delegated to directors who
delegate to specialists, in parallel, tools run inside the subagents, they
finish) and the ``orch`` commands the slash commands and the model run in
between (tasks, assignments, messages, metrics). Each hook payload goes
through the real ``orch hook`` process, exactly as Claude Code would send it;
then the dashboard and the status line show the result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

RECORDING = Path(__file__).with_name("checkout-sprint.jsonl")


def orch_command() -> list[str]:
    script = Path(sys.executable).with_name("orch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "orchcore"]


def steps(session_id: str, project: Path) -> list[dict[str, Any]]:
    text = RECORDING.read_text(encoding="utf-8")
    text = text.replace("$SESSION", session_id).replace("$PROJECT", str(project))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def replay(project: Path, session_id: str, env: dict[str, str], progress=None) -> dict[str, int]:
    """Feed the recording to real ``orch`` processes; returns counts of what was sent."""
    orch = orch_command()
    counts = {"hook events": 0, "orch commands": 0}
    installed_programs = _programs(orch, env, project)
    for step in steps(session_id, project):
        if "hook" in step:
            done = subprocess.run([*orch, "hook"], input=json.dumps(step["hook"]).encode(), env=env, cwd=project,
                                  capture_output=True, timeout=60)
            counts["hook events"] += 1
        elif "orch" in step:
            done = subprocess.run([*orch, *step["orch"], "--session", session_id], env=env, cwd=project,
                                  capture_output=True, timeout=60)
            counts["orch commands"] += 1
        elif "program" in step:
            if step["program"] not in installed_programs:
                continue
            done = subprocess.run([*orch, "program", "activate", step["program"], "--session", session_id],
                                  env=env, cwd=project, capture_output=True, timeout=60)
        else:
            continue
        if done.returncode != 0:
            raise RuntimeError(f"demo step {step} failed: {done.stderr.decode(errors='replace').strip()}")
        if progress is not None:
            progress()
    return counts


def _programs(orch: list[str], env: dict[str, str], project: Path) -> set[str]:
    done = subprocess.run([*orch, "program", "list", "--json"], env=env, cwd=project, capture_output=True, timeout=60)
    try:
        return {row["name"] for row in json.loads(done.stdout)}
    except ValueError:
        return set()


def prepare(keep_in: Path | None = None) -> tuple[Path, str, dict[str, str]]:
    """A throwaway project with orchestration on by default, and the environment to run orch in it."""
    root = Path(tempfile.mkdtemp(prefix="orchcore-demo-", dir=keep_in))
    project = root / "checkout-service"
    (project / ".claude").mkdir(parents=True)
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/sprint/checkout-v2\n")
    (project / ".claude" / "orchcore.json").write_text(json.dumps({"orchestration": {"enabled": True}}, indent=2))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "ORCH_"))}
    env.update(CLAUDE_PROJECT_DIR=str(project), ORCH_RUNTIME_IDLE_S="20", ORCH_RUNTIME_LINGER_S="20")
    return project, str(uuid.uuid4()), env


def status_input(session_id: str, project: Path) -> bytes:
    return json.dumps({
        "session_id": session_id, "transcript_path": "", "cwd": str(project),
        "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
        "workspace": {"current_dir": str(project), "project_dir": str(project), "added_dirs": []},
        "version": "2.1.328", "output_style": {"name": "all-team_dashboard"},
    }).encode()
