"""``orch orchestration`` (enable, disable, set-mode, status) and ``orch checkpoint`` (create, list)."""

from __future__ import annotations

import re
from typing import Any

import typer

from orch_commands.args import Param
from orch_commands.cli import (
    ArgsArgument,
    Call,
    check_teams,
    checkpoints,
    command,
    group,
)
from orchcore.api import JsonOption, OrchError, SessionOption, team_definitions

orchestration_app = group("Orchestration for one session: enable, disable, set-mode, status.")
checkpoint_app = group("Named checkpoints of a session's state: create, list.")

DEFAULT_MODES = ("default", "off", "none")
_MODE = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$")


def _programs(call: Call) -> dict[str, Any]:
    return call.plugins.specs("orch_programs")


def _mode_change(call: Call, wanted: str, force: bool = False) -> dict[str, Any]:
    """The ``session.mode`` data for a program name, a program's mode, or ``default``."""
    if wanted.lower() in DEFAULT_MODES:
        return {"mode": "default", "output_style": None}
    programs = _programs(call)
    for spec in programs.values():
        if wanted in (spec.name, spec.session_mode):
            return {"mode": spec.session_mode, "output_style": spec.name}
    if not force:
        known = ", ".join(sorted(programs)) or "none installed"
        raise OrchError(f"no program {wanted!r} (programs: {known}; or 'default'); pass --force to set it anyway")
    if not _MODE.match(wanted):
        raise OrchError(f"{wanted!r} is not a mode name (letters, digits, '.', '_', '-')")
    return {"mode": wanted}


def status_report(call: Call, state) -> tuple[dict[str, Any], list[str]]:
    programs = _programs(call)
    active_program = next((s.name for s in programs.values() if s.session_mode == state.mode), None)
    commands = sorted(call.plugins.specs("orch_commands"))
    teams = sorted(set(call.plugins.specs("orch_teams")) | set(state.state.teams))
    data = {
        "session_id": state.session_id, "orchestration_enabled": state.orchestration_enabled, "mode": state.mode,
        "program": active_program, "output_style": state.runtime_config.output_style,
        "active_teams": state.active_teams, "current_epic": state.current_epic,
        "current_sprint": state.current_sprint, "programs": sorted(programs), "teams": teams,
        "commands": [f"/{name}" for name in commands],
    }
    lines = [
        f"Session {state.session_id}: orchestration {'on' if state.orchestration_enabled else 'off'}",
        f"  mode          {state.mode}" + (f" (program {active_program})" if active_program else ""),
        f"  active teams  {', '.join(state.active_teams) or '-'}",
        f"  epic/sprint   {state.current_epic or '-'} / {state.current_sprint or '-'}",
        f"  programs      {', '.join(sorted(programs)) or 'none installed'}",
        f"  teams         {', '.join(teams) or 'none defined'}",
        f"  commands      {', '.join(data['commands']) or '-'}",
    ]
    return data, lines


ENABLE = (
    Param("what", "program and team names, in any order", kind="list", positional=True),
    Param("mode", "the program (mode) to run", aliases=("program",)),
    Param("teams", "teams to activate", kind="list", aliases=("team",)),
)


