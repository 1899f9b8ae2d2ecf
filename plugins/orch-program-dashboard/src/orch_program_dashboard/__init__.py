"""The ``all-team_dashboard`` program for orchcore: a live orchestration dashboard.

The plugin module is ``orch_program_dashboard.plugin`` (entry point group
``orchcore``); ``views`` reads the session's state, ``render`` turns it into
text, ``palette`` answers the commands typed at the prompt.
"""

__version__ = "0.1.0"
