"""`orch config set session.orchestration true` is held to limits.max_sessions like `orch session enable`."""

from __future__ import annotations

from conftest import SID

OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"


def test_turning_a_session_on_past_the_limit_is_refused_in_one_line(plugin, orch_bus, orch_cli, config):
    config.write({"limits": {"max_sessions": 1}})
    orch_bus.create_session(OTHER, orchestration_enabled=True)
    orch_bus.create_session(SID)

    refused = orch_cli("config", "set", "session.orchestration", "true", "--session", SID)

    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "(limits.max_sessions = 1)" in refused.stderr and "ORCH_MAX_SESSIONS" in refused.stderr
    assert orch_bus.store.get(SID).orchestration_enabled is False


def test_at_the_edge_it_turns_on(plugin, orch_bus, orch_cli, config):
    config.write({"limits": {"max_sessions": 2}})
    orch_bus.create_session(OTHER, orchestration_enabled=True)
    orch_bus.create_session(SID)

    assert orch_cli("config", "set", "session.orchestration", "true", "--session", SID).exit_code == 0
    assert orch_bus.store.get(SID).orchestration_enabled is True