@command(orchestration_app, "enable", ENABLE)
def enable(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Turn orchestration on for this session; optionally choose a program and activate teams."""
    call = Call(ctx, args, ENABLE, "orch orchestration enable", session, as_json)
    state = call.state(create=True)
    mode, teams = call.get("mode"), list(call.get("teams", []))
    programs = _programs(call)
    team_names = set(call.plugins.specs("orch_teams")) | set(state.state.teams)
    for word in call.get("what", []):
        is_program = word.lower() in DEFAULT_MODES or any(word in (s.name, s.session_mode) for s in programs.values())
        if is_program and mode is None:
            mode = word
        elif word in team_names or (not team_names and not is_program):
            teams.append(word)
        else:
            raise OrchError(
                f"{word!r} is neither a program ({', '.join(sorted(programs)) or 'none installed'}) "
                f"nor a team ({', '.join(sorted(team_names)) or 'none defined'})"
            )
    change = _mode_change(call, mode) if mode else None
    if teams:
        check_teams(call.plugins, state, teams)
    seqs = []
    if not state.orchestration_enabled:
        seqs.append(call.emit("session.orchestration", {"enabled": True})[0].seq)
    if change is not None:
        seqs.append(call.emit("session.mode", change)[0].seq)
    if teams:
        definitions = team_definitions(call.plugins.specs("orch_teams"), teams)
        seqs.append(call.emit("session.teams", {"teams": teams, "definitions": definitions})[0].seq)
    state = call.runtime.store.get(call.session_id)
    data, lines = status_report(call, state)
    if not seqs:
        lines.insert(0, "Orchestration was already on; nothing changed.")
    call.done({**data, "events": seqs}, lines)


@command(orchestration_app, "disable", ())
def disable(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Turn orchestration off for this session (its state is kept)."""
    call = Call(ctx, args, (), "orch orchestration disable", session, as_json)
    state = call.state()
    seqs = []
    if state.orchestration_enabled:
        seqs.append(call.emit("session.orchestration", {"enabled": False})[0].seq)
    data, lines = status_report(call, call.runtime.store.get(call.session_id))
    call.done({**data, "events": seqs}, lines)


@command(orchestration_app, "status", ())
def status(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Whether orchestration is on, the mode, teams, sprint, and what is installed."""
    call = Call(ctx, args, (), "orch orchestration status", session, as_json)
    data, lines = status_report(call, call.state())
    call.done(data, lines)


SET_MODE = (
    Param("mode", "a program's name, or default", positional=True, aliases=("program", "to")),
    Param("force", "set a mode no installed program has", kind="flag"),
)


@command(orchestration_app, "set-mode", SET_MODE)
def set_mode(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Switch the session's mode (program); it takes effect on the next prompt."""
    call = Call(ctx, args, SET_MODE, "orch orchestration set-mode", session, as_json)
    state = call.state(create=True)
    if not call.get("mode"):
        known = ", ".join(sorted(_programs(call))) or "none installed"
        raise OrchError(f"orch orchestration set-mode: name a program or default (programs: {known})")
    change = _mode_change(call, call.get("mode"), bool(call.get("force")))
    previous = state.mode
    event, state = call.emit("session.mode", change)
    lines = [f"Mode {state.mode} (was {previous}); output style {state.runtime_config.output_style or '-'}; "
             "it takes effect on the next prompt."]
    if not state.orchestration_enabled:
        lines.append("Orchestration is off for this session: the mode applies once it is on "
                     "(orch orchestration enable, /orchestration:enable-orchestration).")
    call.done({"session_id": call.session_id, "seq": event.seq, "mode": state.mode, "previous": previous,
               "output_style": state.runtime_config.output_style,
               "orchestration_enabled": state.orchestration_enabled}, lines)


# -- checkpoints -----------------------------------------------------------

CREATE = (
    Param("name", "the checkpoint's name (default: cp-N)", positional=True),
    Param("note", "why, in a few words (the words after the name)", positional=True, greedy=True,
          aliases=("message", "m")),
    Param("force", "move an existing checkpoint of this name here", kind="flag"),
)


def _checkpoint_rows(found: dict[str, dict[str, Any]], last: int) -> list[dict[str, Any]]:
    return [{**cp, "events_since": last - cp["seq"]} for cp in sorted(found.values(), key=lambda c: c["event"])]


@command(checkpoint_app, "create", CREATE)
def create(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None, as_json: JsonOption = False):
    """Record a named checkpoint: the state as of now, to roll back or replay to (the core's checkpoint)."""
    from orchcore.api import create_checkpoint, require_live

    call = Call(ctx, args, CREATE, "orch checkpoint create", session, as_json)
    require_live(call.state())
    checkpoint, _ = create_checkpoint(call.runtime, call.session_id, call.get("name"), call.get("note", ""),
                                      force=bool(call.get("force")))
    found = checkpoints(call.runtime, call.session_id)
    rows = _checkpoint_rows(found, checkpoint.event)
    lines = [f"Checkpoint {checkpoint.name} marks the state after event {checkpoint.seq}."
             f" Return to it with: orch rollback --to {checkpoint.name}"]
    lines += [f"  {r['name']:<24} event {r['seq']:<6} {r['ts']}  {r['note']}".rstrip() for r in rows]
    call.done({"session_id": call.session_id, "checkpoint": found[checkpoint.name], "checkpoints": rows}, lines)


@command(checkpoint_app, "list", ())
def list_checkpoints(ctx: typer.Context, args: ArgsArgument = None, session: SessionOption = None,
                     as_json: JsonOption = False):
    """The session's checkpoints, oldest first."""
    call = Call(ctx, args, (), "orch checkpoint list", session, as_json)
    call.state()
    last = call.last_seq()
    rows = _checkpoint_rows(checkpoints(call.runtime, call.session_id), last)
    lines = [f"  {r['name']:<24} event {r['seq']:<6} {r['ts']}  ({r['events_since']} events since)  {r['note']}".rstrip()
             for r in rows] or ["no checkpoints yet (orch checkpoint create NAME)"]
    call.done({"session_id": call.session_id, "last_seq": last, "checkpoints": rows}, lines)
