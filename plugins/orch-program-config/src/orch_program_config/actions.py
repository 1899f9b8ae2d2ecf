"""The commands, shared by the palette and ``orch config``, so both validate the same way.

Every action gets a ``Where`` (the config file, the plugin manager, the
session if there is one, the environment) and returns an ``Outcome``: the
text a person reads, the data ``--json`` prints, and the events to record in
the session (the caller records them: the palette through its hook context,
the CLI through the bus). A bad key or value raises SettingError before
anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from orchcore.api import config_lookup, config_problems, unknown_config_keys

from orch_program_config import configfile, views
from orch_program_config.events import CHANGED
from orch_program_config.keys import Installed, SettingError, check, is_session_key, key, parse, show_value


@attrs.frozen
class Where:
    path: Path
    plugins: Any = None
    session: Any = None
    env: Mapping[str, str] = attrs.field(factory=lambda: dict(os.environ))


@attrs.frozen
class Outcome:
    text: str
    data: Any = None
    events: tuple[tuple[str, dict[str, Any]], ...] = ()


def show(where: Where, name: str | None = None) -> Outcome:
    text, data = configfile.read(where.path)
    if name is None:
        settings = views.all_settings(data, where.env, where.session)
        return Outcome(views.settings_text(where.path, text, data, where.env, where.session), {
            "path": str(where.path), "exists": text is not None,
            "settings": [s.as_dict() for s in settings], "unknown_keys": unknown_config_keys(data)})
    spec = key(name)
    return Outcome(views.key_text(spec, data, where.env, where.session), _setting(where, spec, data))


def _setting(where: Where, spec: Any, data: dict[str, Any]) -> dict[str, Any]:
    if is_session_key(spec):
        found = {s.key: s for s in views.session_settings(where.session, where.env)}.get(spec.name)
        if found is None:
            raise SettingError(f"{spec.name} is a setting of a session: pass --session ID or run inside Claude Code")
        return found.as_dict()
    return views.effective(spec, data, where.env).as_dict()


def get(where: Where, name: str) -> Outcome:
    spec = key(name)
    _, data = configfile.read(where.path)
    setting = _setting(where, spec, data)
    return Outcome(show_value(setting["value"]), setting)


def _installed(where: Where) -> Installed:
    return Installed.of(where.plugins)


def _session_change(where: Where, spec: Any, value: Any) -> Outcome:
    session = where.session
    if session is None:
        raise SettingError(f"{spec.name} is a setting of a session: pass --session ID or run inside Claude Code")
    if spec.name == "session.orchestration":
        event = ("session.orchestration", {"enabled": value})
        text = f"orchestration is now {'on' if value else 'off'} for this session"
        if not value:
            text += " (the program and its palette stop with it; turn it back on with `orch session enable`)"
    else:
        event = ("state.set", {"path": "runtime_config.status_line.segments", "value": value})
        text = (f"this session's status line: {' │ '.join(value)}" if value
                else "this session uses the project's status line again")
    return Outcome(text, {"key": spec.name, "value": value, "scope": "session"}, (event,))


def _warnings(spec: Any, where: Where, data: dict[str, Any]) -> list[str]:
    notes = []
    if spec.env and spec.env in where.env:
        notes.append(f"note: {spec.env} is set in this environment and wins over the file")
    if spec.name == "statusline.segments" and config_lookup(data, "statusline.lines")[0]:
        notes.append("note: statusline.lines is set too, and wins over statusline.segments")
    if spec.name.startswith("statusline.") and where.session is not None \
            and where.session.runtime_config.status_line.segments:
        notes.append("note: this session has its own segments (session.segments), which win here")
    notes += [f"note: {p}" for p in config_problems(data, _installed(where))]
    if spec.name.startswith("plugins.") or spec.name.startswith("store."):
        notes.append("it applies from the next hook event or orch command")
    return notes


def _store_switch(where: Where, current: Any, value: Any, force: bool) -> None:
    """Switching the store backend hides every session kept in the current one: only on purpose."""
    if force or value == current:
        return
    why = ("memory keeps nothing between processes (Claude Code starts one per hook event): it is for tests"
           if value == "memory" else f"every session stored in {current} would no longer be seen")
    raise SettingError(
        f"store.backend {current} → {value}: {why}. To do it anyway, run "
        f"`orch config {'set store.backend ' + value if value else 'unset store.backend'} --force` in a terminal"
    )


def set_value(where: Where, name: str, raw: Any, parsed: bool = False, force: bool = False) -> Outcome:
    """Validate and write one key; ``raw`` is typed text unless ``parsed`` (then it is the value itself)."""
    spec = key(name)
    value = check(spec, raw if parsed else parse(spec, str(raw)), _installed(where))
    if is_session_key(spec):
        return _session_change(where, spec, value)
    if spec.name == "store.backend":
        _, data = configfile.read(where.path)
        _store_switch(where, views.effective(spec, data, {}).value, value, force)
    before, after = configfile.change(where.path, lambda data: configfile.set_key(data, spec.name, value))
    was_set, old = config_lookup(before, spec.name)
    if was_set and old == value:
        return Outcome(f"{spec.name} is already {show_value(value)}; nothing to change",
                       {"key": spec.name, "value": value, "changed": False})
    was = show_value(old) if was_set else "unset (default)"
    lines = [f"{spec.name} = {show_value(value)} (was {was}) in {where.path}", *_warnings(spec, where, after)]
    change: dict[str, Any] = {"key": spec.name, "new": value, "scope": "project"}
    if was_set:
        change["old"] = old
    events = ((CHANGED, change),) if where.session is not None else ()
    return Outcome("\n".join(lines), {"key": spec.name, "value": value, "changed": True,
                                      "old": old if was_set else None, "path": str(where.path)}, events)


def unset_value(where: Where, name: str, force: bool = False) -> Outcome:
    spec = key(name)
    if spec.name == "session.orchestration":
        raise SettingError("session.orchestration cannot be unset; set it to true or false")
    if is_session_key(spec):
        return set_value(where, spec.name, [], parsed=True)
    if spec.name == "store.backend":
        _, data = configfile.read(where.path)
        current = views.effective(spec, data, {}).value
        if current != spec.default_value() and not force:
            raise SettingError(
                f"store.backend {current} → {spec.default}: every session stored in {current} would no longer be "
                "seen. To do it anyway, run `orch config unset store.backend --force` in a terminal"
            )
    removed: dict[str, Any] = {}

    def edit(data: dict[str, Any]) -> None:
        present, value = config_lookup(data, spec.name)
        if present:
            removed["value"] = value
            configfile.unset_key(data, spec.name)

    configfile.change(where.path, edit)
    default = views.effective(spec, {}, {}).value
    if "value" not in removed:
        return Outcome(f"{spec.name} is not set in {where.path}; it is the default ({show_value(default)})",
                       {"key": spec.name, "changed": False})
    events = ((CHANGED, {"key": spec.name, "old": removed["value"], "scope": "project"}),) if where.session else ()
    return Outcome(f"{spec.name} unset (was {show_value(removed['value'])}); now the default: {show_value(default)}",
                   {"key": spec.name, "changed": True, "old": removed["value"]}, events)


def validate(where: Where) -> Outcome:
    try:
        text, data = configfile.read(where.path)
    except SettingError as exc:
        return Outcome(f"✗ {exc}", {"ok": False, "path": str(where.path), "problems": [str(exc)], "unknown_keys": []})
    found = config_problems(data, _installed(where))
    extra = unknown_config_keys(data)
    if text is None:
        head = f"{where.path} does not exist: every value is a default (valid)"
    elif found:
        head = f"✗ {where.path}: {len(found)} problem(s)"
    else:
        head = f"✓ {where.path} is valid"
    lines = [head, *(f"  - {p}" for p in found)]
    if extra:
        lines.append(f"  not read by orchcore (kept, they do nothing): {', '.join(extra)}")
    return Outcome("\n".join(lines), {"ok": not found, "path": str(where.path), "problems": found,
                                      "unknown_keys": extra})


def teams(where: Where) -> Outcome:
    return Outcome(*views.teams_text(where.plugins, where.session))


def agents(where: Where, team: str | None = None) -> Outcome:
    return Outcome(*views.agents_text(where.plugins, team))


def segments(where: Where) -> Outcome:
    _, data = configfile.read(where.path)
    return Outcome(*views.segments_text(where.plugins, data, where.session))


def plugins(where: Where) -> Outcome:
    _, data = configfile.read(where.path)
    return Outcome(*views.plugins_text(where.plugins, data, where.env))


def workflows(where: Where) -> Outcome:
    return Outcome(*views.workflows_text(where.plugins))
