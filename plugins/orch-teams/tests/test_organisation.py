"""The default organisation: who is in which team, and what each agent is allowed to do."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pytest

from orch_teams import plugin
from orch_teams.organisation import load

TEAMS = ["engineering", "qa", "product", "devops", "security"]
MODELS = {"opus", "sonnet", "haiku", "inherit"}
# The tools Claude Code 2.1.x knows under these names (the subagent tool is "Agent").
KNOWN_TOOLS = {"Read", "Edit", "Write", "Bash", "Grep", "Glob", "Agent", "WebFetch", "WebSearch"}
WRITING_TOOLS = {"Edit", "Write", "Bash"}


@pytest.fixture
def team_specs(teams, orch_plugin_manager):
    return orch_plugin_manager.specs("orch_teams")


@pytest.fixture
def agent_specs(teams, orch_plugin_manager):
    return orch_plugin_manager.specs("orch_agents")


def test_the_default_teams_are_defined_in_order(team_specs, orch_plugin_manager):
    assert list(team_specs) == TEAMS
    assert orch_plugin_manager.failures() == []


def test_every_teams_lead_and_members_exist_as_agents_of_that_team(team_specs, agent_specs):
    for team in team_specs.values():
        assert team.lead in team.members, team.name
        for member in team.members:
            assert member in agent_specs, f"{team.name}: {member} is not an agent"
            assert agent_specs[member].team == team.name
    members = [m for team in team_specs.values() for m in team.members]
    assert sorted(members) == sorted(agent_specs), "every agent belongs to exactly one team"


def test_every_team_has_a_director_a_lead_specialists_and_workers(team_specs, agent_specs):
    for team in team_specs.values():
        roles = Counter(agent_specs[m].role for m in team.members)
        assert roles["director"] == 1, team.name
        assert team.members[0] == f"{team.name}-director" and agent_specs[team.members[0]].role == "director"
        assert team.lead == f"{team.name}-lead" and team.members[1] == team.lead
        assert agent_specs[team.lead].role == "specialist"
        assert roles["specialist"] >= 2 and roles["worker"] >= 1, (team.name, roles)


def test_teams_have_a_description_skills_and_a_parallel_limit(team_specs):
    for team in team_specs.values():
        assert team.description and team.skills
        assert isinstance(team.max_parallel, int) and 1 <= team.max_parallel <= len(team.members)


def test_there_are_at_most_thirty_agents_with_unique_names_that_are_safe_file_names():
    names = [spec.name for spec in plugin.orch_agents()]  # straight from the hook: duplicates would show here
    assert 20 <= len(names) <= 30
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", name), name
        assert name.split("-")[0] in TEAMS, f"{name} is not named <team>-<role or speciality>"


def test_every_agent_is_fully_described(agent_specs):
    for agent in agent_specs.values():
        assert agent.team in TEAMS and agent.name.startswith(agent.team + "-")
        assert agent.role in ("director", "specialist", "worker")
        assert agent.tools and set(agent.tools) <= KNOWN_TOOLS, agent.name
        assert agent.model in MODELS
        assert agent.skills and agent.capacity >= 1
        # Claude Code picks a subagent_type by its description: one line, long enough to say when.
        assert "\n" not in agent.description and len(agent.description) >= 80, agent.name
        assert agent.prompt.startswith(f"You are {agent.name}, "), agent.name
        for part in ("## You must not", "## How you report back", "**Status:**" if agent.role != "director" else "**Outcome:**"):
            assert part in agent.prompt, (agent.name, part)


def test_directors_delegate_and_do_not_edit(team_specs, agent_specs):
    for team in team_specs.values():
        director = agent_specs[team.members[0]]
        assert "Agent" in director.tools
        assert not WRITING_TOOLS & set(director.tools), director.name
        assert director.model == "opus" and director.capacity == 1
        for member in team.members[1:]:  # named in the prompt, as the subagent_type to use
            assert f"`{member}`" in director.prompt, (director.name, member)
        others = [f"{t}-director" for t in TEAMS if t != team.name]
        assert all(other in director.prompt for other in others)


def test_leads_plan_and_review_and_may_delegate_to_their_team(team_specs, agent_specs):
    for team in team_specs.values():
        lead = agent_specs[team.lead]
        assert "Agent" in lead.tools, lead.name
        if team.name != "product":  # the product lead writes specs; the others plan and review
            assert not {"Edit", "Write"} & set(lead.tools), lead.name
        assert f"## When to escalate to {team.members[0]}" in lead.prompt
        for member in team.members[2:]:
            assert f"`{member}`" in lead.prompt


def test_specialists_and_workers_escalate_to_their_director_and_cannot_delegate(team_specs, agent_specs):
    for team in team_specs.values():
        for name in team.members[2:]:
            agent = agent_specs[name]
            assert "Agent" not in agent.tools, name
            assert f"## When to escalate to {team.members[0]}" in agent.prompt
            assert f"{team.lead} leads its day-to-day work" in agent.prompt
            assert agent.model == "sonnet"


def test_workers_can_change_files_and_run_commands(agent_specs):
    workers = [a for a in agent_specs.values() if a.role == "worker"]
    assert len(workers) >= 5
    for worker in workers:
        assert {"Read", "Bash", "Grep", "Glob"} <= set(worker.tools), worker.name
        assert worker.capacity >= 2


def test_read_only_reviewers_stay_read_only(agent_specs):
    # Auditors and scanners report; engineering applies the fixes.
    for name in ("security-lead", "security-auditor", "security-scanner", "qa-lead"):
        assert not {"Edit", "Write"} & set(agent_specs[name].tools), name
    assert "Edit" not in agent_specs["qa-triage"].tools  # it only adds reproduction files


def test_no_prompt_has_an_unfilled_placeholder(agent_specs):
    for agent in agent_specs.values():
        assert "{{" not in agent.prompt and "}}" not in agent.prompt, agent.name


def test_the_organisation_can_be_asked_about_positions():
    org = load()
    assert org.director("qa").name == "qa-director"
    assert [a.name for a in org.members("security")] == [
        "security-director", "security-lead", "security-auditor", "security-scanner"
    ]
    assert org.position(org.agents["qa-lead"]) == "lead"
    assert org.position(org.agents["qa-tester"]) == "member"


def test_importing_the_plugin_does_not_read_the_organisation():
    code = (
        "import sys, orch_teams.plugin; "
        "print(sorted(m for m in ('orch_teams.organisation', 'tomllib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
