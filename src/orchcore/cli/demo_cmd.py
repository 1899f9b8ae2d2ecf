"""``orch demo``: the main job on a machine with no Claude Code account (see ``orchcore.demo``)."""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer

from orchcore.cli.output import console, print_json


def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the resulting dashboard frame as JSON.")] = False,
) -> None:
    """Replay a recorded multi-agent sprint through `orch hook` into a throwaway project; show the result."""
    from orchcore import demo as recording

    project, session_id, env = recording.prepare()
    out = console()
    if not as_json:
        out.print(f"[bold]orch demo[/bold]: replaying a recorded sprint into {project}")
        out.print("  (Claude Code's own hook payloads, each through a real `orch hook` process)")
    counts = recording.replay(project, session_id, env)
    orch = recording.orch_command()
    if as_json:
        done = subprocess.run([*orch, "dashboard", "--json", "--session", session_id], env=env, cwd=project,
                              capture_output=True, text=True, check=True)
        import json

        data = json.loads(done.stdout)
        data.update(project=str(project), replayed=counts)
        print_json(data)
        return
    out.print(f"  sent {counts['hook events']} hook events and ran {counts['orch commands']} orch commands\n")
    subprocess.run([*orch, "dashboard", "--once", "--session", session_id], env=env, cwd=project, check=True)
    line = subprocess.run([*orch, "statusline"], input=recording.status_input(session_id, project), env=env,
                          cwd=project, capture_output=True, check=True).stdout.decode()
    out.print("\n[bold]status line[/bold] (what Claude Code shows under the prompt):")
    print(line.rstrip("\n"))
    out.print(f"\nExplore it: [bold]export CLAUDE_PROJECT_DIR={project} CLAUDE_CODE_SESSION_ID={session_id}[/bold]")
    out.print("then `orch session show`, `orch events list`, `orch dashboard` (live), `orch program list`.")
