"""orch migrate v1 turns V1's teams.json into the project's organisation (.claude/orch-teams.toml)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from orch_teams import organisation
from orch_teams.v1 import plan
from orchcore.api import V1Project, plan_assignments, team_loads

REAL_V1 = Path(__file__).parents[3] / ".." / "shared" / "v1"

# V1's format (cc-dev-team's .claude/orchestration/teams.json), cut down to two teams.
TEAMS = {
    "version": "1.0",
    "description": "Team definitions and hierarchy for orchestration system",
    "teams": {
        "engineering": {
            "name": "Engineering Team",
            "description": "Core development team for implementation tasks",
            "orchestrator": "engineering-director",
            "model_preference": "opus",
            "settings": {"max_parallel_agents": 4, "require_code_review": True},
            "members": [
                {"agent": "engineering-lead", "role": "Technical Leadership", "capacity": 1,
                 "skills": ["architecture", "code_review"], "model": "opus",
                 "responsibilities": ["Write technical specifications", "Review all code changes"]},
                {"agent": "engineering-fullstack", "role": "Full Stack Development", "capacity": 3,
                 "skills": ["frontend", "backend", "api"], "model": "sonnet",
                 "responsibilities": ["Implement features end-to-end", "Create API endpoints"]},
            ],
            "workflows": {"task_flow": ["specification", "implementation", "review"]},
        },
        "qa": {
            "name": "QA Team",
            "description": "Quality assurance and testing",
            "orchestrator": "qa-director",
            "model_preference": "opus",
            "settings": {"max_parallel_agents": 2},
            "members": [
                {"agent": "qa-e2e", "role": "End-to-End Testing", "capacity": 2,
                 "skills": ["e2e_testing", "cross_browser_testing"], "model": "haiku"},
            ],
        },
    },
    "orchestration_settings": {"max_total_agents": 10},
}
STATE = {"tasks": {}, "agents": {"active": {}}}
V1_AGENT_FILE = "---\nname: engineering-lead\ndescription: V1's technical lead\n---\nYou are V1's lead.\n"


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    """A V1 project with its teams, a state file and one of its own agent files."""
    root = tmp_path / "v1"
    write_json(root / ".claude" / "orchestration" / "teams.json", TEAMS)
    write_json(root / ".claude" / "state" / "orchestration.json", STATE)
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "engineering-lead.md").write_text(V1_AGENT_FILE, encoding="utf-8")
    return root


@pytest.fixture
def migrate(teams, orch_cli):
    """``orch migrate v1 PATH --json``, with orch-teams installed; the report's part for the teams."""

    def run(path: Path, *args: str) -> dict:
        result = orch_cli("migrate", "v1", str(path), "--json", *args)
        assert result.exit_code == 0, result.stderr
        return result.json()["parts"]["teams"]

    return run


def change_teams(v1: Path, change) -> None:
    data = json.loads(json.dumps(TEAMS))
    change(data)
    write_json(v1 / ".claude" / "orchestration" / "teams.json", data)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- what the organisation becomes ------------------------------------------------------------


@pytest.mark.exercises_hook("orch_v1_importers")
def test_v1s_teams_replace_the_default_teams_with_members_capacity_skills_and_limits(
        v1, migrate, orch_plugin_manager):
    part = migrate(v1)

    assert part["imported"] == {"teams": 2, "agents": 5}
    teams = orch_plugin_manager.specs("orch_teams")
    assert list(teams) == ["engineering", "qa"]  # orch-teams's five default teams are gone
    engineering = teams["engineering"]
    assert engineering.description == "Core development team for implementation tasks"
    assert engineering.lead == "engineering-director"
    assert engineering.members == ("engineering-director", "engineering-lead", "engineering-fullstack")
    assert engineering.max_parallel == 4
    assert engineering.skills == ("architecture", "code_review", "frontend", "backend", "api")  # V1's names
    assert teams["qa"].max_parallel == 2

    agents = orch_plugin_manager.specs("orch_agents")
    director = agents["engineering-director"]
    assert (director.team, director.role, director.model) == ("engineering", "director", "opus")
    fullstack = agents["engineering-fullstack"]
    assert (fullstack.team, fullstack.role, fullstack.capacity, fullstack.model) == (
        "engineering", "specialist", 3, "sonnet")
    assert fullstack.skills == ("frontend", "backend", "api")
    assert fullstack.description == "Implement features end-to-end; Create API endpoints."
    assert agents["qa-e2e"].model == "haiku" and agents["qa-e2e"].capacity == 2
    assert organisation.load().agents["engineering-fullstack"].title == "Full Stack Development"


