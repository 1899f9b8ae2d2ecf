"""What the model sees while config_manager is active, and the change log it keeps per session."""

from __future__ import annotations

import pytest

from conftest import SID, prompt

from orchcore.api import InvalidValue

from orch_program_config.views import render_context


def context_of(orch_hook, text="what is configured?"):
    return orch_hook(prompt(text)).answer["hookSpecificOutput"]["additionalContext"]


def test_the_context_is_the_effective_config_with_sources(active, orch_hook, config, monkeypatch):
    config.write({"orchestration": {"enabled": True}, "plugins": {"deny": ["old-plugin"]}, "theme": "dark"})
    monkeypatch.setenv("ORCH_PLUGINS_DENY", "config-manager-test")
    active.emit(SID, "state.set", {"path": "runtime_config.status_line.segments", "value": ["mode"]})

    text = context_of(orch_hook)

    assert text.startswith("[program-context]\nProgram config_manager is active. Live state:\n"
                           "You manage this project's orchcore configuration")
    rows = {line.split()[0]: line for line in text.splitlines() if line.split() and "." in line.split()[0]}
    assert rows["orchestration.enabled"].split()[1:] == ["true", "project"]
    assert rows["plugins.deny"].split()[1:4] == ["config-manager-test", "env", "ORCH_PLUGINS_DENY"]
    assert "(the file's old-plugin is overridden)" in rows["plugins.deny"]
    assert rows["session.segments"].split()[1:3] == ["mode", "session"]
    assert "not read by orchcore (kept, but they do nothing): theme" in text
    assert "orch config set <key> <value>" in text


def test_the_context_follows_every_change(active, orch_hook, palette):
    before = context_of(orch_hook)
    palette("set orchestration.enabled true")
    after = context_of(orch_hook)

    def enabled(text: str) -> str:
        return next(line.split()[1] for line in text.splitlines() if line.split()[:1] == ["orchestration.enabled"])

    assert enabled(before) == "false"
    assert enabled(after) == "true"


def test_a_broken_file_is_reported_in_the_context(session, config):
    config.path.write_text("{nope", encoding="utf-8")

    text = render_context(session.store.get(SID))

    assert "The config file is unusable:" in text and "is not valid JSON" in text


def test_the_change_log_is_kept_under_the_plugins_namespace_and_replays(session):
    for i in range(55):
        session.emit(SID, "config_manager.changed", {"key": "store.options", "old": {"n": i}, "new": {"n": i + 1}})

    changes = session.store.get(SID).plugins["config_manager"]["changes"]
    assert len(changes) == 50 and changes[0]["old"] == {"n": 5} and changes[-1]["new"] == {"n": 55}
    assert session.replay(SID) == session.store.get(SID)


@pytest.mark.parametrize("data, message", [
    ({"new": 1}, "'key' must be the dotted key"),
    ({"key": "x"}, "give 'old', 'new' or both"),
    ({"key": "x", "new": 1, "scope": "galaxy"}, "'scope' must be project or session"),
])
def test_a_bad_change_event_is_rejected(session, data, message):
    with pytest.raises(InvalidValue, match=message):
        session.emit(SID, "config_manager.changed", data)
