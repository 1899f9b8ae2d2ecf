"""Specs check their own names when they are built.

A plugin author sees a bad name where it is written: a name that is not a
string is a ``TypeError``, an ill-formed one a ``ValueError`` that says the
rule. The rule follows from what the name becomes:

* programs, agents and commands become files under ``.claude/``: file names;
* teams, event types, store backends, handlers and subscribers are typed or
  listed: one word;
* a status segment is one word other than ``*`` (a layout's "every other segment");
* a CLI group is typed as ``orch <name>``: one word not starting with ``-``;
* a palette command is compared with the prompt's lower-cased first word:
  one word in lower case.

Every spec documents each of its fields in its docstring.
"""

from __future__ import annotations

import attrs
import pytest

from orchcore import specs
from orchcore.specs import (
    AgentSpec,
    CliCommand,
    CommandSpec,
    EventType,
    HookHandler,
    PaletteCommand,
    ProgramSpec,
    StatusSegment,
    StoreBackend,
    Subscriber,
    TeamSpec,
)


def nothing(*args):
    return None


# How to build each kind of spec around a given name.
BUILD = {
    "program": lambda name: ProgramSpec(name=name, description="d", output_style="body"),
    "agent": lambda name: AgentSpec(name=name, description="d"),
    "command": lambda name: CommandSpec(command=name, description="d", body="b"),
    "command folder": lambda name: CommandSpec(command="status", description="d", body="b", folder=name),
    "team": lambda name: TeamSpec(name=name),
    "event type": lambda name: EventType(name=name, reducer=nothing),
    "store backend": lambda name: StoreBackend(name=name, factory=nothing),
    "hook handler": lambda name: HookHandler(name=name, events="Stop", handler=nothing),
    "subscriber": lambda name: Subscriber(name=name, callback=nothing),
    "status segment": lambda name: StatusSegment(name=name, render=nothing),
    "cli command": lambda name: CliCommand(name=name, help="h", load=nothing),
    "palette command": lambda name: PaletteCommand(name=name, help="h", run=nothing),
}


@pytest.mark.parametrize("kind", sorted(BUILD))
def test_a_name_that_is_not_a_string_is_a_type_error(kind):
    with pytest.raises(TypeError, match=r"must be a str, not int \(7\)"):
        BUILD[kind](7)


@pytest.mark.parametrize("kind", sorted(set(BUILD) - {"command folder"}))
def test_an_empty_name_is_refused_by_every_kind(kind):
    with pytest.raises(ValueError, match="''"):
        BUILD[kind]("")


@pytest.mark.parametrize("kind", ["program", "agent", "command"])
@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "-flag", "ends.", "ends ", "a:b", "new\nline"])
def test_what_becomes_a_file_must_be_a_file_name(kind, name):
    with pytest.raises(ValueError, match="cannot be a file name"):
        BUILD[kind](name)


@pytest.mark.parametrize("kind", ["program", "agent", "command"])
@pytest.mark.parametrize("name", ["qa-tester", "all-team_dashboard", "v1.2", "Deep Review", "équipe"])
def test_file_names_may_hold_letters_digits_dashes_dots_and_spaces(kind, name):
    assert BUILD[kind](name) is not None


def test_a_command_folder_is_a_folder_name_or_empty():
    assert CommandSpec(command="hello", description="d", body="b", folder="").name == "hello"
    assert CommandSpec(command="hello", description="d", body="b", folder="team").name == "team:hello"
    with pytest.raises(ValueError, match="CommandSpec.folder '../up' cannot be a folder name"):
        BUILD["command folder"]("../up")


@pytest.mark.parametrize("kind", ["team", "event type", "store backend", "hook handler", "subscriber",
                                  "status segment", "cli command", "palette command"])
def test_names_that_are_typed_or_listed_are_one_word(kind):
    with pytest.raises(ValueError, match="must be one word"):
        BUILD[kind]("two words")


def test_event_types_are_dotted_by_convention_only():
    assert EventType(name="sprint.started", reducer=nothing).name == "sprint.started"
    assert EventType(name="heartbeat", reducer=nothing).name == "heartbeat"


def test_a_status_segment_cannot_be_called_star_which_layouts_use_for_every_other_segment():
    with pytest.raises(ValueError, match="other than '\\*'"):
        StatusSegment(name="*", render=nothing)


def test_a_cli_group_cannot_look_like_an_option():
    with pytest.raises(ValueError, match="not starting with '-'"):
        CliCommand(name="--sprint", help="h", load=nothing)


def test_a_palette_command_is_lower_case_because_the_prompt_is_compared_lower_cased():
    with pytest.raises(ValueError, match="PaletteCommand.name 'Status' must be one word in lower case"):
        PaletteCommand(name="Status", help="h", run=nothing)


def test_the_name_is_checked_again_when_a_spec_is_evolved():
    team = TeamSpec(name="qa")
    with pytest.raises(ValueError, match="TeamSpec.name"):
        attrs.evolve(team, name="q a")


def test_no_installed_first_party_plugin_builds_a_spec_the_rules_refuse(orch_project):
    from orchcore.plugins import get_plugin_manager, hook_names

    plugins = get_plugin_manager(allow=(), deny=())  # the core's and every installed plugin
    for hook in hook_names():
        plugins.collect(hook)

    assert [(record.name, record.error) for record in plugins.failures()] == []


SPEC_TYPES = [value for value in vars(specs).values()
              if isinstance(value, type) and attrs.has(value) and value.__module__ == specs.__name__]


@pytest.mark.parametrize("spec_type", SPEC_TYPES, ids=lambda t: t.__name__)
def test_every_field_of_every_spec_is_documented_in_its_docstring(spec_type):
    doc = spec_type.__doc__ or ""
    assert "Attributes:" in doc
    documented = doc.split("Attributes:", 1)[1]
    missing = [f.name for f in attrs.fields(spec_type) if f"\n        {f.name}: " not in documented]
    assert missing == []