def test_the_file_names_the_v1_file_it_was_written_from_and_orch_teams_reads_it(v1, migrate, orch_project):
    migrate(v1)

    text = (orch_project / ".claude" / "orch-teams.toml").read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith(f"# Written by orch migrate v1 from {v1 / '.claude' / 'orchestration' / 'teams.json'} ")
    assert "defaults = false" in text.splitlines()
    assert set(organisation.load(orch_project).teams) == {"engineering", "qa"}


def test_team_loads_use_v1s_limits_and_people(v1, migrate, orch_plugin_manager, orch_bus, session_id):
    migrate(v1)
    orch_bus.create_session(session_id)
    orch_bus.emit(session_id, "task.created", {"id": "T-1", "title": "Login API"})
    _, session = orch_bus.emit(session_id, "task.assigned", {"id": "T-1", "assignee": "engineering-fullstack"})

    loads = {load.name: load for load in team_loads(session, orch_plugin_manager.specs("orch_teams"),
                                                    orch_plugin_manager.specs("orch_agents"))}

    engineering = loads["engineering"]
    assert engineering.max_parallel == 4 and engineering.lead == "engineering-director"
    assert engineering.tasks == 1  # the assignee's team, found in V1's teams
    assert loads["qa"].max_parallel == 2


def test_assignment_gives_a_member_as_many_tasks_as_its_v1_capacity(v1, migrate, orch_plugin_manager, orch_bus,
                                                                      session_id):
    migrate(v1)
    orch_bus.create_session(session_id)
    for n in range(1, 6):
        _, session = orch_bus.emit(session_id, "task.created", {
            "id": f"T-{n}", "title": f"Endpoint {n}", "team": "engineering", "skills": ["backend"]})

    outcome = plan_assignments(session, orch_plugin_manager, sprint=None)

    given = [d.member.name for d in outcome.assigned]
    assert given.count("engineering-fullstack") == 3  # its V1 capacity
    assert len(given) == 4  # V1's max_parallel_agents for the team
    assert "engineering at capacity (4/4 in parallel)" in outcome.left[0].why


# -- a second run ----------------------------------------------------------------------------------


def test_a_second_run_changes_nothing_and_says_the_teams_are_there(v1, migrate, orch_project):
    migrate(v1)
    path = orch_project / ".claude" / "orch-teams.toml"
    before = (path.read_bytes(), path.stat().st_mtime_ns)

    part = migrate(v1)

    assert part == {"imported": {}, "already": {"teams": 2, "agents": 5}, "notes": []}
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_when_v1s_teams_changed_the_migrations_file_is_rewritten(v1, migrate, orch_plugin_manager):
    migrate(v1)

    def change(data):
        data["teams"]["engineering"]["members"][1]["capacity"] = 5
        del data["teams"]["qa"]

    change_teams(v1, change)
    part = migrate(v1)

    assert part["imported"] == {"teams": 1, "agents": 3}
    assert any("changed since the last migration" in note for note in part["notes"])
    assert list(orch_plugin_manager.specs("orch_teams")) == ["engineering"]
    assert orch_plugin_manager.specs("orch_agents")["engineering-fullstack"].capacity == 5


