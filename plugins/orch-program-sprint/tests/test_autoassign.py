"""auto-assign beyond the realistic session: teams from plugins, agent capacity and skills, no teams."""

from __future__ import annotations

from conftest import SID, prompt

from orchcore.api import AgentSpec, TeamSpec, hookimpl


class DefaultTeams:
    """Teams and agents as a teams plugin ships them (nothing in the session's own state)."""

    @hookimpl
    def orch_teams(self):
        return [
            TeamSpec(name="engineering", lead="eng-director", members=["eng-director", "eng-dev", "eng-ops"],
                     max_parallel=3, skills=["python", "api"]),
            TeamSpec(name="design", lead="design-lead", members=["design-lead", "designer"], skills=["ux"]),
        ]

    @hookimpl
    def orch_agents(self):
        return [
            AgentSpec(name="eng-director", description="leads", team="engineering", role="director", capacity=2),
            AgentSpec(name="eng-dev", description="builds", team="engineering", capacity=2, skills=["python"]),
            AgentSpec(name="eng-ops", description="deploys", team="engineering", skills=["deploy", "infra"]),
            AgentSpec(name="designer", description="designs", team="design"),
        ]


def reply(orch_hook, text: str) -> str:
    answer = orch_hook(prompt(text)).answer
    assert answer["decision"] == "block", answer
    return answer["reason"]


def start(bus, orch_cli, tasks, teams=("engineering",)):
    bus.create_session(SID, orchestration_enabled=True)
    if teams:
        bus.emit(SID, "session.teams", {"teams": list(teams)})
    bus.emit(SID, "sprint.started", {"id": "S-1", "duration_days": 5})
    for task_id, title, extra in tasks:
        bus.emit(SID, "task.created", {"id": task_id, "title": title, "sprint": "S-1", **extra})
    assert orch_cli("program", "activate", "sprint_execution", session=SID).exit_code == 0


def assignees(bus) -> dict:
    return {t.id: t.assignee for t in bus.store.get(SID).state.tasks.values()}


def test_teams_and_agent_capacity_come_from_installed_plugins(orch_bus, register_plugin, orch_cli, orch_hook):
    import orch_program_sprint.plugin as sprint_plugin

    register_plugin(sprint_plugin, name="sprint_execution")
    register_plugin(DefaultTeams(), name="default-teams")
    start(orch_bus, orch_cli, [
        ("T-1", "Python API client", {"priority": "high"}),
        ("T-2", "Python retries", {}),
        ("T-3", "Deploy to staging", {"skills": ["deploy"]}),
        ("T-4", "Python docs", {}),
        ("T-5", "Onboarding screens", {"skills": ["ux"]}),  # design is not an active team
    ])

    lines = reply(orch_hook, "auto-assign").splitlines()

    # eng-dev takes two (capacity 2, skills python), eng-ops the deploy; the team's max 3 stops the fourth
    assert assignees(orch_bus) == {"T-1": "eng-dev", "T-2": "eng-dev", "T-3": "eng-ops", "T-4": None, "T-5": None}
    assert lines[0] == "auto-assign (sprint S-1): 3 of 5 pending tasks assigned"
    assert "  T-2 Python retries → eng-dev — engineering: skills python; load 1→2 of 2" in lines
    assert "  T-4 Python docs — engineering at capacity (3/3 in parallel)" in lines
    assert "  T-5 Onboarding screens — no team has the skills ux" in lines


def test_a_task_names_its_team(orch_bus, register_plugin, orch_cli, orch_hook):
    import orch_program_sprint.plugin as sprint_plugin

    register_plugin(sprint_plugin, name="sprint_execution")
    register_plugin(DefaultTeams(), name="default-teams")
    start(orch_bus, orch_cli, [("T-1", "Python API client", {"team": "design"})], teams=("engineering", "design"))

    assert "T-1 Python API client → designer — design: the task's team; load 0→1 of 1" in reply(orch_hook, "auto-assign")


