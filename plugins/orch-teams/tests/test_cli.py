"""The plugin through orch: activating teams, installing agents, listing and discovering the plugin."""

from __future__ import annotations

import importlib.metadata

from conftest import frontmatter

from orchcore.testing import installed_plugin_manager


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def test_activate_teams_copies_the_definitions_into_the_session(teams, orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    state = ok(orch_cli("session", "activate-teams", "engineering", "qa", "--json", session=session_id)).json()
    assert state["active_teams"] == ["engineering", "qa"]
    assert sorted(state["state"]["teams"]) == ["engineering", "qa"]
    qa = state["state"]["teams"]["qa"]
    assert qa["lead"] == "qa-lead"
    assert qa["members"] == ["qa-director", "qa-lead", "qa-automation", "qa-performance", "qa-tester", "qa-triage"]
    assert qa["max_parallel"] == 3
    assert "test-automation" in qa["skills"] and qa["description"]
    stored = ok(orch_cli("state", "get", "state.teams.engineering.lead", "--json", session=session_id)).json()
    assert stored == "engineering-lead"


def test_activating_a_team_that_does_not_exist_names_the_defined_ones(teams, orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    result = orch_cli("session", "activate-teams", "marketing", session=session_id)
    assert result.exit_code != 0
    assert "unknown team marketing" in result.stderr
    assert "devops, engineering, product, qa, security" in result.stderr


def test_install_writes_every_agent_with_valid_frontmatter(teams, orch_cli, orch_project, orch_plugin_manager):
    ok(orch_cli("install"))
    agents_dir = orch_project / ".claude" / "agents"
    specs = orch_plugin_manager.specs("orch_agents")
    assert sorted(p.stem for p in agents_dir.glob("*.md")) == sorted(specs)
    for name, spec in specs.items():
        fields, body = frontmatter((agents_dir / f"{name}.md").read_text(encoding="utf-8"))
        assert list(fields) == ["name", "description", "tools", "model"], name
        assert fields["name"] == name
        assert fields["description"] == spec.description
        assert fields["tools"] == ", ".join(spec.tools)
        assert fields["model"] == spec.model
        assert body.strip() == spec.prompt.strip()


def test_install_reports_the_agents_and_uninstall_removes_them(teams, orch_cli, orch_project):
    summary = ok(orch_cli("install", "--json")).json()
    created = [p for p in summary["files"]["written"] if "/agents/" in p]
    assert len(created) == 28
    assert summary["files"]["skipped"] == []
    ok(orch_cli("uninstall"))
    assert not (orch_project / ".claude" / "agents").exists()


def test_a_second_install_changes_nothing(teams, orch_cli):
    ok(orch_cli("install"))
    assert ok(orch_cli("install", "--dry-run")).stdout == "nothing to change\n"


def test_plugins_list_shows_the_plugin_and_its_hooks(teams, orch_cli):
    rows = {row["name"]: row for row in ok(orch_cli("plugins", "list", "--json")).json()}
    assert rows["teams"]["status"] == "active"
    assert rows["teams"]["hooks"] == ["orch_agents", "orch_teams", "orch_v1_importers"]
    assert rows["teams"]["error"] is None
    table = ok(orch_cli("plugins", "list")).stdout
    assert "teams" in table and "orch_agents, orch_teams, orch_v1_importers" in table


def test_the_installed_distribution_is_found_through_its_entry_point(orch_project):
    dist = importlib.metadata.distribution("orch-teams")
    entry = [ep for ep in dist.entry_points if ep.group == "orchcore"]
    assert [(ep.name, ep.value) for ep in entry] == [("teams", "orch_teams.plugin")]

    plugins = installed_plugin_manager()  # every installed entry point
    record = plugins.records["teams"]
    assert record.distribution == "orch-teams"
    assert record.version == dist.version
    assert not record.builtin
    assert "engineering" in plugins.specs("orch_teams")
    assert plugins.specs("orch_agents")["qa-tester"].team == "qa"
    assert plugins.records["teams"].status == "active"
