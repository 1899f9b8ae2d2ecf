"""``orch install``, ``orch uninstall`` and ``orch doctor``.

Install wires one hook entry per Claude Code event and the status line into the
scope's settings file (most events as http hooks to the resident runtime, the
rest as commands; the secret the http hooks carry goes into
``settings.local.json``), and renders what plugins provide (output styles, slash
commands, agents) under ``.claude/``. It keeps everything else in the file, is
idempotent, and records what it added in ``.claude/orchcore-manifest.json`` so
that uninstall removes exactly that, and never a file the user edited.

Every test runs with ``HOME`` and ``CLAUDE_CONFIG_DIR`` in throwaway folders,
so the user scope never touches the real ``~/.claude``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchcore import doctor, install, protocol
from orchcore.plugins import hookimpl
from orchcore.specs import AgentSpec, CommandSpec, ProgramSpec
from tests.conftest import mount_small_disk, ok

ORCH = install.orch_launcher()
HOOK = f"{ORCH} hook"
STATUS = f"{ORCH} statusline"

OTHER_HOOK = {"matcher": "Bash", "hooks": [{"type": "command", "command": "guard.sh", "timeout": 5}]}
FOREIGN_STATUS = {"type": "command", "command": "~/bin/my-status"}


# -- helpers and fixtures ------------------------------------------------


pytestmark = pytest.mark.usefixtures("isolated_home")  # a throwaway HOME (tests/conftest.py): the user scope never reaches the real one


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("orch: error: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def settings_path(project: Path) -> Path:
    return project / ".claude" / "settings.json"


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (state/ is the store's, not ours)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "state" not in p.relative_to(folder).parts
    }


def folders(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()}


def our_handlers(data: dict, event: str) -> list[dict]:
    return [h for group in data["hooks"].get(event, []) for h in group["hooks"] if install.entry_kind(h) == "hook"]


def our_commands(data: dict, event: str) -> list[str]:
    return [h["command"] for h in our_handlers(data, event)]


def wired_as(data: dict, event: str) -> dict:
    """What install wires for ``event`` by default: an http hook to the settings' port, or the command."""
    return install.Wiring(ORCH, "http", install.wired_port(data)).handler(event)


def local_settings(project: Path) -> Path:
    return project / ".claude" / "settings.local.json"


def token_of(project: Path) -> str:
    return read_json(local_settings(project))["env"][install.TOKEN_VAR]


class Provides:
    """A plugin with one output style, one slash command and one agent."""

    @hookimpl
    def orch_programs(self):
        return [ProgramSpec(name="dashboard", description="Team dashboard: live state",
                            output_style="You are the team's dashboard.\n", keep_coding_instructions=True)]

    @hookimpl
    def orch_commands(self):
        return [CommandSpec(command="status", description="Show the session's state",
                            body="Mode: !`orch state get mode`", allowed_tools=["Bash(orch:*)", "Read"],
                            argument_hint="[section]")]

    @hookimpl
    def orch_agents(self):
        return [AgentSpec(name="qa-tester", description="Writes and runs tests", tools=["Read", "Bash"],
                          model="sonnet", prompt="You test the change you are given.")]


@pytest.fixture
def provides(register_plugin) -> str:
    return register_plugin(Provides(), name="provides")


STYLE = "output-styles/dashboard.md"
COMMAND = "commands/orchestration/status.md"
AGENT = "agents/qa-tester.md"


# -- what install writes -----------------------------------------------------


def test_install_into_an_empty_project_wires_every_event_and_the_status_line(orch_cli, orch_project):
    summary = ok(orch_cli("install", "--json")).json()
    data = read_json(settings_path(orch_project))
    assert list(data) == ["hooks", "statusLine", "enabledMcpjsonServers", "permissions"]  # the last two: orch mcp
    assert list(data["hooks"]) == list(install.WIRED_EVENTS)
    port = summary["port"]
    for event in install.WIRED_EVENTS:
        (entry,) = data["hooks"][event]
        if event in install.HTTP_EVENTS:
            assert entry["hooks"] == [{
                "type": "http", "url": f"http://127.0.0.1:{port}/orchcore/hook", "timeout": 10,
                "headers": {"X-Orch-Token": "$ORCH_HOOK_TOKEN", "X-Orch-Enabled": "$ORCH_ENABLED"},
                "allowedEnvVars": ["ORCH_HOOK_TOKEN", "ORCH_ENABLED"],
            }]
        else:
            assert entry["hooks"] == [{"type": "command", "command": HOOK, "timeout": 30}]
        if event in install.NO_MATCHER_EVENTS:
            assert "matcher" not in entry
        else:
            assert entry["matcher"] == "*"
    assert data["statusLine"] == {"type": "command", "command": STATUS, "padding": 0}
    assert summary["hooks"]["added"] == list(install.WIRED_EVENTS)
    assert summary["status_line"] == "added"
    assert summary["backup"] is None  # there was no previous file
    assert not (orch_project / ".claude" / "settings.json.orchcore-backup").exists()
    assert summary["transport"] == "http"


def test_http_hooks_carry_a_secret_kept_in_the_local_settings_that_only_the_owner_reads(orch_cli, orch_project):
    ok(orch_cli("install"))
    local = read_json(local_settings(orch_project))
    assert list(local) == ["env"] and len(local["env"][install.TOKEN_VAR]) >= 32
    assert local_settings(orch_project).stat().st_mode & 0o777 == 0o600
    assert local["env"][install.TOKEN_VAR] not in settings_path(orch_project).read_text()  # never in the committed file


def test_the_events_claude_code_cannot_post_and_those_only_an_exit_code_blocks_stay_commands():
    assert set(install.WIRED_EVENTS) - set(install.HTTP_EVENTS) == {
        "SessionStart", "Setup", "PreCompact", "TeammateIdle", "TaskCreated", "TaskCompleted", "ConfigChange"}
    assert {"PreToolUse", "PostToolUse", "PostToolBatch", "UserPromptSubmit", "Stop"} <= set(install.HTTP_EVENTS)


