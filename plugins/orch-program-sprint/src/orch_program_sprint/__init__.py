"""The ``sprint_execution`` program for orchcore: the main agent runs a sprint.

The plugin module is ``orch_program_sprint.plugin`` (entry point group
``orchcore``); ``views`` reads the session's state, ``board`` turns it into
text, ``autoassign`` plans assignments by team capacity and skills,
``palette`` answers the commands typed at the prompt.
"""

__version__ = "0.1.0"
