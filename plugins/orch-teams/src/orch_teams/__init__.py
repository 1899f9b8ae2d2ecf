"""orch-teams: the default organisation of teams and Claude Code agents for orchcore."""

__version__ = "0.1.0"