def test_a_second_install_keeps_the_port_and_the_secret(orch_cli, orch_project):
    first = ok(orch_cli("install", "--json")).json()
    token = token_of(orch_project)
    again = ok(orch_cli("install", "--json")).json()
    assert again["port"] == first["port"] and again["changed"] is False
    assert token_of(orch_project) == token


def test_port_moves_the_http_hooks_and_transport_command_takes_them_and_the_secret_out(orch_cli, orch_project):
    ok(orch_cli("install"))
    ok(orch_cli("install", "--port", "45678"))
    data = read_json(settings_path(orch_project))
    assert our_handlers(data, "PreToolUse")[0]["url"] == "http://127.0.0.1:45678/orchcore/hook"
    assert install.http_endpoint(orch_project, {}) == install.Endpoint(45678, token_of(orch_project))
    summary = ok(orch_cli("install", "--transport", "command", "--json")).json()
    data = read_json(settings_path(orch_project))
    for event in install.WIRED_EVENTS:
        assert our_commands(data, event) == [HOOK]
    assert set(summary["hooks"]["updated"]) == set(install.HTTP_EVENTS)
    assert not local_settings(orch_project).exists()  # install created it for the secret alone
    assert install.http_endpoint(orch_project, {}) is None


def test_user_scope_wires_commands_and_refuses_http_hooks(orch_cli, isolated_home):
    ok(orch_cli("install", "--scope", "user"))
    data = read_json(isolated_home / "claude-config" / "settings.json")
    assert all(our_commands(data, e) == [HOOK] for e in install.WIRED_EVENTS)
    assert_one_line_error(orch_cli("install", "--scope", "user", "--transport", "http"), "every project")


def test_an_existing_local_settings_file_gets_the_secret_and_comes_back_byte_for_byte(orch_cli, orch_project):
    original = '{\n    "permissions": {"allow": ["Bash(make)"]},\n    "env": {"A": "1"}\n}\n'
    local_settings(orch_project).write_text(original)
    ok(orch_cli("install"))
    local = read_json(local_settings(orch_project))
    assert local["permissions"] == {"allow": ["Bash(make)"]}
    assert local["env"]["A"] == "1" and install.TOKEN_VAR in local["env"]
    ok(orch_cli("uninstall"))
    assert local_settings(orch_project).read_text() == original


def test_worktree_create_and_message_display_are_never_wired():
    assert "WorktreeCreate" not in install.WIRED_EVENTS
    assert "MessageDisplay" not in install.WIRED_EVENTS
    assert len(set(install.WIRED_EVENTS)) == len(install.WIRED_EVENTS) == 27  # with 2.1.332's PreSkillShellCommand


def test_the_wired_events_are_claude_codes_events_less_those_left_out_on_purpose():
    assert set(install.WIRED_EVENTS) | set(install.UNWIRED_EVENTS) == set(protocol.EVENTS)
    assert not set(install.WIRED_EVENTS) & set(install.UNWIRED_EVENTS)
    assert all(install.UNWIRED_EVENTS.values())  # each says why
    assert list(install.WIRED_EVENTS) == [name for name in protocol.EVENTS if name in install.WIRED_EVENTS]


def test_matchers_and_transports_follow_what_the_protocol_says_of_each_event():
    for name in install.WIRED_EVENTS:
        info = protocol.EVENTS[name]
        assert (name in install.NO_MATCHER_EVENTS) == (info.matcher_field is None)
        postable = name not in protocol.NO_HTTP_HOOK_EVENTS and protocol.BLOCK_BY_EXIT not in info.answers
        assert (name in install.HTTP_EVENTS) == postable


def test_the_hook_command_is_this_interpreter_without_site_and_runs_without_an_activated_venv(tmp_path):
    import shlex
    import subprocess

    words = shlex.split(ORCH)
    assert words[0] == sys.executable and Path(words[0]).is_absolute()
    assert words[1:4] == ["-S", "-P", "-c"]
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no venv on PATH, no PYTHONPATH
    done = subprocess.run(["/bin/sh", "-c", f"{ORCH} --version"], env=clean, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("orch (orchcore) "), done.stderr


def test_a_launcher_whose_orchcore_is_gone_fails_without_blocking(tmp_path):
    """Exit 2 would block the event in Claude Code; a missing package must be a plain error (exit 1)."""
    import subprocess

    gone = f"{sys.executable} -S -P -c 'import sys;sys.path.append(\"/nowhere\");from orchcore.entry import main'"
    done = subprocess.run(["/bin/sh", "-c", f"{gone} hook"], input="{}", capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": ""})
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr


def test_the_launcher_quotes_an_interpreter_path_with_spaces(tmp_path, monkeypatch):
    python = tmp_path / "my envs" / "bin" / "python"
    monkeypatch.setattr(sys, "executable", str(python))
    launcher = install.orch_launcher()
    assert launcher.startswith(f"'{python}' -S -P -c ")  # quoted: the path has a space
    assert install.command_kind(f"{launcher} hook") == "hook"


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("/opt/venv/bin/orch hook", "hook"),
        ("/opt/venv/bin/orch statusline", "statusline"),
        ("'/home/me/my env/bin/orch' hook", "hook"),
        ("/usr/bin/python3 -m orchcore hook", "hook"),
        ("/usr/bin/python3 -S -m orchcore statusline", "statusline"),
        ("/v/bin/python -S -P -c 'import sys;from orchcore.entry import main;sys.exit(main())' hook", "hook"),
        ("/v/bin/python -c 'print(1)' hook", None),
        ("/v/bin/python -m orchcore.other hook", None),
        ("orch hook", "hook"),
        ("/opt/venv/bin/orch session list", None),
        ("/opt/venv/bin/orchestrate hook", None),
        ("guard.sh hook", None),
        ("/opt/venv/bin/orch hook --verbose", None),
        ("'unbalanced hook", None),
        (None, None),
    ],
)
def test_our_entries_are_recognised_by_their_command(command, kind):
    assert install.command_kind(command) == kind


