"""The plugin manager: built-ins and third-party plugins through one door.

Every plugin, built-in or not, is an entry point in the group ``orchcore``.
``get_plugin_manager()`` is a factory (no import-time global), and:

* discovery reads a cached index of entry points, so a command does not scan
  every installed distribution, and imports only the plugins that implement
  the hooks it needs (``load(hooks=...)``);
* each plugin's import and each hook call is isolated: a failure is recorded
  on the plugin's record (status ``error``) and everything else keeps working,
  unless ``ORCH_STRICT_PLUGINS=1`` makes it fatal;
* allow and deny lists (``ORCH_PLUGINS_ALLOW`` / ``ORCH_PLUGINS_DENY`` or
  ``plugins.allow`` / ``plugins.deny`` in ``.claude/orchcore.json``) keep
  plugins out by name (status ``disabled``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pluggy
from pluggy import HookImpl, PluginValidationError

from orchcore.errors import PluginConflictError, PluginError
from orchcore.hookspecs import PROJECT_NAME

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

ENTRY_POINT_GROUP = "orchcore"
CORE_DISTRIBUTION = "orchcore"
INDEX_VERSION = 1

ACTIVE, DISABLED, ERROR, NOT_LOADED = "active", "disabled", "error", "not loaded"


def hook_names() -> list[str]:
    """Every hookspec name, from ``orchcore.hookspecs`` itself."""
    from orchcore import hookspecs

    return sorted(name for name in vars(hookspecs) if name.startswith("orch_"))


def strict_plugins(env: Mapping[str, str] | None = None) -> bool:
    """``ORCH_STRICT_PLUGINS=1``: a plugin's failure stops orch instead of being isolated (for plugin authors)."""
    return _switched_on((os.environ if env is None else env).get("ORCH_STRICT_PLUGINS", ""))


def _switched_on(value: str) -> bool:
    """A switch variable: on when set to anything but an off word (``0``, ``false``, ``no``, ``off``, any case)."""
    from orchcore.gate import word_bool

    return bool(value.strip()) and word_bool(value) is not False


@attrs.define
class PluginRecord:
    """What orchcore knows about one plugin, loaded or not."""

    name: str
    value: str  # "module" or "module:attribute"
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    status: str = NOT_LOADED
    error: str | None = None
    hooks: list[str] | None = None  # None: not known until imported once
    location: str | None = None
    mtime: int | None = None  # of ``location`` when ``hooks`` was learned
    shadowed: bool = False  # another distribution already uses this plugin name

    def as_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "builtin": self.builtin,
            "status": self.status,
            "hooks": sorted(self.hooks or []),
            "location": self.location,
            "error": self.error,
        }


@attrs.frozen
class Provided:
    """A spec together with the plugin that provided it."""

    spec: Any
    plugin: str
    distribution: str | None


