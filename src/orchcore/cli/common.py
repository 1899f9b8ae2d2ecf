"""What every ``orch`` command uses, core and plugin alike: the runtime, ``--session``/``--json``, the session.

In one module so that a plugin's command finds a session, reports a missing
one and takes its options exactly as ``orch state get`` does, and so that the
command modules need nothing from ``orchcore.cli.app`` (which imports them).

A plugin's CLI group is a module-level ``typer.Typer`` in a module of its
own, imported by its ``CliCommand.load`` only when the group runs (typer
stays off the hook path); its commands take ``ctx: typer.Context`` and these
options, and ask these helpers for the runtime and the session
(CONTRIBUTING.md, "A CLI group for your plugin"). An ``OrchError`` a command
raises, these helpers' included, is one line on stderr and its exit code
(``orchcore.cli.app.OrchGroup``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from orchcore.errors import NoSession, OrchError
from orchcore.ids import check_session_id

if TYPE_CHECKING:
    from orchcore.models import Session
    from orchcore.runtime import Runtime

__all__ = [
    "JsonOption", "SessionArgument", "SessionOption", "known_session_of", "one_session", "runtime_of",
    "session_id_of", "session_of",
]

SessionOption = Annotated[
    str | None,
    typer.Option("--session", "-s", help="Session id; defaults to $CLAUDE_CODE_SESSION_ID."),
]
"""``--session ID``: every command about one session takes it; inside Claude Code it can be left out."""

SessionArgument = Annotated[
    str | None,
    typer.Argument(metavar="SESSION", help="The session id, as --session gives it.", show_default=False),
]
"""The id as an argument, ``orch session show ID``: the ``orch session`` commands that take no other argument
accept it beside ``--session`` (``one_session`` says which one was meant)."""

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
"""``--json``: every command that prints data can print it for scripts instead."""


def runtime_of(ctx: typer.Context) -> Runtime:
    """The Runtime (config, plugins, store, bus) shared by every command of one invocation.

    Built on first use and kept on the root context, so a command and the
    group around it see the same store; tests pass their own as ``obj``.
    """
    root = ctx.find_root()
    if root.obj is None:
        from orchcore.runtime import Runtime

        root.obj = Runtime()
    return root.obj


def session_id_of(session: str | None) -> str:
    """The id a command is about: ``--session``, else ``$CLAUDE_CODE_SESSION_ID`` (Claude Code sets it).

    Neither is the one-line error every command gives (``NoSession``); a
    malformed id is an error too, before any store is opened.
    """
    value = session if session is not None else os.environ.get("CLAUDE_CODE_SESSION_ID")
    if value is None or (session is None and not value):
        raise NoSession(
            "no session given: pass --session ID, or run inside Claude Code (it sets CLAUDE_CODE_SESSION_ID)"
        )
    return check_session_id(value)


def one_session(option: str | None, argument: str | None) -> str | None:
    """The session named by ``--session`` or by the argument, which are two spellings of one thing.

    Both given and naming different sessions is an error rather than a guess;
    neither is None (the caller's default applies).
    """
    if option is not None and argument is not None and check_session_id(option) != check_session_id(argument):
        raise OrchError(f"two different sessions given: {argument} as the argument and {option} with --session; "
                        "give one")
    return option if option is not None else argument


def session_of(ctx: typer.Context, session: str | None) -> Session:
    """The session a command is about, as stored; one that does not exist is an error naming it."""
    return runtime_of(ctx).store.get(session_id_of(session))


def known_session_of(ctx: typer.Context, session: str | None) -> Session | None:
    """For commands that work without a session and record into one when there is one (``orch config``).

    A session named with ``--session`` must exist; the one Claude Code names
    is used when the store has it; with neither, None.
    """
    if session is not None:
        return session_of(ctx, session)
    if not os.environ.get("CLAUDE_CODE_SESSION_ID"):
        return None
    return runtime_of(ctx).store.load(session_id_of(None))
