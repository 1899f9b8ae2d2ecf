"""Plugins that ship with the core.

They are declared as entry points in orchcore's own pyproject.toml and load
exactly like a third-party plugin would: the core proves its contract on itself.
"""
