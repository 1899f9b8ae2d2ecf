"""The plugin manager: discovery, lazy loading, isolation, conflicts, allow/deny, the index.

Every plugin, built-in or third-party, is an entry point in the group
``orchcore``. These tests run in-process with the fixtures plugin authors get
from ``orchcore.testing``; third-party distributions are faked by writing a
module and a ``<name>-<version>.dist-info/`` folder into a temporary folder put
on ``sys.path`` (exactly what ``pip install`` leaves in site-packages).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import orchcore
from orchcore import plugins as plugins_module
from orchcore.errors import PluginConflictError, PluginError
from orchcore.plugins import (
    ACTIVE,
    DISABLED,
    ERROR,
    NOT_LOADED,
    EntryPointIndex,
    OrchPluginManager,
    get_plugin_manager,
    hookimpl,
)
from orchcore.runtime import Runtime
from orchcore.testing import write_distribution
from orchcore.specs import AgentSpec, ProgramSpec, TeamSpec

BUILTINS = {
    "core-events": ["orch_event_types"],
    "store-sqlite": ["orch_store_backends"],
    "store-memory": ["orch_store_backends"],
    "status-segments": ["orch_status_segments"],
    "usage-segments": ["orch_event_types", "orch_hook_handlers", "orch_status_segments"],
    "programs": ["orch_hook_handlers"],
    "delegation": ["orch_event_types", "orch_hook_handlers"],
    "session-links": ["orch_event_types"],
    "lifecycle-events": ["orch_event_types"],
    "v1-migration": ["orch_event_types"],
}


# -- helpers -----------------------------------------------------------------


def install_distribution(
    site: Path, name: str, version: str, entry_points: dict[str, str], modules: dict[str, str]
) -> None:
    """Install a fake distribution whose ``modules`` map module names to source."""
    files = {module.replace(".", "/") + ".py": source for module, source in modules.items()}
    write_distribution(site, name, version, entry_points, files)


TEAMS_PLUGIN = """
from orchcore.plugins import hookimpl
from orchcore.specs import TeamSpec

@hookimpl
def orch_teams():
    return [TeamSpec(name="fake-qa", lead="qa-director", members=["qa-director", "qa-tester"])]
"""

SEGMENTS_PLUGIN = """
from orchcore.plugins import hookimpl
from orchcore.specs import StatusSegment

@hookimpl
def orch_status_segments():
    return [StatusSegment(name="clock", render=lambda ctx: "12:00")]
