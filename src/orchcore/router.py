"""``orch hook``: the one router for every Claude Code hook event.

parse stdin → find or create the session → (orchestration off: note the
activity, answer nothing) → dispatch to hook-handler plugins → merge their
results → answer in Claude Code's JSON protocol.

Claude Code must never be broken by us: malformed input, a corrupt store, a
plugin that raises or runs over its time budget, all end in a pass-through
(exit 0, no output) with the reason logged to ``.claude/state/hook.log``.
The only other exit code is a deliberate 2 for a handler's block on the
events where only an exit code can block (TaskCreated, ConfigChange …).

An event of a session whose orchestration is off never gets here: the gate
(``orchcore.gate``) answers it before anything is imported. This module
imports only the standard library at the top; typer and rich never load.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs milliseconds on every hook
    from typing import Any

from orchcore import gate, jsonlimits
from orchcore.errors import JsonTooDeep, OrchError
from orchcore.ids import is_session_id

MAX_INPUT_BYTES = gate.MAX_INPUT_BYTES
HOOK_BUSY_TIMEOUT_S = 5.0  # waiting longer for the store's lock than this is worse than passing through
LOG_NAME = "hook.log"
LOG_MAX_BYTES = 1024 * 1024
JOURNAL_BUDGET_S = 5.0  # kept events applied before one hook event at most this long; the next event goes on



class Reply:
    """What the process prints and how it exits."""

    def __init__(self, answer: dict[str, Any] | None = None, exit_code: int = 0, stderr: str = ""):
        self.answer = answer
        self.exit_code = exit_code
        self.stderr = stderr
        self.stdout = ""  # the answer as printed (set by ``respond``)


def main(
    data: bytes, stdout: Any = None, stderr: Any = None, env: dict[str, str] | None = None, runtime: Any = None
) -> int:
    """Route one payload (the bytes Claude Code wrote to stdin); returns the exit code.

    ``runtime``: tests pass one with their own plugins and store; normally the
    router builds it for the project the event belongs to.
    """
    env = dict(os.environ) if env is None else env
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    payload, problem = parse_payload(data)
    if payload is None:
        log(env, gate.find_project(env), f"passed through: {problem}")
        return 0
    reply = respond(payload, env, runtime)
    stdout.write(reply.stdout)
    stderr.write(reply.stderr)
    return reply.exit_code


def respond(
    payload: dict[str, Any], env: dict[str, str], runtime: Any = None, *, recovered: bool = False,
    occurred_at: str | None = None,
) -> Reply:
    """Route a parsed payload and encode the answer; never raises.

    Our bug, or a plugin's exit(), is never Claude Code's problem: it is
    logged and the event passes through. ``recovered``, ``occurred_at``: see ``HookEvent``.
    """
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    project = gate.find_project(env, cwd)
    try:
        reply = route(payload, project, env, runtime, recovered=recovered, occurred_at=occurred_at)
        # ASCII only: a lone surrogate from the payload must not break the write.
        reply.stdout = json.dumps(reply.answer, ensure_ascii=True, allow_nan=False) + "\n" if reply.answer else ""
        reply.stderr = _ascii(reply.stderr.rstrip("\n")) + "\n" if reply.stderr else ""
        return reply
    except (Exception, SystemExit) as exc:
        name = _ascii(str(payload.get("hook_event_name")))
        log(env, project, f"passed through {name}: {type(exc).__name__}: {_ascii(str(exc))}", exc)
        from orchcore.errors import StoreError
        from orchcore.plugins import strict_plugins

        told = _keep(payload, env, project, str(exc)) if isinstance(exc, StoreError) and not recovered else None
        if strict_plugins(env):
            failed = Reply(exit_code=1)
            failed.stderr = f"orch hook: {type(exc).__name__}: {_ascii(str(exc))}\n"
            return failed
        passed = Reply()
        if told:  # safe whatever the event: a message, no decision
            passed.stdout = json.dumps({"systemMessage": told}, ensure_ascii=True) + "\n"
        return passed


def _keep(payload: dict[str, Any], env: dict[str, str], project: str, problem: str) -> str | None:
    """The store failed: keep the event in the journal (``orchcore.journal``); the notice, once per session."""
    from orchcore import journal

    kept = journal.keep(payload, env, project)
    name = _ascii(str(payload.get("hook_event_name")))
    log(env, project, f"{name}: kept in {kept.where}" if kept.where else f"{name}: LOST, {kept.problem}")
    session_id = str(payload.get("session_id")).lower()
    if journal.orchestrated(env, project, session_id) and journal.first_notice(kept, session_id):
        return journal.notice(problem, kept)
    return None


def drain_journal(runtime: Any, env: dict[str, str] | None = None, budget_s: float | None = None) -> tuple[int, int]:
    """Route the hook events the journal kept while the store failed, oldest first, as recovered events.

    (applied, left); ``orch doctor`` and ``orch recover`` call this, and the
    router itself before an event when the journal holds some.
    """
    from orchcore import journal

    env = dict(os.environ) if env is None else env
    project = str(runtime.project)

    def apply(entry: dict[str, Any]) -> None:
        from orchcore.errors import StoreError

        payload = entry["payload"]
        own_env = {k: v for k, v in env.items() if k != "ORCH_ENABLED"}
        if isinstance(entry.get("enabled"), str):  # as the event came: the variable Claude Code's process had
            own_env["ORCH_ENABLED"] = entry["enabled"]
        occurred_at = entry.get("received_at") if isinstance(entry.get("received_at"), str) else None
        try:
            route(payload, project, own_env, runtime, recovered=True, occurred_at=occurred_at)
        except StoreError:
            raise  # the store still fails: this entry and the rest wait
        except (Exception, SystemExit) as exc:  # our bug or a plugin's: logged, and the entry counts as done
            log(env, project, f"journal: a kept {payload.get('hook_event_name')} could not be applied: "
                f"{type(exc).__name__}: {_ascii(str(exc))}", exc)

    return journal.drain(project, env, apply, lambda message: log(env, project, message), budget_s)


def _drain_journal(runtime: Any, env: dict[str, str], project: str) -> None:
    """Events kept while the store failed go before this one, in order; one stat per folder when there are none."""
    from orchcore import journal

    if not journal.waiting(env, project):
        return
    try:
        applied, left = drain_journal(runtime, env, budget_s=JOURNAL_BUDGET_S)
    except (Exception, SystemExit) as exc:  # never the current event's problem
        log(env, project, f"journal: not drained: {type(exc).__name__}: {_ascii(str(exc))}", exc)
        return
    if applied or left:
        log(env, project, f"journal: {applied} kept event(s) applied, {left} left")


def parse_payload(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The hook payload, or None and why it cannot be routed."""
    if len(data) > MAX_INPUT_BYTES:
        return None, f"payload larger than orchcore's limit of {MAX_INPUT_BYTES} bytes for hook input"
    if not data.strip():
        return None, "empty input"
    try:
        payload = jsonlimits.loads(data, "the payload")
    except JsonTooDeep as exc:
        return None, str(exc)
    except ValueError as exc:
        return None, f"input is not JSON ({str(exc)[:120]})"
    if not isinstance(payload, dict):
        return None, f"input is a JSON {type(payload).__name__}, not an object"
    name = payload.get("hook_event_name")
    if not isinstance(name, str) or not name:
        return None, "no hook_event_name"
    if not is_session_id(payload.get("session_id")):
        return None, f"{name}: session_id is not a Claude Code session id"
    return payload, None


