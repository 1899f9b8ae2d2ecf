"""``orch runtime``: the project's resident runtime (``orchcore.resident``): is it up, start it, stop it."""

from __future__ import annotations

import os
import signal
import time
from typing import Annotated

import typer

from orchcore.cli.common import JsonOption, runtime_of
from orchcore.cli.output import print_json
from orchcore.errors import OrchError

app = typer.Typer(help="The project's resident runtime: the process Claude Code's http hooks post to.",
                  no_args_is_help=True)


def _env(ctx: typer.Context) -> dict[str, str]:
    return {**os.environ, "CLAUDE_PROJECT_DIR": str(runtime_of(ctx).project)}


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Whether it runs, its processes, its http port and open sessions; exit 1 when it does not run."""
    from orchcore.resident import client

    found = client.status(_env(ctx))
    if as_json:
        print_json(found or {"running": False})
    elif found is None:
        typer.echo("not running (the next SessionStart or `orch runtime start` starts it)")
    else:
        http = found["http"]
        where = f"127.0.0.1:{http['port']}" if http["port"] else "no http hooks wired"
        state = "listening" if http["listening"] else f"not listening: {http['problem'] or 'no port'}"
        typer.echo(f"running: pid {found['pid']} (supervisor {found.get('supervisor') or '-'})")
        typer.echo(f"  http           {where}, {state}")
        typer.echo(f"  open sessions  {found['open_sessions']}")
        typer.echo(f"  idle for       {found['idle_s']} s")
        typer.echo(f"  socket         {found['socket']}")
    if found is None:
        raise typer.Exit(1)


@app.command("start")
def start(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for it to answer.")] = 30.0,
) -> None:
    """Start it (if it does not run) and wait until it answers."""
    from orchcore.resident import client

    env = _env(ctx)
    if not client.enabled(env):
        raise OrchError("ORCH_RUNTIME=0 is set: the resident runtime is off")
    path = client.socket_path(env)
    if client.status(env) is None:
        client.start(path, env)
    if not client.wait_until_up(path, timeout):
        raise OrchError(f"the runtime did not answer within {timeout:g} s; see .claude/state/hook.log")
    typer.echo(f"running: pid {client.status(env)['pid']}")


@app.command("stop")
def stop(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for it to stop.")] = 30.0,
) -> None:
    """Stop it (and its supervisor); sessions still running go on without it until something starts it again."""
    from orchcore.resident import client

    env = _env(ctx)
    found = client.status(env)
    if found is None:
        typer.echo("not running")
        return
    os.kill(found.get("supervisor") or found["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while client.status(env, timeout_s=1.0) is not None:
        if time.monotonic() > deadline:
            raise OrchError(f"pid {found['pid']} did not stop within {timeout:g} s")
        time.sleep(0.05)
    typer.echo(f"stopped pid {found['pid']}")
