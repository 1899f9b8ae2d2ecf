"""``orch doctor``: is orchcore wired into Claude Code, and does it work?

Checks, in the order a person would fix things: the project config, the
settings wiring of every scope and of an enabled Claude Code plugin exported
with ``orch export claude-plugin``, plugin errors, the real store's health (it is
opened, fully read and given a write that commits nothing), hook events kept
in the journal while the store failed (applied now when the store is
healthy), one synthetic event through the real router (in a throwaway
state folder), and the ``orch mcp`` server of ``.mcp.json`` started and asked
for its tools over MCP (with a throwaway session and state folder).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import attrs

from orchcore.errors import OrchError
from orchcore.install import (
    SCOPES,
    TOKEN_VAR,
    WIRED_EVENTS,
    entry_kind,
    hook_handlers,
    orch_launcher,
    parse_settings,
    read_text,
    settings_file,
)
from orchcore.install.events import wired_events
from orchcore.install.wiring import claude_code_version

OK, WARN, FAIL = "ok", "warn", "fail"


@attrs.frozen
class Check:
    name: str
    status: str
    detail: str

    def as_row(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def run_checks(runtime: Any) -> list[Check]:
    """Every doctor check, in the order a person would fix things."""
    checks = [check_config(runtime)]
    checks += check_settings(Path(runtime.project))
    checks.append(check_plugins(runtime))
    store = check_store(runtime)
    checks += [store, check_journal(runtime, store.status == OK)]
    checks.append(check_router(orch_launcher(), Path(runtime.project)))
    checks.append(check_mcp(Path(runtime.project)))
    checks += check_runtime(Path(runtime.project))
    return checks


def check_config(runtime: Any) -> Check:
    try:
        config = runtime.config
    except OrchError as exc:
        return Check("config", FAIL, str(exc))
    where = config.path if config.path is not None and config.path.exists() else "none (defaults)"
    return Check("config", OK, f"{where}")


def _expand(command: str, project: Path) -> str:
    """The command as Claude Code's shell runs it, for the ``$CLAUDE_PROJECT_DIR`` it may start with."""
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    words[0] = words[0].replace("${CLAUDE_PROJECT_DIR}", str(project)).replace("$CLAUDE_PROJECT_DIR", str(project))
    return " ".join(shlex.quote(w) for w in words)


def _executable(command: str, project: Path | None = None) -> str | None:
    """Why the command's program cannot run, or None when it can.

    ``$CLAUDE_PROJECT_DIR`` is expanded as Claude Code's shell would (``orch install --launcher``).
    """
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return f"cannot parse the command {command!r}"
    if project is not None:
        program = shlex.split(_expand(command, project))[0]
    if not os.path.isabs(program):
        return f"{program} is not an absolute path"
    if not os.path.isfile(program):
        return f"{program} does not exist"
    if not os.access(program, os.X_OK):
        return f"{program} is not executable"
    return None


