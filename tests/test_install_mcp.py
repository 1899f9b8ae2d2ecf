"""`orch install` wires the `orch mcp` server: `.mcp.json`, its enabling and its permission rule; uninstall takes out exactly that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchcore import doctor
from orchcore.install import mcp
from tests.conftest import ok


pytestmark = pytest.mark.usefixtures("isolated_home")  # a throwaway HOME (tests/conftest.py): the user scope never reaches the real one


def settings(project: Path) -> dict:
    return json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))


def servers(project: Path) -> dict:
    return json.loads((project / ".mcp.json").read_text(encoding="utf-8"))["mcpServers"]


HAND_WRITTEN = '{\n    "mcpServers": {\n        "other": {"command": "npx", "args": ["other-server"]}\n    }\n}\n'


def test_install_adds_the_server_enables_it_alone_and_allows_its_tools(orch_cli, orch_project):
    summary = ok(orch_cli("install", "--json")).json()

    (entry,) = servers(orch_project).values()
    assert mcp.is_ours(entry) and entry["args"][-1] == "mcp"
    data = settings(orch_project)
    assert data["enabledMcpjsonServers"] == ["orchcore"]
    assert "enableAllProjectMcpServers" not in data  # the user's other servers stay as they were
    assert data["permissions"] == {"allow": ["mcp__orchcore__*"]}
    assert summary["mcp"]["server"] == "added"
    manifest = json.loads((orch_project / ".claude" / "orchcore-manifest.json").read_text())
    assert manifest["mcp"] == {"file": ".mcp.json", "created_file": True, "created_servers": True, "scope": "project"}
    assert manifest["settings"]["project"]["enabled_server"] is True


def test_the_server_starts_with_the_launcher_the_hooks_use(orch_cli, orch_project):
    ok(orch_cli("install", "--launcher", "/opt/orchcore/bin/orch"))

    assert servers(orch_project)["orchcore"] == {"command": "/opt/orchcore/bin/orch", "args": ["mcp"]}


def test_a_launcher_in_the_project_runs_through_the_shell_that_knows_claude_project_dir(orch_cli, orch_project):
    # Claude Code expands ${CLAUDE_PROJECT_DIR} in .mcp.json from its own environment, where it is not set
    # (seen with 2.1.328: "Missing environment variables"); it sets it for the server, where sh expands it.
    ok(orch_cli("install", "--launcher", '"$CLAUDE_PROJECT_DIR"/.venv/bin/orch'))

    entry = servers(orch_project)["orchcore"]
    assert entry == {"command": "sh", "args": ["-c", 'exec "$CLAUDE_PROJECT_DIR"/.venv/bin/orch mcp']}
    assert mcp.is_ours(entry)
    ok(orch_cli("uninstall"))
    assert "orchcore" not in servers(orch_project) if (orch_project / ".mcp.json").exists() else True


def test_uninstall_removes_a_mcp_json_install_created(orch_cli, orch_project):
    ok(orch_cli("install"))
    ok(orch_cli("uninstall"))

    assert not (orch_project / ".mcp.json").exists()
    assert not (orch_project / ".claude" / "settings.json").exists()


def test_an_existing_mcp_json_and_settings_come_back_byte_identical(orch_cli, orch_project):
    (orch_project / ".mcp.json").write_text(HAND_WRITTEN)
    own = '{"permissions": {"allow": ["Bash(ls)"]},   "enabledMcpjsonServers": ["other"]}\n'
    (orch_project / ".claude" / "settings.json").write_text(own)

    ok(orch_cli("install"))
    assert list(servers(orch_project)) == ["other", "orchcore"]
    data = settings(orch_project)
    assert data["enabledMcpjsonServers"] == ["other", "orchcore"]
    assert data["permissions"]["allow"] == ["Bash(ls)", "mcp__orchcore__*"]
    ok(orch_cli("uninstall"))

    assert (orch_project / ".mcp.json").read_text() == HAND_WRITTEN
    assert (orch_project / ".claude" / "settings.json").read_text() == own


def test_a_foreign_orchcore_server_is_kept_reported_and_not_enabled(orch_cli, orch_project):
    theirs = '{"mcpServers": {"orchcore": {"command": "node", "args": ["my-orchcore.js"]}}}\n'
    (orch_project / ".mcp.json").write_text(theirs)

    result = ok(orch_cli("install"))

    assert "kept the existing 'orchcore' server" in result.stdout
    assert (orch_project / ".mcp.json").read_text() == theirs
    assert "enabledMcpjsonServers" not in settings(orch_project)
    ok(orch_cli("uninstall"))
    assert (orch_project / ".mcp.json").read_text() == theirs


def test_a_mcp_json_that_is_not_json_is_refused_and_nothing_is_written(orch_cli, orch_project):
    (orch_project / ".mcp.json").write_text("{not json")
    before = sorted(p.name for p in (orch_project / ".claude").iterdir())

    result = orch_cli("install")

    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and ".mcp.json is not valid JSON" in result.stderr
    assert sorted(p.name for p in (orch_project / ".claude").iterdir()) == before
    assert (orch_project / ".mcp.json").read_text() == "{not json"


def test_no_mcp_leaves_it_out_and_takes_out_one_an_earlier_install_added(orch_cli, orch_project):
    ok(orch_cli("install", "--no-mcp"))
    assert not (orch_project / ".mcp.json").exists()
    assert "enabledMcpjsonServers" not in settings(orch_project)

    ok(orch_cli("install"))
    ok(orch_cli("install", "--no-mcp"))
    assert not (orch_project / ".mcp.json").exists()
    data = settings(orch_project)
    assert "enabledMcpjsonServers" not in data and "permissions" not in data


def test_dry_run_shows_the_mcp_json_diff_and_writes_nothing(orch_cli, orch_project):
    result = ok(orch_cli("install", "--dry-run"))

    assert "+++ " + str(orch_project / ".mcp.json") in result.stdout
    assert '"mcp__orchcore__*"' in result.stdout
    assert not (orch_project / ".mcp.json").exists()


def test_local_and_user_scope_say_how_to_add_the_server_and_write_no_mcp_json(orch_cli, orch_project):
    summary = ok(orch_cli("install", "--scope", "local", "--json")).json()

    assert "claude mcp add --scope local orchcore" in summary["mcp"]["server"]
    assert not (orch_project / ".mcp.json").exists()


def test_doctor_is_green_when_the_server_answers_with_its_tools(orch_cli, orch_project):
    pytest.importorskip("mcp", reason="the mcp SDK is not installed")
    ok(orch_cli("install"))

    check = doctor.check_mcp(orch_project)

    assert check.status == doctor.OK, check.detail
    assert "12 tools" in check.detail or "tools from `orch mcp`" in check.detail


def test_doctor_is_red_with_the_reason_when_the_command_is_broken(orch_project):
    (orch_project / ".mcp.json").write_text(json.dumps({"mcpServers": {"orchcore": {
        "command": str(orch_project / "missing" / "orch"), "args": ["mcp"]}}}))

    check = doctor.check_mcp(orch_project)

    assert check.status == doctor.FAIL
    assert "does not exist" in check.detail


def test_doctor_is_red_when_the_server_dies_before_listing_its_tools(orch_project, tmp_path):
    pytest.importorskip("mcp", reason="the mcp SDK is not installed")
    orch = tmp_path / "bin" / "orch"
    orch.parent.mkdir()
    orch.write_text("#!/bin/sh\necho 'orch: error: broken on purpose' >&2\nexit 1\n")
    orch.chmod(0o755)
    (orch_project / ".mcp.json").write_text(json.dumps({"mcpServers": {"orchcore": {
        "command": str(orch), "args": ["mcp"]}}}))

    check = doctor.check_mcp(orch_project)

    assert check.status == doctor.FAIL
    assert "broken on purpose" in check.detail


def test_doctor_starts_a_launcher_in_the_project_through_the_shell(orch_cli, orch_project):
    pytest.importorskip("mcp", reason="the mcp SDK is not installed")
    from orchcore.testing import orch_executable

    (orch_project / "bin").mkdir()
    (orch_project / "bin" / "orch").symlink_to(orch_executable())
    ok(orch_cli("install", "--launcher", '"$CLAUDE_PROJECT_DIR"/bin/orch'))

    check = doctor.check_mcp(orch_project)

    assert check.status == doctor.OK, check.detail


def test_doctor_says_claude_code_does_not_expand_claude_project_dir_in_mcp_json(orch_project):
    (orch_project / ".mcp.json").write_text(json.dumps({"mcpServers": {"orchcore": {
        "command": "${CLAUDE_PROJECT_DIR}/.venv/bin/orch", "args": ["mcp"]}}}))

    check = doctor.check_mcp(orch_project)

    assert check.status == doctor.FAIL and "does not expand ${CLAUDE_PROJECT_DIR}" in check.detail
