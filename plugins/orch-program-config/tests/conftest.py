"""Fixtures: the plugin on a fresh plugin manager, an installed organisation, the config file."""

from __future__ import annotations

import json

import pytest

from orchcore.api import AgentSpec, CommandSpec, TeamSpec, hookimpl

import orch_program_config.plugin as config_plugin

SID = "b5e1d0c2-7f3a-4e19-8c2d-6a0f9e3b4d71"


class Organisation:
    """What a teams plugin and a command pack would install."""

    @hookimpl
    def orch_teams(self):
        return [
            TeamSpec(name="engineering", lead="eng-director", members=["eng-director", "eng-backend"],
                     max_parallel=3, skills=["python", "api"]),
            TeamSpec(name="qa", lead="qa-director", members=["qa-director", "qa-tester"], max_parallel=2),
        ]

    @hookimpl
    def orch_agents(self):
        return [
            AgentSpec(name="eng-director", description="Leads engineering", team="engineering", role="director",
                      model="opus"),
            AgentSpec(name="eng-backend", description="Backend work", team="engineering", tools=["Read", "Edit"]),
            AgentSpec(name="qa-director", description="Leads QA", team="qa", role="director"),
            AgentSpec(name="qa-tester", description="Tests", team="qa", role="worker", tools=["Bash"], capacity=2),
        ]

    @hookimpl
    def orch_commands(self):
        return [CommandSpec(command="start-sprint", description="Start a sprint", body="!`orch state get mode`")]


@pytest.fixture
def sid() -> str:
    return SID


@pytest.fixture
def plugin(register_plugin):
    register_plugin(config_plugin, name="config-manager")
    return config_plugin


@pytest.fixture
def org(register_plugin):
    register_plugin(Organisation(), name="test-organisation")


@pytest.fixture
def config(orch_project):
    """The project's .claude/orchcore.json: ``config.write({...})``, ``config.read()``, ``config.text()``."""

    class ConfigFile:
        path = orch_project / ".claude" / "orchcore.json"

        def write(self, data, indent=2):
            self.path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")

        def read(self):
            return json.loads(self.path.read_text(encoding="utf-8"))

        def text(self):
            return self.path.read_text(encoding="utf-8") if self.path.exists() else None

    return ConfigFile()


@pytest.fixture
def session(orch_bus, plugin, org):
    orch_bus.create_session(SID, orchestration_enabled=True)
    return orch_bus


def prompt(text: str, sid: str = SID) -> dict:
    return {"session_id": sid, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
            "prompt": text}


@pytest.fixture
def active(session, orch_cli):
    result = orch_cli("program", "activate", "config_manager", session=SID)
    assert result.exit_code == 0, result.stderr
    return session


@pytest.fixture
def palette(active, orch_hook):
    """``palette("show")`` -> the text Claude Code shows for the blocked prompt."""

    def run(text: str) -> str:
        answer = orch_hook(prompt(text)).answer
        assert answer is not None and answer.get("decision") == "block", f"{text!r} was not answered: {answer}"
        return answer["reason"]

    return run