def check_settings(project: Path) -> list[Check]:
    """Per scope, and per enabled Claude Code plugin that routes to orch: are all wired events there and do
    their commands run; then where orchcore is wired (once is right), and the status line."""
    checks = []
    wired_in = []
    status_lines: dict[str, Any] = {}
    enabled_plugins: list[str] = []
    try:
        expected = wired_events(claude_code_version())  # not the events this Claude Code does not know
    except OrchError as exc:
        checks.append(Check("claude code version", FAIL, str(exc)))
        expected = WIRED_EVENTS
    for scope in SCOPES:
        path = settings_file(scope, project)
        name = f"settings ({scope})"
        try:
            data = parse_settings(path, read_text(path))
        except OrchError as exc:
            checks.append(Check(name, FAIL, str(exc)))
            continue
        if "statusLine" in data:
            status_lines[scope] = data["statusLine"]
        enabled_plugins += _enabled_plugins(data)
        check = _check_hooks(name, path, data.get("hooks", {}), expected, expected, project,
                             f"run `orch install --scope {scope}`", f"`orch install --scope {scope}`")
        if check is None:
            checks.append(Check(name, OK, f"{path}: orchcore not installed in this scope"))
            continue
        wired_in.append(f"{scope} settings")
        checks.append(check)
    for plugin, hooks_file in _plugin_hooks(enabled_plugins):
        name = f"claude plugin {plugin}"
        try:
            hooks = json.loads(hooks_file.read_text(encoding="utf-8")).get("hooks", {})
        except (OSError, ValueError, AttributeError):
            continue  # no hooks file, or not ours to judge: Claude Code reports its own plugins' errors
        export = "re-export it (`orch export claude-plugin DIR --force`) and update it in Claude Code"
        # A plugin goes to other machines: it wires every event orchcore knows (an older Claude Code skips the newer)
        check = _check_hooks(name, hooks_file, hooks if isinstance(hooks, dict) else {}, expected, WIRED_EVENTS,
                             project, export, "a new export")
        if check is not None:
            wired_in.append(f"the Claude Code plugin {plugin}")
            checks.append(check)
    if not wired_in:
        checks.append(Check("wiring", FAIL, "orchcore is not wired into Claude Code; run `orch install`"))
    elif len(wired_in) == 1:
        checks.append(Check("wiring", OK, f"wired in {wired_in[0]}"))
    else:
        checks.append(Check(
            "wiring", WARN,
            f"wired in {' and '.join(wired_in)}: Claude Code runs `orch hook` once for each of them at every "
            "event; keep one (`orch uninstall --scope …`, or `claude plugin uninstall …`)",
        ))
    checks.append(_check_status_line(status_lines, project))
    return checks


def _check_hooks(name: str, path: Path, hooks: Any, expected: Any, allowed: Any, project: Path, fix: str,
                 repoint: str) -> Check | None:
    """One settings file's (or plugin's) orchcore hooks checked; None when it wires no orchcore hook.

    ``expected``: the events that must be wired; ``allowed``: the events it may wire besides.
    """
    wired: dict[str, str] = {}  # event -> "http" or its command
    for event, entries in (hooks.items() if isinstance(hooks, dict) else ()):
        for group in entries if isinstance(entries, list) else ():
            for handler in hook_handlers(group):
                if entry_kind(handler) == "hook":
                    wired[event] = "http" if handler.get("type") == "http" else handler["command"]
    if not wired:
        return None
    commands = {event: command for event, command in wired.items() if command != "http"}
    problems = []
    missing = [e for e in expected if e not in wired]
    if missing:
        problems.append(f"events not wired: {', '.join(missing)}")
    extra = [e for e in wired if e not in expected and e not in allowed]
    for command in sorted(set(commands.values())):
        why = _executable(command, project)
        if why:
            problems.append(why)
    if problems:
        return Check(name, FAIL, f"{path}: {'; '.join(problems)}; {fix}")
    if extra:
        return Check(name, WARN, f"{path}: also wired to {', '.join(extra)}; {repoint} removes them")
    if {_expand(c, project) for c in commands.values()} != {f"{orch_launcher()} hook"}:
        others = ", ".join(sorted(set(commands.values())))
        return Check(name, WARN, f"{path}: runs {others}, not this orch ({orch_launcher()}); {repoint} points it here")
    posted = sum(command == "http" for command in wired.values())
    how = f" ({posted} as http hooks to the resident runtime)" if posted else ""
    return Check(name, OK, f"{path}: {len(expected)} events wired{how}")


def _enabled_plugins(settings: dict[str, Any]) -> list[str]:
    """The Claude Code plugins (``name@marketplace``) these settings turn on."""
    enabled = settings.get("enabledPlugins")
    return [plugin for plugin, on in enabled.items() if on is True] if isinstance(enabled, dict) else []


def _plugin_hooks(plugins: list[str]) -> list[tuple[str, Path]]:
    """Each enabled plugin's ``hooks/hooks.json``, where Claude Code installed it (plugins/installed_plugins.json)."""
    from orchcore.install.scopes import user_claude_dir

    try:
        installed = json.loads((user_claude_dir() / "plugins" / "installed_plugins.json").read_text(encoding="utf-8"))
        records = installed.get("plugins", {})
    except (OSError, ValueError, AttributeError):
        return []
    found = []
    for plugin in dict.fromkeys(plugins):
        entries = records.get(plugin) if isinstance(records, dict) else None
        paths = [e.get("installPath") for e in entries or () if isinstance(e, dict)]
        path = next((p for p in paths if isinstance(p, str) and p), None)
        if path:
            found.append((plugin, Path(path) / "hooks" / "hooks.json"))
    return found