def test_install_keeps_other_hooks_other_keys_their_order_and_four_space_indent(orch_cli, orch_project):
    original = {
        "permissions": {"allow": ["Bash(ls)"]},
        "hooks": {"PreToolUse": [OTHER_HOOK], "WorktreeCreate": [{"hooks": [{"type": "command", "command": "wt.sh"}]}]},
        "model": "sonnet",
    }
    settings_path(orch_project).write_text(json.dumps(original, indent=4) + "\n", encoding="utf-8")
    ok(orch_cli("install", "--no-mcp"))  # orch mcp's keys: tests/test_install_mcp.py
    text = settings_path(orch_project).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=4) + "\n"  # same indentation, trailing newline kept
    assert list(data) == ["permissions", "hooks", "model", "statusLine"]
    assert data["permissions"] == original["permissions"] and data["model"] == "sonnet"
    assert data["hooks"]["PreToolUse"][0] == OTHER_HOOK  # theirs first, ours appended
    assert our_handlers(data, "PreToolUse") == [wired_as(data, "PreToolUse")]
    assert data["hooks"]["WorktreeCreate"] == original["hooks"]["WorktreeCreate"]
    assert list(data["hooks"])[:2] == ["PreToolUse", "WorktreeCreate"]
    backup = orch_project / ".claude" / "settings.json.orchcore-backup"
    assert backup.read_text(encoding="utf-8") == json.dumps(original, indent=4) + "\n"


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lambda d: json.dumps(d, indent="\t"), id="tabs-no-final-newline"),
        pytest.param(lambda d: json.dumps(d, indent=2) + "\n", id="two-spaces"),
        pytest.param(lambda d: (json.dumps(d, indent=2) + "\n").replace("\n", "\r\n"), id="crlf"),
    ],
)
def test_install_writes_in_the_files_own_layout(orch_cli, orch_project, layout):
    settings_path(orch_project).write_bytes(layout({"model": "opus"}).encode())
    ok(orch_cli("install"))
    data = read_json(settings_path(orch_project))
    assert settings_path(orch_project).read_bytes() == layout(data).encode()


def test_a_second_install_changes_nothing_and_writes_no_new_backup(orch_cli, orch_project, provides):
    settings_path(orch_project).write_text(json.dumps({"hooks": {"PreToolUse": [OTHER_HOOK]}}, indent=2) + "\n")
    ok(orch_cli("install"))
    claude = orch_project / ".claude"
    before = tree(claude)
    backup = claude / "settings.json.orchcore-backup"
    stamp = backup.stat().st_mtime_ns
    summary = ok(orch_cli("install", "--json")).json()
    assert summary["changed"] is False
    assert summary["hooks"] == {"added": [], "updated": [], "removed": []}
    assert summary["files"]["written"] == summary["files"]["updated"] == []
    assert tree(claude) == before
    assert backup.stat().st_mtime_ns == stamp
    assert "nothing to change" in ok(orch_cli("install")).stdout


def test_a_moved_orch_is_updated_in_place_not_duplicated(orch_cli, orch_project):
    old_hook = {"type": "command", "command": "/old/venv/bin/orch hook", "timeout": 30}
    old = {"hooks": {"SessionStart": [{"matcher": "*", "hooks": [old_hook]}], "Stop": [{"hooks": [old_hook]}]},
           "statusLine": {"type": "command", "command": "/old/venv/bin/orch statusline", "padding": 0}}
    settings_path(orch_project).write_text(json.dumps(old, indent=2))
    summary = ok(orch_cli("install", "--json")).json()
    data = read_json(settings_path(orch_project))
    assert data["hooks"]["SessionStart"] == [{"matcher": "*", "hooks": [{"type": "command", "command": HOOK,
                                                                         "timeout": 30}]}]
    assert data["hooks"]["Stop"] == [{"hooks": [wired_as(data, "Stop")]}]  # a command before, an http hook now
    assert data["statusLine"]["command"] == STATUS
    assert summary["hooks"]["updated"] == ["SessionStart", "Stop"]
    assert summary["status_line"] == "updated"


def test_install_unwires_events_that_must_not_be_wired(orch_cli, orch_project):
    stray = {"hooks": {"WorktreeCreate": [{"hooks": [{"type": "command", "command": "/x/bin/orch hook"}]}]}}
    settings_path(orch_project).write_text(json.dumps(stray, indent=2))
    summary = ok(orch_cli("install", "--json")).json()
    assert summary["hooks"]["removed"] == ["WorktreeCreate"]
    assert "WorktreeCreate" not in read_json(settings_path(orch_project))["hooks"]


def test_install_keeps_the_files_mode(orch_cli, orch_project):
    settings_path(orch_project).write_text("{}")
    settings_path(orch_project).chmod(0o600)
    ok(orch_cli("install"))
    assert settings_path(orch_project).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name", ["settings.json", "settings.local.json"])
def test_a_settings_file_symlinked_outside_the_project_is_refused_and_its_target_untouched(
    orch_cli, orch_project, tmp_path, name
):
    target = tmp_path / "dotfiles" / name
    target.parent.mkdir()
    target.write_text("{}")
    (orch_project / ".claude" / name).symlink_to(target)
    before = tree(orch_project / ".claude")
    result = orch_cli("install")
    assert_one_line_error(result, f"{orch_project / '.claude' / name} is a symlink to {target}", "outside",
                          "replace the link with a copy")
    assert target.read_text() == "{}"
    assert tree(orch_project / ".claude") == before