def route(
    payload: dict[str, Any], project: str, env: dict[str, str], given_runtime: Any = None, *, recovered: bool = False,
    occurred_at: str | None = None,
) -> Reply:
    """The full path: runtime, session, handlers, merged answer."""
    from pathlib import Path

    from orchcore import limits
    from orchcore import lineage
    from orchcore.errors import DuplicateEvent, StoreError
    from orchcore.protocol import HookEvent, HookResult, answer, blocks_by_exit_code, merge
    from orchcore.runtime import Runtime

    event = HookEvent.from_payload(payload, recovered=recovered, occurred_at=occurred_at)
    name = event.hook_event_name
    session_id = event.session_id.lower()
    override = gate.env_override(env)
    directory = gate.state_dir(env, project)
    runtime = given_runtime or Runtime(
        project=Path(project), state_dir=Path(directory), config=_config(project, env),
        busy_timeout_s=HOOK_BUSY_TIMEOUT_S,
    )
    try:
        if not recovered:
            _drain_journal(runtime, env, project)
        bus = runtime.bus
        default_on = runtime.config.orchestration_enabled
        transcript = {"transcript_path": event.transcript_path} if event.transcript_path else {}
        # A new session past limits.max_sessions starts with orchestration off; ``notice`` tells the user once.
        session, notice = limits.open_hook_session(runtime, session_id, default_on, **transcript)
        # An archived session's next event revives it (orchcore.expiry); SessionStart says so itself (lineage).
        if session.archived_at is not None and name != "SessionStart":
            from orchcore import expiry

            session = expiry.revive(runtime, session_id, by=name, source="hook")
        if name == "SessionStart":  # a resume revives the session; a fork looks for its parent (orchcore.lineage)
            session = lineage.started(runtime, session, event, transcript)
        elif name == "SessionEnd":
            session = bus.emit(session_id, "session.ended", {"reason": event.reason or ""}, "hook")[1]
        session, linked = lineage.settle(runtime, session, event)  # a fork gets its parent's state once linked
        enabled = session.orchestration_enabled if override is None else override
        if not lineage.pending(session):  # a pending fork keeps no flag file: the gate hands its events here
            runtime.store.note_activity(session_id, session.orchestration_enabled)
        if not enabled:
            told = notice and not recovered
            return Reply(answer=answer(name, HookResult(system_message=notice))) if told else Reply()
        key = event.key
        if key is not None and runtime.store.recorded_keys(session_id, [key]):
            key = _joined_prompt(runtime, session_id, event) if name == "UserPromptSubmit" else None
            if key is None:
                log(env, project, f"{name}: already recorded as {event.key}; not applied again")
                return Reply()
        results, runs, failures = run_handlers(runtime, event, session, env)
        merged = merge(results)
        result = merged.result
        # The answer is decided; what follows is bookkeeping, and it must not cost the answer.
        try:
            notices = "\n".join(filter(None, [linked, _report_failures(bus, session, failures, merged.conflicts)]))
            if notices:
                result = _with_message(result, "\n".join(filter(None, [result.system_message, notices])))
            bus.emit(session_id, "hook.handled", _summary(event, runs, result), "hook", key=key)
        except DuplicateEvent as exc:  # recorded meanwhile by another path: the first record stands
            log(env, project, f"{name}: {exc}")
        except StoreError as exc:  # answered; kept to be recorded later (a recovered one stays where it was)
            if recovered:
                raise
            told = _keep(payload, env, project, str(exc))
            if told:
                result = _with_message(result, "\n".join(filter(None, [result.system_message, told])))
        except OrchError as exc:
            log(env, project, f"{name}: answered, but not recorded: {exc}")
        if recovered:
            return Reply()  # it already happened: nobody is waiting for an answer
        if blocks_by_exit_code(name, result):
            return Reply(exit_code=2, stderr=result.reason or "blocked by orchcore")
        return Reply(answer=answer(name, result))
    finally:
        if given_runtime is None:
            runtime.close()


