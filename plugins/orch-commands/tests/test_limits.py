"""`orch orchestration enable` is held to limits.max_sessions like the core's `orch session enable`."""

from __future__ import annotations

import json

OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"


def test_enable_past_the_configured_number_of_sessions_is_refused_and_changes_nothing(
        run, orch_bus, orch_project, organisation, session_id):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"limits": {"max_sessions": 1}}))
    orch_bus.create_session(OTHER, orchestration_enabled=True)
    orch_bus.create_session(session_id)

    refused = run("orchestration", "enable", "qa", ok=False)

    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "this project already has 1 orchestrated sessions active (limits.max_sessions = 1)" in refused.stderr
    state = orch_bus.store.get(session_id)
    assert (state.orchestration_enabled, state.active_teams) == (False, [])


def test_enable_at_the_limit_from_the_environment_is_allowed_once_a_place_is_free(
        run, orch_bus, orch_project, organisation, session_id, monkeypatch):
    monkeypatch.setenv("ORCH_MAX_SESSIONS", "2")
    orch_bus.create_session(OTHER, orchestration_enabled=True)

    assert run("orchestration", "enable", "--json").json()["orchestration_enabled"] is True
    run("orchestration", "disable", session=OTHER)