class OrchPluginManager(pluggy.PluginManager):
    """A pluggy manager that also knows its plugins' records and isolates failures."""

    def __init__(self, allow: Iterable[str] = (), deny: Iterable[str] = (), strict: bool | None = None):
        super().__init__(PROJECT_NAME)
        from orchcore import hookspecs

        self.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.allow = set(allow)
        self.deny = set(deny)
        self.strict = strict_plugins() if strict is None else strict
        self._collected: dict[str, dict[str, Provided]] = {}
        self._index: EntryPointIndex | None = None
        # Hooks run through pluggy's own execution, with every implementation isolated.
        self._pluggy_hookexec = self._inner_hookexec
        self._inner_hookexec = self._isolated_hookexec
        self._guards: dict[int, tuple[HookImpl, HookImpl]] = {}
        self._heard = threading.local()  # which implementation returned which result, per thread
        self._trace: HookTrace | None = None
        trace_to = os.environ.get("ORCH_TRACE_HOOKS", "").strip()
        if _switched_on(trace_to):
            self.trace_hooks(trace_writer(trace_to))

    # -- registration -------------------------------------------------

    def blocked(self, name: str, builtin: bool = False) -> bool:
        """Denied by name; or, for plugins that are not built-ins, missing from a non-empty allow list.

        An allow list names the third-party plugins a project accepts; it does
        not switch off the core's own (deny them by name for that).
        """
        if name in self.deny:
            return True
        return bool(self.allow) and not builtin and name not in self.allow

    def add_entry_points(self, entries: Iterable[PluginRecord], index: EntryPointIndex | None = None) -> None:
        """Know these plugins without importing them yet."""
        self._index = index
        for record in entries:
            if record.shadowed and self.strict:
                raise PluginConflictError(f"{record.distribution}: {record.error}")
            if self.blocked(record.name, record.builtin):
                record.status = DISABLED
            self.records[record.name] = record

    def register_plugin(self, plugin: object, name: str | None = None, **info: Any) -> str:
        """Register an already imported plugin (a module or any object with hookimpls)."""
        registered = self.register(plugin, name=name)
        assert registered is not None
        record = self.records.get(registered) or PluginRecord(
            name=registered, value=getattr(plugin, "__name__", type(plugin).__name__), **info
        )
        record.status = ACTIVE
        record.error = None
        record.hooks = self._hooks_of(registered)
        record.location = record.location or _location(plugin)
        self.records[registered] = record
        self._collected.clear()
        self._refuse_unknown_hooks()
        return registered

    def unregister_plugin(self, name: str) -> None:
        plugin = self.get_plugin(name)
        if plugin is not None:
            self.unregister(plugin)
        self.records.pop(name, None)
        self._collected.clear()
        self._guards.clear()

    def _refuse_unknown_hooks(self) -> None:
        """pluggy's ``check_pending``: a hookimpl named like no hookspec (``orch_program``) is its plugin's error.

        Without this pluggy registers the misspelt function and never calls
        it. The plugin is unregistered (its other hooks would run without the
        one its author meant), its record says which name is wrong and which
        hook was probably meant; strict mode raises.
        """
        while True:
            try:
                self.check_pending()
                return
            except PluginValidationError as exc:
                unknown = sorted(
                    caller.name
                    for caller in self.get_hookcallers(exc.plugin) or []
                    if not caller.has_spec()
                )
                self._drop(exc.plugin, "; ".join(_unknown_hook(hook) for hook in unknown), exc)

    def load(self, hooks: Iterable[str] | None = None) -> None:
        """Import the plugins that implement any of ``hooks`` (all plugins when None)."""
        wanted = set(hooks) if hooks is not None else None
        changed = False
        for record in self.records.values():
            if record.status != NOT_LOADED:
                continue
            if wanted is not None and record.hooks is not None and not wanted & set(record.hooks):
                continue
            changed |= self._import(record)
        if changed and self._index is not None:
            self._index.save(self.records.values())

    def _import(self, record: PluginRecord) -> bool:
        module_name, _, attribute = record.value.partition(":")
        try:
            plugin: Any = importlib.import_module(module_name)
            for part in filter(None, attribute.split(".")):
                plugin = getattr(plugin, part)
            self.register(plugin, name=record.name)
        except (Exception, SystemExit) as exc:  # a broken plugin (even one calling exit) must not take orch down
            self.record_failure(record, f"failed to import {record.value}: {_one_line(exc)}", exc)
            return False
        self._refuse_unknown_hooks()
        if record.status == ERROR:
            return True  # so the index forgets its hooks and the next run imports it again
        previous = (record.hooks, record.location)
        record.status = ACTIVE
        record.hooks = self._hooks_of(record.name)
        record.location = _location(plugin)
        self._collected.clear()
        return previous != (record.hooks, record.location)

    def _hooks_of(self, name: str) -> list[str]:
        plugin = self.get_plugin(name)
        return sorted(
            caller.name
            for caller in (self.get_hookcallers(plugin) or [])
            if caller.name.startswith("orch_")
        )

    def record_failure(
        self, plugin: PluginRecord | str, message: str, exc: BaseException | None = None, *, strict: bool | None = None
    ) -> None:
        """The one place a plugin's failure is written down: its record turns ``error``.

        Import errors, hook implementations that raise, malformed specs,
        handlers and subscribers that fail all come here. In strict mode
        (``ORCH_STRICT_PLUGINS=1``, or ``strict=True`` for a caller that reads
        its own environment) the failure is raised as ``PluginError`` instead.
        A name orchcore has no record of (a plugin registered with pluggy's
        own ``register``) is only raised when strict.
        """
        record = self.records.get(plugin) if isinstance(plugin, str) else plugin
        if record is not None:
            record.status = ERROR
            record.error = message
        if self.strict if strict is None else strict:
            name = record.name if record is not None else plugin
            distribution = record.distribution if record is not None else None
            where = f" ({distribution})" if distribution else ""
            trace = f"\n{''.join(traceback.format_exception(exc))}" if exc is not None else ""
            raise PluginError(f"plugin {name!r}{where}: {message}{trace}") from exc

    # -- calling ------------------------------------------------------

    def _isolated_hookexec(
        self, hook_name: str, impls: Sequence[HookImpl], kwargs: Mapping[str, object], firstresult: bool
    ) -> object:
        """pluggy's own hook execution, each implementation behind a guard.

        pluggy stops a hook call at the first implementation that raises;
        orchcore records that plugin's failure and goes on with the others,
        so a wrapper sees the results of the healthy implementations (never
        the failure, which is recorded already). A wrapper that raises is its
        plugin's failure too: that plugin is unregistered and the call is
        made again without it. ``firstresult``, ``tryfirst``/``trylast`` and
        pluggy's call monitoring (the hook trace) work as pluggy documents.
        """
        try:
            guarded = [self._guarded(impl, hook_name) for impl in impls]
            return self._pluggy_hookexec(hook_name, guarded, kwargs, firstresult)
        except (Exception, SystemExit) as exc:
            culprit = _wrapper_that_raised(impls, exc)
            if culprit is None or culprit.plugin_name not in self.records:
                raise  # not a plugin's wrapper: a bug of the core, shown as such
            self._drop(culprit.plugin, f"{hook_name} wrapper raised {_one_line(exc)}", exc)
            others = [impl for impl in impls if impl.plugin is not culprit.plugin]
            return self._isolated_hookexec(hook_name, others, kwargs, firstresult)

    def _drop(self, plugin: object, message: str, exc: BaseException) -> None:
        """Take a plugin out of this manager for good (its record says why); strict mode raises."""
        name = self.get_name(plugin) or repr(plugin)
        self.unregister(plugin)
        self._collected.clear()
        self._guards.clear()
        self.record_failure(name, message, exc)

    def _guarded(self, impl: HookImpl, hook_name: str) -> HookImpl:
        if impl.wrapper or impl.hookwrapper:
            return impl  # a wrapper that raises is handled around the whole call
        known = self._guards.get(id(impl))
        if known is not None and known[0] is impl:
            return known[1]
        function, plugin_name = impl.function, impl.plugin_name

        @functools.wraps(function)  # pluggy reads the argument names through __wrapped__
        def isolated(*args: Any, **kwargs: Any) -> Any:
            trace = self._trace
            started = time.perf_counter() if trace else 0.0
            try:
                result = function(*args, **kwargs)
                if isinstance(result, Iterator):
                    result = list(result)  # a generator fails inside the guard, not later
            except (Exception, SystemExit) as exc:  # exit() in a plugin must not end orch
                if trace:
                    trace.implementation(hook_name, plugin_name, started, error=exc)
                if plugin_name not in self.records:
                    raise
                self.record_failure(plugin_name, f"{hook_name} raised {_one_line(exc)}", exc)
                return None
            if trace:
                trace.implementation(hook_name, plugin_name, started, result=result)
            heard = getattr(self._heard, "results", None)
            if heard is not None:
                heard.append((impl, result))
            return result

        guarded = HookImpl(impl.plugin, plugin_name, isolated, impl.opts)
        self._guards[id(impl)] = (impl, guarded)
        return guarded

    def contributions(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook through pluggy; ``(plugin_name, result)`` per implementation, in plugin order.

        Plugin order: ``tryfirst`` implementations, then the rest, then
        ``trylast`` ones; within each, plugins in the order orchcore knows
        them (built-ins first, then other distributions by name, then
        plugins registered later). pluggy itself calls the most recently
        registered first; plugin order is what decides which plugin keeps a
        name. An implementation that raises is recorded on its plugin and
        left out; a result that a wrapper put in is attributed to no plugin
        (``""``).
        """
        outer = getattr(self._heard, "results", None)
        heard: list[tuple[HookImpl, Any]] = []
        self._heard.results = heard
        try:
            results = getattr(self.hook, hook_name)(**kwargs)
        finally:
            self._heard.results = outer
        position = {name: i for i, name in enumerate(self.records)}

        def plugin_order(impl: HookImpl | None) -> tuple[int, int]:
            if impl is None:
                return (3, 0)
            tier = 0 if impl.tryfirst else 2 if impl.trylast else 1
            return (tier, position.get(impl.plugin_name, len(position)))

        ranked = []
        unclaimed = list(heard)  # each implementation's result claims one place, even when two are the same object
        for result in results if isinstance(results, list) else [results]:
            impl = next((i for i, (_, r) in enumerate(unclaimed) if r is result), None)
            owner = unclaimed.pop(impl)[0] if impl is not None else None
            ranked.append((plugin_order(owner), owner.plugin_name if owner else "", result))
        ranked.sort(key=lambda item: item[0])
        return [(plugin, result) for _, plugin, result in ranked]

    def trace_hooks(self, write: Any) -> Any:
        """Write a line for every hook call and every implementation it ran; returns an undo function.

        ``ORCH_TRACE_HOOKS=1`` turns it on for stderr, ``ORCH_TRACE_HOOKS=PATH``
        appends to a file. Built on pluggy's call monitoring.
        """
        self._trace = HookTrace(write)
        undo_monitoring = self.add_hookcall_monitoring(self._trace.before, self._trace.after)

        def undo() -> None:
            undo_monitoring()
            self._trace = None

        return undo

    def collect(self, hook_name: str) -> dict[str, Provided]:
        """All specs returned by a registration hook, by name.

        The first plugin in plugin order keeps a name (so a built-in is never
        displaced); a later plugin claiming it is recorded as an error that
        names both packages, or raises PluginConflictError when strict.
        """
        if hook_name in self._collected:
            return self._collected[hook_name]
        self.load([hook_name])
        found: dict[str, Provided] = {}
        for plugin_name, specs in self.contributions(hook_name):
            record = self.records.get(plugin_name)
            distribution = record.distribution if record else None
            for spec in specs or ():
                name = getattr(spec, "name", None)
                if not isinstance(name, str) or not name:
                    self.record_failure(plugin_name, f"{hook_name} returned {spec!r}, which has no name")
                    continue
                if name in found:
                    self._conflict(hook_name, name, found[name], plugin_name, distribution)
                    continue
                found[name] = Provided(spec=spec, plugin=plugin_name, distribution=distribution)
        self._collected[hook_name] = found
        return found

    def _conflict(self, hook_name: str, name: str, first: Provided, plugin: str, distribution: str | None) -> None:
        kind = hook_name.removeprefix("orch_").rstrip("s").replace("_", " ")
        message = (
            f"{kind} {name!r} is provided by both {_package(first.plugin, first.distribution)} "
            f"and {_package(plugin, distribution)}; uninstall or deny one of them"
        )
        if self.strict:
            raise PluginConflictError(message)
        record = self.records.get(plugin)
        if record is not None:
            record.status = ERROR
            record.error = message

    def specs(self, hook_name: str) -> dict[str, Any]:
        return {name: provided.spec for name, provided in self.collect(hook_name).items()}

    def failures(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.status == ERROR]


def _wrapper_that_raised(impls: Sequence[HookImpl], exc: BaseException) -> HookImpl | None:
    """The wrapper implementation whose code the exception came out of, if any."""
    wrappers = {}
    for impl in impls:
        if impl.wrapper or impl.hookwrapper:
            function = inspect.unwrap(getattr(impl.function, "__func__", impl.function))
            code = getattr(function, "__code__", None)
            if code is not None:
                wrappers[code] = impl
    frame = exc.__traceback__
    culprit = None
    while frame is not None:
        culprit = wrappers.get(frame.tb_frame.f_code, culprit)  # the innermost wrapper frame wins
        frame = frame.tb_next
    return culprit


def _unknown_hook(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, hook_names(), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"implements {name}, which is not an orchcore hook{hint}"


class HookTrace:
    """Lines for ``ORCH_TRACE_HOOKS``: each hook call, each implementation it ran, what came back, how long."""

    def __init__(self, write: Any):
        self.write = write
        self._started = threading.local()

    def before(self, hook_name: str, impls: Sequence[HookImpl], kwargs: Mapping[str, object]) -> None:
        stack = self._started.__dict__.setdefault("stack", [])
        stack.append(time.perf_counter())
        arguments = ", ".join(f"{key}={_short(value)}" for key, value in kwargs.items())
        plugins = ", ".join(impl.plugin_name for impl in reversed(impls)) or "no implementation"
        self._line(len(stack) - 1, f"{hook_name}({arguments}) -> {plugins}")

    def implementation(
        self, hook_name: str, plugin: str, started: float, result: Any = None, error: BaseException | None = None
    ) -> None:
        outcome = f"raised {_one_line(error)}" if error is not None else _short(result)
        depth = len(getattr(self._started, "stack", ()))
        self._line(depth, f"{plugin}.{hook_name}: {outcome} ({_ms(started)})")

    def after(self, outcome: Any, hook_name: str, impls: Sequence[HookImpl], kwargs: Mapping[str, object]) -> None:
        stack = getattr(self._started, "stack", None) or [time.perf_counter()]
        started = stack.pop()
        failed = f", raised {_one_line(outcome.exception)}" if outcome.exception is not None else ""
        self._line(len(stack), f"{hook_name} done ({_ms(started)}{failed})")

    def _line(self, depth: int, text: str) -> None:
        try:
            self.write(f"orchcore hook: {'  ' * depth}{text}\n")
        except (OSError, ValueError):
            pass  # a closed trace stream must not break a hook call


def trace_writer(target: str) -> Any:
    """Where ``ORCH_TRACE_HOOKS`` sends its lines: an on word (``1``, ``on`` …) or ``stderr`` is stderr, anything
    else a file to append to."""
    from orchcore.gate import word_bool

    if word_bool(target) is True or target.strip().lower() == "stderr":
        return lambda text: sys.stderr.write(text)

    def append(text: str) -> None:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(text)

    return append


def _short(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(getattr(item, "name", None), str) for item in value):
        names = ", ".join(item.name for item in value[:8]) + (", ..." if len(value) > 8 else "")
        return f"[{names}]"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.2f} ms"


def _package(plugin: str, distribution: str | None) -> str:
    return f"{distribution} (plugin {plugin!r})" if distribution else f"plugin {plugin!r}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _location(plugin: object) -> str | None:
    path = getattr(plugin, "__file__", None)
    if path is None:
        module = sys.modules.get(getattr(plugin, "__module__", "") or "")
        path = getattr(module, "__file__", None)
    return str(path) if path else None


# -- the entry-point index -------------------------------------------


class EntryPointIndex:
    """A cache of the ``orchcore`` entry points in this environment.

    Scanning every installed distribution's metadata costs tens of
    milliseconds; Claude Code starts a process per hook event. The index is
    keyed by the interpreter and ``sys.path`` and is valid while no folder on
    ``sys.path`` changed (installing or removing a distribution changes its
    site-packages folder). It also remembers which hooks each plugin
    implemented when it was last imported, so a command can skip plugins it
    does not need; a plugin whose file changed since is imported again.
    """

    def __init__(self, directory: Path | None = None):
        from orchcore.paths import cache_dir

        key = hashlib.sha1("\0".join([sys.executable, *indexed_path()]).encode()).hexdigest()[:16]
        self.path = (directory or cache_dir()) / f"entry-points-{key}.json"

    @staticmethod
    def fingerprint() -> list[list[Any]]:
        stamps = []
        for entry in indexed_path():
            try:
                stamps.append([entry, os.stat(entry or ".").st_mtime_ns])
            except OSError:
                stamps.append([entry, None])
        return stamps

    def read(self) -> list[PluginRecord] | None:
        if os.environ.get("ORCH_NO_INDEX"):
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != INDEX_VERSION or data.get("fingerprint") != self.fingerprint():
                return None
            records = [PluginRecord(**row) for row in data["plugins"]]
        except (OSError, ValueError, TypeError, KeyError):
            return None
        for record in records:
            record.status = ERROR if record.shadowed else NOT_LOADED
            if record.hooks is not None and record.mtime != _mtime(record.location):
                record.hooks = None  # its code changed: import it to learn its hooks again
        return records

    def save(self, records: Iterable[PluginRecord]) -> None:
        rows = []
        for record in records:
            row = attrs.asdict(record)
            row.update(status=NOT_LOADED, error=record.error if record.shadowed else None)
            if record.status == ERROR:
                row["hooks"] = None  # try again next time; it may be fixed
            row["mtime"] = _mtime(record.location)
            rows.append(row)
        data = {"version": INDEX_VERSION, "fingerprint": self.fingerprint(), "plugins": rows}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only cache only costs speed


def indexed_path() -> list[str]:
    """``sys.path`` without the folder of the script or command that started Python.

    ``orch`` (a script in the venv's bin folder), ``python -c`` (the current
    folder) and the wiring's ``python -S -P -c`` (none) see the same
    distributions, so they share one index; and a project folder that
    changes with every file written into it does not invalidate it.
    """
    entries = list(sys.path)
    if entries and not sys.flags.safe_path:
        try:
            started_in = {"", os.getcwd()}
        except OSError:  # the folder we started in is gone
            started_in = {""}
        if sys.argv and sys.argv[0] not in ("", "-c", "-m"):
            started_in |= {os.path.dirname(os.path.abspath(sys.argv[0])), os.path.dirname(os.path.realpath(sys.argv[0]))}
        if entries[0] in started_in:
            entries = entries[1:]
    return entries


def _mtime(path: str | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def _records_from_metadata() -> list[PluginRecord]:
    import importlib_metadata

    found = []
    for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else None
        found.append(
            PluginRecord(
                name=ep.name,
                value=ep.value,
                distribution=dist_name,
                version=dist.version if dist is not None else None,
                builtin=_canonical(dist_name) == CORE_DISTRIBUTION,
            )
        )
    found.sort(key=lambda r: (not r.builtin, _canonical(r.distribution), r.name))
    records: dict[str, PluginRecord] = {}
    for record in found:
        first = records.get(record.name)
        if first is None:
            records[record.name] = record
        elif _canonical(first.distribution) != _canonical(record.distribution):
            # Two distributions chose one plugin name: keep the first, show the second as broken.
            key = f"{record.name} ({record.distribution})"
            record.name, record.status, record.shadowed = key, ERROR, True
            record.error = (
                f"plugin name {first.name!r} is also used by {first.distribution}; "
                "one of the two distributions must rename its entry point"
            )
            records[key] = record
    return list(records.values())


def _canonical(name: str | None) -> str:
    return (name or "").lower().replace("_", "-").replace(".", "-")


def discover(index: EntryPointIndex | None) -> list[PluginRecord]:
    """The entry points of group ``orchcore``, from the index when it is fresh."""
    records = index.read() if index is not None else None
    if records is None:
        records = _records_from_metadata()
        if index is not None:
            index.save(records)
    return records


def get_plugin_manager(
    entry_points: bool | str = True,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
    strict: bool | None = None,
    use_index: bool = True,
) -> OrchPluginManager:
    """Make a plugin manager.

    ``entry_points``: True for every plugin installed in the environment,
    ``"builtin"`` for the core's own only (what tests start from), False for
    none. Allow and deny lists default to the environment and project config.
    """
    if allow is None or deny is None:
        from orchcore.config import load_config
        from orchcore.errors import ConfigError

        try:
            config = load_config()
            allow = config.plugins_allow if allow is None else allow
            deny = config.plugins_deny if deny is None else deny
        except ConfigError:
            allow, deny = allow or (), deny or ()
    pm = OrchPluginManager(allow=allow, deny=deny, strict=strict)
    if entry_points:
        index = EntryPointIndex() if use_index else None
        records = discover(index)
        if entry_points == "builtin":
            records = [r for r in records if r.builtin]
            index = None
        pm.add_entry_points(records, index)
    return pm
