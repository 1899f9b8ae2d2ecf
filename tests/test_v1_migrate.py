"""``orch migrate v1 [PATH]``: a V1 project's state, imported into a session of its own.

V1 kept its state in files under ``.claude/`` (``state/orchestration.json``,
one file per queued message under ``messages/``, ``events/stream.jsonl``,
``orchestration/*.json``). The migration reads them and never writes them;
it imports every task (status mapped, assignee, every other key kept),
sprint (its task lists and metrics), epic, agent, queued message (priority
and time kept, so orchcore delivers in V1's order) and stream event (V1's
time, type, source and data) as events of one session; a second run imports
only what V1 added or changed since; a file that does not read is one line
naming it, and nothing is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from orchcore.domain.vocabulary import priority_rank
from orchcore.errors import OrchError
from orchcore.v1 import importer
from orchcore.v1.source import V1Project

SHARED_V1 = Path(__file__).resolve().parents[2] / "shared" / "v1"  # beside the checkout, on machines that have it

# -- a V1 project, in V1's own formats ----------------------------------------------

STATE = {
    "organization": {"name": "Acme"},
    "projects": {},
    "epics": {"epic-1": {"id": "epic-1", "name": "Checkout", "status": "in_progress",
                         "created_at": "2025-08-19T09:00:00"}},
    "sprints": {
        "sprint-1": {"name": "Sprint 1", "status": "active",
                     "tasks": {"pending": ["task-2"], "in_progress": ["task-3"], "completed": ["task-1"]},
                     "metrics": {"velocity": 8, "completed_points": 5}},
        "sprint-0": {"name": "Sprint 0", "status": "completed", "tasks": {"completed": []},
                     "metrics": {"velocity": 3, "completed_points": 3}},
    },
    "tasks": {
        "task-1": {"id": "task-1", "title": "Cart API", "status": "completed", "sprint_id": "sprint-1", "points": 5,
                   "assigned_to": "engineering-fullstack-1", "created_at": "2025-08-20T01:30:59.137736",
                   "updated_at": "2025-08-20T01:31:44.739290"},
        "task-2": {"id": "task-2", "title": "Cart UI", "status": "pending", "sprint_id": "sprint-1", "points": 3,
                   "created_at": "2025-08-20T01:32:00.000001", "updated_at": "2025-08-20T01:32:00.000001",
                   "labels": ["ui"], "acceptance": {"criteria": ["renders"]}},
        "task-3": {"id": "task-3", "title": "Payments", "status": "in_progress", "sprint_id": "sprint-1",
                   "assigned_to": "engineering-lead", "points": "8?", "created_at": "2025-08-20T01:33:00",
                   "updated_at": "2025-08-20T02:00:00"},
        "task-4": {"id": "task-4", "title": "Fraud rules", "status": "blocked", "created_at": "2025-08-20T01:34:00",
                   "updated_at": "2025-08-20T03:00:00", "blocked_by": "legal"},
    },
    "agents": {"active": {
        "engineering-fullstack-1": {"id": "engineering-fullstack-1", "created_at": "2025-08-20T01:31:04.588036",
                                    "status": "idle", "last_update": "2025-08-20T01:31:50.058538"},
        "engineering-lead": {"id": "engineering-lead", "status": "busy", "current_task": "task-3",
                             "created_at": "2025-08-20T01:31:05", "last_update": "2025-08-20T02:00:00"},
        "qa-tester-2": {"id": "qa-tester-2", "status": "blocked", "created_at": "2025-08-20T01:31:06",
                        "last_update": "2025-08-20T02:30:00"},
    }},
    "communication": {"questions": [{"q": "which PSP?"}], "handoffs": []},
    "observability": {"metrics": {"tasks_done": 1}, "events": []},
}
TEAMS = {"version": "1.0", "teams": {
    "engineering": {"name": "Engineering Team", "orchestrator": "engineering-director",
                    "settings": {"max_parallel_agents": 5},
                    "members": [{"agent": "engineering-lead", "role": "Technical Leadership", "capacity": 1,
                                 "skills": ["architecture"], "model": "opus"},
                                {"agent": "engineering-fullstack", "role": "Full Stack Development", "capacity": 3,
                                 "skills": ["frontend", "backend"], "model": "sonnet"}]},
    "qa": {"name": "QA Team", "orchestrator": "qa-director", "settings": {"max_parallel_agents": 2},
           "members": [{"agent": "qa-tester", "role": "Testing", "capacity": 2, "skills": ["e2e_testing"]}]},
}}
TEAM_STATE = {"active_teams": ["engineering"], "assignments": {}, "capacity_tracking": {}}
SETTINGS = {"orchestration_mode": {"enabled": True, "default_mode": "manual"}}
# (recipient, file uuid, priority, time): V1 delivers most urgent first, then oldest
MESSAGES = [
    ("engineering-fullstack-1", "0001", "normal", "2025-08-20T01:40:00"),
    ("engineering-fullstack-1", "0002", "critical", "2025-08-20T01:45:00"),
    ("engineering-fullstack-1", "0003", "normal", "2025-08-20T01:35:00"),
    ("engineering-fullstack-1", "0004", "low", "2025-08-20T01:30:00"),
    ("engineering-fullstack-1", "0005", "high", "2025-08-20T01:50:00"),
    ("qa-tester-2", "0006", "high", "2025-08-20T01:41:00"),
    ("qa-tester-2", "0007", "critical", "2025-08-20T01:42:00"),
]
STREAM = [
    {"timestamp": "2025-08-20T01:30:59.140000", "type": "task_created", "source": "state_manager",
     "data": {"task_id": "task-1"}},
    {"timestamp": "2025-08-20T01:31:44.740000", "type": "task_updated", "source": "state_manager",
     "data": {"task_id": "task-1", "status": "completed"}},
    {"timestamp": "2025-08-20T01:31:54.850000", "type": "message_sent", "source": "message_bus",
     "data": {"to": "engineering-fullstack-1"}},
]


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def message_file(claude: Path, to: str, uid: str, priority: str, ts: str, **extra) -> Path:
    path = claude / "messages" / f"{to}_{uid}.json"
    write_json(path, {"id": uid, "timestamp": ts, "from": "orchestrator", "to": to, "type": "TASK_UPDATE",
                      "payload": f"message {uid}", "priority": priority, **extra})
    return path


def make_v1(root: Path) -> Path:
    """A V1 project with every kind of record; returns its ``.claude``."""
    claude = root / ".claude"
    write_json(claude / "state" / "orchestration.json", STATE)
    (claude / "state" / ".orchestration.lock").write_text("")
    write_json(claude / "orchestration" / "teams.json", TEAMS)
    write_json(claude / "orchestration" / "team-state.json", TEAM_STATE)
    write_json(claude / "orchestration" / "settings.json", SETTINGS)
    write_json(claude / "orchestration" / "workflows.json", {"sprint_workflow": {"phases": []}})
    for to, uid, priority, ts in MESSAGES:
        message_file(claude, to, uid, priority, ts)
    (claude / "events").mkdir()
    (claude / "events" / "stream.jsonl").write_text("".join(json.dumps(e) + "\n" for e in STREAM))
    return claude


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its bytes' hash and mode: what "V1's files are untouched" means."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    """A V1 project beside the orchcore project (``orch migrate v1 PATH``)."""
    root = tmp_path / "v1-project"
    make_v1(root)
    return root


def migrate(orch_cli, *args: str):
    result = orch_cli("migrate", "v1", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def migrated_session(report) -> str:
    return report["sessions"][0]["session_id"]


# -- what is imported ----------------------------------------------------------------


def test_every_task_comes_over_with_its_status_mapped_its_assignee_and_every_other_key(v1, orch_cli, orch_store):
    report = migrate(orch_cli, str(v1))

    tasks = orch_store.get(migrated_session(report)).state.tasks
    assert {t: tasks[t].status for t in tasks} == {
        "task-1": "done", "task-2": "pending", "task-3": "in_progress", "task-4": "blocked"}
    assert tasks["task-1"].assignee == "engineering-fullstack-1" and tasks["task-2"].assignee is None
    assert tasks["task-1"].sprint == "sprint-1" and tasks["task-1"].points == 5 and tasks["task-1"].title == "Cart API"
    assert tasks["task-1"].created_at == "2025-08-20T01:30:59.137736Z"  # V1's time, as orchcore writes times
    assert tasks["task-1"].updated_at == "2025-08-20T01:31:44.739290Z"
    assert tasks["task-1"].completed_at == tasks["task-1"].updated_at  # V1 kept no completion time: its last change
    assert tasks["task-2"].extra == {"labels": ["ui"], "acceptance": {"criteria": ["renders"]}}
    assert tasks["task-3"].points is None and tasks["task-3"].extra == {"v1_points": "8?"}  # kept, not guessed at
    assert tasks["task-4"].extra == {"blocked_by": "legal"}


def test_state_get_answers_as_v1_did_for_statuses_and_assignees(v1, orch_cli):
    session = migrated_session(migrate(orch_cli, str(v1)))
    mapped = {"completed": "done"}

    for task_id, v1_task in STATE["tasks"].items():
        status = orch_cli("state", "get", f"state.tasks.{task_id}.status", "--json", session=session)
        assignee = orch_cli("state", "get", f"state.tasks.{task_id}.assignee", "--json", session=session)
        assert status.json() == mapped.get(v1_task["status"], v1_task["status"])
        assert assignee.json() == v1_task.get("assigned_to")


def test_sprints_keep_their_task_lists_and_metrics_and_the_active_one_is_current(v1, orch_cli, orch_store):
    session = orch_store.get(migrated_session(migrate(orch_cli, str(v1))))

    sprint = session.state.sprints["sprint-1"]
    assert sprint.name == "Sprint 1" and sprint.status == "active"
    assert sprint.tasks == ["task-2", "task-3", "task-1"]
    assert sprint.extra["task_lists"] == STATE["sprints"]["sprint-1"]["tasks"]
    assert sprint.extra["metrics"] == {"velocity": 8, "completed_points": 5}
    assert session.state.sprints["sprint-0"].status == "completed"
    assert session.current_sprint == "sprint-1"
    assert session.state.epics["epic-1"].title == "Checkout" and session.state.epics["epic-1"].status == "in_progress"


def test_agents_keep_status_and_current_task_and_find_their_type_and_team_in_v1s_teams(v1, orch_cli, orch_store):
    agents = orch_store.get(migrated_session(migrate(orch_cli, str(v1)))).state.agents

    assert {a: agents[a].status for a in agents} == {
        "engineering-fullstack-1": "idle", "engineering-lead": "busy", "qa-tester-2": "blocked"}
    assert agents["engineering-lead"].current_task == "task-3"
    assert (agents["engineering-fullstack-1"].agent_type, agents["engineering-fullstack-1"].team) == (
        "engineering-fullstack", "engineering")
    assert (agents["qa-tester-2"].agent_type, agents["qa-tester-2"].team) == ("qa-tester", "qa")
    assert agents["engineering-fullstack-1"].started_at == "2025-08-20T01:31:04.588036Z"
    assert agents["engineering-fullstack-1"].extra == {"last_update": "2025-08-20T01:31:50.058538"}


def test_msg_receive_peek_lists_each_agents_messages_in_v1s_order(v1, orch_cli):
    session = migrated_session(migrate(orch_cli, str(v1)))

    for agent in ("engineering-fullstack-1", "qa-tester-2"):
        mine = [m for m in MESSAGES if m[0] == agent]
        v1_order = [uid for _, uid, _, _ in sorted(mine, key=lambda m: (priority_rank(m[2]), m[3]))]
        peek = orch_cli("msg", "receive", "--as", agent, "--peek", "--json", session=session)
        assert [m["id"] for m in peek.json()] == v1_order
        assert [m["priority"] for m in peek.json()] == [p for _, _, p, _ in
                                                        sorted(mine, key=lambda m: (priority_rank(m[2]), m[3]))]
    assert orch_cli("msg", "receive", "--as", "qa-tester-2", "--peek", "--json", session=session).json()[0][
        "created_at"] == "2025-08-20T01:42:00.000000Z"


def test_a_broadcast_one_file_per_recipient_with_one_id_is_one_message_each(tmp_path, orch_cli, orch_store):
    claude = tmp_path / "v1" / ".claude"
    for to in ("qa-tester-1", "qa-tester-2"):
        path = claude / "messages" / f"{to}_{to}.json"
        write_json(path, {"id": "b-1", "timestamp": "2025-08-20T01:00:00", "from": "qa-director", "to": to,
                          "type": "BROADCAST", "payload": "standup", "priority": "normal"})

    session = orch_store.get(migrated_session(migrate(orch_cli, str(tmp_path / "v1"))))

    assert sorted((m.id, m.recipient, m.extra["v1_id"]) for m in session.state.messages) == [
        ("b-1-qa-tester-1", "qa-tester-1", "b-1"), ("b-1-qa-tester-2", "qa-tester-2", "b-1")]


def test_stream_events_are_events_of_the_session_with_v1s_time_type_source_and_data(v1, orch_cli, orch_store):
    session = migrated_session(migrate(orch_cli, str(v1)))

    imported = orch_store.events(session, types=["v1.event"])
    assert [(e.ts, e.source, e.data["type"], e.data["data"]) for e in imported] == [
        (line["timestamp"] + "Z", line["source"], line["type"], line["data"]) for line in STREAM]
    listed = orch_cli("events", "list", "--type", "v1.event", "--json", session=session)
    assert [e["data"]["type"] for e in listed.json()] == ["task_created", "task_updated", "message_sent"]


def test_the_migrated_state_is_the_fold_of_its_log(v1, orch_cli, orch_bus):
    session = migrated_session(migrate(orch_cli, str(v1)))

    assert orch_bus.replay(session, from_start=True) == orch_bus.store.get(session)


def test_the_rest_of_v1s_state_is_kept_with_the_session(v1, orch_cli, orch_store):
    session = orch_store.get(migrated_session(migrate(orch_cli, str(v1))))

    kept = session.plugins["v1"]["kept"]
    assert kept["organization"] == {"name": "Acme"} and kept["communication"] == STATE["communication"]
    assert kept["team_state"] == TEAM_STATE
    assert session.active_teams == ["engineering"]  # V1's active teams


def test_a_v1_project_entry_with_its_own_state_gets_a_session_of_its_own(tmp_path, orch_cli, orch_store):
    root = tmp_path / "v1"
    write_json(root / ".claude" / "state" / "orchestration.json", {
        "projects": {"shop": {"name": "Shop", "tasks": {"T-1": {"status": "pending", "title": "cart"}}},
                     "notes": {"name": "just a name"}},
        "tasks": {"T-0": {"status": "completed"}},
    })

    report = migrate(orch_cli, str(root))

    top, shop = report["sessions"]
    assert (top["v1_project"], shop["v1_project"]) == (None, "shop")
    assert list(orch_store.get(top["session_id"]).state.tasks) == ["T-0"]
    assert list(orch_store.get(shop["session_id"]).state.tasks) == ["T-1"]
    assert orch_store.get(top["session_id"]).plugins["v1"]["kept"]["projects"] == {"notes": {"name": "just a name"}}
    assert orch_store.get(shop["session_id"]).plugins["v1"]["kept"] == {"name": "Shop"}


def test_the_json_report_counts_what_was_imported(v1, orch_cli):
    report = migrate(orch_cli, str(v1))

    assert report["dry_run"] is False
    assert report["sessions"][0]["imported"] == {
        "events": 3, "epics": 1, "sprints": 2, "tasks": 4, "agents": 3, "messages": 7}
    assert report["v1_orchestration_enabled"] is True and report["default"] is None
    assert any("workflows.json" in note for note in report["notes"])


# -- safe by construction ----------------------------------------------------------------


def test_v1s_files_are_byte_identical_afterwards(v1, orch_cli):
    before = tree_digest(v1 / ".claude")

    migrate(orch_cli, str(v1))
    migrate(orch_cli, str(v1))

    assert tree_digest(v1 / ".claude") == before


def test_a_second_run_changes_nothing_and_says_what_is_there(v1, orch_cli, orch_store):
    session = migrated_session(migrate(orch_cli, str(v1)))
    log = orch_store.events(session)

    again = migrate(orch_cli, str(v1))

    assert orch_store.events(session) == log
    assert again["sessions"][0]["imported"] == {}
    assert again["sessions"][0]["already"] == {
        "events": 3, "epics": 1, "sprints": 2, "tasks": 4, "agents": 3, "messages": 7}
    text = orch_cli("migrate", "v1", str(v1))
    assert "imported: nothing new" in text.stdout and "already there from an earlier import" in text.stdout


def test_a_second_run_takes_only_what_v1_added_or_changed_since(v1, orch_cli, orch_store):
    session = migrated_session(migrate(orch_cli, str(v1)))
    orch_cli("msg", "receive", "--as", "qa-tester-2", session=session)  # delivered: never queued again
    state = json.loads((v1 / ".claude/state/orchestration.json").read_text())
    state["tasks"]["task-5"] = {"status": "pending", "title": "Refunds", "created_at": "2025-08-21T10:00:00"}
    state["tasks"]["task-2"]["status"] = "in_progress"
    write_json(v1 / ".claude/state/orchestration.json", state)
    message_file(v1 / ".claude", "qa-tester-2", "0008", "low", "2025-08-21T10:00:00")
    with (v1 / ".claude/events/stream.jsonl").open("a") as stream:
        stream.write(json.dumps({"timestamp": "2025-08-21T10:00:01", "type": "task_created",
                                 "source": "state_manager", "data": {"task_id": "task-5"}}) + "\n")

    again = migrate(orch_cli, str(v1))

    assert again["sessions"][0]["imported"] == {"events": 1, "tasks": 1, "messages": 1}
    assert again["sessions"][0]["updated"] == {"tasks": 1}
    after = orch_store.get(session)
    assert after.state.tasks["task-2"].status == "in_progress" and after.state.tasks["task-5"].title == "Refunds"
    assert [m.id for m in after.state.messages if m.recipient == "qa-tester-2"] == ["0008"]


def test_a_record_changed_on_both_sides_keeps_orchcores_and_says_so(v1, orch_cli, orch_store):
    session = migrated_session(migrate(orch_cli, str(v1)))
    orch_cli("state", "set", "state.tasks.task-2.status", '"review"', session=session)
    state = json.loads((v1 / ".claude/state/orchestration.json").read_text())
    state["tasks"]["task-2"]["status"] = "completed"
    write_json(v1 / ".claude/state/orchestration.json", state)

    again = migrate(orch_cli, str(v1))

    assert again["sessions"][0]["conflicts"] == [{"kind": "task", "id": "task-2", "why": (
        "changed in V1 and in orchcore since it was imported; kept orchcore's")}]
    assert orch_store.get(session).state.tasks["task-2"].status == "review"


def test_a_record_v1_no_longer_has_stays_in_orchcore_and_the_report_says_so(v1, orch_cli, orch_store):
    session = migrated_session(migrate(orch_cli, str(v1)))
    state = json.loads((v1 / ".claude/state/orchestration.json").read_text())
    del state["tasks"]["task-4"]
    write_json(v1 / ".claude/state/orchestration.json", state)

    again = migrate(orch_cli, str(v1))

    assert again["sessions"][0]["gone_from_v1"] == {"tasks": 1}
    assert "task-4" in orch_store.get(session).state.tasks
    assert "no longer in V1, kept in orchcore: 1 task" in orch_cli("migrate", "v1", str(v1)).stdout


def test_dry_run_prints_what_would_be_imported_and_changes_nothing(v1, orch_cli, orch_project):
    result = orch_cli("migrate", "v1", str(v1), "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "would import: 1 epic, 2 sprints, 4 tasks, 3 agents, 7 messages, 3 events" in result.stdout
    assert "dry run: nothing was changed" in result.stdout
    assert orch_cli("session", "list", "--json").json() == []
    report = orch_cli("migrate", "v1", str(v1), "--dry-run", "--json").json()
    assert report["dry_run"] is True and report["sessions"][0]["would_import"]["tasks"] == 4


@pytest.mark.parametrize("relative, text, where", [
    ("state/orchestration.json", '{"tasks": {"t": {"status": "pending"}', "line 1 column 38"),
    ("orchestration/teams.json", "{\n  \"teams\": [1,,]\n}", "line 2 column 15"),
    ("messages/qa-tester-2_0006.json", "", "line 1 column 1"),
])
def test_a_v1_file_that_is_not_json_is_one_line_naming_it_and_nothing_is_imported(v1, orch_cli, relative, text, where):
    (v1 / ".claude" / relative).write_text(text)

    result = orch_cli("migrate", "v1", str(v1))

    assert result.exit_code != 0
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert str(v1 / ".claude" / relative) in result.stderr and where in result.stderr
    assert orch_cli("session", "list", "--json").json() == []


def test_a_bad_line_of_the_stream_names_its_line_and_nothing_is_imported(v1, orch_cli):
    with (v1 / ".claude/events/stream.jsonl").open("a") as stream:
        stream.write('{"timestamp": "2025-08-21T10:00:01", "type": "task_cr\n')

    result = orch_cli("migrate", "v1", str(v1))

    assert result.exit_code != 0 and "stream.jsonl line 4: not valid JSON at column" in result.stderr
    assert orch_cli("session", "list", "--json").json() == []


@pytest.mark.parametrize("change, message", [
    (lambda s: s["tasks"].update({"bad": "pending"}), "tasks.bad must be an object"),
    (lambda s: s.update({"tasks": ["task-1"]}), "tasks must be an object keyed by id"),
    (lambda s: s["tasks"]["task-1"].update({"created_at": "yesterday"}), "tasks.task-1.created_at: 'yesterday' is not a time"),
])
def test_v1_records_of_the_wrong_shape_are_one_line_naming_them(v1, orch_cli, change, message):
    state = json.loads((v1 / ".claude/state/orchestration.json").read_text())
    change(state)
    write_json(v1 / ".claude/state/orchestration.json", state)

    result = orch_cli("migrate", "v1", str(v1))

    assert result.exit_code != 0 and message in result.stderr and "Traceback" not in result.stderr
    assert orch_cli("session", "list", "--json").json() == []


def test_a_folder_with_no_v1_state_is_a_clear_error(tmp_path, orch_cli):
    (tmp_path / "empty" / ".claude").mkdir(parents=True)

    result = orch_cli("migrate", "v1", str(tmp_path / "empty"))
    missing = orch_cli("migrate", "v1", str(tmp_path / "nowhere"))

    assert result.exit_code != 0 and "no V1 state in" in result.stderr and "state/orchestration.json" in result.stderr
    assert missing.exit_code != 0 and "no such folder" in missing.stderr


def test_more_messages_than_the_queue_takes_is_refused_before_anything_is_imported(v1, orch_cli):
    result = orch_cli("migrate", "v1", str(v1), env={"ORCH_MAX_MESSAGES": "5"})

    assert result.exit_code != 0
    assert "V1 has 7 messages to import" in result.stderr and "ORCH_MAX_MESSAGES" in result.stderr
    assert orch_cli("session", "list", "--json").json() == []


def test_without_a_path_it_migrates_the_current_project(orch_project, orch_cli, orch_store):
    make_v1(orch_project)

    report = migrate(orch_cli)

    assert report["source"] == str(orch_project.resolve() / ".claude")
    assert len(orch_store.get(migrated_session(report)).state.tasks) == 4


def test_session_names_the_session_to_import_into(v1, orch_cli, orch_store, session_id):
    migrate(orch_cli, str(v1), "--session", session_id)

    assert len(orch_store.get(session_id).state.tasks) == 4
    assert orch_cli("migrate", "v1", str(v1), "--session", "nope").exit_code != 0


# -- V1's switch --------------------------------------------------------------------------


def test_v1s_switch_becomes_the_project_default_only_when_asked(v1, orch_cli, orch_project):
    config = orch_project / ".claude" / "orchcore.json"
    migrate(orch_cli, str(v1))
    assert not config.exists()

    report = migrate(orch_cli, str(v1), "--set-default")

    assert report["default"]["orchestration.enabled"] is True
    assert json.loads(config.read_text()) == {"orchestration": {"enabled": True}}


def test_set_default_keeps_the_rest_of_the_config_and_refuses_a_broken_one(v1, orch_cli, orch_project):
    config = orch_project / ".claude" / "orchcore.json"
    config.write_text('{\n    "statusline": {"segments": ["mode"]}\n}\n')
    migrate(orch_cli, str(v1), "--set-default")
    assert json.loads(config.read_text()) == {"statusline": {"segments": ["mode"]}, "orchestration": {"enabled": True}}
    assert config.read_text().startswith('{\n    "statusline"')  # its own layout

    config.write_text("{nope")
    result = orch_cli("migrate", "v1", str(v1), "--set-default")
    assert result.exit_code != 0 and "not valid JSON" in result.stderr and config.read_text() == "{nope"


# -- the real V1 files, when this machine has them ---------------------------------------


@pytest.mark.skipif(not (SHARED_V1 / ".claude").is_dir(), reason="the real V1 files are not on this machine")
def test_the_real_v1_files_migrate(tmp_path, orch_cli, orch_store):
    before = tree_digest(SHARED_V1 / ".claude")
    v1_state = json.loads((SHARED_V1 / ".claude/state/orchestration.json").read_text())

    report = migrate(orch_cli, str(SHARED_V1))

    session = orch_store.get(migrated_session(report))
    assert set(session.state.tasks) == set(v1_state["tasks"])
    assert set(session.state.agents) == set(v1_state["agents"]["active"])
    assert session.state.sprints["sprint-1"].extra["metrics"] == v1_state["sprints"]["sprint-1"]["metrics"]
    assert [m.priority for m in session.state.messages] == ["critical"]
    assert tree_digest(SHARED_V1 / ".claude") == before
    assert migrate(orch_cli, str(SHARED_V1))["sessions"][0]["imported"] == {}


# -- faults: a run that dies half-way, two runs at once ------------------------------------


def big_v1(root: Path, lines: int = 3000) -> Path:
    """A V1 project with a long event stream, so a run is still importing when it is killed."""
    claude = make_v1(root)
    with (claude / "events" / "stream.jsonl").open("a") as stream:
        for n in range(lines):
            stream.write(json.dumps({"timestamp": f"2025-08-21T10:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}",
                                     "type": "agent_heartbeat", "source": "monitor", "data": {"n": n}}) + "\n")
    return claude


def wait_for_events(store, session: str, at_least: int, process, timeout_s: float = 60.0) -> int:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            seen = len(store.events(session, types=["v1.event"]))
        except Exception:  # the session is not there yet
            seen = 0
        if seen >= at_least:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"the migration imported fewer than {at_least} events before it ended")


def test_a_run_killed_half_way_is_finished_by_the_next_and_nothing_is_there_twice(
        tmp_path, orch_project, orch_env, orch_store, orch_bus):
    import signal
    import subprocess

    from orchcore.testing import orch_executable

    root = tmp_path / "v1"
    big_v1(root)
    session = importer.session_id_for(V1Project(root, orch_project), None)
    run = subprocess.Popen([orch_executable(), "migrate", "v1", str(root)], env=orch_env, cwd=orch_project,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_for_events(orch_store, session, 200, run)
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    assert len(orch_store.events(session, types=["v1.event"])) < len(STREAM) + 3000  # it really stopped half-way

    again = subprocess.run([orch_executable(), "migrate", "v1", str(root), "--json"], env=orch_env,
                           cwd=orch_project, capture_output=True, text=True, timeout=300)

    assert again.returncode == 0, again.stderr
    log = orch_store.events(session)
    keys = [e.data["fingerprint"] for e in log if e.type == "v1.event"]
    assert len(keys) == len(STREAM) + 3000 == len(set(keys))  # every line once (no line repeats in this stream)
    assert sorted(e.data["id"] for e in log if e.type == "v1.imported" and e.data["kind"] == "task") == sorted(
        STATE["tasks"])
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert orch_bus.replay(session, from_start=True) == orch_store.get(session)


def test_two_runs_at_once_import_everything_once(tmp_path, orch_project, orch_env, orch_store, orch_bus):
    import subprocess

    from orchcore.testing import orch_executable

    root = tmp_path / "v1"
    big_v1(root, lines=500)
    runs = [subprocess.Popen([orch_executable(), "migrate", "v1", str(root), "--json"], env=orch_env,
                             cwd=orch_project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outs = [r.communicate(timeout=300) for r in runs]

    assert [r.returncode for r in runs] == [0, 0], [err for _, err in outs]
    session = importer.session_id_for(V1Project(root, orch_project), None)
    log = orch_store.events(session)
    assert len([e for e in log if e.type == "v1.event"]) == len(STREAM) + 500
    assert len([e for e in log if e.type == "v1.imported"]) == 1 + 2 + 4 + 3 + 7
    assert len(orch_store.get(session).state.messages) == 7
    assert orch_bus.replay(session, from_start=True) == orch_store.get(session)


# -- plugins' parts (orch_v1_importers) -------------------------------------------------------


def workflows_importer(fail_with: Exception | None = None):
    """A plugin that imports V1's workflows.json: counted in the plan, written in apply; and what it applied."""
    from orchcore.api import ImportPlan, V1Importer, hookimpl

    applied: list[str] = []

    def plan(v1):
        if fail_with is not None:
            raise fail_with
        workflows = v1.json("orchestration/workflows.json")
        return ImportPlan(counts={"workflows": len(workflows)}, notes=["kept V1's phases"],
                          apply=lambda: applied.append(str(v1.target)))

    class Plugin:
        @hookimpl
        def orch_v1_importers(self):
            return [V1Importer(name="workflows", plan=plan, description="V1's workflows")]

    return Plugin(), applied