def _check_status_line(status_lines: dict[str, Any], project: Path | None = None) -> Check:
    """The status line Claude Code uses is the one of the highest-precedence scope (local > project > user)."""
    for scope in ("local", "project", "user"):
        if scope in status_lines:
            current = status_lines[scope]
            if entry_kind(current) != "statusline":
                shown = current.get("command") if isinstance(current, dict) else current
                return Check("status line", WARN, f"{scope} settings use another status line ({shown!r}); "
                             f"`orch install --scope {scope} --force` replaces it")
            why = _executable(current["command"], project)
            if why:
                return Check("status line", FAIL, f"{scope} settings: {why}")
            return Check("status line", OK, f"from {scope} settings")
    return Check("status line", WARN, "no status line is set; `orch install` sets orchcore's")


def check_plugins(runtime: Any) -> Check:
    from orchcore.plugins import hook_names

    try:
        plugins = runtime.plugins
        plugins.load()
        for hook in hook_names():
            plugins.collect(hook)  # so name conflicts count as errors too
    except OrchError as exc:
        return Check("plugins", FAIL, str(exc))
    failures = plugins.failures()
    if failures:
        return Check("plugins", FAIL, "; ".join(f"{r.name}: {r.error}" for r in failures))
    active = sum(r.status == "active" for r in plugins.records.values())
    return Check("plugins", OK, f"{active} active")


def check_store(runtime: Any) -> Check:
    """The real store: a fault's cause first (``orchcore.store.faults``), then what the store says of itself."""
    from orchcore.store import faults

    try:
        store = runtime.store
        path = getattr(store, "path", None)  # a file-backed store: test the very file hooks write to
        problem = faults.write_test(Path(path)) if path is not None else None
        if problem is not None:
            return _store_failure(problem)
        if not store.is_created():
            return Check("store", OK, f"{store.name}: {store.location} not created yet (the first session creates it)")
        problem = store.integrity_problem()
        if problem is not None:
            return Check("store", FAIL, f"{store.location}: {problem}")
        count = len(store.sessions())
        note = store.operator_note()
    except OrchError as exc:
        return _store_failure(exc)
    except Exception as exc:  # sqlite3.DatabaseError and friends: report, never a traceback
        return Check("store", FAIL, f"{type(exc).__name__}: {exc}")
    return Check("store", OK, f"{store.name} at {store.location or '-'}: {count} session(s)" + (f"; {note}" if note else ""))


def _store_failure(exc: Exception) -> Check:
    cause = getattr(exc, "cause", None)
    return Check("store", FAIL, f"{cause}: {exc}" if cause else str(exc))


def check_journal(runtime: Any, store_ok: bool) -> Check:
    """Hook events kept while the store failed (``orchcore.journal``): applied here once the store is healthy."""
    from orchcore import journal

    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(runtime.project)}
    project = str(runtime.project)
    waiting = journal.pending(env, project)
    if not waiting:
        return Check("journal", OK, "no hook events waiting")
    where = " and ".join(f for f in journal.folders(env, project) if os.path.isdir(f))
    if not store_ok:
        return Check("journal", FAIL, f"{waiting} hook event(s) kept in {where} while the store fails; fix the "
                     "store, then run `orch doctor` again to apply them")
    from orchcore.router import drain_journal

    try:
        applied, left = drain_journal(runtime, env)
    except OrchError as exc:
        return Check("journal", FAIL, f"{waiting} hook event(s) kept in {where} could not be applied: {exc}")
    if left:
        return Check("journal", FAIL, f"{left} hook event(s) kept in {where} still wait ({applied} applied now); "
                     "run `orch doctor` again")
    return Check("journal", OK, f"{applied} hook event(s) kept while the store failed were applied now")


