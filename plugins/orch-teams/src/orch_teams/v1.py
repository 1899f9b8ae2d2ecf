"""V1's teams (``.claude/orchestration/teams.json``) as the project's organisation, for ``orch migrate v1``.

The importer writes ``.claude/orch-teams.toml``, the file a project changes
the organisation with, so the teams and agents orchcore's capacity checks and
automatic assignment read are V1's. The decisions:

* V1's teams **replace** orch-teams's default teams (``defaults = false``):
  a V1 project had exactly the teams in its file.
* A team keeps its key as its name, its ``description`` (else its display
  ``name``), ``settings.max_parallel_agents`` as ``max_parallel``, and its
  ``skills`` are the union of its members' skills, V1's names kept as they are.
* The team's ``orchestrator`` becomes its director (role ``director``) and
  its ``lead``, with the team's ``model_preference`` as its model.
* Every member becomes a ``specialist`` of the team with its ``capacity``,
  ``skills`` and ``model`` (else the team's ``model_preference``); V1's
  ``role`` text is its title, its ``responsibilities`` its description.
* Nothing else of V1's team settings has a place in orchcore; the report says
  which were left.

The file starts with one comment line naming the V1 file and the sha256 of
the rest. A later run rewrites a file that line still vouches for (V1's
teams changed) and leaves alone any other file: the project's own, or one
edited since the migration wrote it. What is written is first read back
through ``organisation.from_project_text``, so it is never a file orch-teams
would refuse.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from orch_teams.organisation import NAME, OrganisationError, from_project_text, project_file

TEAMS_FILE = "orchestration/teams.json"
HEADER = re.compile(
    r"# Written by orch migrate v1 from (?P<source>.+) \(sha256 (?P<digest>[0-9a-f]{64}) of the lines below\)\.")
KEPT_SETTINGS = {"max_parallel_agents"}
AGENT_FIELDS = ("team", "role", "title", "description", "prompt", "model", "capacity", "skills")  # the file's order
_NAME_RULE = "orch-teams names are lowercase letters, digits and single hyphens (e.g. qa-tester)"


def plan(v1: Any) -> Any:
    """What importing V1's teams would do: write, rewrite, nothing (already there), or leave the user's file."""
    from orchcore.api import ImportPlan

    raw = v1.json(TEAMS_FILE)
    if raw is None:
        return ImportPlan()
    source = v1.path(TEAMS_FILE)
    data, left = organisation_data(raw, str(source))
    if not data["teams"]:
        return ImportPlan(notes=[f"{source} defines no teams; the organisation is left as it is"])
    target = project_file(Path(v1.target))
    text = render(data, str(source))
    check(text, data, f"{source} (as {target})")
    counts = {"teams": len(data["teams"]), "agents": len(data["agents"])}
    current = _read(target)
    if current == text:
        return ImportPlan(already=counts)
    if current is not None and not written_by_migration(current):
        how = "edited since orch migrate v1 wrote it" if HEADER.fullmatch(current.partition("\n")[0]) else \
            "the project's own, not written by orch migrate v1"
        return ImportPlan(notes=[
            f"left {target} as it is: it is {how}, so V1's {counts['teams']} teams and {counts['agents']} agents "
            "were not imported",
            f"to take them: move {target.name} aside, run orch migrate v1 again (it writes V1's teams there), then "
            "copy your own changes into the new file (once edited, it is yours and later runs leave it alone)",
        ])
    notes = [f"V1's teams replace orch-teams's default teams (defaults = false) in {target}; run orch install to "
             "write their agent files (it keeps V1's own files in .claude/agents/)"]
    if current is not None:
        notes.append(f"V1's teams changed since the last migration: {target.name} is rewritten with them")
    if left:
        notes.append(f"not taken from V1's team settings (orchcore has no place for them): {', '.join(left)}")

    def apply() -> None:
        from orchcore.api import OrchError, atomic_write

        now = _read(target)
        if now == text:
            return  # another run wrote it meanwhile
        if now != current:
            raise OrchError(f"{target} changed while orch migrate v1 ran; run it again")
        atomic_write(target, text)

    return ImportPlan(counts=counts, notes=notes, apply=apply)


def written_by_migration(text: str) -> bool:
    """Whether the first line vouches for the rest: written by the migration and not edited since."""
    first, _, rest = text.partition("\n")
    found = HEADER.fullmatch(first)
    return found is not None and found["digest"] == _digest(rest)


# -- V1's teams as orch-teams's data -------------------------------------------------


def organisation_data(raw: dict[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """orch-teams's data (``teams``, ``agents``) for V1's teams.json, and the V1 settings left behind."""
    v1_teams = raw.get("teams")
    if not isinstance(v1_teams, dict):
        raise _error(source, "teams", "must be an object of teams")
    teams: dict[str, dict[str, Any]] = {}
    agents: dict[str, dict[str, Any]] = {}
    left: set[str] = set()
    for key, team in v1_teams.items():
        where = f"teams.{key}"
        if not NAME.fullmatch(key):
            raise _error(source, f"team {key!r}", f"is not a name orchcore takes: {_NAME_RULE}")
        if not isinstance(team, dict):
            raise _error(source, where, "must be an object")
        display = _text(source, f"{where}.name", team.get("name")) or key
        description = _text(source, f"{where}.description", team.get("description"))
        preference = _text(source, f"{where}.model_preference", team.get("model_preference")) or None
        settings = team.get("settings", {})
        if not isinstance(settings, dict):
            raise _error(source, f"{where}.settings", "must be an object")
        left.update(set(settings) - KEPT_SETTINGS)
        orchestrator = _text(source, f"{where}.orchestrator", team.get("orchestrator")) or None
        members = team.get("members", [])
        if not isinstance(members, list):
            raise _error(source, f"{where}.members", "must be a list")

        out: dict[str, dict[str, Any]] = {}
        if orchestrator is not None:
            _claim(source, f"{where}.orchestrator", orchestrator, key, agents)
            out[orchestrator] = {
                "team": key, "role": "director", "title": "orchestrator",
                "description": f"Orchestrator of the {display}" + (f": {description}" if description else ""),
                "prompt": f"You are {orchestrator}, the orchestrator of the {display} (team `{key}`)"
                          + (f": {description}." if description else "."),
                "model": preference, "capacity": 1, "skills": [],
            }
        for i, member in enumerate(members):
            at = f"{where}.members[{i}]"
            if not isinstance(member, dict):
                raise _error(source, at, "must be an object")
            name = _text(source, f"{at}.agent", member.get("agent"))
            if not name:
                raise _error(source, f"{at}.agent", "must name the agent")
            if name == orchestrator:  # V1 listed its orchestrator as a member too: one agent, the director
                agent = out[name]
            else:
                _claim(source, f"{at}.agent", name, key, {**agents, **out})
                title = _text(source, f"{at}.role", member.get("role"))
                duties = _names(source, f"{at}.responsibilities", member.get("responsibilities"))
                agent = out[name] = {
                    "team": key, "role": "specialist", "title": title,
                    "description": "; ".join(duties) + "." if duties else f"{title or 'Member'} in the {display}.",
                    "prompt": f"You are {name} in the {display} (team `{key}`)"
                              + (f"; your role: {title}." if title else ".")
                              + ("\n\nYour responsibilities:\n" + "".join(f"- {d}\n" for d in duties)
                                 if duties else ""),
                    "model": preference, "capacity": 1, "skills": [],
                }
            agent["capacity"] = _count(source, f"{at}.capacity", member.get("capacity"), agent["capacity"])
            skills = _names(source, f"{at}.skills", member.get("skills"))
            agent["skills"] = list(dict.fromkeys([*agent["skills"], *skills]))
            agent["model"] = _text(source, f"{at}.model", member.get("model")) or agent["model"]
        agents.update({name: {k: agent.get(k) for k in AGENT_FIELDS} for name, agent in out.items()})
        teams[key] = {
            "description": description or display,
            "lead": orchestrator,
            "max_parallel": _count(source, f"{where}.settings.max_parallel_agents",
                                   settings.get("max_parallel_agents"), None),
            "skills": list(dict.fromkeys(s for a in out.values() for s in a["skills"])),
        }
    return {"defaults": False, "teams": teams, "agents": agents}, sorted(left)


def _error(source: str, where: str, message: str) -> Exception:
    from orchcore.api import V1FormatError

    return V1FormatError(f"{source}: {where} {message}; nothing was imported")


def _claim(source: str, where: str, name: str, team: str, taken: dict[str, dict[str, Any]]) -> None:
    """``name`` may be an agent of ``team``: a valid name, in no other team and not twice in this one."""
    if not NAME.fullmatch(name):
        raise _error(source, f"{where} {name!r}", f"is not a name orchcore takes: {_NAME_RULE}")
    if name in taken:
        other = taken[name]["team"]
        where_else = "twice in this team" if other == team else f"in team {other!r} too"
        raise _error(source, f"{where} {name!r}", f"is {where_else}; an orchcore agent has one team")


def _text(source: str, where: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _error(source, where, f"must be a string, not {type(value).__name__}")
    return " ".join(value.split())


def _names(source: str, where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _error(source, where, "must be a list of non-empty strings")
    return [v.strip() for v in value]


def _count(source: str, where: str, value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _error(source, where, f"must be a whole number of at least 1, not {value!r}")
    return value


# -- the file ------------------------------------------------------------------------


def render(data: dict[str, Any], source: str) -> str:
    """The project file for ``data``: the header line vouching for the rest, then plain TOML."""
    lines = [
        "# V1's teams replace orch-teams's default teams. A later orch migrate v1 rewrites this file when",
        "# V1's teams change; once you edit it, it is yours and the migration leaves it alone.",
        "",
        "defaults = false",
    ]
    for kind in ("teams", "agents"):
        for name, fields in data[kind].items():
            lines += ["", f"[{kind}.{name}]"]
            lines += [f"{key} = {_toml(value)}" for key, value in fields.items() if value not in (None, "", [])]
    rest = "\n".join(lines) + "\n"
    return f"# Written by orch migrate v1 from {source} (sha256 {_digest(rest)} of the lines below).\n{rest}"


def check(text: str, data: dict[str, Any], source: str) -> None:
    """``text`` reads back as ``data`` and as an organisation orch-teams accepts; else one line naming ``source``."""
    from orchcore.api import V1FormatError

    try:
        text.encode("utf-8")  # a lone surrogate (\ud800 in V1's JSON) cannot be written
        read = tomllib.loads(text)
        organisation = from_project_text(text, source)
        organisation.team_specs(), organisation.agent_specs()
    except (OrganisationError, ValueError) as exc:
        raise V1FormatError(f"{exc}; nothing was imported") from None
    wanted = {kind: {n: {k: v for k, v in f.items() if v not in (None, "", [])} for n, f in data[kind].items()}
              for kind in ("teams", "agents")}
    if {k: read.get(k) for k in ("teams", "agents")} != wanted:  # the writer's own mistake, never V1's
        raise V1FormatError(f"{source}: the file would not read back as V1's teams; nothing was imported")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
                         for c in value) + '"'


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _read(path: Path) -> str | None:
    from orchcore.api import OrchError

    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return ""  # not text the migration wrote: the user's
    except OSError as exc:
        raise OrchError(f"cannot read {path}: {exc.strerror}; nothing was imported") from None
