"""``orch mcp``: run the session's MCP server on stdio (Claude Code starts it from ``.mcp.json``)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from orchcore.cli.common import SessionOption, runtime_of, session_id_of
from orchcore.cli.output import print_json


def mcp(
    ctx: typer.Context,
    session: SessionOption = None,
    list_tools: Annotated[bool, typer.Option("--list", help="Print the tools and their size in tokens, then exit.")] = False,
) -> None:
    """Serve orchcore's tools to Claude Code over stdio (mcp__orchcore__board, task_create, …)."""
    from orchcore import mcp_tools

    runtime = runtime_of(ctx)
    if list_tools:
        offered = mcp_tools.tools(runtime.plugins)
        print_json({"server": mcp_tools.SERVER_NAME, **mcp_tools.tools_size(offered),
                    "names": list(offered)})
        return
    given = session if session is not None else os.environ.get("CLAUDE_CODE_SESSION_ID")
    session_id = session_id_of(given) if given else None  # none: tools/list works, a call says why not
    from orchcore import mcp_server

    mcp_server.main(runtime, session_id)
