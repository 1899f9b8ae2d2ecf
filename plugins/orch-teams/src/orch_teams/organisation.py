"""The organisation as data: teams and agents read from TOML, checked, and turned into specs.

The default organisation is ``organisation.toml`` in this package. A project
can change it with ``.claude/orch-teams.toml`` in the same format: a team or
an agent with a name already defined is merged field by field over the
default (so ``[agents.engineering-backend] model = "opus"`` changes only the
model), a new name is added, ``enabled = false`` removes a team (with its
agents) or an agent, and ``defaults = false`` at the top starts from no teams
at all. Mistakes are reported with the file and the field, never guessed at.

Everything here runs only when orchcore asks the plugin for its teams or
agents (``orch install``, ``orch session activate-teams`` …): importing the
plugin module does not import this one.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

PROJECT_FILE = Path(".claude") / "orch-teams.toml"
DEFAULT_SOURCE = "orch-teams organisation.toml"

ROLES = ("director", "specialist", "worker")
# Names become file names (.claude/agents/<name>.md) and `subagent_type` values.
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
PROTOCOLS = ("director", "lead", "member")
_PLACEHOLDERS = {"name", "team", "team_description", "director", "lead", "roster", "max_parallel", "directors"}

TOP_KEYS = {"defaults", "teams", "agents", "protocols"}
TEAM_KEYS = {"description", "lead", "max_parallel", "skills", "enabled"}
AGENT_KEYS = {"team", "role", "title", "description", "prompt", "tools", "model", "skills", "capacity", "enabled"}


class OrganisationError(ValueError):
    """The organisation data is not valid; the message names the file and the field."""


# -- reading ---------------------------------------------------------------------


@functools.cache
def _default_data() -> Mapping[str, Any]:
    text = resources.files("orch_teams").joinpath("organisation.toml").read_text(encoding="utf-8")
    return _parse(text, DEFAULT_SOURCE)


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrganisationError(f"{source} is not valid TOML: {exc}") from None


def project_file(project: Path | None = None) -> Path:
    """Where a project keeps its changes to the organisation."""
    if project is None:
        from orchcore.api import project_dir

        project = project_dir()
    return project / PROJECT_FILE


def load(project: Path | None = None) -> Organisation:
    """The organisation in effect for ``project`` (default: orchcore's current project)."""
    path = project_file(project)
    try:
        stat = path.stat()
    except OSError:
        return _load(None, None)
    return _load(str(path), (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _load(path: str | None, stamp: tuple[int, int] | None) -> Organisation:
    # Cached by the file's path and stamp, so a long-lived process (orchcore's
    # resident runtime) sees an edited project file at once and parses it only once.
    if path is None:
        return Organisation.from_data(merge({}, dict(_default_data()), DEFAULT_SOURCE), DEFAULT_SOURCE)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise OrganisationError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise OrganisationError(f"{path} is not UTF-8 text") from None
    return from_project_text(text, path)


def from_project_text(text: str, source: str) -> Organisation:
    """The organisation a project file holding ``text`` gives, checked; mistakes name ``source``.

    What ``load`` does with the file once it is written, so a writer (``orch
    migrate v1``) can check a file before it puts it in place.
    """
    data = merge({}, dict(_default_data()), DEFAULT_SOURCE)  # the packaged file obeys the same rules
    return Organisation.from_data(merge(data, _parse(text, source), source), source)


# -- merging a project's changes ----------------------------------------------------


def merge(base: dict[str, Any], overlay: dict[str, Any], source: str) -> dict[str, Any]:
    """``overlay`` (a project file's data) applied to ``base``; removals are done here."""
    unknown = set(overlay) - TOP_KEYS
    if unknown:
        raise OrganisationError(
            f"{source}: unknown key {', '.join(sorted(unknown))}; expected {', '.join(sorted(TOP_KEYS))}"
        )
    defaults = overlay.get("defaults", True)
    if not isinstance(defaults, bool):
        raise OrganisationError(f"{source}: defaults must be true or false")
    teams = dict(base.get("teams", {})) if defaults else {}
    agents = dict(base.get("agents", {})) if defaults else {}
    protocols = dict(base.get("protocols", {}))

    for kind, target, keys in (("teams", teams, TEAM_KEYS), ("agents", agents, AGENT_KEYS)):
        tables = overlay.get(kind, {})
        if not isinstance(tables, dict):
            raise OrganisationError(f"{source}: {kind} must be a table of tables")
        for name, fields in tables.items():
            where = f"{source}: {kind}.{name}"
            if not isinstance(fields, dict):
                raise OrganisationError(f"{where} must be a table")
            unknown = set(fields) - keys
            if unknown:
                raise OrganisationError(
                    f"{where}: unknown field {', '.join(sorted(unknown))}; expected {', '.join(sorted(keys))}"
                )
            if not isinstance(fields.get("enabled", True), bool):
                raise OrganisationError(f"{where}.enabled must be true or false")
            target[name] = {**target.get(name, {}), **fields}

    changed = overlay.get("protocols", {})
    if not isinstance(changed, dict):
        raise OrganisationError(f"{source}: protocols must be a table")
    unknown = set(changed) - set(PROTOCOLS)
    if unknown:
        raise OrganisationError(
            f"{source}: unknown protocol {', '.join(sorted(unknown))}; expected {', '.join(PROTOCOLS)}"
        )
    protocols.update(changed)

    removed_teams = {name for name, team in teams.items() if team.get("enabled", True) is False}
    teams = {name: team for name, team in teams.items() if name not in removed_teams}
    agents = {
        name: agent
        for name, agent in agents.items()
        if agent.get("enabled", True) is not False and agent.get("team") not in removed_teams
    }
    return {"teams": teams, "agents": agents, "protocols": protocols}


# -- the checked organisation -----------------------------------------------------------


@dataclass(frozen=True)
class Team:
    name: str
    description: str
    lead: str | None
    max_parallel: int | None
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Agent:
    name: str
    team: str
    role: str
    title: str
    description: str
    prompt: str  # the agent's own text, before the team protocol is added
    tools: tuple[str, ...]
    model: str | None
    skills: tuple[str, ...]
    capacity: int


@dataclass(frozen=True)
class Organisation:
    """Teams and agents, checked; ``team_specs()`` and ``agent_specs()`` are what orchcore gets."""

    teams: Mapping[str, Team]
    agents: Mapping[str, Agent]
    protocols: Mapping[str, str]

    @classmethod
    def from_data(cls, data: Mapping[str, Any], source: str) -> Organisation:
        check = _Checker(source)
        teams = {name: check.team(name, fields) for name, fields in data.get("teams", {}).items()}
        agents = {name: check.agent(name, fields, teams) for name, fields in data.get("agents", {}).items()}
        protocols = {name: check.protocol(name, data.get("protocols", {})) for name in PROTOCOLS}
        org = cls(teams=teams, agents=agents, protocols=protocols)
        for team in teams.values():
            directors = [a.name for a in org.members(team.name) if a.role == "director"]
            if len(directors) > 1:
                raise OrganisationError(f"{source}: team {team.name} has more than one director: {', '.join(directors)}")
            if team.lead is not None:
                lead = agents.get(team.lead)
                if lead is None or lead.team != team.name:
                    raise OrganisationError(
                        f"{source}: teams.{team.name}.lead {team.lead!r} is not an agent of team {team.name}"
                    )
        return org

    # -- questions other plugins may ask -------------------------------------------

    def members(self, team: str) -> list[Agent]:
        """The team's agents: its director, its lead, then the others in the data's order."""
        lead = self.teams[team].lead
        found = [a for a in self.agents.values() if a.team == team]
        return sorted(found, key=lambda a: 0 if a.role == "director" else 1 if a.name == lead else 2)

    def director(self, team: str) -> Agent | None:
        return next((a for a in self.members(team) if a.role == "director"), None)

    def position(self, agent: Agent) -> str:
        """Which protocol the agent's prompt ends with: director, lead or member."""
        if agent.role == "director":
            return "director"
        return "lead" if self.teams[agent.team].lead == agent.name else "member"

    def system_prompt(self, agent: Agent) -> str:
        """The agent's own prompt followed by the protocol for its place in the team."""
        team = self.teams[agent.team]
        director = self.director(team.name)
        head = director.name if director else team.lead or "whoever delegated the task to you"
        lead = team.lead or head
        others = [a for a in self.members(team.name) if a.name != agent.name and a.role != "director"]
        roster = "\n".join(
            f"- `{a.name}`: {a.title or a.description} ({'lead' if a.name == team.lead else a.role})" for a in others
        )
        directors = [f"{d.name} ({d.team})" for d in map(self.director, self.teams) if d and d.team != team.name]
        values = {
            "name": agent.name,
            "team": team.name,
            "team_description": team.description,
            "director": head,
            "lead": lead,
            "roster": roster or "- (no other members)",
            "max_parallel": str(team.max_parallel) if team.max_parallel else "a few",
            "directors": ", ".join(directors) or "no one else (there is no other team)",
        }
        protocol = PLACEHOLDER.sub(lambda m: values[m.group(1)], self.protocols[self.position(agent)])
        return f"{agent.prompt.strip()}\n\n{protocol.strip()}\n"

    # -- what orchcore gets ------------------------------------------------------------

    def team_specs(self) -> list[Any]:
        from orchcore.api import TeamSpec

        return [
            TeamSpec(
                name=team.name,
                description=team.description,
                lead=team.lead,
                members=[a.name for a in self.members(team.name)],
                max_parallel=team.max_parallel,
                skills=team.skills,
            )
            for team in self.teams.values()
        ]

    def agent_specs(self) -> list[Any]:
        from orchcore.api import AgentSpec

        return [
            AgentSpec(
                name=agent.name,
                description=agent.description,
                prompt=self.system_prompt(agent),
                team=agent.team,
                role=agent.role,
                tools=agent.tools,
                model=agent.model,
                skills=agent.skills,
                capacity=agent.capacity,
            )
            for team in self.teams
            for agent in self.members(team)
        ]


class _Checker:
    """Field checks with messages that point at the file and the field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> OrganisationError:
        return OrganisationError(f"{self.source}: {where} {message}")

    def name(self, kind: str, name: str) -> None:
        if not NAME.fullmatch(name):
            raise self.fail(f"{kind}.{name}:", "names are lowercase letters, digits and single hyphens (e.g. qa-tester)")

    def text(self, where: str, value: Any, required: bool = False) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise self.fail(where, "must be a string")
        if required and not value.strip():
            raise self.fail(where, "must not be empty")
        return value.strip()

    def names(self, where: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, "must be a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def count(self, where: str, value: Any, default: int | None) -> int | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(where, "must be a whole number of at least 1")
        return value

    def team(self, name: str, fields: Mapping[str, Any]) -> Team:
        self.name("teams", name)
        where = f"teams.{name}."
        lead = self.text(where + "lead", fields.get("lead"))
        return Team(
            name=name,
            description=self.text(where + "description", fields.get("description")),
            lead=lead or None,
            max_parallel=self.count(where + "max_parallel", fields.get("max_parallel"), None),
            skills=self.names(where + "skills", fields.get("skills")),
        )

    def agent(self, name: str, fields: Mapping[str, Any], teams: Mapping[str, Team]) -> Agent:
        self.name("agents", name)
        where = f"agents.{name}."
        team = self.text(where + "team", fields.get("team"), required=True)
        if team not in teams:
            raise self.fail(where + "team", f"names {team!r}, which is not a team ({', '.join(teams) or 'none defined'})")
        role = self.text(where + "role", fields.get("role"), required=True)
        if role not in ROLES:
            raise self.fail(where + "role", f"must be one of {', '.join(ROLES)}, not {role!r}")
        return Agent(
            name=name,
            team=team,
            role=role,
            title=self.text(where + "title", fields.get("title")),
            description=" ".join(self.text(where + "description", fields.get("description"), required=True).split()),
            prompt=self.text(where + "prompt", fields.get("prompt"), required=True),
            tools=self.names(where + "tools", fields.get("tools")),
            model=self.text(where + "model", fields.get("model")) or None,
            skills=self.names(where + "skills", fields.get("skills")),
            capacity=self.count(where + "capacity", fields.get("capacity"), 1) or 1,
        )

    def protocol(self, name: str, protocols: Mapping[str, Any]) -> str:
        where = f"protocols.{name}"
        text = self.text(where, protocols.get(name), required=True)
        unknown = sorted(set(PLACEHOLDER.findall(text)) - _PLACEHOLDERS)
        if unknown:
            raise self.fail(where, f"uses unknown placeholder {', '.join('{{' + u + '}}' for u in unknown)}")
        return text
