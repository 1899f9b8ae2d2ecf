"""The palette: config commands at the prompt, answered without the model, validated, never corrupting the file."""

from __future__ import annotations

import pytest

from conftest import SID, prompt


def test_help_lists_the_commands(palette):
    text = palette("help")

    assert text.splitlines()[0] == "config_manager commands (typed at the prompt, answered without the model):"
    for usage in ("show [<key>]", "set <key> <value>", "unset <key>", "validate", "teams", "agents [<team>]",
                  "segments", "plugins", "workflows"):
        assert usage in text


def test_show_gives_every_value_with_its_source(palette, config):
    config.write({"orchestration": {"enabled": True}, "custom": 1})

    lines = palette("show").splitlines()

    assert lines[0] == f"{config.path}: 2 top-level key(s)"
    rows = {line.split()[0]: line for line in lines[2:] if line and not line.startswith("not read")}
    assert rows["orchestration.enabled"].split()[1:] == ["true", "project"]
    assert rows["store.backend"].split()[1:] == ["sqlite", "default"]
    assert rows["session.orchestration"].split()[1:] == ["true", "session"]
    assert lines[-1] == "not read by orchcore (kept, but they do nothing): custom"


def test_show_one_key_explains_it(palette):
    text = palette("show plugins.deny")

    assert text.splitlines() == [
        "plugins.deny = [] (from default)",
        "  these plugins never load (built-ins too: denying one by name switches it off)",
        "  takes a list of plugin names: comma-separated (a,b,c) or a JSON list; empty: []",
        "  default: []",
        "  environment: ORCH_PLUGINS_DENY (not set)",
    ]


def test_set_writes_the_file_and_records_the_change(palette, config, active):
    config.write({"custom": {"keep": True}})

    answer = palette("set statusline.segments mode,tasks,*")

    assert answer == f"statusline.segments = mode, tasks, * (was unset (default)) in {config.path}"
    assert config.read() == {"custom": {"keep": True}, "statusline": {"segments": ["mode", "tasks", "*"]}}
    changes = active.store.get(SID).plugins["config_manager"]["changes"]
    assert [(c["key"], c["new"], "old" in c) for c in changes] == [("statusline.segments", ["mode", "tasks", "*"], False)]

    assert palette("set statusline.segments mode").startswith("statusline.segments = mode (was mode, tasks, *)")
    assert active.store.get(SID).plugins["config_manager"]["changes"][-1]["old"] == ["mode", "tasks", "*"]
    assert palette("set statusline.segments mode") == "statusline.segments is already mode; nothing to change"


def test_set_then_unset_returns_to_the_default_and_tidies_the_file(palette, config):
    assert palette("set orchestration.enabled on").startswith("orchestration.enabled = true (was unset (default))")
    assert config.read() == {"orchestration": {"enabled": True}}

    assert palette("unset orchestration.enabled") == (
        "orchestration.enabled unset (was true); now the default: false")
    assert config.read() == {}
    assert palette("unset orchestration.enabled") == (
        f"orchestration.enabled is not set in {config.path}; it is the default (false)")


def test_set_warns_when_the_environment_wins(palette, config, monkeypatch):
    monkeypatch.setenv("ORCH_PLUGINS_DENY", "")

    answer = palette("set plugins.deny test-organisation")

    assert "note: ORCH_PLUGINS_DENY is set in this environment and wins over the file" in answer
    assert config.read() == {"plugins": {"deny": ["test-organisation"]}}


@pytest.mark.parametrize("text, why", [
    ("set store.backend memory", "store.backend sqlite → memory: memory keeps nothing between processes"),
    ("set store.backend other", "store.backend sqlite → other: every session stored in sqlite would no longer be seen"),
])
def test_switching_the_store_is_not_done_from_the_prompt(palette, config, register_plugin, text, why):
    from orchcore.api import StoreBackend, hookimpl

    class Other:
        @hookimpl
        def orch_store_backends(self):
            return [StoreBackend(name="other", factory=lambda state_dir, options: None)]

    register_plugin(Other(), name="other-store")

    answer = palette(text)

    assert answer.startswith(f"✗ {why}") and "run `orch config set store.backend" in answer and "--force" in answer
    assert config.text() is None


@pytest.mark.parametrize("text, error", [
    ("set orchestration.enabled maybe", "orchestration.enabled takes true or false"),
    ("set orchestration.enable true", "unknown key 'orchestration.enable'; did you mean orchestration.enabled?"),
    ("set statusline.segments mode,clock", "no installed status-line segment named 'clock'"),
    ("set plugins.deny core-events", "core-events is built into orchcore"),
    ("set plugins.deny config-manager", "denying config-manager would also remove `orch config`"),
    ("set store.backend redis", "store.backend: no store backend named 'redis'"),
    ("set store.options 5", "store.options takes a JSON object"),
    ("set session.orchestration sometimes", "session.orchestration takes true or false"),
    ("unset session.orchestration", "session.orchestration cannot be unset"),
    ("unset colour", "unknown key 'colour'"),
    ("show colour", "unknown key 'colour'"),
    ("agents marketing", "no team 'marketing' (teams: engineering, qa)"),
])
def test_a_bad_command_is_a_clear_error_and_the_file_is_untouched(palette, config, active, text, error):
    config.write({"store": {"backend": "sqlite"}}, indent=4)
    before = config.text()
    count = len(active.store.events(SID))

    answer = palette(text)

    assert answer.startswith("✗ ") and error in answer
    assert config.text() == before
    assert [e.type for e in active.store.events(SID, after=count)] == ["hook.handled"]