def test_a_rendered_folder_symlinked_outside_the_project_is_refused(orch_cli, orch_project, tmp_path, provides):
    elsewhere = tmp_path / "shared-agents"
    elsewhere.mkdir()
    (orch_project / ".claude" / "agents").symlink_to(elsewhere)
    assert_one_line_error(orch_cli("install"), f"{orch_project / '.claude' / 'agents'} is a symlink to {elsewhere}")
    assert list(elsewhere.iterdir()) == []
    assert not settings_path(orch_project).exists()


def test_a_symlink_inside_the_project_is_followed_and_said_so(orch_cli, orch_project):
    target = orch_project / "config" / "claude-settings.json"
    target.parent.mkdir()
    target.write_text("{}")
    settings_path(orch_project).symlink_to(target)
    out = ok(orch_cli("install")).stdout
    assert f"  followed symlink {settings_path(orch_project)} -> {target} (inside the project)" in out
    assert settings_path(orch_project).is_symlink()
    assert our_commands(read_json(target), "SessionStart") == [HOOK]
    ok(orch_cli("uninstall"))
    assert target.read_text() == "{}" and settings_path(orch_project).is_symlink()


def test_install_tells_a_person_what_it_did(orch_cli, orch_project):
    summary = ok(orch_cli("install", "--dry-run", "--json")).json()
    out = ok(orch_cli("install")).stdout
    assert out.splitlines() == [
        f"{settings_path(orch_project)}: updated (install, project scope)",
        f"  http hooks: 127.0.0.1:{summary['port']} (the secret is in .claude/settings.local.json)",
        "  hooks added: all 27 events",
        "  statusLine: added",
        f"  mcp: added ({orch_project / '.mcp.json'})",
    ]


# -- install, then uninstall ---------------------------------------------------


def test_uninstall_restores_a_preexisting_file_byte_for_byte(orch_cli, orch_project, provides):
    original = json.dumps({"hooks": {"PreToolUse": [OTHER_HOOK], "Stop": []}, "env": {"A": "é"}}, indent=4,
                          ensure_ascii=False) + "\n"
    settings_path(orch_project).write_text(original, encoding="utf-8")
    before = tree(orch_project / ".claude")
    ok(orch_cli("install"))
    ok(orch_cli("uninstall"))
    assert settings_path(orch_project).read_text(encoding="utf-8") == original
    assert tree(orch_project / ".claude") == before  # the backup install made is gone too


def test_uninstall_restores_even_a_hand_formatted_file(orch_cli, orch_project):
    original = '{\n  "permissions": { "allow": ["Bash(ls)", "Read"] },\n  "model" : "opus"\n}\n'
    settings_path(orch_project).write_text(original)
    ok(orch_cli("install"))
    ok(orch_cli("uninstall"))
    assert settings_path(orch_project).read_text() == original


def test_uninstall_deletes_the_file_install_created_and_everything_it_wrote(orch_cli, orch_project, provides):
    claude = orch_project / ".claude"
    before_files, before_folders = tree(claude), folders(claude)
    ok(orch_cli("install"))
    assert (claude / STYLE).exists() and (claude / COMMAND).exists() and (claude / AGENT).exists()
    summary = ok(orch_cli("uninstall", "--json")).json()
    assert summary["status_line"] == "removed"
    assert tree(claude) == before_files
    assert folders(claude) == before_folders
    assert claude.is_dir()


def test_uninstall_keeps_what_was_added_to_the_file_after_install(orch_cli, orch_project):
    ok(orch_cli("install"))
    data = read_json(settings_path(orch_project))
    data["hooks"]["PreToolUse"].insert(0, OTHER_HOOK)
    data["model"] = "opus"
    settings_path(orch_project).write_text(json.dumps(data, indent=2) + "\n")
    ok(orch_cli("uninstall"))
    assert read_json(settings_path(orch_project)) == {"hooks": {"PreToolUse": [OTHER_HOOK]}, "model": "opus"}


def test_uninstall_when_nothing_is_installed_changes_nothing(orch_cli, orch_project):
    settings_path(orch_project).write_text('{"model": "opus"}')
    result = ok(orch_cli("uninstall", "--json")).json()
    assert result["changed"] is False
    assert settings_path(orch_project).read_text() == '{"model": "opus"}'
    assert not (orch_project / ".claude" / install.MANIFEST_NAME).exists()


def backup_of(path: Path) -> Path:
    return path.with_name(path.name + ".orchcore-backup")


def test_uninstall_removes_the_backups_install_made_of_both_settings_files(orch_cli, orch_project):
    settings_path(orch_project).write_text('{"model": "opus"}\n')
    local_settings(orch_project).write_text('{"env": {"A": "1"}}\n')
    ok(orch_cli("install"))
    assert backup_of(settings_path(orch_project)).exists() and backup_of(local_settings(orch_project)).exists()
    summary = ok(orch_cli("uninstall", "--json")).json()
    assert sorted(summary["backups_removed"]) == sorted(
        str(backup_of(p)) for p in (settings_path(orch_project), local_settings(orch_project)))
    assert not backup_of(settings_path(orch_project)).exists()
    assert not backup_of(local_settings(orch_project)).exists()


def test_keep_backup_keeps_the_settings_as_they_were_before_install(orch_cli, orch_project):
    original = '{"model": "opus"}\n'
    settings_path(orch_project).write_text(original)
    ok(orch_cli("install"))
    ok(orch_cli("install", "--port", "45678"))  # a second install that changes the wiring keeps the first backup
    out = ok(orch_cli("uninstall", "--keep-backup")).stdout
    assert "removed backup" not in out
    assert backup_of(settings_path(orch_project)).read_text() == original
    assert settings_path(orch_project).read_text() == original


def test_a_backup_holding_orchcores_hooks_is_never_kept(orch_cli, orch_project):
    settings_path(orch_project).write_text('{"model": "opus"}\n')
    ok(orch_cli("install"))
    installed = settings_path(orch_project).read_text()
    backup_of(settings_path(orch_project)).write_text(installed)  # as an older orchcore's uninstall left it
    out = ok(orch_cli("uninstall", "--keep-backup")).stdout
    assert f"  removed backup {backup_of(settings_path(orch_project))}" in out
    assert not backup_of(settings_path(orch_project)).exists()