@pytest.mark.exercises_hook("orch_v1_importers")
def test_a_plugins_part_is_planned_with_the_rest_and_applied_after_it(v1, orch_cli, register_plugin, orch_project):
    plugin, applied = workflows_importer()
    register_plugin(plugin, "workflows")

    dry = migrate(orch_cli, str(v1), "--dry-run")
    assert dry["parts"]["workflows"] == {"would_import": {"workflows": 1}, "already": {}, "notes": ["kept V1's phases"]}
    assert applied == []

    done = migrate(orch_cli, str(v1))
    assert done["parts"]["workflows"]["imported"] == {"workflows": 1} and applied == [str(orch_project)]


@pytest.mark.parametrize("failure, message", [
    (ValueError("boom"), "the V1 importer 'workflows' of plugin workflows failed: ValueError: boom; nothing was imported"),
    (OrchError("teams.json: team 'x y' is not a name"), "teams.json: team 'x y' is not a name"),
])
def test_a_plugins_part_that_fails_stops_the_migration_before_anything_is_written(
        v1, orch_cli, register_plugin, failure, message):
    plugin, applied = workflows_importer(fail_with=failure)
    register_plugin(plugin, "workflows")

    result = orch_cli("migrate", "v1", str(v1))

    assert result.exit_code != 0 and message in result.stderr and "Traceback" not in result.stderr
    assert orch_cli("session", "list", "--json").json() == [] and applied == []


