"""Fixtures for orch-teams' tests; orchcore's own (orch_project, orch_cli, …) come from orchcore.testing."""

from __future__ import annotations

import json
import uuid

import pytest

from orch_teams import plugin


@pytest.fixture
def teams(register_plugin):
    """The plugin registered, under its entry-point name, in the test's plugin manager."""
    register_plugin(plugin, name="teams")
    return plugin


@pytest.fixture
def session_id() -> str:
    return str(uuid.uuid4())


def frontmatter(text: str) -> tuple[dict[str, str], str]:
    """A rendered agent file's frontmatter and body, read as strictly as YAML would read it.

    ``orch install`` writes one ``key: value`` per line, the value plain or a
    JSON (YAML double-quoted) string; anything else is a failure here.
    """
    assert text.startswith("---\n"), text[:40]
    head, sep, body = text[4:].partition("\n---\n")
    assert sep, "the frontmatter is not closed"
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(": ")
        assert colon and key and key not in fields, f"bad frontmatter line {line!r}"
        if value.startswith('"'):
            value = json.loads(value)
        else:
            assert ": " not in value and " #" not in value and not value.startswith(("'", "[", "{", "&", "*", "!", "|", ">")), (
                f"{key} must be quoted: {value!r}"
            )
        fields[key] = value
    return fields, body