"""

BROKEN_PLUGIN = 'raise RuntimeError("broken on purpose")\n'


@pytest.fixture
def site(tmp_path: Path, orch_project: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty "site-packages" folder at the front of sys.path; its modules are forgotten afterwards."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(folder)):
            del sys.modules[name]


def manager(**kwargs) -> OrchPluginManager:
    """Every installed plugin, no allow/deny list unless given, not strict unless asked."""
    kwargs.setdefault("allow", ())
    kwargs.setdefault("deny", ())
    kwargs.setdefault("strict", False)
    return get_plugin_manager(**kwargs)


def index_files(project: Path) -> list[Path]:
    cache = Path(os.environ["ORCH_CACHE_DIR"])
    return sorted(cache.glob("entry-points-*.json"))


class TeamsPlugin:
    def __init__(self, *names: str):
        self.names = names

    @hookimpl
    def orch_teams(self):
        return [TeamSpec(name=name) for name in self.names]


class RaisingTeamsPlugin:
    @hookimpl
    def orch_teams(self):
        raise RuntimeError("the team registry is down")


# -- the factory ---------------------------------------------------------------


def test_get_plugin_manager_is_a_factory_not_a_global(orch_project):
    first = get_plugin_manager("builtin", allow=(), deny=(), strict=False)
    second = get_plugin_manager("builtin", allow=(), deny=(), strict=False)

    assert first is not second
    assert first.records is not second.records

    first.register_plugin(TeamsPlugin("qa"), name="orchtest-teams")
    assert "qa" in first.specs("orch_teams")
    assert "orchtest-teams" not in second.records
    assert second.specs("orch_teams") == {}


def test_get_plugin_manager_without_entry_points_knows_no_plugins(orch_project):
    pm = get_plugin_manager(False, allow=(), deny=(), strict=False)

    assert pm.records == {}
    assert pm.specs("orch_event_types") == {}


# -- built-ins are entry points ----------------------------------------------


def test_builtins_are_discovered_from_orchcores_own_entry_points(orch_plugin_manager):
    records = orch_plugin_manager.records

    assert set(records) == set(BUILTINS)
    for record in records.values():
        assert record.builtin is True
        assert record.distribution == "orchcore"
        assert record.version == orchcore.__version__
        assert record.value.startswith("orchcore.builtin.")


def test_builtins_are_known_but_not_imported_until_loaded(orch_plugin_manager):
    for name, record in orch_plugin_manager.records.items():
        assert record.status == NOT_LOADED
        assert orch_plugin_manager.get_plugin(name) is None

    orch_plugin_manager.load()

    for name, record in orch_plugin_manager.records.items():
        assert record.status == ACTIVE
        assert record.hooks == BUILTINS[name]
        assert record.location and Path(record.location).name.endswith(".py")
        assert orch_plugin_manager.get_plugin(name) is not None


def test_load_with_hooks_imports_everything_while_hooks_are_not_known_yet(orch_project):
    pm = manager()
    assert all(pm.records[name].hooks is None for name in BUILTINS)  # a cold index

    pm.load(hooks=["orch_event_types"])

    # Nothing tells which plugin implements orch_event_types before importing them once.
    assert all(pm.records[name].status == ACTIVE for name in BUILTINS)


def test_load_with_hooks_imports_only_the_plugins_that_implement_them_once_the_index_knows(orch_project):
    first = manager()
    first.load()  # imports every plugin once: the index learns their hooks

    second = manager()
    assert {name: second.records[name].hooks for name in BUILTINS} == BUILTINS
    second.load(hooks=["orch_event_types"])

    assert second.records["core-events"].status == ACTIVE
    for name in ("store-sqlite", "store-memory"):
        assert second.records[name].status == NOT_LOADED
        assert second.get_plugin(name) is None


def test_collect_loads_only_the_plugins_it_needs(orch_project):
    manager().load()
    pm = manager()

    assert set(pm.specs("orch_store_backends")) >= {"sqlite", "memory"}

    assert pm.records["core-events"].status == NOT_LOADED
    assert pm.records["store-sqlite"].status == ACTIVE


def test_a_third_party_module_is_not_even_imported_when_its_hooks_are_not_needed(site):
    install_distribution(
        site, "orchtest-multi", "1.0",
        {"orchtest-teams": "orchtest_teams", "segments": "orchtest_segments"},
        {"orchtest_teams": TEAMS_PLUGIN, "orchtest_segments": SEGMENTS_PLUGIN},
    )
    manager().load()  # first run: imports both, the index learns their hooks
    del sys.modules["orchtest_teams"], sys.modules["orchtest_segments"]  # as in a new process

    pm = manager()
    assert "fake-qa" in pm.specs("orch_teams")

    assert "orchtest_teams" in sys.modules
    assert "orchtest_segments" not in sys.modules
    assert pm.records["segments"].status == NOT_LOADED
    assert pm.records["orchtest-teams"].distribution == "orchtest-multi"
    assert pm.records["orchtest-teams"].builtin is False


def test_builtin_manager_leaves_out_third_party_plugins(site):
    install_distribution(site, "orchtest-teams", "1.0", {"orchtest-teams": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})

    assert "orchtest-teams" in manager().records
    assert set(get_plugin_manager("builtin", allow=(), deny=(), strict=False).records) == set(BUILTINS)


# -- import failures -------------------------------------------------------------


def test_a_plugin_that_fails_to_import_is_recorded_and_the_others_still_load(site):
    install_distribution(
        site, "orchtest-broken", "0.1", {"broken": "orchtest_broken"}, {"orchtest_broken": BROKEN_PLUGIN}
    )
    install_distribution(site, "orchtest-teams", "1.0", {"orchtest-teams": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})
    pm = manager()

    pm.load()

    broken = pm.records["broken"]
    assert broken.status == ERROR
    assert broken.error == "failed to import orchtest_broken: RuntimeError: broken on purpose"
    assert pm.failures() == [broken]
    assert pm.records["orchtest-teams"].status == ACTIVE
    assert "fake-qa" in pm.specs("orch_teams")
    assert set(pm.specs("orch_store_backends")) >= {"sqlite", "memory"}


def test_a_plugin_that_fails_to_import_is_fatal_in_strict_mode(site):
    install_distribution(
        site, "orchtest-broken", "0.1", {"broken": "orchtest_broken"}, {"orchtest_broken": BROKEN_PLUGIN}
    )

    with pytest.raises(PluginError) as raised:
        manager(strict=True).load()

    message = str(raised.value)
    assert "plugin 'broken' (orchtest-broken)" in message
    assert "RuntimeError: broken on purpose" in message


def test_an_entry_point_naming_a_missing_attribute_is_an_import_error(site):
    install_distribution(
        site, "orchtest-typo", "0.1", {"typo": "orchtest_typo:plugn"}, {"orchtest_typo": "plugin = object()\n"}
    )
    pm = manager()

    pm.load()

    assert pm.records["typo"].status == ERROR
    assert "failed to import orchtest_typo:plugn: AttributeError" in pm.records["typo"].error


def test_strict_mode_comes_from_ORCH_STRICT_PLUGINS(orch_project, monkeypatch):
    assert get_plugin_manager("builtin", allow=(), deny=()).strict is False
    monkeypatch.setenv("ORCH_STRICT_PLUGINS", "1")
    assert get_plugin_manager("builtin", allow=(), deny=()).strict is True
    assert get_plugin_manager("builtin", allow=(), deny=(), strict=False).strict is False
    for off in ("0", "false", "no", "off", "OFF", " False ", ""):
        monkeypatch.setenv("ORCH_STRICT_PLUGINS", off)
        assert get_plugin_manager("builtin", allow=(), deny=()).strict is False


# -- hooks are called through pluggy; one failing implementation does not hide the others --


def test_contributions_are_every_plugins_result_with_the_plugins_name_in_plugin_order(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa"), name="qa-teams")
    register_plugin(TeamsPlugin("ops"), name="ops-teams")

    results = orch_plugin_manager.contributions("orch_teams")

    # pluggy calls the newest registration first; plugin order is the order orchcore knows them
    assert [(plugin, specs) for plugin, specs in results if plugin.endswith("-teams")] == [
        ("qa-teams", [TeamSpec(name="qa")]),
        ("ops-teams", [TeamSpec(name="ops")]),
    ]


def test_an_implementation_that_raises_is_recorded_and_the_others_still_run(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa"), name="good")
    register_plugin(RaisingTeamsPlugin(), name="bad")
    register_plugin(TeamsPlugin("ops"), name="also-good")

    results = dict(orch_plugin_manager.contributions("orch_teams"))

    assert results == {"good": [TeamSpec(name="qa")], "also-good": [TeamSpec(name="ops")]}
    bad = orch_plugin_manager.records["bad"]
    assert bad.status == ERROR
    assert bad.error == "orch_teams raised RuntimeError: the team registry is down"
    assert orch_plugin_manager.records["good"].status == ACTIVE
    assert orch_plugin_manager.failures() == [bad]


def test_a_generator_that_fails_halfway_is_isolated_like_a_function_that_raises(orch_plugin_manager, register_plugin):
    class HalfwayPlugin:
        @hookimpl
        def orch_teams(self):
            yield TeamSpec(name="first")
            raise ValueError("second team is malformed")

    register_plugin(HalfwayPlugin(), name="halfway")
    register_plugin(TeamsPlugin("qa"), name="good")

    results = dict(orch_plugin_manager.contributions("orch_teams"))

    assert results == {"good": [TeamSpec(name="qa")]}
    assert orch_plugin_manager.records["halfway"].error == "orch_teams raised ValueError: second team is malformed"


def test_a_raising_implementation_in_strict_mode_raises_plugin_error(orch_project):
    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=True)
    pm.register_plugin(RaisingTeamsPlugin(), name="bad", distribution="orchtest-bad")

    with pytest.raises(PluginError) as raised:
        pm.contributions("orch_teams")

    assert "plugin 'bad' (orchtest-bad)" in str(raised.value)
    assert "orch_teams raised RuntimeError: the team registry is down" in str(raised.value)
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_hooks_are_called_through_pluggy_so_a_wrapper_sees_every_result(orch_plugin_manager, register_plugin):
    class Auditor:
        seen: list = []

        @hookimpl(wrapper=True)
        def orch_teams(self):
            results = yield
            Auditor.seen = [spec.name for specs in results for spec in specs]
            return results + [[TeamSpec(name="from-the-wrapper")]]

    register_plugin(TeamsPlugin("qa"), name="qa-teams")
    register_plugin(RaisingTeamsPlugin(), name="bad")
    register_plugin(Auditor(), name="auditor")

    teams = orch_plugin_manager.specs("orch_teams")

    assert "qa" in Auditor.seen  # the failing plugin was isolated inside pluggy's call, not before it
    assert {"qa", "from-the-wrapper"} <= set(teams)
    assert orch_plugin_manager.collect("orch_teams")["from-the-wrapper"].plugin == ""  # no plugin returned it
    assert orch_plugin_manager.records["bad"].status == ERROR


def test_a_wrapper_that_raises_is_its_plugins_failure_and_the_call_is_made_without_it(
    orch_plugin_manager, register_plugin
):
    class BrokenAuditor:
        @hookimpl(wrapper=True)
        def orch_teams(self):
            yield
            raise RuntimeError("the audit log is full")

        @hookimpl
        def orch_agents(self):
            return [AgentSpec(name="auditor", description="d")]

    register_plugin(TeamsPlugin("qa"), name="qa-teams")
    register_plugin(BrokenAuditor(), name="auditor")

    teams = orch_plugin_manager.specs("orch_teams")

    assert "qa" in teams
    record = orch_plugin_manager.records["auditor"]
    assert (record.status, record.error) == (ERROR, "orch_teams wrapper raised RuntimeError: the audit log is full")
    assert "auditor" not in orch_plugin_manager.specs("orch_agents")  # the broken plugin is out, not half in


def test_two_plugins_returning_the_same_object_are_each_credited(orch_plugin_manager, register_plugin):
    shared = ()

    class Empty:
        @hookimpl
        def orch_teams(self):
            return shared

    register_plugin(Empty(), name="first-empty")
    register_plugin(Empty(), name="second-empty")

    credited = [plugin for plugin, _ in orch_plugin_manager.contributions("orch_teams")]

    assert "first-empty" in credited and "second-empty" in credited


@pytest.mark.parametrize("off", ["0", "off", "False", " no "])
def test_ORCH_TRACE_HOOKS_set_to_an_off_word_traces_nothing_and_writes_no_file(
    orch_project, monkeypatch, tmp_path, capsys, off
):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("ORCH_TRACE_HOOKS", off)
    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=False)

    pm.specs("orch_store_backends")

    assert capsys.readouterr().err == ""
    assert list(here.iterdir()) == []  # no trace file named after the word


def test_tryfirst_implementations_come_first_in_plugin_order(orch_plugin_manager, register_plugin):
    class Early:
        @hookimpl(tryfirst=True)
        def orch_teams(self):
            return [TeamSpec(name="qa", lead="the-early-one")]

    register_plugin(TeamsPlugin("qa"), name="registered-first")
    register_plugin(Early(), name="early")

    assert orch_plugin_manager.collect("orch_teams")["qa"].plugin == "early"
    assert orch_plugin_manager.records["registered-first"].status == ERROR  # it lost the name: a conflict


def test_a_misspelt_hook_is_reported_by_plugin_name_with_the_hook_it_probably_meant(
    orch_plugin_manager, register_plugin
):
    class Typo:
        @hookimpl
        def orch_program(self):  # should be orch_programs
            return [ProgramSpec(name="standup", description="Stand-up", output_style="You run it.")]

        @hookimpl
        def orch_teams(self):
            return [TeamSpec(name="standup-team")]

    register_plugin(Typo(), name="orchtest-standup")

    record = orch_plugin_manager.records["orchtest-standup"]
    assert record.status == ERROR
    assert record.error == "implements orch_program, which is not an orchcore hook (did you mean orch_programs?)"
    assert "standup-team" not in orch_plugin_manager.specs("orch_teams")  # the plugin is out, not half in
    assert orch_plugin_manager.get_plugin("orchtest-standup") is None


def test_a_misspelt_hook_in_an_installed_plugin_is_reported_when_it_is_imported(site):
    install_distribution(
        site, "orchtest-typo-hook", "0.1", {"typo-hook": "orchtest_typo_hook"},
        {"orchtest_typo_hook": "from orchcore.plugins import hookimpl\n\n@hookimpl\ndef orch_team():\n    return []\n"},
    )
    pm = manager()

    pm.load()

    assert pm.records["typo-hook"].status == ERROR
    assert "implements orch_team, which is not an orchcore hook (did you mean orch_teams?)" in pm.records["typo-hook"].error
    with pytest.raises(PluginError, match="plugin 'typo-hook' \\(orchtest-typo-hook\\): implements orch_team"):
        manager(strict=True).load()


def test_ORCH_TRACE_HOOKS_writes_a_line_for_every_hook_call_and_implementation(orch_project, monkeypatch, tmp_path):
    trace = tmp_path / "hooks.trace"
    monkeypatch.setenv("ORCH_TRACE_HOOKS", str(trace))
    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=False)
    pm.register_plugin(TeamsPlugin("qa"), name="qa-teams")
    pm.register_plugin(RaisingTeamsPlugin(), name="bad")

    pm.specs("orch_teams")
    pm.specs("orch_store_backends")

    lines = trace.read_text().splitlines()
    assert lines[0].startswith("orchcore hook: orch_teams() -> ")
    assert any(line.startswith("orchcore hook:   qa-teams.orch_teams: [qa] (") for line in lines)
    assert any("bad.orch_teams: raised RuntimeError: the team registry is down" in line for line in lines)
    assert any(line.startswith("orchcore hook: orch_teams done (") for line in lines)
    assert any(line.startswith("orchcore hook:   store-sqlite.orch_store_backends: [sqlite] (") for line in lines)


@pytest.mark.parametrize("on", ["1", "on", "TRUE", "stderr"])
def test_ORCH_TRACE_HOOKS_set_to_an_on_word_traces_to_stderr_and_writes_no_file(
    orch_project, monkeypatch, tmp_path, capsys, on
):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("ORCH_TRACE_HOOKS", on)
    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=False)

    pm.specs("orch_store_backends")

    assert capsys.readouterr().err.startswith("orchcore hook: orch_store_backends() -> ")
    assert list(here.iterdir()) == []  # no trace file named after the word


def test_without_ORCH_TRACE_HOOKS_nothing_is_traced(orch_project, monkeypatch, capsys):
    monkeypatch.delenv("ORCH_TRACE_HOOKS", raising=False)
    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=False)

    pm.specs("orch_store_backends")

    assert capsys.readouterr().err == ""


def test_collect_keeps_the_specs_of_healthy_plugins_when_one_raises(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa", "ops"), name="good")
    register_plugin(RaisingTeamsPlugin(), name="bad")

    assert set(orch_plugin_manager.specs("orch_teams")) == {"qa", "ops"}
    assert orch_plugin_manager.records["bad"].status == ERROR


def test_collect_says_which_plugin_provided_each_spec(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa"), name="qa-teams", distribution="orchtest-qa")

    provided = orch_plugin_manager.collect("orch_teams")["qa"]

    assert provided.spec == TeamSpec(name="qa")
    assert provided.plugin == "qa-teams"
    assert provided.distribution == "orchtest-qa"


def test_unregistering_a_plugin_removes_its_specs(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa"), name="qa-teams")
    assert "qa" in orch_plugin_manager.specs("orch_teams")

    orch_plugin_manager.unregister_plugin("qa-teams")

    assert "qa" not in orch_plugin_manager.specs("orch_teams")
    assert "qa-teams" not in orch_plugin_manager.records


# -- name conflicts --------------------------------------------------------------


def _program(name: str) -> ProgramSpec:
    return ProgramSpec(name=name, description="a program", output_style="You are ...")


CONFLICTING_KINDS = [
    pytest.param("orch_programs", _program, "program", id="programs"),
    pytest.param("orch_teams", lambda name: TeamSpec(name=name), "team", id="orchtest-teams"),
]


def _plugin_returning(hook_name: str, spec):
    plugin = type("Plugin", (), {hook_name: hookimpl(lambda self: [spec])})
    return plugin()


@pytest.mark.parametrize(("hook_name", "make_spec", "kind"), CONFLICTING_KINDS)
def test_the_same_name_from_two_plugins_is_an_error_that_names_both(
    orch_plugin_manager, register_plugin, hook_name, make_spec, kind
):
    register_plugin(_plugin_returning(hook_name, make_spec("standup")), name="alpha", distribution="orchtest-alpha")
    register_plugin(_plugin_returning(hook_name, make_spec("standup")), name="beta", distribution="orchtest-beta")

    provided = orch_plugin_manager.collect(hook_name)

    assert list(provided) == ["standup"]  # one wins; nothing is renamed
    records = orch_plugin_manager.records
    loser = next(r for r in (records["alpha"], records["beta"]) if r.status == ERROR)
    winner = records["beta" if loser.name == "alpha" else "alpha"]
    assert provided["standup"].plugin == winner.name
    assert winner.status == ACTIVE
    assert loser.error.startswith(f"{kind} 'standup' is provided by both ")
    for text in ("orchtest-alpha (plugin 'alpha')", "orchtest-beta (plugin 'beta')", "uninstall or deny one"):
        assert text in loser.error


@pytest.mark.parametrize(("hook_name", "make_spec", "kind"), CONFLICTING_KINDS)
def test_the_same_name_from_two_plugins_is_fatal_in_strict_mode(orch_project, hook_name, make_spec, kind):
    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=True)
    pm.register_plugin(_plugin_returning(hook_name, make_spec("standup")), name="alpha", distribution="orchtest-alpha")
    pm.register_plugin(_plugin_returning(hook_name, make_spec("standup")), name="beta", distribution="orchtest-beta")

    with pytest.raises(PluginConflictError) as raised:
        pm.collect(hook_name)

    assert isinstance(raised.value, PluginError)
    message = str(raised.value)
    assert f"{kind} 'standup'" in message
    assert "orchtest-alpha (plugin 'alpha')" in message
    assert "orchtest-beta (plugin 'beta')" in message


def test_a_conflict_between_plugins_without_distribution_names_the_plugins(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa"), name="alpha")
    register_plugin(TeamsPlugin("qa"), name="beta")

    orch_plugin_manager.collect("orch_teams")

    (loser,) = orch_plugin_manager.failures()
    assert "plugin 'alpha'" in loser.error and "plugin 'beta'" in loser.error


def test_the_same_name_in_different_kinds_is_not_a_conflict(orch_plugin_manager, register_plugin):
    class QaPlugin:
        @hookimpl
        def orch_teams(self):
            return [TeamSpec(name="qa")]

        @hookimpl
        def orch_agents(self):
            return [AgentSpec(name="qa", description="the qa agent")]

    register_plugin(QaPlugin(), name="qa")

    assert "qa" in orch_plugin_manager.specs("orch_teams")
    assert "qa" in orch_plugin_manager.specs("orch_agents")
    assert orch_plugin_manager.failures() == []


def test_the_same_name_twice_from_one_plugin_is_a_conflict_too(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin("qa", "qa"), name="twice")

    assert list(orch_plugin_manager.specs("orch_teams")) == ["qa"]
    assert orch_plugin_manager.records["twice"].status == ERROR
    assert "team 'qa' is provided by both plugin 'twice' and plugin 'twice'" in orch_plugin_manager.records["twice"].error


def test_a_builtin_keeps_its_name_when_a_third_party_plugin_provides_the_same_one(site):
    install_distribution(site, "orchtest-shadow", "1.0", {"shadow": "orchtest_shadow"}, {"orchtest_shadow": """
