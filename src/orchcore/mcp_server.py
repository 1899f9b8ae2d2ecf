"""``orch mcp``: the session's MCP server over stdio, built on the official ``mcp`` SDK.

Claude Code starts it once per session (from ``.mcp.json``) with
``CLAUDE_CODE_SESSION_ID`` and ``CLAUDE_PROJECT_DIR`` set, and it stays
resident while Claude Code runs, so a tool call costs a store transaction,
not a process. The tools themselves are in ``mcp_tools`` (no SDK there);
this module only speaks the protocol: ``tools/list``, ``tools/call`` and one
resource, ``orchcore://session/state``. The SDK is imported here, and this
module only by ``orch mcp`` and tests: never on the hook path.
"""

from __future__ import annotations

from typing import Any

from orchcore import __version__, mcp_tools

STATE_URI = "orchcore://session/state"
TOOL_USE_ID = "claudecode/toolUseId"  # what Claude Code puts in every call's _meta

INSTRUCTIONS = (
    "orchcore's orchestration state for this Claude Code session: read it with board, change it with the "
    "task_*, sprint_*, blocker, msg_*, decision and checkpoint tools (each call is one event in the session's log)."
)


def make_server(runtime: Any, session_id: str | None) -> Any:
    """The SDK ``Server`` for one session, over ``runtime`` (its store, bus and plugins)."""
    import mcp_types as types
    from mcp.server.lowlevel import Server

    offered = mcp_tools.tools(runtime.plugins)

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, description=t.description, input_schema=t.input_schema)
            for t in offered.values()
        ])

    async def call_tool(ctx: Any, params: Any) -> Any:
        meta = params.meta or {}
        tool_use_id = meta.get(TOOL_USE_ID) if isinstance(meta, dict) else None
        # Run in the loop itself: one client (Claude Code), a store transaction of a few milliseconds,
        # and the SQLite connection belongs to this thread.
        text, is_error = mcp_tools.run(runtime, session_id, offered, params.name, params.arguments,
                                       tool_use_id if isinstance(tool_use_id, str) else None)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=is_error)

    async def list_resources(ctx: Any, params: Any) -> Any:
        return types.ListResourcesResult(resources=[
            types.Resource(uri=STATE_URI, name="session-state", mime_type="application/json",
                           description="This session's orchestration state (tasks, sprints, agents, messages).")
        ])

    async def read_resource(ctx: Any, params: Any) -> Any:
        if str(params.uri) != STATE_URI or not session_id:
            raise ValueError(f"unknown resource {params.uri} (resources: {STATE_URI})")
        text = mcp_tools.state_resource(runtime, session_id)
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=STATE_URI, mime_type="application/json", text=text)
        ])

    return Server(mcp_tools.SERVER_NAME, version=__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool,
                  on_list_resources=list_resources, on_read_resource=read_resource)


async def serve_stdio(runtime: Any, session_id: str | None) -> None:
    """Serve the session on stdin/stdout until Claude Code closes the pipe."""
    from mcp.server.stdio import stdio_server

    server = make_server(runtime, session_id)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def main(runtime: Any, session_id: str | None) -> None:
    import anyio

    anyio.run(serve_stdio, runtime, session_id)