def check_runtime(project: Path, timeout_s: float = 5.0) -> list[Check]:
    """Is the project's resident runtime up, and does it answer Claude Code's http hooks with this token?"""
    from orchcore.install import http_endpoint
    from orchcore.resident import client

    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
    endpoint = http_endpoint(project, env)
    if not client.enabled(env):
        state = WARN if endpoint else OK
        return [Check("runtime", state, "off (ORCH_RUNTIME=0)" + (": http hooks reach nobody" if endpoint else ""))]
    status = client.status(env, timeout_s)
    if status is None:
        when = "the next SessionStart (or any `orch` command in this project) starts it"
        return [Check("runtime", WARN if endpoint else OK, f"not running; {when}")]
    checks = [Check("runtime", OK, f"up: pid {status['pid']}, {status['open_sessions']} open session(s), "
                    f"socket {status['socket']}")]
    if endpoint is None:
        return checks
    http = status.get("http") or {}
    if not endpoint.token:
        checks.append(Check("http hooks", FAIL, f"no {TOKEN_VAR} in .claude/settings.local.json: Claude Code's "
                            "http hooks carry no secret and are refused; run `orch install`"))
    elif not http.get("listening"):
        checks.append(Check("http hooks", FAIL, f"the runtime is not listening on 127.0.0.1:{endpoint.port}: "
                            f"{http.get('problem') or 'unknown reason'}; choose another port with "
                            "`orch install --port N`"))
    else:
        checks.append(_check_http(endpoint, status["pid"], timeout_s))
    return checks


def _check_http(endpoint: Any, pid: int, timeout_s: float) -> Check:
    """POST to the health path with the project's token, as Claude Code would."""
    import http.client

    where = f"127.0.0.1:{endpoint.port}"
    try:
        connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=timeout_s)
        connection.request("POST", "/orchcore/health", body=b"{}", headers={
            "Content-Type": "application/json", "X-Orch-Token": endpoint.token})
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
    except OSError as exc:
        return Check("http hooks", FAIL, f"{where} does not answer: {exc}")
    if answer.status != 200:
        return Check("http hooks", FAIL, f"{where} answered {answer.status}: {body.decode(errors='replace')[:120]}")
    try:
        said = json.loads(body)
    except ValueError:
        said = {}
    if said.get("pid") != pid:
        return Check("http hooks", WARN, f"{where} is answered by another runtime (pid {said.get('pid')}), "
                     f"not this project's (pid {pid})")
    return Check("http hooks", OK, f"{where} answers with this project's secret")


def check_router(command: str, project: Path, timeout_s: float = 30) -> Check:
    """Send a synthetic Notification through `orch hook`, with state in a throwaway folder."""
    payload = {
        "session_id": str(uuid.uuid4()),
        "transcript_path": "",
        "cwd": str(project),
        "hook_event_name": "Notification",
        "message": "orch doctor",
        "notification_type": "doctor",
    }
    with tempfile.TemporaryDirectory(prefix="orch-doctor-") as state:
        # ORCH_RUNTIME=0: a check must not leave a resident runtime behind for a throwaway state folder.
        env = {**os.environ, "ORCH_STATE_DIR": state, "CLAUDE_PROJECT_DIR": str(project), "ORCH_RUNTIME": "0"}
        try:
            done = subprocess.run(
                [*shlex.split(command), "hook"], input=json.dumps(payload), env=env,
                capture_output=True, text=True, timeout=timeout_s,
            )
        except (OSError, ValueError) as exc:
            return Check("router", FAIL, f"cannot run {command} hook: {exc}")
        except subprocess.TimeoutExpired:
            return Check("router", FAIL, f"{command} hook did not answer within {timeout_s:g} s")
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return Check("router", FAIL, f"`orch hook` exited {done.returncode}: {said}")
    out = done.stdout.strip()
    if out:
        try:
            answer = json.loads(out)
        except json.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            return Check("router", FAIL, f"`orch hook` printed something that is not one JSON object: {out[:80]!r}")
    return Check("router", OK, "a synthetic Notification went through `orch hook`")