from orchcore.plugins import hookimpl
from orchcore.specs import StoreBackend
from orchcore.store.memory import MemoryStore

@hookimpl
def orch_store_backends():
    return [StoreBackend(name="sqlite", factory=lambda state_dir, options: MemoryStore())]
"""})
    pm = manager()

    provided = pm.collect("orch_store_backends")

    assert provided["sqlite"].plugin == "store-sqlite"
    assert pm.records["store-sqlite"].status == ACTIVE
    assert pm.records["shadow"].status == ERROR


# -- specs must carry a name --------------------------------------------------------


def test_something_without_a_name_is_recorded_as_an_error(orch_plugin_manager, register_plugin):
    class NamelessPlugin:
        @hookimpl
        def orch_teams(self):
            return [{"lead": "someone"}, TeamSpec(name="qa")]

    register_plugin(NamelessPlugin(), name="nameless")

    assert list(orch_plugin_manager.specs("orch_teams")) == ["qa"]
    record = orch_plugin_manager.records["nameless"]
    assert record.status == ERROR
    assert record.error.startswith("orch_teams returned ")
    assert record.error.endswith("which has no name")


def test_something_without_a_name_is_fatal_in_strict_mode(orch_project):
    class NamelessPlugin:
        @hookimpl
        def orch_teams(self):
            return [object()]

    pm = get_plugin_manager("builtin", allow=(), deny=(), strict=True)
    pm.register_plugin(NamelessPlugin(), name="nameless")

    with pytest.raises(PluginError, match="has no name"):
        pm.collect("orch_teams")


def test_a_spec_with_an_empty_name_fails_where_the_plugin_builds_it(orch_plugin_manager, register_plugin):
    register_plugin(TeamsPlugin(""), name="nameless")

    assert "" not in orch_plugin_manager.specs("orch_teams")
    record = orch_plugin_manager.records["nameless"]
    assert record.status == ERROR
    assert "orch_teams raised ValueError: TeamSpec.name '' must be one word" in record.error


# -- allow and deny lists ---------------------------------------------------------------


@pytest.fixture
def two_plugins(site):
    """Two installed third-party plugins: 'teams' and 'segments'."""
    install_distribution(
        site, "orchtest-multi", "1.0",
        {"orchtest-teams": "orchtest_teams", "segments": "orchtest_segments"},
        {"orchtest_teams": TEAMS_PLUGIN, "orchtest_segments": SEGMENTS_PLUGIN},
    )
    return site


def assert_disabled_and_never_imported(pm: OrchPluginManager, name: str, module: str) -> None:
    pm.load()
    assert pm.records[name].status == DISABLED
    assert pm.get_plugin(name) is None
    assert module not in sys.modules


def test_a_denied_plugin_is_disabled_and_never_imported(two_plugins):
    pm = manager(deny=["segments"])

    assert pm.records["segments"].status == DISABLED
    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE
    assert "clock" not in pm.specs("orch_status_segments")


def test_an_allow_list_disables_every_third_party_plugin_not_on_it(two_plugins):
    pm = manager(allow=["orchtest-teams"])

    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE
    assert pm.records["store-sqlite"].status != DISABLED  # built-ins stay on (deny them by name)


def test_deny_wins_over_allow(two_plugins):
    pm = manager(allow=["orchtest-teams", "segments"], deny=["segments"])

    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE


def test_ORCH_PLUGINS_DENY_disables_plugins_by_name(two_plugins, monkeypatch):
    monkeypatch.setenv("ORCH_PLUGINS_DENY", " segments , nothing-by-this-name ")

    pm = get_plugin_manager(strict=False)

    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE


def test_ORCH_PLUGINS_ALLOW_disables_every_other_third_party_plugin(two_plugins, monkeypatch):
    monkeypatch.setenv("ORCH_PLUGINS_ALLOW", "orchtest-teams")

    pm = get_plugin_manager(strict=False)

    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE


def test_an_allow_list_never_switches_off_the_built_ins(two_plugins, monkeypatch):
    monkeypatch.setenv("ORCH_PLUGINS_ALLOW", "orchtest-teams")

    pm = get_plugin_manager(strict=False)
    pm.load()

    assert all(r.status == ACTIVE for r in pm.records.values() if r.builtin)


def test_a_built_in_can_still_be_denied_by_name(two_plugins, monkeypatch):
    monkeypatch.setenv("ORCH_PLUGINS_DENY", "store-memory")

    assert get_plugin_manager(strict=False).records["store-memory"].status == DISABLED


def test_the_project_config_deny_list_disables_plugins(two_plugins, orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"plugins": {"deny": ["segments"]}}))

    pm = get_plugin_manager(strict=False)

    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE


def test_the_project_config_allow_list_disables_every_other_plugin(two_plugins, orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text(
        json.dumps({"plugins": {"allow": ["orchtest-teams"]}})
    )

    pm = get_plugin_manager(strict=False)

    assert_disabled_and_never_imported(pm, "segments", "orchtest_segments")
    assert pm.records["orchtest-teams"].status == ACTIVE


def test_the_runtime_applies_the_project_config_deny_list(two_plugins, orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"plugins": {"deny": ["segments"]}}))

    runtime = Runtime(project=orch_project)

    assert_disabled_and_never_imported(runtime.plugins, "segments", "orchtest_segments")


def test_the_environment_replaces_the_config_files_list(two_plugins, orch_project, monkeypatch):
    (orch_project / ".claude" / "orchcore.json").write_text(json.dumps({"plugins": {"deny": ["orchtest-teams"]}}))
    monkeypatch.setenv("ORCH_PLUGINS_DENY", "segments")

    pm = get_plugin_manager(strict=False)

    assert pm.records["segments"].status == DISABLED
    assert pm.records["orchtest-teams"].status == NOT_LOADED


def test_explicit_lists_replace_the_environment_and_config(two_plugins, monkeypatch):
    monkeypatch.setenv("ORCH_PLUGINS_DENY", "orchtest-teams")

    pm = get_plugin_manager(deny=["segments"], strict=False)

    assert pm.records["segments"].status == DISABLED
    assert pm.records["orchtest-teams"].status == NOT_LOADED


def test_an_invalid_config_file_does_not_stop_plugin_discovery(orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text("{not json")

    pm = get_plugin_manager(strict=False)

    assert set(pm.records) >= set(BUILTINS)
    assert all(pm.records[name].status == NOT_LOADED for name in BUILTINS)


# -- the entry-point index ---------------------------------------------------------------


def test_discovery_writes_an_index_under_ORCH_CACHE_DIR(orch_project):
    assert index_files(orch_project) == []

    manager()

    (index,) = index_files(orch_project)
    assert index.parent == Path(os.environ["ORCH_CACHE_DIR"])
    data = json.loads(index.read_text())
    assert data["version"] == plugins_module.INDEX_VERSION
    assert [entry for entry, _ in data["fingerprint"]] == sys.path
    rows = {row["name"]: row for row in data["plugins"]}
    assert set(rows) >= set(BUILTINS)
    assert all(rows[name]["status"] == NOT_LOADED for name in BUILTINS)


def test_the_index_remembers_which_hooks_each_plugin_implements(orch_project):
    pm = manager()
    pm.load()

    rows = {row["name"]: row for row in json.loads(index_files(orch_project)[0].read_text())["plugins"]}

    assert {name: rows[name]["hooks"] for name in BUILTINS} == BUILTINS
    assert all(rows[name]["mtime"] for name in BUILTINS)


def test_a_fresh_index_spares_scanning_installed_distributions(orch_project, monkeypatch):
    manager()

    def no_scan():
        raise AssertionError("distribution metadata scanned although the index is fresh")

    monkeypatch.setattr(plugins_module, "_records_from_metadata", no_scan)

    assert set(manager().records) >= set(BUILTINS)


def test_ORCH_NO_INDEX_always_scans_the_installed_distributions(orch_project, monkeypatch):
    manager()
    scans = []
    real = plugins_module._records_from_metadata
    monkeypatch.setattr(plugins_module, "_records_from_metadata", lambda: scans.append(1) or real())
    monkeypatch.setenv("ORCH_NO_INDEX", "1")

    manager()

    assert scans == [1]


def test_the_index_is_invalidated_when_a_folder_on_sys_path_changes(site):
    os.utime(site, ns=(10**18, 10**18))  # any change afterwards gives the folder a new mtime
    before = manager()
    assert "late" not in before.records
    assert EntryPointIndex().read() is not None

    install_distribution(site, "orchtest-late", "2.0", {"late": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})

    assert EntryPointIndex().read() is None
    after = manager()
    assert after.records["late"].distribution == "orchtest-late"
    assert after.records["late"].version == "2.0"
    assert EntryPointIndex().read() is not None  # rebuilt


def test_touching_a_folder_on_sys_path_invalidates_the_index(site):
    manager()
    assert EntryPointIndex().read() is not None

    stat = site.stat()
    os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert EntryPointIndex().read() is None


def test_the_index_is_keyed_by_sys_path(orch_project, tmp_path, monkeypatch):
    manager()
    first = EntryPointIndex().path

    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.syspath_prepend(str(other))

    assert EntryPointIndex().path != first
    assert EntryPointIndex().read() is None


def test_a_plugin_whose_file_changed_is_imported_again_to_learn_its_hooks(site):
    install_distribution(site, "orchtest-teams", "1.0", {"orchtest-teams": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})
    manager().load()
    assert manager().records["orchtest-teams"].hooks == ["orch_teams"]

    module = site / "orchtest_teams.py"
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert manager().records["orchtest-teams"].hooks is None


def test_a_plugin_that_failed_is_tried_again_next_time(site):
    install_distribution(
        site, "orchtest-broken", "0.1", {"broken": "orchtest_broken"}, {"orchtest_broken": BROKEN_PLUGIN}
    )
    install_distribution(site, "orchtest-teams", "1.0", {"orchtest-teams": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})
    first = manager()
    first.load()
    assert first.records["broken"].status == ERROR

    second = manager()

    assert second.records["broken"].status == NOT_LOADED
    assert second.records["broken"].error is None
    assert second.records["broken"].hooks is None  # unknown, so any load() imports it again


def test_a_corrupt_index_is_ignored_and_rewritten(orch_project):
    manager()
    (index,) = index_files(orch_project)
    index.write_text("{ this is not json")

    pm = manager()

    assert set(pm.records) >= set(BUILTINS)
    assert json.loads(index.read_text())["version"] == plugins_module.INDEX_VERSION


def test_an_unwritable_cache_only_costs_speed(orch_project, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ORCH_CACHE_DIR", str(blocker / "cache"))

    pm = manager()
    pm.load()

    assert all(pm.records[name].status == ACTIVE for name in BUILTINS)


# -- entry point names are unique across distributions ----------------------------------


def test_two_distributions_with_the_same_entry_point_name_are_reported(site):
    install_distribution(site, "orchtest-alpha", "1.0", {"dup": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})
    install_distribution(
        site, "orchtest-beta", "1.0", {"dup": "orchtest_segments"}, {"orchtest_segments": SEGMENTS_PLUGIN}
    )

    pm = manager()
    pm.load()

    assert pm.records["dup"].distribution == "orchtest-alpha"
    assert pm.records["dup"].status == ACTIVE
    second = pm.records["dup (orchtest-beta)"]
    assert second.status == "error"
    assert "orchtest-alpha" in second.error and "rename" in second.error
    assert "orchtest_segments" not in sys.modules


def test_two_distributions_with_the_same_entry_point_name_are_fatal_in_strict_mode(site):
    install_distribution(site, "orchtest-alpha", "1.0", {"dup": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN})
    install_distribution(
        site, "orchtest-beta", "1.0", {"dup": "orchtest_segments"}, {"orchtest_segments": SEGMENTS_PLUGIN}
    )

    with pytest.raises(PluginConflictError, match="orchtest-beta.*orchtest-alpha"):
        manager(strict=True)


def test_a_third_party_entry_point_cannot_silently_replace_a_builtin(site):
    install_distribution(
        site, "orchtest-impostor", "1.0", {"store-sqlite": "orchtest_teams"}, {"orchtest_teams": TEAMS_PLUGIN}
    )

    pm = manager()

    assert pm.records["store-sqlite"].builtin is True
    assert pm.records["store-sqlite"].value == "orchcore.builtin.sqlite_store"
