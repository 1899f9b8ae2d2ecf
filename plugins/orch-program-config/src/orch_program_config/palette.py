"""The palette: config commands typed at the prompt while config_manager is the session's mode.

Answered by the router without a model request. ``set`` takes exactly a key
and one value word (lists are comma-separated: ``set statusline.segments
mode,tasks,*``), so "set up the database for the tests" still reaches the
model. ``run`` never raises: a bad key or value comes back as text, and the
file is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchcore.api import PaletteCommand


def where_of(context: Any) -> Any:
    from orchcore.api import config_file

    from orch_program_config.actions import Where

    config = getattr(context, "config", None)
    path = getattr(config, "path", None) or config_file()
    return Where(path=path, plugins=context.plugins, session=context.session)


def guarded(action: Callable[[list[str], Any], Any]) -> Callable[[list[str], Any], str]:
    def run(args: list[str], context: Any) -> str:
        from orch_program_config.keys import SettingError

        try:
            outcome = action(list(args), where_of(context))
        except SettingError as exc:
            return f"✗ {exc}"
        except Exception as exc:  # our bug must not become the user's: report it
            return f"✗ config_manager failed: {type(exc).__name__}: {exc}"
        for event_type, data in outcome.events:
            context.emit(event_type, data)
        return outcome.text

    return run


def _call(name: str, *fixed: Any) -> Callable[[list[str], Any], Any]:
    def action(args: list[str], where: Any) -> Any:
        from orch_program_config import actions

        return getattr(actions, name)(where, *fixed, *args)

    return action


PALETTE = (
    PaletteCommand("show", "the effective config and where each value comes from (or one key)",
                   guarded(_call("show")), usage="show [<key>]", max_args=1),
    PaletteCommand("set", "change a setting (validated; lists are comma-separated)", guarded(_call("set_value")),
                   usage="set <key> <value>", min_args=2, max_args=2),
    PaletteCommand("unset", "back to the default", guarded(_call("unset_value")), usage="unset <key>",
                   min_args=1, max_args=1),
    PaletteCommand("validate", "check .claude/orchcore.json", guarded(_call("validate")), usage="validate"),
    PaletteCommand("teams", "installed teams (and which are active)", guarded(_call("teams")), usage="teams"),
    PaletteCommand("agents", "installed agent definitions (of one team)", guarded(_call("agents")),
                   usage="agents [<team>]", max_args=1),
    PaletteCommand("segments", "status-line segments and where they show", guarded(_call("segments")),
                   usage="segments"),
    PaletteCommand("plugins", "plugins with their status and allow/deny", guarded(_call("plugins")), usage="plugins"),
    PaletteCommand("workflows", "programs and slash commands", guarded(_call("workflows")), usage="workflows"),
)
