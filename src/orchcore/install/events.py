"""Which Claude Code events ``orch install`` wires, and how each is wired.

The event names, their matchers and what their answers can do are
Claude Code's protocol (``orchcore.protocol.EVENTS``); this module only
decides which of them orchcore leaves out, and derives the rest.

An event newer than the Claude Code that reads the settings is left out too:
2.1.328 skips an unknown event, but shows a "Settings Warning" dialog at
every interactive start (and logs an error under ``-p``).
"""

from __future__ import annotations

import re

from orchcore.protocol import BLOCK_BY_EXIT, EVENTS, NO_HTTP_HOOK_EVENTS

# The events `orch hook` is not wired to, and why:
UNWIRED_EVENTS = {
    "WorktreeCreate": "its stdout is the new worktree's path; the router's usual empty answer would make "
    "worktree creation fail",
    "MessageDisplay": "fires for every batch of streamed assistant lines; a process per line is too slow and "
    "there is nothing to orchestrate there",
    "FileChanged": "its matcher is also the list of files to watch; '*' would be meaningless and nothing in "
    "orchcore reacts to it",
    "Elicitation": "its answer is MCP form data; an answer we do not mean to give is risky and nothing in "
    "orchcore needs it",
    "ElicitationResult": "its answer is MCP form data; an answer we do not mean to give is risky and nothing "
    "in orchcore needs it",
    "WorktreeRemove": "nothing in orchcore reacts to it yet",
    "DirectoryAdded": "nothing in orchcore reacts to it yet",
}

# Every other event of the protocol, in the protocol's order.
WIRED_EVENTS = tuple(name for name in EVENTS if name not in UNWIRED_EVENTS)

# Events whose entries take no matcher ("Matcher on: —" in REFERENCE.md §2); the others get "*".
NO_MATCHER_EVENTS = frozenset(name for name in WIRED_EVENTS if EVENTS[name].matcher_field is None)

# Events that stay commands under the http transport: those Claude Code runs no
# http hook for, and those only an exit code 2 can block.
COMMAND_ONLY_EVENTS = frozenset(NO_HTTP_HOOK_EVENTS)
EXIT_CODE_BLOCK_EVENTS = frozenset(name for name in WIRED_EVENTS if BLOCK_BY_EXIT in EVENTS[name].answers)
HTTP_EVENTS = tuple(name for name in WIRED_EVENTS if name not in COMMAND_ONLY_EVENTS | EXIT_CODE_BLOCK_EVENTS)

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def version_tuple(text: str) -> tuple[int, int, int] | None:
    """``"2.1.332 (Claude Code)"`` → ``(2, 1, 332)``; None when the text holds no version."""
    found = _VERSION.search(text)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def wired_events(claude_version: str | None = None) -> tuple[str, ...]:
    """The events to wire for this Claude Code version; None (not known): all of them, as for the newest."""
    have = version_tuple(claude_version) if claude_version is not None else None
    if have is None:
        return WIRED_EVENTS
    return tuple(name for name in WIRED_EVENTS if not EVENTS[name].since or version_tuple(EVENTS[name].since) <= have)
