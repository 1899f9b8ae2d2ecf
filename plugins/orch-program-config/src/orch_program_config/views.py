"""The effective configuration and where each value comes from; installed teams, agents, segments.

Precedence is the core's: an environment variable (``ORCH_ENABLED``,
``ORCH_PLUGINS_ALLOW`` …) wins over ``.claude/orchcore.json``, which wins over
the default; for the status line, a session's own segments win over the
project's rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from orchcore.api import ConfigKey, config_lookup, unknown_config_keys

from orch_program_config import configfile
from orch_program_config.keys import PROJECT_KEYS, is_session_key, show_value

PROJECT = "project"
DEFAULT = "default"


@attrs.frozen
class Setting:
    key: str
    value: Any
    source: str  # "env ORCH_…", "project", "session", "default"
    file_value: Any = None
    in_file: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = {"key": self.key, "value": self.value, "source": self.source, "in_file": self.in_file}
        if self.in_file:
            data["file_value"] = self.file_value
        if self.note:
            data["note"] = self.note
        return data


def effective(spec: ConfigKey, data: dict[str, Any], env: Mapping[str, str]) -> Setting:
    in_file, file_value = config_lookup(data, spec.name)
    env_value = spec.env_value(env)
    if env_value is not None:
        note = f"the file's {show_value(file_value)} is overridden" if in_file else ""
        return Setting(spec.name, env_value, f"env {spec.env}", file_value, in_file, note)
    if in_file:
        return Setting(spec.name, file_value, PROJECT, file_value, True)
    return Setting(spec.name, spec.default_value(), DEFAULT, None, False, spec.default_text or "")


def session_settings(session: Any, env: Mapping[str, str]) -> list[Setting]:
    if session is None:
        return []
    from orchcore.api import orchestration_override as env_override

    override = env_override(env)
    on = Setting("session.orchestration", session.orchestration_enabled, "session",
                 note="" if override is None else f"ORCH_ENABLED makes it {'on' if override else 'off'} for now")
    segments = list(session.runtime_config.status_line.segments)
    own = Setting("session.segments", segments, "session" if segments else DEFAULT,
                  note="wins over the project's status line" if segments else "the project's rows apply")
    return [on, own]


def all_settings(data: dict[str, Any], env: Mapping[str, str], session: Any = None) -> list[Setting]:
    return [effective(spec, data, env) for spec in PROJECT_KEYS.values()] + session_settings(session, env)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def settings_text(path: Path, text: str | None, data: dict[str, Any], env: Mapping[str, str],
                  session: Any = None) -> str:
    if text is None:
        head = f"{path}: not there yet, every project value is a default"
    else:
        head = f"{path}: {len(data)} top-level key(s)"
    rows = [["key", "value", "from"]]
    for setting in all_settings(data, env, session):
        source = setting.source + (f" ({setting.note})" if setting.note else "")
        rows.append([setting.key, show_value(setting.value), source])
    lines = [head, *_table(rows)]
    extra = unknown_config_keys(data)
    if extra:
        lines.append(f"not read by orchcore (kept, but they do nothing): {', '.join(extra)}")
    return "\n".join(lines)


def key_text(spec: ConfigKey, data: dict[str, Any], env: Mapping[str, str], session: Any = None) -> str:
    if is_session_key(spec):
        settings = {s.key: s for s in session_settings(session, env)}
        setting = settings.get(spec.name)
        value = "- (no session)" if setting is None else show_value(setting.value)
        source = "" if setting is None else f" (from {setting.source}{'; ' + setting.note if setting.note else ''})"
        return "\n".join([f"{spec.name} = {value}{source}", f"  {spec.help}", f"  takes {spec.accepts}",
                          f"  set it with: set {spec.name} <value>"])
    setting = effective(spec, data, env)
    lines = [f"{spec.name} = {show_value(setting.value)} (from {setting.source})", f"  {spec.help}",
             f"  takes {spec.accepts}",
             f"  default: {spec.default_text or show_value(spec.default_value())}"]
    if setting.in_file and setting.source != PROJECT:
        lines.append(f"  in the file: {show_value(setting.file_value)} (overridden by {spec.env})")
    if spec.env:
        lines.append(f"  environment: {spec.env}" + (f"={env[spec.env]}" if spec.env in env else " (not set)"))
    return "\n".join(lines)


def render_context(session: Any) -> str:
    """The live configuration for the model while config_manager is the session's mode."""
    from orchcore.api import config_file

    path = config_file()
    lines = ["You manage this project's orchcore configuration; change it only through the validated commands."]
    try:
        text, data = configfile.read(path)
    except Exception as exc:
        lines.append(f"The config file is unusable: {exc}")
        return "\n".join(lines)
    lines.append(settings_text(path, text, data, os.environ, session))
    lines.append(
        "\nChange settings with `orch config set <key> <value>` / `orch config unset <key>` (Bash), or let the user "
        "type palette commands: show [key], set <key> <value>, unset <key>, validate, teams, agents [team], "
        "segments, plugins, workflows."
    )
    return "\n".join(lines)


# -- what is installed -------------------------------------------------------------


