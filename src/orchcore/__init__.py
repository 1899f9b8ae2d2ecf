"""orchcore: a session-aware orchestration runtime for Claude Code.

Kept import-free on purpose: Claude Code starts a process per hook event, so
``import orchcore`` must cost nothing beyond this file.
"""

__version__ = "0.1.0"