def check_mcp(project: Path, timeout_s: float = 10.0) -> Check:
    """Start the ``orchcore`` server ``.mcp.json`` configures and list its tools, as Claude Code would."""
    from orchcore.install.mcp import PERMISSION, SERVER, is_ours, mcp_file, parse_mcp

    path = mcp_file(project)
    try:
        servers = parse_mcp(path, read_text(path)).get("mcpServers", {})
    except OrchError as exc:
        return Check("mcp", FAIL, str(exc))
    entry = servers.get(SERVER)
    if entry is None:
        return Check("mcp", OK, f"{path}: no orchcore server (`orch install` adds it)")
    if not is_ours(entry):
        return Check("mcp", WARN, f"{path}: the 'orchcore' server is not `orch mcp` ({entry.get('command')!r}); "
                     "orchcore leaves it alone")
    words = [entry["command"], *entry.get("args", [])]
    if "${CLAUDE_PROJECT_DIR}" in " ".join(words):  # an older install wrote it so; Claude Code leaves it unset
        return Check("mcp", FAIL, f"{path}: Claude Code does not expand ${{CLAUDE_PROJECT_DIR}} in .mcp.json, so the "
                     "server cannot start; run `orch install`")
    shell = words[0] == "sh" and len(words) == 3 and words[1] == "-c"  # exec "$CLAUDE_PROJECT_DIR"/… mcp
    launcher = words[2].removeprefix("exec ").removesuffix(" mcp") if shell else shlex.join(words[:1])
    why = _executable(launcher, project if shell else None)
    if why:
        return Check("mcp", FAIL, f"{path}: {why}; run `orch install`")
    try:
        import anyio
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client
    except ImportError:
        return Check("mcp", WARN, "the mcp package is not installed here, so the server cannot be checked")

    with tempfile.TemporaryDirectory(prefix="orch-doctor-") as state, tempfile.TemporaryFile("w+") as errors:
        env = {**os.environ, "ORCH_STATE_DIR": state, "CLAUDE_PROJECT_DIR": str(project), "ORCH_RUNTIME": "0",
               "CLAUDE_CODE_SESSION_ID": str(uuid.uuid4())}
        params = StdioServerParameters(command=words[0], args=words[1:], env=env, cwd=str(project))

        async def tools() -> list[str]:
            with anyio.fail_after(timeout_s):
                async with stdio_client(params, errlog=errors) as (read, write):
                    async with ClientSession(read, write) as session:
                        await session.initialize()
                        return [tool.name for tool in (await session.list_tools()).tools]

        try:
            names = anyio.run(tools)
        except TimeoutError:
            return Check("mcp", FAIL, f"`orch mcp` did not list its tools within {timeout_s:g} s")
        except Exception as exc:  # the SDK raises (groups of) transport errors when the server dies
            errors.seek(0)
            said = (errors.read().strip().splitlines() or [_first_error(exc)])[-1]
            return Check("mcp", FAIL, f"`orch mcp` did not start: {said}")
    enabled = _mcp_enabled(project, SERVER)
    allowed = _mcp_allowed(project, PERMISSION)
    problems = [] if enabled else ["not enabled in settings (Claude Code asks, and `claude -p` skips it)"]
    if not allowed:
        problems.append(f"no {PERMISSION} in permissions.allow (each tool call asks)")
    detail = f"{len(names)} tools from `orch mcp`"
    if problems:
        return Check("mcp", WARN, f"{detail}, but {'; '.join(problems)}; run `orch install`")
    return Check("mcp", OK, f"{detail}, enabled and allowed")


def _first_error(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _all_settings(project: Path) -> list[dict[str, Any]]:
    found = []
    for scope in SCOPES:
        path = settings_file(scope, project)
        try:
            found.append(parse_settings(path, read_text(path)))
        except OrchError:
            continue  # reported by the settings check
    return found


def _mcp_enabled(project: Path, server: str) -> bool:
    enabled = disabled = False
    for data in _all_settings(project):
        listed = data.get("enabledMcpjsonServers")
        enabled |= data.get("enableAllProjectMcpServers") is True or (isinstance(listed, list) and server in listed)
        off = data.get("disabledMcpjsonServers")
        disabled |= isinstance(off, list) and server in off
    return enabled and not disabled


def _mcp_allowed(project: Path, rule: str) -> bool:
    for data in _all_settings(project):
        permissions = data.get("permissions")
        allow = permissions.get("allow") if isinstance(permissions, dict) else None
        if isinstance(allow, list) and rule in allow:
            return True
    return False