def teams_text(plugins: Any, session: Any = None) -> tuple[str, list[dict[str, Any]]]:
    provided = plugins.collect("orch_teams") if plugins is not None else {}
    active = set(session.active_teams) if session is not None else set()
    defined = session.state.teams if session is not None else {}
    rows = []
    for name, item in sorted(provided.items()):
        spec = item.spec
        rows.append({"team": name, "lead": spec.lead, "members": list(spec.members), "max_parallel": spec.max_parallel,
                     "skills": list(spec.skills), "plugin": item.plugin, "active": name in active,
                     "session_definition": name in defined})
    for name in sorted(set(defined) - set(provided)):
        team = defined[name]
        rows.append({"team": name, "lead": team.lead, "members": list(team.members), "max_parallel": team.max_parallel,
                     "skills": list(team.skills), "plugin": None, "active": name in active, "session_definition": True})
    if not rows:
        return "no teams: install a teams plugin, or activate teams with definitions in the session", rows
    table = [["", "team", "lead", "members", "max", "skills", "from"]]
    for r in rows:
        table.append(["*" if r["active"] else "", r["team"], r["lead"] or "-", str(len(r["members"])),
                      "-" if r["max_parallel"] is None else str(r["max_parallel"]), ", ".join(r["skills"]) or "-",
                      r["plugin"] or "this session"])
    return "\n".join([*_table(table), "(* active in this session)"]), rows


def agents_text(plugins: Any, team: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    from orch_program_config.keys import SettingError

    agents = plugins.specs("orch_agents") if plugins is not None else {}
    teams = sorted(set(plugins.specs("orch_teams") if plugins is not None else {}) |
                   {a.team for a in agents.values() if a.team})
    if team is not None and team not in teams:
        raise SettingError(f"no team {team!r} (teams: {', '.join(teams) or 'none installed'})")
    chosen = [a for a in agents.values() if team is None or a.team == team]
    rows = [{"agent": a.name, "team": a.team, "role": a.role, "model": a.model, "tools": list(a.tools),
             "capacity": a.capacity, "description": a.description}
            for a in sorted(chosen, key=lambda a: (a.team or "~", {"director": 0, "specialist": 1}.get(a.role, 2),
                                                   a.name))]
    if not rows:
        return ("no agents installed" if team is None else f"no agents in {team}"), rows
    table = [["agent", "team", "role", "model", "tools", "cap"]]
    for r in rows:
        table.append([r["agent"], r["team"] or "-", r["role"], r["model"] or "inherit", ", ".join(r["tools"]) or "all",
                      str(r["capacity"])])
    return "\n".join(_table(table)), rows


def segments_text(plugins: Any, data: dict[str, Any], session: Any = None) -> tuple[str, list[dict[str, Any]]]:
    from orchcore.api import Config
    from orchcore.api import status_line_layout as layout

    provided = plugins.collect("orch_status_segments") if plugins is not None else {}
    segments = {name: item.spec for name, item in provided.items()}
    rows_in_use = layout(Config(data=data), session, segments)
    position = {name: f"row {r}" for r, row in enumerate(rows_in_use, 1) for name in row}
    rows = [{"segment": name, "description": item.spec.description, "plugin": item.plugin,
             "shown": position.get(name)} for name, item in sorted(provided.items())]
    table = [["segment", "shown", "from", "description"]]
    for r in rows:
        table.append([r["segment"], r["shown"] or "-", r["plugin"], r["description"] or ""])
    layout_line = " / ".join(" │ ".join(row) for row in rows_in_use) or "(the plain line)"
    return "\n".join([*_table(table), f"status line now: {layout_line}"]), rows


def plugins_text(plugins: Any, data: dict[str, Any], env: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    allow = effective(PROJECT_KEYS["plugins.allow"], data, env).value or []
    deny = effective(PROJECT_KEYS["plugins.deny"], data, env).value or []
    if plugins is not None:
        plugins.load()  # import every plugin, so each shows active, disabled or error (never "not loaded")
    rows = []
    for name, record in sorted((plugins.records if plugins is not None else {}).items()):
        configured = "denied" if name in deny else ("allowed" if name in allow else "")
        rows.append({"plugin": name, "status": record.status, "distribution": record.distribution,
                     "builtin": record.builtin, "config": configured})
    table = [["plugin", "status", "distribution", "config"]]
    for r in rows:
        table.append([r["plugin"], r["status"], (r["distribution"] or "-") + (" (built-in)" if r["builtin"] else ""),
                      r["config"] or "-"])
    note = "changes to plugins.allow / plugins.deny apply from the next hook event or command"
    return "\n".join([*_table(table), note]), rows


def workflows_text(plugins: Any) -> tuple[str, list[dict[str, Any]]]:
    programs = plugins.specs("orch_programs") if plugins is not None else {}
    commands = plugins.specs("orch_commands") if plugins is not None else {}
    rows = [{"kind": "program", "name": p.name, "description": p.description, "palette": [c.name for c in p.palette]}
            for p in programs.values()]
    rows += [{"kind": "command", "name": f"/{c.name}", "description": c.description} for c in commands.values()]
    lines = ["programs (orch program activate NAME):"]
    lines += [f"  {p.icon} {p.name}: {p.description}" for p in sorted(programs.values(), key=lambda p: p.name)]
    lines.append("slash commands (written by orch install):" if commands else "slash commands: none installed")
    lines += [f"  /{c.name}: {c.description}" for c in sorted(commands.values(), key=lambda c: c.name)]
    return "\n".join(lines), rows