def test_the_projects_own_file_is_never_touched_and_the_notes_say_how_to_merge(v1, migrate, orch_project):
    own = orch_project / ".claude" / "orch-teams.toml"
    own.write_text("[agents.engineering-backend]\nmodel = \"opus\"\n", encoding="utf-8")
    before = own.read_bytes()

    part = migrate(v1)

    assert own.read_bytes() == before
    assert part["imported"] == {} and part["already"] == {}
    assert part["notes"] == [
        f"left {own} as it is: it is the project's own, not written by orch migrate v1, so V1's 2 teams and "
        "5 agents were not imported",
        "to take them: move orch-teams.toml aside, run orch migrate v1 again (it writes V1's teams there), then "
        "copy your own changes into the new file (once edited, it is yours and later runs leave it alone)",
    ]


def test_a_file_edited_since_the_migration_wrote_it_is_the_users(v1, migrate, orch_project):
    migrate(v1)
    path = orch_project / ".claude" / "orch-teams.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("capacity = 3", "capacity = 4"), encoding="utf-8")
    edited = path.read_bytes()
    change_teams(v1, lambda data: data["teams"]["qa"]["settings"].update(max_parallel_agents=3))

    part = migrate(v1)

    assert path.read_bytes() == edited
    assert part["imported"] == {}
    assert "it is edited since orch migrate v1 wrote it" in part["notes"][0]


def test_a_dry_run_writes_nothing(v1, migrate, orch_project):
    part = migrate(v1, "--dry-run")

    assert part["would_import"] == {"teams": 2, "agents": 5}
    assert not (orch_project / ".claude" / "orch-teams.toml").exists()


def test_v1_without_teams_json_leaves_the_organisation_alone(v1, migrate, orch_project, orch_plugin_manager):
    (v1 / ".claude" / "orchestration" / "teams.json").unlink()

    assert migrate(v1) == {"imported": {}, "already": {}, "notes": []}
    assert not (orch_project / ".claude" / "orch-teams.toml").exists()
    assert "security" in orch_plugin_manager.specs("orch_teams")  # the defaults


def test_v1s_files_are_byte_identical_afterwards(v1, migrate):
    before = digest(v1)
    migrate(v1)
    assert digest(v1) == before

    change_teams(v1, lambda data: data["teams"]["qa"]["members"][0].update(capacity=1))
    before = digest(v1)
    migrate(v1)  # the rewrite
    assert digest(v1) == before


# -- what V1 may hold that orchcore does not take ------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["teams"].update({"Web Team": d["teams"].pop("qa")}),
     "teams.json: team 'Web Team' is not a name orchcore takes: orch-teams names are lowercase letters, digits "
     "and single hyphens (e.g. qa-tester); nothing was imported"),
    (lambda d: d["teams"]["qa"]["members"][0].update(agent="QA_E2E"),
     "teams.json: teams.qa.members[0].agent 'QA_E2E' is not a name orchcore takes"),
    (lambda d: d["teams"]["qa"].update(orchestrator="QA Director"),
     "teams.json: teams.qa.orchestrator 'QA Director' is not a name orchcore takes"),
    (lambda d: d["teams"]["qa"]["members"][0].update(agent="engineering-lead"),
     "teams.json: teams.qa.members[0].agent 'engineering-lead' is in team 'engineering' too; "
     "an orchcore agent has one team"),
    (lambda d: d["teams"]["qa"]["members"][0].update(capacity=0),
     "teams.json: teams.qa.members[0].capacity must be a whole number of at least 1, not 0"),
    (lambda d: d["teams"]["qa"]["settings"].update(max_parallel_agents="2"),
     "teams.json: teams.qa.settings.max_parallel_agents must be a whole number of at least 1, not '2'"),
    (lambda d: d["teams"]["qa"]["members"][0].update(skills="e2e"),
     "teams.json: teams.qa.members[0].skills must be a list of non-empty strings"),
    (lambda d: d["teams"]["qa"].update(members={"qa-e2e": {}}), "teams.json: teams.qa.members must be a list"),
    (lambda d: d.update(teams=[]), "teams.json: teams must be an object of teams"),
])
def test_what_orch_teams_would_refuse_is_one_line_naming_teams_json_and_nothing_is_written(
        v1, teams, orch_cli, orch_project, change, message):
    change_teams(v1, change)

    result = orch_cli("migrate", "v1", str(v1))

    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (orch_project / ".claude" / "orch-teams.toml").exists()
    assert orch_cli("session", "list", "--json").json() == []