# -- against V1's own scripts, through the installed orch (every plugin, orch-teams's part included) ------


def test_orchcore_answers_as_v1s_own_scripts_after_the_migration(tmp_path, orch_env):
    import subprocess
    import sys

    from orchcore.testing import orch_executable
    from tests.v1_fixture import ORCHCORE_STATE, TASKS, make_v1_project, messages, tree_hashes

    v1 = make_v1_project(tmp_path / "project")
    project = v1["root"]
    env = {**orch_env, "CLAUDE_PROJECT_DIR": str(project)}
    env.pop("CLAUDE_CODE_SESSION_ID", None)
    before = tree_hashes(project)

    def orch(*args: str):
        done = subprocess.run([orch_executable(), *args], cwd=project, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if "--json" in args else done.stdout

    def v1_script(script: str, *args: str):
        done = subprocess.run([sys.executable, f".claude/scripts/{script}", *args], cwd=project,
                              capture_output=True, text=True, timeout=60, check=True)
        return json.loads(done.stdout)

    dry = orch("migrate", "v1", "--dry-run", "--set-default", "--json")
    assert dry["parts"]["teams"]["would_import"]["teams"] >= 1 and dry["default"]["would_write"]
    assert not (project / ".claude" / "orch-teams.toml").exists() and not (project / ".claude/orchcore.json").exists()
    assert orch("session", "list", "--json") == []

    report = orch("migrate", "v1", "--json")
    session = report["sessions"][0]["session_id"]

    for task_id in TASKS:
        v1_task = v1_script("state_manager.py", "get", f"tasks.{task_id}")
        mine = orch("state", "get", f"state.tasks.{task_id}", "--session", session, "--json")
        assert mine["status"] == {"completed": "done"}.get(v1_task["status"], v1_task["status"])
        assert mine["assignee"] == v1_task.get("assigned_to")
    for agent in sorted({m["to"] for m in messages()}):
        v1_order = [m["id"] for m in v1_script("message_bus.py", "receive", agent, "--peek")]
        peeked = orch("msg", "receive", "--as", agent, "--peek", "--session", session, "--json")
        assert [m["id"].removesuffix(f"-{agent}") for m in peeked] == v1_order  # (a broadcast's: <id>-<to>)
    assert report["parts"]["teams"]["imported"]["teams"] >= 1  # orch-teams took V1's teams.json
    assert (project / ".claude" / "orch-teams.toml").is_file()
    assert tree_hashes(project, exclude=ORCHCORE_STATE + (".claude/orch-teams.toml",)) == before