def test_without_teams_the_sessions_live_agents_are_one_pool(orch_bus, register_plugin, orch_cli, orch_hook):
    import orch_program_sprint.plugin as sprint_plugin

    register_plugin(sprint_plugin, name="sprint_execution")
    start(orch_bus, orch_cli, [("T-1", "Fix login", {}), ("T-2", "Fix logout", {})], teams=())
    orch_bus.emit(SID, "agent.upserted", {"id": "a1f3", "agent_type": "general-purpose", "status": "active"})
    orch_bus.emit(SID, "agent.upserted", {"id": "b2e4", "name": "helper", "status": "completed"})

    lines = reply(orch_hook, "auto-assign").splitlines()

    assert assignees(orch_bus) == {"T-1": "a1f3", "T-2": None}
    assert lines[1] == "  T-1 Fix login → a1f3 — (session agents): no skill match, most free capacity; load 0→1 of 1"


def test_with_no_teams_and_no_agents_it_says_what_to_do(orch_bus, register_plugin, orch_cli, orch_hook):
    import orch_program_sprint.plugin as sprint_plugin

    register_plugin(sprint_plugin, name="sprint_execution")
    start(orch_bus, orch_cli, [("T-1", "Fix login", {})], teams=())

    assert reply(orch_hook, "auto-assign") == (
        "auto-assign (sprint S-1): no teams or agents to assign to: activate teams first "
        "(e.g. /orchestration:activate-team, or a session.teams event); nothing assigned")
    assert assignees(orch_bus) == {"T-1": None}


class RealisticTeams:
    """Skills written the way team plugins write them: hyphenated, on teams and on agents."""

    @hookimpl
    def orch_teams(self):
        return [
            TeamSpec(name="engineering", members=["eng-backend", "eng-developer"], max_parallel=4,
                     skills=["python", "api-design"]),
            TeamSpec(name="qa", members=["qa-tester", "qa-performance"], max_parallel=3,
                     skills=["regression-testing", "performance-testing"]),
            TeamSpec(name="devops", members=["devops-release"], max_parallel=3, skills=["release-management"]),
            TeamSpec(name="product", members=["product-writer", "product-ux"], max_parallel=2,
                     skills=["documentation", "ux-design"]),
        ]

    @hookimpl
    def orch_agents(self):
        return [
            AgentSpec(name="eng-backend", description="", skills=["python", "testing"], capacity=2),
            AgentSpec(name="eng-developer", description="", skills=["refactoring"], capacity=2),
            AgentSpec(name="qa-tester", description="", skills=["regression-testing"], capacity=2),
            AgentSpec(name="qa-performance", description="", skills=["load-testing"], capacity=2),
            AgentSpec(name="devops-release", description="", skills=["release-management"], capacity=2),
            AgentSpec(name="product-writer", description="", skills=["release-notes"], capacity=2),
            AgentSpec(name="product-ux", description="", skills=["ux-writing"], capacity=2),
        ]


def test_skills_match_as_stemmed_terms_and_whole_skills_win(orch_bus, register_plugin, orch_cli, orch_hook):
    import orch_program_sprint.plugin as sprint_plugin

    register_plugin(sprint_plugin, name="sprint_execution")
    register_plugin(RealisticTeams(), name="realistic-teams")
    start(orch_bus, orch_cli, [
        ("T-1", "Checkout regression tests", {}),  # qa's regression-testing, not a developer who also tests
        ("T-2", "Load testing of the payment API", {}),  # qa-performance's load-testing beats engineering's api
        ("T-3", "Write the release notes", {}),  # product-writer's release-notes beats devops' release-management
        ("T-4", "Onboarding UX copy", {}),  # two-letter skills count
        ("T-5", "Refactor the cart module", {}),
    ], teams=())

    reply(orch_hook, "auto-assign")

    assert assignees(orch_bus) == {"T-1": "qa-tester", "T-2": "qa-performance", "T-3": "product-writer",
                                   "T-4": "product-ux", "T-5": "eng-developer"}


def test_the_answer_stays_short_with_hundreds_of_pending_tasks(orch_bus, register_plugin, orch_cli, orch_hook):
    import orch_program_sprint.plugin as sprint_plugin

    register_plugin(sprint_plugin, name="sprint_execution")
    register_plugin(RealisticTeams(), name="realistic-teams")
    start(orch_bus, orch_cli, [(f"T-{n}", f"Python module {n}", {}) for n in range(300)], teams=())

    text = reply(orch_hook, "auto-assign")

    assert text.startswith("auto-assign (sprint S-1): 4 of 300 pending tasks assigned")
    assert "  … and 284 more (284 of them: engineering at capacity (4/4 in parallel))" in text
    assert len(text) < 4000