def run_handlers(runtime: Any, event: Any, session: Any, env: dict[str, str]) -> tuple[list, dict, list]:
    """Call each matching handler within its time budget; returns results, timings and failures."""
    from orchcore.hookcontext import HookContext
    from orchcore.protocol import HookResult, matches, result_problem

    results: list[tuple[str, Any]] = []
    runs: dict[str, dict[str, Any]] = {}
    failures: list[tuple[str, str, str, str]] = []  # (handler, plugin to blame, why, the handler's own plugin)
    owned = _program_handlers(runtime)
    for handler_name, provided in runtime.plugins.collect("orch_hook_handlers").items():
        if handler_name in owned and session.mode not in owned[handler_name]:
            continue  # a program's own handler: live only while that program is the session's mode
        spec = provided.spec
        try:
            if not spec.handles(event.hook_event_name) or not matches(spec.matcher, event):
                continue
            budget_ms = max(int(spec.timeout_ms), 1)
        except (TypeError, ValueError) as exc:  # a malformed spec is its plugin's failure
            failures.append((handler_name, provided.plugin, f"is not a valid HookHandler ({exc})", provided.plugin))
            _record_plugin_failure(runtime, provided.plugin, f"hook handler {handler_name!r} is malformed", env)
            continue
        context = HookContext(  # each handler its own copy: no handler sees another's changes
            session=copy.deepcopy(session), plugin=provided.plugin, handler=handler_name, config=runtime.config,
            plugins=runtime.plugins, committer=_committer(runtime, session.session_id, handler_name),
        )
        started = time.perf_counter()
        value, error, culprit = _call_with_budget(spec.handler, event, context, budget_ms)
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        if error is None and value is not None:
            error = (
                result_problem(value) if isinstance(value, HookResult)
                else f"returned {type(value).__name__}, not a HookResult"
            )
        if error is None:
            error = _commit(runtime, session.session_id, handler_name, context.emitted)
        runs[handler_name] = {"ms": elapsed, "ok": error is None}
        if error is not None:
            plugin = culprit or provided.plugin  # a program's code run by a built-in handler is the program's failure
            failures.append((handler_name, plugin, error, provided.plugin))
            _record_plugin_failure(runtime, plugin, f"hook handler {handler_name!r} {error}", env)
            continue
        if value is not None:
            results.append((handler_name, value))
    return results, runs, failures