def test_settings_already_wired_by_hand_get_no_backup_holding_our_hooks(orch_cli, orch_project):
    wired = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "/old/venv/bin/orch hook"}]}]}}
    settings_path(orch_project).write_text(json.dumps(wired))
    summary = ok(orch_cli("install", "--json")).json()
    assert summary["backup"] is None
    assert not backup_of(settings_path(orch_project)).exists()


# -- files rendered from plugins ---------------------------------------------


def test_install_renders_output_styles_commands_and_agents(orch_cli, orch_project, provides):
    summary = ok(orch_cli("install", "--json")).json()
    claude = orch_project / ".claude"
    assert (claude / STYLE).read_text() == (
        "---\nname: dashboard\ndescription: \"Team dashboard: live state\"\nkeep-coding-instructions: true\n---\n\n"
        "You are the team's dashboard.\n"
    )
    assert (claude / COMMAND).read_text() == (
        "---\ndescription: Show the session's state\nallowed-tools: Bash(orch:*), Read\nargument-hint: \"[section]\"\n"
        "---\n\nMode: !`orch state get mode`\n"
    )
    assert (claude / AGENT).read_text() == (
        "---\nname: qa-tester\ndescription: Writes and runs tests\ntools: Read, Bash\nmodel: sonnet\n---\n\n"
        "You test the change you are given.\n"
    )
    assert sorted(summary["files"]["written"]) == sorted(str(claude / p) for p in (STYLE, COMMAND, AGENT))
    manifest = read_json(claude / install.MANIFEST_NAME)
    assert set(manifest["files"]) == {STYLE, COMMAND, AGENT}
    assert manifest["files"][AGENT] == install.sha256((claude / AGENT).read_text())
    assert manifest["settings"]["project"]["created_file"] is True


def test_optional_frontmatter_is_left_out():
    agent = install.render_agent(AgentSpec(name="plain", description="No extras"))
    assert agent == "---\nname: plain\ndescription: No extras\n---\n"
    command = install.render_command(CommandSpec(command="c", description="d", body="b", folder=""))
    assert command == "---\ndescription: d\n---\n\nb\n"
    style = install.render_output_style(ProgramSpec(name="s", description="d", output_style="x"))
    assert "keep-coding-instructions" not in style


def test_a_command_without_a_folder_goes_straight_into_commands(orch_cli, orch_project, register_plugin):
    class Flat:
        @hookimpl
        def orch_commands(self):
            return [CommandSpec(command="hello", description="Say hello", body="Hello", folder="")]

    register_plugin(Flat(), name="flat")
    ok(orch_cli("install"))
    assert (orch_project / ".claude" / "commands" / "hello.md").exists()


def test_a_spec_whose_name_is_not_a_file_name_fails_where_it_is_built_and_install_goes_on(
    orch_cli, orch_project, register_plugin, orch_plugin_manager
):
    class Evil:
        @hookimpl
        def orch_agents(self):
            return [AgentSpec(name="../../escape", description="x")]

    register_plugin(Evil(), name="evil")
    summary = ok(orch_cli("install", "--json")).json()
    assert "AgentSpec.name '../../escape' cannot be a file name" in orch_plugin_manager.records["evil"].error
    assert summary["hooks"]["added"] == list(install.WIRED_EVENTS)  # the rest of install went on
    assert not (orch_project.parent / "escape.md").exists()


def test_a_spec_renamed_after_it_was_built_is_still_never_written_outside_its_folder(
    orch_cli, orch_project, register_plugin
):
    class Sneaky:
        @hookimpl
        def orch_agents(self):
            spec = AgentSpec(name="fine", description="x")
            object.__setattr__(spec, "name", "../../escape")  # gets past frozen and the name check
            return [spec, AgentSpec(name="also-fine", description="y")]

    register_plugin(Sneaky(), name="sneaky")
    summary = ok(orch_cli("install", "--json")).json()
    assert [s["path"] for s in summary["files"]["skipped"]] == ["../../escape"]
    assert (orch_project / ".claude" / "agents" / "also-fine.md").exists()
    assert not (orch_project.parent / "escape.md").exists()


def test_a_file_the_user_edited_is_neither_overwritten_nor_removed(orch_cli, orch_project, provides,
                                                                   orch_plugin_manager):
    claude = orch_project / ".claude"
    ok(orch_cli("install"))
    (claude / AGENT).write_text("my own agent\n")
    summary = ok(orch_cli("install", "--json")).json()
    assert (claude / AGENT).read_text() == "my own agent\n"
    assert summary["files"]["skipped"] == [
        {"path": str(claude / AGENT), "reason": "edited since orch install wrote it; --force overwrites it"}
    ]
    ok(orch_cli("uninstall"))
    assert (claude / AGENT).read_text() == "my own agent\n"  # kept
    assert not (claude / STYLE).exists()  # unedited: removed


def test_force_overwrites_an_edited_file_and_keeps_a_backup(orch_cli, orch_project, provides):
    claude = orch_project / ".claude"
    ok(orch_cli("install"))
    (claude / AGENT).write_text("my own agent\n")
    summary = ok(orch_cli("install", "--force", "--json")).json()
    assert summary["files"]["updated"] == [str(claude / AGENT)]
    assert (claude / AGENT).read_text().startswith("---\nname: qa-tester\n")
    assert (claude / (AGENT + ".orchcore-backup")).read_text() == "my own agent\n"


