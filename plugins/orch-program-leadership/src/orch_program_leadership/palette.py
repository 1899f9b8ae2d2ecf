"""The palette: short commands typed at the prompt while leadership_chat is the session's mode.

The router answers them without a model request (Claude Code shows the text
as the reason the prompt was blocked). A prompt is a command only when its
first word is the command's name and the number of words after it fits, so
"decisions we made last week?" still reaches the model; commands that take
free text start with a word a question rarely starts with, and check their
first argument. ``run`` never raises: a mistake comes back as text, and
nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchcore.api import PaletteCommand, plugin_specs

FREE_TEXT = 80  # words; the router refuses prompts over 200 characters anyway


def _specs(context: Any, hook: str) -> dict[str, Any]:
    """Installed specs of a hook; nothing when there is no manager or collecting them fails."""
    return plugin_specs(context.plugins, hook)


def guarded(action: Callable[[list[str], Any], Any]) -> Callable[[list[str], Any], str]:
    """Run an action; record its events on the context; turn every failure into text."""

    def run(args: list[str], context: Any) -> str:
        from orch_program_leadership.actions import CommandError

        try:
            outcome = action(list(args), context)
        except CommandError as exc:
            return f"✗ {exc}"
        except Exception as exc:  # our bug must not become the user's: report it, record nothing
            return f"✗ leadership_chat failed: {type(exc).__name__}: {exc} (nothing was recorded)"
        for event_type, data in outcome.events:
            context.emit(event_type, data)
        return outcome.text

    return run


def _threads(args, context):
    from orch_program_leadership import actions

    if args and args[0].lower() != "all":
        raise actions.CommandError("usage: threads [all]")
    return actions.list_threads(context.session, include_closed=bool(args))


def _thread(args, context):
    from orch_program_leadership import actions

    return actions.show_thread(context.session, args[0])


def _new_thread(args, context):
    from orch_program_leadership import actions

    return actions.open_thread(context.session, " ".join(args))


def _post(args, context):
    from orch_program_leadership import actions

    author, text = actions.author_and_text(args[1:])
    return actions.post(context.session, args[0], text, author=author)


def _close(args, context):
    from orch_program_leadership import actions

    return actions.close_thread(context.session, args[0], " ".join(args[1:]) or None)


def _decisions(args, context):
    from orch_program_leadership import actions

    return actions.list_decisions(context.session, owner=args[0] if args else None)


def _decide(args, context):
    from orch_program_leadership import actions

    decision, rationale = actions.split_rationale(args[1:])
    return actions.decide(context.session, args[0], decision, rationale)


def _allocate(args, context):
    from orch_program_leadership import actions

    return actions.allocate(context.session, args[0], args[1], _specs(context, "orch_teams"))


def _teams(args, context):
    from orch_program_leadership import actions

    return actions.teams(context.session, _specs(context, "orch_teams"), _specs(context, "orch_agents"))


def _perf(args, context):
    from orch_program_leadership import actions

    return actions.performance(
        context.session, args[0] if args else None, _specs(context, "orch_teams"), _specs(context, "orch_agents")
    )


PALETTE = (
    PaletteCommand("threads", "open threads with their last posts (`all`: closed ones too)", guarded(_threads),
                   usage="threads [all]", max_args=1),
    PaletteCommand("thread", "one thread with every post", guarded(_thread), usage="thread <id>",
                   min_args=1, max_args=1),
    PaletteCommand("new-thread", "open a discussion thread", guarded(_new_thread), usage="new-thread <title…>",
                   min_args=1, max_args=FREE_TEXT),
    PaletteCommand("post", "post in a thread (as a director: `post 2 eng-director: …`)", guarded(_post),
                   usage="post <id> [<who>:] <text…>", min_args=2, max_args=FREE_TEXT),
    PaletteCommand("close-thread", "close a thread, with an outcome", guarded(_close),
                   usage="close-thread <id> [outcome…]", min_args=1, max_args=FREE_TEXT),
    PaletteCommand("decisions", "the decision log, newest first (of one owner or team)", guarded(_decisions),
                   usage="decisions [<owner>]", max_args=1),
    PaletteCommand("decide", "log a decision with its owner and rationale", guarded(_decide),
                   usage="decide <who> <what> -- <why>", min_args=2, max_args=FREE_TEXT),
    PaletteCommand("allocate", "set how many agents a team gets", guarded(_allocate),
                   usage="allocate <team> <n>", min_args=2, max_args=2),
    PaletteCommand("teams", "load and completion per team", guarded(_teams), usage="teams"),
    PaletteCommand("perf", "performance analysis and what needs attention", guarded(_perf),
                   usage="perf [<team>]", max_args=1),
)