def _program_handlers(runtime: Any) -> dict[str, set[str]]:
    """Handler name -> the modes of the programs that ship it (``ProgramSpec.handlers``)."""
    owned: dict[str, set[str]] = {}
    for program in runtime.plugins.specs("orch_programs").values():
        for name in getattr(program, "handlers", ()):
            owned.setdefault(name, set()).add(program.session_mode)
    return owned


def _config(project: str, env: dict[str, str]) -> Any:
    """The project config; an invalid file counts as absent here (commands report it), and is logged once."""
    from pathlib import Path

    from orchcore.config import Config, load_config
    from orchcore.errors import ConfigError
    from orchcore.paths import config_file

    try:
        return load_config(config_file(Path(project)))
    except ConfigError as exc:
        log(env, project, f"config ignored: {exc}")
        return Config()


def _committer(runtime: Any, session_id: str, handler: str) -> Any:
    """``HookContext.commit``: handlers run in their own thread, so they get their own store connection."""

    def commit(event_type: str, data: dict[str, Any]) -> Any:
        from orchcore import limits
        from orchcore.bus import EventBus

        store = runtime.open_store()
        try:
            data = limits.admit(runtime, session_id, event_type, limits.fit_hook_fields(
                data, limits.field_bytes(runtime.config)), store=store)
            return EventBus(store, runtime.plugins).emit(session_id, event_type, data, f"handler:{handler}")[1]
        finally:
            if store is not runtime.store:
                store.close()

    return commit


def _commit(runtime: Any, session_id: str, handler: str, emitted: list) -> str | None:
    """Record the events a handler emitted (long text cut, limits added); a rejected one makes the handler a failure."""
    from orchcore import limits
    from orchcore.errors import OrchError, StoreError

    field_bytes = limits.field_bytes(runtime.config)
    for event_type, data in emitted:
        try:
            data = limits.admit(runtime, session_id, event_type, limits.fit_hook_fields(data, field_bytes))
            runtime.bus.emit(session_id, event_type, data, source=f"handler:{handler}")
        except StoreError:
            raise  # the store's failure, not the handler's: the event is kept in the journal
        except OrchError as exc:
            return f"emitted an event that was rejected ({event_type}: {exc})"
    return None


def _call_with_budget(
    function: Any, event: Any, context: Any, timeout_ms: int
) -> tuple[Any, str | None, str | None]:
    """(value, why it failed, the plugin to blame when not the handler's own)."""
    from orchcore.budget import call_within
    from orchcore.errors import PluginFault

    outcome = call_within(lambda: function(event, context), max(timeout_ms, 1) / 1000)
    if not outcome.finished:
        # Read once, now: whose code the handler was running when its budget ran out (``HookContext.acting_for``).
        running = getattr(context, "on_behalf_of", None)
        if running is not None:
            return None, f"ran over its {timeout_ms} ms budget (in {running.what})", running.plugin
        return None, f"ran over its {timeout_ms} ms budget", None
    if isinstance(outcome.error, PluginFault):
        return None, str(outcome.error), outcome.error.plugin
    if outcome.error is not None:  # isolated (exit() included): reported, never raised
        return None, f"raised {type(outcome.error).__name__}: {outcome.error}", None
    return outcome.value, None, None


def _record_plugin_failure(runtime: Any, plugin: str, message: str, env: dict[str, str]) -> None:
    from orchcore.plugins import strict_plugins

    runtime.plugins.record_failure(plugin, message, strict=strict_plugins(env))