def test_uninstall_puts_back_the_file_force_replaced_and_removes_its_backup(orch_cli, orch_project, provides):
    claude = orch_project / ".claude"
    ok(orch_cli("install"))
    (claude / AGENT).write_text("my own agent\n")
    ok(orch_cli("install", "--force"))
    summary = ok(orch_cli("uninstall", "--json")).json()
    assert summary["files"]["restored"] == [str(claude / AGENT)]
    assert (claude / AGENT).read_text() == "my own agent\n"
    assert not (claude / (AGENT + ".orchcore-backup")).exists()


def test_a_file_install_did_not_write_is_skipped(orch_cli, orch_project, provides):
    claude = orch_project / ".claude"
    (claude / "agents").mkdir()
    (claude / AGENT).write_text("hand-written\n")
    summary = ok(orch_cli("install", "--json")).json()
    assert summary["files"]["skipped"][0]["reason"].startswith("not written by orch install")
    assert (claude / AGENT).read_text() == "hand-written\n"
    ok(orch_cli("uninstall"))
    assert (claude / AGENT).read_text() == "hand-written\n"


def test_a_file_no_plugin_provides_any_more_is_removed(orch_cli, orch_project, provides, orch_plugin_manager):
    claude = orch_project / ".claude"
    ok(orch_cli("install"))
    orch_plugin_manager.unregister_plugin(provides)
    summary = ok(orch_cli("install", "--json")).json()
    assert sorted(summary["files"]["removed"]) == sorted(str(claude / p) for p in (STYLE, COMMAND, AGENT))
    assert not (claude / "agents").exists() and not (claude / "commands").exists()
    assert read_json(claude / install.MANIFEST_NAME)["files"] == {}


# -- faults while writing: the project is left as it was ----------------------------


