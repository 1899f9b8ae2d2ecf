"""Errors that reach the user as one line: what went wrong and what to do."""

from __future__ import annotations


class OrchError(Exception):
    """Base class for every error orchcore reports without a traceback."""

    exit_code = 1


class InvalidSessionId(OrchError):
    """A session id that is not Claude Code's format (a UUID)."""


class UnknownSession(OrchError):
    """The session id is well formed but the store has no such session."""


class NoSession(OrchError):
    """A command needs a session and neither --session nor CLAUDE_CODE_SESSION_ID names one."""


class StatePathError(OrchError):
    """A state path that does not exist or cannot hold the value."""


class InvalidValue(OrchError):
    """A value that does not fit the field it is written to."""


class UnknownEventType(OrchError):
    """An event type no plugin registered a reducer for."""


class DuplicateEvent(OrchError):
    """An event with this key is already in the session's log (it was recorded once already)."""


class SessionArchived(OrchError):
    """The session is archived for inactivity and read-only until its next hook event or ``orch session revive``."""


class StoreError(OrchError):
    """The store cannot be opened or used (corrupt, unreadable, locked for too long)."""


class LimitExceeded(InvalidValue):
    """A change would take a session past one of the plan's limits (``limits.*`` in the configuration)."""


class ConfigError(OrchError):
    """The project configuration file is not valid."""


class PluginError(OrchError):
    """A plugin failed while ORCH_STRICT_PLUGINS=1 made such failures fatal."""


class PluginFault(OrchError):
    """A plugin's code failed while the core ran it on the plugin's behalf.

    The built-in handlers run each program's ``render_context`` and palette
    commands; they raise this with the program's plugin name, so the router
    records the failure on that plugin, not on the built-in that called it.
    """

    def __init__(self, plugin: str, message: str):
        super().__init__(message)
        self.plugin = plugin


class PluginConflictError(PluginError):
    """Two plugins registered the same name for the same kind of thing."""


class JsonTooDeep(InvalidValue):
    """A JSON value nested deeper than orchcore takes (``orchcore.jsonlimits.MAX_DEPTH``)."""