def test_a_teams_json_that_is_not_json_is_one_line_with_the_place(v1, teams, orch_cli, orch_project):
    path = v1 / ".claude" / "orchestration" / "teams.json"
    path.write_text('{"teams": {"qa": ', encoding="utf-8")

    result = orch_cli("migrate", "v1", str(v1))

    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert f"{path}: not valid JSON at line 1 column" in result.stderr
    assert not (orch_project / ".claude" / "orch-teams.toml").exists()


def test_an_orchestrator_listed_among_the_members_is_one_director(tmp_path):
    v1 = tmp_path / "v1"
    data = json.loads(json.dumps(TEAMS))
    data["teams"]["qa"]["members"].append({"agent": "qa-director", "role": "QA lead", "capacity": 2,
                                           "skills": ["test_planning"]})
    write_json(v1 / ".claude" / "orchestration" / "teams.json", data)
    plan(V1Project(v1, tmp_path)).apply()

    qa = organisation.load(tmp_path)
    director = qa.director("qa")
    assert (director.name, director.capacity, director.skills) == ("qa-director", 2, ("test_planning",))
    assert [a.name for a in qa.members("qa")] == ["qa-director", "qa-e2e"]


# -- agent files ----------------------------------------------------------------------------------------


def test_install_writes_v1s_agents_and_keeps_v1s_own_agent_files(v1, migrate, orch_cli, orch_project):
    own = orch_project / ".claude" / "agents" / "engineering-lead.md"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text(V1_AGENT_FILE, encoding="utf-8")  # V1's own file, as a V1 project has it
    migrate(v1)

    result = orch_cli("install", "--json")

    assert result.exit_code == 0, result.stderr
    assert own.read_text(encoding="utf-8") == V1_AGENT_FILE
    written = {p.stem for p in (orch_project / ".claude" / "agents").glob("*.md")}
    assert written == {"engineering-director", "engineering-lead", "engineering-fullstack", "qa-director", "qa-e2e"}
    fullstack = (orch_project / ".claude" / "agents" / "engineering-fullstack.md").read_text(encoding="utf-8")
    assert "model: sonnet" in fullstack and "Your responsibilities:" in fullstack


# -- the real V1 files ----------------------------------------------------------------------------------


@pytest.mark.skipif(not (REAL_V1 / ".claude" / "orchestration" / "teams.json").exists(),
                    reason="the real V1 files are not here")
def test_the_real_v1_teams_become_an_organisation_orch_teams_accepts(tmp_path):
    source = REAL_V1.resolve()
    v1_teams = json.loads((source / ".claude" / "orchestration" / "teams.json").read_text(encoding="utf-8"))
    before = digest(source)

    part = plan(V1Project(source, tmp_path))
    part.apply()

    found = organisation.load(tmp_path)
    assert set(found.teams) == set(v1_teams["teams"])
    for name, team in v1_teams["teams"].items():
        assert found.teams[name].max_parallel == team["settings"]["max_parallel_agents"]
        assert found.director(name).name == team["orchestrator"]
        for member in team["members"]:
            agent = found.agents[member["agent"]]
            assert (agent.team, agent.capacity, agent.skills, agent.model) == (
                name, member["capacity"], tuple(member["skills"]), member["model"])
    assert part.counts == {"teams": len(found.teams), "agents": len(found.agents)}
    assert plan(V1Project(source, tmp_path)).already == part.counts
    assert digest(source) == before