def _report_failures(bus: Any, session: Any, failures: list, conflicts: tuple[str, ...]) -> str:
    """Record each failure as an event; tell the user once per session, handler and plugin to blame.

    Two programs failing in the built-in ``program-palette`` handler are two
    notices. ``session.plugins["router"]["reported"]`` holds a
    ``{"handler", "plugin"}`` entry per notice; a session recorded before
    notices named the plugin has a handler's name instead, which stands for a
    failure of the handler's own plugin (the only kind reported then): that
    one is not told again, a program's failure through the same handler is.
    """
    reported = set()
    for entry in session.plugins.get("router", {}).get("reported", []):
        if isinstance(entry, str):  # recorded before notices named the plugin
            reported.add((entry, None))
        elif isinstance(entry, dict):
            reported.add((entry.get("handler"), entry.get("plugin")))
    lines = []
    for handler, plugin, why, owner in failures:
        bus.emit(
            session.session_id, "plugin.error",
            {"plugin": plugin, "where": f"hook handler {handler}", "error": why}, "hook",
        )
        told = (handler, plugin) in reported or (plugin == owner and (handler, None) in reported)
        if not told:
            reported.add((handler, plugin))
            bus.emit(session.session_id, "hook.failure_reported", {"handler": handler, "plugin": plugin}, "hook")
            lines.append(
                f"orchcore: hook handler {handler!r} (plugin {plugin!r}) {why}; it was skipped. "
                "See `orch events list --type plugin.error`."
            )
    for conflict in conflicts:
        bus.emit(session.session_id, "plugin.error", {"plugin": "orchcore", "where": "merge", "error": conflict}, "hook")
    return "\n".join(lines)


def _with_message(result: Any, message: str) -> Any:
    import attrs

    return attrs.evolve(result, system_message=message or None)


def _joined_prompt(runtime: Any, session_id: str, event: Any) -> str | None:
    """The key of a prompt whose ``prompt_id`` another prompt of the session has already; None for a repeat.

    A prompt typed while a turn's Stop hooks run comes with that turn's id
    (protocol.joined_prompt_key): it is a new prompt when its text differs from
    the one recorded with that id, and the same event delivered again when not.
    """
    from orchcore.protocol import joined_prompt_key

    prompt_id = event.raw.get("prompt_id")
    recent = runtime.store.events(session_id, types=["hook.handled"], newest=True, limit=JOINED_PROMPT_LOOKBACK)
    same_id = [e.data.get("prompt") for e in recent
               if e.data.get("event") == "UserPromptSubmit" and e.data.get("prompt_id") == prompt_id]
    if not same_id or (event.prompt or "")[:PROMPT_KEPT] in same_id:
        return None  # the same prompt again (or one recorded before its id was kept: not told apart)
    key = joined_prompt_key(event.raw)
    if key is None or runtime.store.recorded_keys(session_id, [key]):
        return None
    return key


JOINED_PROMPT_LOOKBACK = 50  # hook.handled events looked back through for the turn's first prompt
PROMPT_KEPT = 200  # characters of a prompt kept in its hook.handled


def _summary(event: Any, runs: dict, result: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"event": event.hook_event_name, "handlers": runs}
    for key in ("tool_name", "tool_use_id", "agent_id", "agent_type", "source", "reason"):
        value = event.raw.get(key)
        if isinstance(value, str):
            data[key] = value
    if event.prompt:
        data["prompt"] = event.prompt[:PROMPT_KEPT]
    if event.hook_event_name == "UserPromptSubmit" and isinstance(event.raw.get("prompt_id"), str):
        data["prompt_id"] = event.raw["prompt_id"]  # a prompt typed while this turn ends comes with it too
    if result.permission:
        data["permission"] = result.permission
    if result.block:
        data["block"] = True
    if event.recovered:
        data["recovered"] = True
        if event.occurred_at:
            data["occurred_at"] = event.occurred_at
    return data


def _ascii(text: str) -> str:
    """Text that any stream can take, lone surrogates included."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


def log(env: dict[str, str], project: str, message: str, exc: BaseException | None = None) -> None:
    """Append one line (and a traceback for our own errors) to the hook log; never raise."""
    try:
        folder = gate.state_dir(env, project)
        if not os.path.isdir(os.path.join(project, ".claude")) and "ORCH_STATE_DIR" not in env:
            return  # not an orchcore project: leave no files behind
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, LOG_NAME)
        if os.path.exists(path) and os.path.getsize(path) > LOG_MAX_BYTES:
            os.replace(path, path + ".1")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write(f"{stamp} pid={os.getpid()} {message}\n")
            if exc is not None:
                import traceback

                f.write("".join(traceback.format_exception(exc)))
    except Exception:
        pass  # logging must never be the reason a hook fails


def abandoned_handlers() -> bool:
    """Whether handlers still run past their budget (the process must then not wait for them)."""
    from orchcore.budget import overrunning

    return overrunning()
