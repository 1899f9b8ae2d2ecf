"""A project changes the organisation with .claude/orch-teams.toml."""

from __future__ import annotations

import textwrap

import pytest

from conftest import frontmatter


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def project_file(orch_project):
    path = orch_project / ".claude" / "orch-teams.toml"

    def write(text: str):
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def test_a_field_of_a_default_agent_can_be_changed_alone(teams, project_file, orch_plugin_manager):
    project_file("""
        [agents.engineering-backend]
        model = "opus"
        capacity = 4
    """)
    backend = orch_plugin_manager.specs("orch_agents")["engineering-backend"]
    assert (backend.model, backend.capacity) == ("opus", 4)
    assert backend.tools == ("Read", "Edit", "Write", "Bash", "Grep", "Glob")  # the rest is the default's


def test_a_new_agent_joins_its_team_and_is_installed(teams, project_file, orch_plugin_manager, orch_cli,
                                                     orch_project):
    project_file("""
        [agents.engineering-mobile]
        team = "engineering"
        role = "specialist"
        title = "mobile apps"
        description = "Mobile specialist. Delegate iOS and Android app work to it: screens, offline sync, push notifications and store builds."
        tools = ["Read", "Edit", "Write", "Bash", "Grep", "Glob"]
        model = "sonnet"
        skills = ["swift", "kotlin"]
        capacity = 2
        prompt = "You are engineering-mobile, the mobile specialist of the engineering team."
    """)
    engineering = orch_plugin_manager.specs("orch_teams")["engineering"]
    assert engineering.members[-1] == "engineering-mobile"
    director = orch_plugin_manager.specs("orch_agents")["engineering-director"]
    assert "`engineering-mobile`: mobile apps (specialist)" in director.prompt
    ok(orch_cli("install"))
    fields, body = frontmatter((orch_project / ".claude" / "agents" / "engineering-mobile.md").read_text())
    assert fields["name"] == "engineering-mobile"
    assert "## When to escalate to engineering-director" in body


def test_a_team_and_its_agents_can_be_removed(teams, project_file, orch_plugin_manager):
    project_file("""
        [teams.security]
        enabled = false

        [agents.product-writer]
        enabled = false
    """)
    assert "security" not in orch_plugin_manager.specs("orch_teams")
    agents = orch_plugin_manager.specs("orch_agents")
    assert not [a for a in agents if a.startswith("security-")]
    assert "product-writer" not in agents
    assert "product-writer" not in orch_plugin_manager.specs("orch_teams")["product"].members
    assert "security-director" not in agents["qa-director"].prompt


def test_defaults_false_replaces_the_whole_organisation(teams, project_file, orch_plugin_manager, orch_cli,
                                                        session_id):
    project_file("""
        defaults = false

        [teams.research]
        description = "Reads papers and prototypes."
        lead = "research-lead"
        max_parallel = 2

        [agents.research-lead]
        team = "research"
        role = "specialist"
        description = "Research lead. Delegate literature reviews and prototype plans to it."
        prompt = "You are research-lead."
        tools = ["Read", "WebSearch"]
    """)
    assert list(orch_plugin_manager.specs("orch_teams")) == ["research"]
    assert list(orch_plugin_manager.specs("orch_agents")) == ["research-lead"]
    ok(orch_cli("session", "create", session_id))
    state = ok(orch_cli("session", "activate-teams", "research", "--json", session=session_id)).json()
    assert state["state"]["teams"]["research"]["members"] == ["research-lead"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[agents.qa-tester]\nmodle = 'opus'\n", "agents.qa-tester: unknown field modle"),
        ("[agents.qa-tester]\nrole = 'boss'\n", "agents.qa-tester.role must be one of director, specialist, worker"),
        ("[agents.qa-tester]\ncapacity = 0\n", "agents.qa-tester.capacity must be a whole number of at least 1"),
        ("[agents.qa-tester]\nteam = 'sales'\n", "agents.qa-tester.team names 'sales', which is not a team"),
        ("[agents.'QA Tester']\nteam = 'qa'\n", "names are lowercase letters, digits and single hyphens"),
        ("[teams.qa]\nlead = 'engineering-lead'\n", "teams.qa.lead 'engineering-lead' is not an agent of team qa"),
        ("[agents.qa-boss]\nteam = 'qa'\nrole = 'director'\ndescription = 'x'\nprompt = 'x'\n",
         "team qa has more than one director"),
        ("[protocols]\nmember = 'ask {{manager}}'\n", "protocols.member uses unknown placeholder {{manager}}"),
        ("teams = 3\n", "teams must be a table of tables"),
        ("[teams.qa]\nenabled = 'no'\n", "teams.qa.enabled must be true or false"),
        ("[protocols]\nworker = 'x'\n", "unknown protocol worker; expected director, lead, member"),
        ("[agents.qa-tester]\ntools = 'Read'\n", "agents.qa-tester.tools must be a list of non-empty strings"),
        ("sprint = 1\n", "unknown key sprint"),
        ("[agents.qa-tester\n", "is not valid TOML"),
    ],
)
def test_a_mistake_in_the_project_file_is_reported_with_the_file_and_field(teams, project_file, orch_plugin_manager,
                                                                          orch_cli, text, message):
    path = project_file(text)
    assert orch_plugin_manager.specs("orch_teams") == {}
    record = orch_plugin_manager.records["teams"]
    assert record.status == "error"
    assert str(path) in record.error and message in record.error, record.error
    rows = {row["name"]: row for row in ok(orch_cli("plugins", "list", "--json")).json()}
    assert rows["teams"]["status"] == "error"


def test_a_protocol_can_be_reworded(teams, project_file, orch_plugin_manager):
    project_file('''
        [protocols]
        member = """
        Report to {{director}} in at most five lines.
        """
    ''')
    tester = orch_plugin_manager.specs("orch_agents")["qa-tester"]
    assert tester.prompt.endswith("Report to qa-director in at most five lines.\n")