@pytest.fixture
def read_only():
    """Make a file or folder read-only in a way root cannot bypass: ``chattr +i`` (or ``chmod`` when not root)."""
    made = []

    def make(path: Path) -> None:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
                pytest.skip("running as root without chattr +i: no read-only condition root cannot bypass")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 32 KiB tmpfs to install into, to run out of space for real (needs root and mount)."""
    mounted = []

    def make(folder: Path) -> Path:
        mounted.append(mount_small_disk(folder, "32k"))
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


class ProvidesMany:
    """A plugin with 40 slash commands, as a large plugin set renders."""

    @hookimpl
    def orch_commands(self):
        return [CommandSpec(command=f"cmd-{n:02}", description=f"Command {n}", body="Do it.\n" * 40)
                for n in range(40)]


def test_a_failed_settings_write_undoes_every_file_install_wrote(orch_cli, orch_project, provides, read_only,
                                                                register_plugin):
    register_plugin(ProvidesMany(), name="many")
    settings_path(orch_project).write_text('{"model": "opus"}\n')
    claude = orch_project / ".claude"
    before_files, before_folders = tree(claude), folders(claude)
    read_only(settings_path(orch_project))
    result = orch_cli("install")
    assert_one_line_error(result, f"cannot write {settings_path(orch_project)}: ", "orch install changed nothing")
    assert result.stdout == ""
    assert tree(claude) == before_files  # no rendered file, no backup, no manifest
    assert folders(claude) == before_folders
    assert "nothing to change" in ok(orch_cli("uninstall")).stdout


def test_a_failed_write_after_the_settings_puts_them_back_byte_for_byte_with_their_mode(
    orch_cli, orch_project, provides, read_only
):
    original = json.dumps({"permissions": {"allow": ["Read"]}}, indent=4) + "\n"
    settings_path(orch_project).write_text(original)
    settings_path(orch_project).chmod(0o640)
    local_settings(orch_project).write_text("{}")
    before = tree(orch_project / ".claude")
    read_only(local_settings(orch_project))  # the secret cannot be written: after settings.json was
    assert_one_line_error(orch_cli("install"), f"cannot write {local_settings(orch_project)}: ",
                          "orch install changed nothing")
    assert tree(orch_project / ".claude") == before
    assert settings_path(orch_project).stat().st_mode & 0o777 == 0o640


def test_a_file_where_a_folder_must_go_is_found_before_anything_is_written(orch_cli, orch_project, provides):
    claude = orch_project / ".claude"
    (claude / "output-styles").write_text("a file where a folder must go\n")  # agents/, commands/ come first
    before_files, before_folders = tree(claude), folders(claude)
    assert_one_line_error(orch_cli("install"), f"cannot read {claude / STYLE}: Not a directory")
    assert tree(claude) == before_files
    assert folders(claude) == before_folders


def test_a_full_disk_leaves_nothing_behind(orch_cli, orch_project, register_plugin, tiny_disk):
    register_plugin(ProvidesMany(), name="many")
    claude = orch_project / ".claude"
    shutil.rmtree(claude, ignore_errors=True)
    tiny_disk(claude)
    settings_path(orch_project).write_text('{"model": "opus"}\n')
    before = tree(claude)
    assert_one_line_error(orch_cli("install"), "No space left on device", "orch install changed nothing")
    assert tree(claude) == before
    assert folders(claude) == set()


def test_a_failed_uninstall_leaves_the_install_whole(orch_cli, orch_project, provides, read_only):
    settings_path(orch_project).write_text('{"model": "opus"}\n')
    ok(orch_cli("install"))
    before = tree(orch_project / ".claude")
    read_only(settings_path(orch_project))
    assert_one_line_error(orch_cli("uninstall"), f"cannot write {settings_path(orch_project)}: ",
                          "orch uninstall changed nothing")
    assert tree(orch_project / ".claude") == before


# -- refusing bad settings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"hooks": {', "is not valid JSON (line 1"),
        ("[1, 2]", "must hold a JSON object, not a list"),
        ('{"hooks": []}', '"hooks" in'),
        ('{"hooks": {"Stop": {"command": "x"}}}', '"hooks.Stop" in'),
    ],
)
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_settings_that_cannot_be_merged_are_refused_and_left_untouched(orch_cli, orch_project, content, fragment,
                                                                       command):
    settings_path(orch_project).write_text(content)
    before = tree(orch_project / ".claude")
    result = orch_cli(command)
    assert_one_line_error(result, fragment, str(settings_path(orch_project)))
    assert result.stdout == ""
    assert tree(orch_project / ".claude") == before


def test_an_unknown_scope_is_a_one_line_error(orch_cli):
    assert_one_line_error(orch_cli("install", "--scope", "global"), "unknown scope 'global'")


def test_a_damaged_manifest_is_a_one_line_error(orch_cli, orch_project):
    (orch_project / ".claude" / install.MANIFEST_NAME).write_text("{nope")
    assert_one_line_error(orch_cli("install"), "is damaged")


# -- --dry-run -------------------------------------------------------------------


def test_dry_run_prints_the_diff_and_changes_nothing(orch_cli, orch_project, provides):
    settings_path(orch_project).write_text(json.dumps({"model": "opus"}, indent=2) + "\n")
    claude = orch_project / ".claude"
    before = tree(claude), folders(claude)
    out = ok(orch_cli("install", "--dry-run")).stdout
    assert (tree(claude), folders(claude)) == before
    assert f"--- {settings_path(orch_project)}\n+++ {settings_path(orch_project)}\n" in out
    assert '+  "statusLine": {' in out
    assert f'+            "command": {json.dumps(HOOK)},' in out
    assert f"--- /dev/null\n+++ {local_settings(orch_project)}\n" in out
    assert f"--- /dev/null\n+++ {claude / AGENT}\n" in out
    assert f"+++ {claude / install.MANIFEST_NAME}" in out


def test_dry_run_of_uninstall_shows_the_removals_and_changes_nothing(orch_cli, orch_project, provides):
    ok(orch_cli("install"))
    claude = orch_project / ".claude"
    before = tree(claude)
    result = ok(orch_cli("uninstall", "--dry-run", "--json")).json()
    assert tree(claude) == before
    assert result["dry_run"] is True
    assert f"--- {claude / AGENT}\n+++ /dev/null\n" in result["diff"]


def test_dry_run_with_nothing_to_do_says_so(orch_cli):
    ok(orch_cli("install"))
    assert ok(orch_cli("install", "--dry-run")).stdout == "nothing to change\n"


# -- the status line ---------------------------------------------------------------


def test_a_foreign_status_line_is_kept_and_reported(orch_cli, orch_project):
    settings_path(orch_project).write_text(json.dumps({"statusLine": FOREIGN_STATUS}, indent=2))
    result = ok(orch_cli("install"))
    assert "kept the existing one" in result.stdout
    data = read_json(settings_path(orch_project))
    assert data["statusLine"] == FOREIGN_STATUS
    assert our_commands(data, "SessionStart") == [HOOK]  # the hooks are wired all the same
    summary = ok(orch_cli("install", "--json")).json()
    assert summary["status_line"] == "kept foreign"
    assert summary["foreign_status_line"] == FOREIGN_STATUS


def test_force_replaces_a_foreign_status_line_and_uninstall_brings_it_back(orch_cli, orch_project):
    original = json.dumps({"statusLine": FOREIGN_STATUS}, indent=2) + "\n"
    settings_path(orch_project).write_text(original)
    assert ok(orch_cli("install", "--force", "--json")).json()["status_line"] == "replaced"
    assert read_json(settings_path(orch_project))["statusLine"]["command"] == STATUS
    assert ok(orch_cli("uninstall", "--json")).json()["status_line"] == "restored"
    assert settings_path(orch_project).read_text() == original


# -- scopes -------------------------------------------------------------------------


def test_local_scope_writes_settings_local_json_and_the_projects_files(orch_cli, orch_project, provides):
    ok(orch_cli("install", "--scope", "local"))
    claude = orch_project / ".claude"
    data = read_json(claude / "settings.local.json")
    assert our_handlers(data, "PreToolUse") == [wired_as(data, "PreToolUse")]
    assert install.TOKEN_VAR in data["env"]  # hooks and secret in the one file that is never committed
    assert not (claude / "settings.json").exists()
    assert (claude / AGENT).exists()
    assert list(read_json(claude / install.MANIFEST_NAME)["settings"]) == ["local"]


def test_rendered_files_stay_while_another_scope_of_the_project_is_installed(orch_cli, orch_project, provides):
    claude = orch_project / ".claude"
    ok(orch_cli("install", "--scope", "project"))
    ok(orch_cli("install", "--scope", "local"))
    ok(orch_cli("uninstall", "--scope", "local"))
    assert list(read_json(claude / "settings.local.json")) == ["env"]  # the project scope's http hooks need it
    assert (claude / AGENT).exists()
    ok(orch_cli("uninstall", "--scope", "project"))
    assert not (claude / "settings.local.json").exists()
    assert not (claude / AGENT).exists()
    assert not (claude / install.MANIFEST_NAME).exists()


def test_user_scope_writes_into_claude_config_dir(orch_cli, orch_project, provides, isolated_home):
    config = isolated_home / "claude-config"
    ok(orch_cli("install", "--scope", "user"))
    assert our_commands(read_json(config / "settings.json"), "SessionStart") == [HOOK]
    assert (config / AGENT).exists()
    assert (config / install.MANIFEST_NAME).exists()
    assert not settings_path(orch_project).exists()
    assert not (orch_project / ".claude" / AGENT).exists()
    ok(orch_cli("uninstall", "--scope", "user"))
    assert not (config / "settings.json").exists()
    assert tree(config) == {}


def test_user_scope_without_claude_config_dir_is_home_dot_claude(orch_cli, isolated_home, monkeypatch):
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    ok(orch_cli("install", "--scope", "user"))
    assert (isolated_home / ".claude" / "settings.json").exists()


# -- orch doctor --------------------------------------------------------------------


def checks(result) -> dict[str, dict]:
    return {c["name"]: c for c in result.json()["checks"]}


def test_doctor_on_a_fresh_install_passes_every_check_but_the_router(orch_cli, orch_project):
    ok(orch_cli("install"))
    result = orch_cli("doctor", "--json")
    found = checks(result)
    for name in ("config", "settings (project)", "settings (user)", "settings (local)", "wiring", "status line",
                 "plugins", "store"):
        assert found[name]["status"] == "ok", found[name]
    assert "27 events wired" in found["settings (project)"]["detail"]
    # `orch hook` is checked too; whether it passes depends on the router, tested on its own below
    assert result.exit_code == (0 if found["router"]["status"] == "ok" else 1)


def test_doctor_fails_when_orchcore_is_not_wired(orch_cli):
    result = orch_cli("doctor", "--json")
    assert result.exit_code == 1
    assert result.json()["ok"] is False
    assert checks(result)["wiring"]["status"] == "fail"
    assert "run `orch install`" in checks(result)["wiring"]["detail"]


def test_doctor_fails_on_broken_wiring(orch_cli, orch_project):
    ok(orch_cli("install"))
    data = read_json(settings_path(orch_project))
    del data["hooks"]["Stop"]
    data["hooks"]["SessionStart"][0]["hooks"][0]["command"] = "/nowhere/bin/orch hook"
    settings_path(orch_project).write_text(json.dumps(data, indent=2))
    result = orch_cli("doctor", "--json")
    assert result.exit_code == 1
    detail = checks(result)["settings (project)"]
    assert detail["status"] == "fail"
    assert "events not wired: Stop" in detail["detail"]
    assert "/nowhere/bin/orch does not exist" in detail["detail"]


def test_doctor_warns_when_the_wiring_runs_another_orch(orch_cli, orch_project, tmp_path):
    other = tmp_path / "other-venv" / "bin" / "orch"
    other.parent.mkdir(parents=True)
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    ok(orch_cli("install"))
    text = settings_path(orch_project).read_text().replace(json.dumps(HOOK), f'"{other} hook"')
    settings_path(orch_project).write_text(text)
    detail = checks(orch_cli("doctor", "--json"))["settings (project)"]
    assert detail["status"] == "warn"
    assert f"runs {other} hook, not this orch" in detail["detail"]


def test_doctor_fails_on_settings_that_are_not_json(orch_cli, orch_project):
    (orch_project / ".claude" / "settings.local.json").write_text("{oops")
    result = orch_cli("doctor", "--json")
    assert checks(result)["settings (local)"]["status"] == "fail"
    assert "is not valid JSON" in checks(result)["settings (local)"]["detail"]


def test_doctor_warns_about_a_foreign_status_line_and_double_wiring(orch_cli, orch_project):
    ok(orch_cli("install", "--scope", "user"))
    ok(orch_cli("install", "--scope", "project"))
    (orch_project / ".claude" / "settings.local.json").write_text(json.dumps({"statusLine": FOREIGN_STATUS}))
    found = checks(orch_cli("doctor", "--json"))
    assert found["status line"]["status"] == "warn"
    assert "local settings use another status line" in found["status line"]["detail"]
    assert found["wiring"]["status"] == "warn"
    assert "project settings and user settings" in found["wiring"]["detail"]


def test_doctor_reports_plugin_errors(orch_cli, register_plugin):
    class Broken:
        @hookimpl
        def orch_agents(self):
            raise RuntimeError("agents are on strike")

    register_plugin(Broken(), name="broken")
    ok(orch_cli("install"))  # a broken plugin does not stop install
    result = orch_cli("doctor", "--json")
    assert result.exit_code == 1
    plugins = checks(result)["plugins"]
    assert plugins["status"] == "fail"
    assert "broken: orch_agents raised RuntimeError: agents are on strike" in plugins["detail"]


def test_doctor_counts_sessions_and_checks_the_store(orch_cli, session_id):
    ok(orch_cli("session", "create", session_id))
    store = checks(orch_cli("doctor", "--json"))["store"]
    assert store["status"] == "ok"
    assert "1 session(s)" in store["detail"]


def test_doctor_prints_a_table(orch_cli):
    result = orch_cli("doctor")
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "wiring" in result.stdout and "fail" in result.stdout


def test_doctor_reports_an_invalid_project_config_without_a_traceback(orch_cli, orch_project):
    (orch_project / ".claude" / "orchcore.json").write_text("{bad")
    result = orch_cli("doctor", "--json")
    assert result.exit_code == 1
    assert checks(result)["config"]["status"] == "fail"


def fake_router(tmp_path: Path, body: str) -> str:
    """A stand-in for `orch`: a script that records its environment and input, then runs ``body``."""
    script = tmp_path / "bin" / "orch"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$1 $ORCH_STATE_DIR" > "{tmp_path}/called"\n'
        f'cat > "{tmp_path}/stdin"\n'
        f"{body}\n"
    )
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("exit 0", "ok"),
        ("echo '{\"suppressOutput\": true}'", "ok"),
        ("echo 'not json'", "fail"),
        ("echo '[1]'", "fail"),
        ("echo oops >&2; exit 2", "fail"),
    ],
)
def test_the_router_check_sends_a_synthetic_notification(tmp_path, orch_project, body, status):
    check = doctor.check_router(fake_router(tmp_path, body), orch_project)
    assert check.status == status, check.detail
    argument, state_dir = (tmp_path / "called").read_text().split()
    assert argument == "hook"
    assert not Path(state_dir).exists()  # a throwaway state folder, removed afterwards
    assert state_dir != str(orch_project / ".claude" / "state")
    payload = json.loads((tmp_path / "stdin").read_text())
    assert payload["hook_event_name"] == "Notification"
    assert payload["cwd"] == str(orch_project)
    assert payload["notification_type"] == "doctor"


def test_the_router_check_reports_a_missing_program(tmp_path, orch_project):
    check = doctor.check_router(str(tmp_path / "missing" / "orch"), orch_project)
    assert check.status == "fail"
    assert "cannot run" in check.detail