def test_with_a_broken_file_the_prompt_passes_through_and_nothing_is_written(active, orch_hook, config):
    config.path.write_text('{"orchestration": {"enabled": tru}}', encoding="utf-8")

    # orchcore's router cannot read a broken config at all: it answers nothing (Claude Code goes on)
    assert orch_hook(prompt("set orchestration.enabled true")).answer is None
    assert config.text() == '{"orchestration": {"enabled": tru}}'


def test_a_file_broken_under_a_running_program_is_never_written_over(active, orch_hook, orch_runtime, config):
    config.write({})
    orch_runtime.config  # noqa: B018 - the runtime read the config while it was valid
    config.path.write_text('{"orchestration": {"enabled": tru}}', encoding="utf-8")

    answer = orch_hook(prompt("set orchestration.enabled true")).answer

    assert answer["reason"].startswith(f"✗ {config.path} is not valid JSON (line 1, column 31")
    assert answer["reason"].endswith("fix it by hand first, nothing was changed")
    assert config.text() == '{"orchestration": {"enabled": tru}}'


def test_session_settings_go_through_the_cores_events(palette, active):
    assert palette("set session.segments mode,tasks") == "this session's status line: mode │ tasks"
    assert active.store.get(SID).runtime_config.status_line.segments == ["mode", "tasks"]
    row = next(line for line in palette("show").splitlines() if line.startswith("session.segments"))
    assert row.split(None, 1)[1].split() == ["mode,", "tasks", "session", "(wins", "over", "the", "project's",
                                             "status", "line)"]

    assert palette("unset session.segments") == "this session uses the project's status line again"
    assert active.store.get(SID).runtime_config.status_line.segments == []

    assert palette("set session.orchestration off").startswith("orchestration is now off for this session")
    assert active.store.get(SID).orchestration_enabled is False


def test_teams_agents_segments_plugins_and_workflows(palette, active):
    active.emit(SID, "session.teams", {"teams": ["qa"]})

    teams = palette("teams").splitlines()
    assert teams[0].split() == ["team", "lead", "members", "max", "skills", "from"]
    assert teams[1].split() == ["engineering", "eng-director", "2", "3", "python,", "api", "test-organisation"]
    assert teams[2].split()[:2] == ["*", "qa"] and teams[-1] == "(* active in this session)"

    agents = palette("agents qa").splitlines()
    assert [line.split()[0] for line in agents] == ["agent", "qa-director", "qa-tester"]
    assert agents[2].split() == ["qa-tester", "qa", "worker", "inherit", "Bash", "2"]
    assert len(palette("agents").splitlines()) == 5

    segments = palette("segments")
    assert "mode" in segments and "row 1" in segments
    assert segments.splitlines()[-1] == (  # the default: *, every other installed segment, between sprint and model
        "status line now: mode │ agents │ tasks │ sprint │ cost │ duration │ lines │ context │ five-hour │ seven-day │ "
        "agent-usage │ team-usage │ model │ folder │ git-branch")

    plugins = palette("plugins")
    assert "config-manager" in plugins and "core-events" in plugins

    workflows = palette("workflows")
    assert "⚙ config_manager: View and change teams" in workflows
    assert "/orchestration:start-sprint: Start a sprint" in workflows


@pytest.mark.parametrize("text", [
    "set up the database for the tests",
    "show me what the status line does",
    "unset it and explain why",
    "teams are confusing, explain them",
])
def test_natural_prompts_reach_the_model_with_the_context(active, orch_hook, text):
    answer = orch_hook(prompt(text)).answer

    assert "decision" not in answer
    assert "You manage this project's orchcore configuration" in answer["hookSpecificOutput"]["additionalContext"]


def test_a_short_prompt_that_looks_like_set_is_answered_with_the_usage(palette, config):
    answer = palette("set up CI")  # two words after `set`: taken as a command, refused, prompt given back

    assert answer.startswith("✗ unknown key 'up'")
    assert config.text() is None


def test_a_bug_in_a_command_is_reported_as_text_never_raised(palette, config, monkeypatch):
    from orch_program_config import actions

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(actions, "set_value", broken)

    assert palette("set orchestration.enabled true") == "✗ config_manager failed: RuntimeError: disk on fire"
    assert config.text() is None
