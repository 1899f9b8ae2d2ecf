"""The hook journal: events the store could not take are kept, then applied in order and exactly once.

``orch hook`` keeps an event here when the store fails (tests/test_store_faults.py
breaks the store for real); these tests drive the journal itself.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from orchcore import journal
from orchcore.router import drain_journal

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"
OTHER = "7a214c65-635e-4f7c-ac74-130030d59d09"


@pytest.fixture
def env(orch_project: Path) -> dict[str, str]:
    return {**os.environ, "ORCH_ENABLED": "1"}


def tool_call(tool_use_id: str, session: str = SESSION) -> dict:
    return {"session_id": session, "transcript_path": "", "cwd": os.environ["CLAUDE_PROJECT_DIR"],
            "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"},
            "tool_use_id": tool_use_id}


def notification(session: str = SESSION) -> dict:
    return {"session_id": session, "transcript_path": "", "cwd": os.environ["CLAUDE_PROJECT_DIR"],
            "hook_event_name": "Notification", "message": "waiting", "notification_type": "idle_prompt"}


def handled(store, session: str = SESSION) -> list[tuple[str, str, bool]]:
    return [(e.data["event"], e.data.get("tool_use_id", ""), e.data.get("recovered", False))
            for e in store.events(session, types=["hook.handled"])]


def project_of(env: dict[str, str]) -> str:
    return env["CLAUDE_PROJECT_DIR"]


def test_an_event_is_kept_as_one_json_line_with_its_receive_time(env, orch_project):
    kept = journal.keep(tool_call("t1"), env, project_of(env), received_at="2026-12-01T12:00:00.000000Z")

    assert kept.where == str(orch_project / ".claude" / "state" / "journal" / "pending.jsonl")
    [line] = Path(kept.where).read_text(encoding="ascii").splitlines()
    assert json.loads(line) == {"received_at": "2026-12-01T12:00:00.000000Z", "enabled": "1",
                                "payload": tool_call("t1")}
    assert journal.waiting(env, project_of(env)) and journal.pending(env, project_of(env)) == 1


def test_nothing_waits_in_a_project_that_never_kept_an_event(env):
    assert not journal.waiting(env, project_of(env))
    assert journal.pending(env, project_of(env)) == 0


def test_drained_events_are_routed_in_order_as_recovered_events_once(env, orch_runtime):
    for index, payload in enumerate([tool_call("t1"), notification(), tool_call("t2")]):
        journal.keep(payload, env, project_of(env), received_at=f"2026-12-01T12:00:0{index}.000000Z")

    assert drain_journal(orch_runtime, env) == (3, 0)
    assert drain_journal(orch_runtime, env) == (0, 0)

    assert handled(orch_runtime.store) == [("PreToolUse", "t1", True), ("Notification", "", True),
                                           ("PreToolUse", "t2", True)]
    events = orch_runtime.store.events(SESSION, types=["hook.handled"])
    assert [e.data["occurred_at"] for e in events] == [f"2026-12-01T12:00:0{i}.000000Z" for i in range(3)]
    assert not journal.waiting(env, project_of(env))  # the folder is gone with its last entry


def test_an_event_the_store_recorded_meanwhile_is_not_recorded_twice(env, orch_runtime, orch_hook):
    orch_hook(tool_call("t1"), env={"ORCH_ENABLED": "1"})  # recorded live
    journal.keep(tool_call("t1"), env, project_of(env))  # and kept by a process that saw the store fail

    assert drain_journal(orch_runtime, env) == (1, 0)
    assert handled(orch_runtime.store) == [("PreToolUse", "t1", False)]


def test_events_keep_their_order_across_the_state_folder_and_the_fallback(env, orch_project, orch_runtime):
    project = project_of(env)
    journal.keep(tool_call("t1"), env, project, received_at="2026-12-01T12:00:01.000000Z")
    blocker = orch_project / ".claude" / "state" / "journal"
    os.rename(blocker, blocker.with_name("journal.aside"))
    blocker.write_text("a file where the journal folder goes\n")  # the state folder's journal cannot be written
    second = journal.keep(tool_call("t2"), env, project, received_at="2026-12-01T12:00:02.000000Z")
    blocker.unlink()
    os.rename(blocker.with_name("journal.aside"), blocker)

    assert second.where == os.path.join(journal.fallback_folder(env, str(orch_project / ".claude" / "state")),
                                        "pending.jsonl")
    assert second.where.startswith(env["XDG_STATE_HOME"])
    assert journal.pending(env, project) == 2
    assert drain_journal(orch_runtime, env) == (2, 0)
    assert [h[1] for h in handled(orch_runtime.store)] == ["t1", "t2"]
    assert not any(os.path.isdir(f) for f in journal.folders(env, project))


def test_an_event_nowhere_to_be_kept_says_so(env, orch_project, monkeypatch, tmp_path):
    state = orch_project / ".claude" / "state"
    state.mkdir(parents=True)
    (state / "journal").write_text("not a folder\n")
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "not-a-folder"))
    env = {**env, "XDG_STATE_HOME": str(tmp_path / "not-a-folder")}

    kept = journal.keep(tool_call("t1"), env, project_of(env))

    assert kept.where is None and "journal" in kept.problem
    assert journal.first_notice(kept, SESSION) and journal.first_notice(kept, SESSION)  # told every time
    assert "could not be kept either" in journal.notice("the disk is full", kept)


def test_each_session_is_told_once_until_the_journal_is_drained(env, orch_runtime):
    project = project_of(env)
    kept = journal.keep(tool_call("t1"), env, project)
    assert journal.first_notice(kept, SESSION)
    assert not journal.first_notice(journal.keep(tool_call("t2"), env, project), SESSION)
    assert journal.first_notice(journal.keep(tool_call("t3", OTHER), env, project), OTHER)

    assert drain_journal(orch_runtime, env) == (3, 0)

    again = journal.keep(tool_call("t4"), env, project)  # a new outage: told again
    assert journal.first_notice(again, SESSION)


def test_the_notice_names_the_cause_the_journal_and_what_to_run(env):
    kept = journal.keep(tool_call("t1"), env, project_of(env))

    text = journal.notice("the state database x cannot be written: the disk holding y is full", kept)

    assert text.startswith("orchcore: orchestration state is not being saved: the state database x")
    assert kept.where in text and "`orch doctor`" in text and "\n" not in text


def test_a_line_that_cannot_be_applied_does_not_hold_back_the_rest(env, orch_runtime, orch_project):
    project = project_of(env)
    journal.keep(tool_call("t1"), env, project, received_at="2026-12-01T12:00:01.000000Z")
    with open(orch_project / ".claude" / "state" / "journal" / "pending.jsonl", "ab") as handle:
        handle.write(b'{"received_at": "2026-12-01T12:00:02.000000Z", "payload": 7}\n')
    journal.keep(tool_call("t3"), env, project, received_at="2026-12-01T12:00:03.000000Z")

    assert drain_journal(orch_runtime, env) == (3, 0)

    assert [h[1] for h in handled(orch_runtime.store)] == ["t1", "t3"]
    log = (orch_project / ".claude" / "state" / "hook.log").read_text()
    assert "of " + str(orch_project / ".claude" / "state" / "journal") in log and "is skipped" in log


def test_a_drain_the_store_refuses_leaves_every_entry_for_the_next(env, orch_runtime, orch_project):
    project = project_of(env)
    for name in ("t1", "t2"):
        journal.keep(tool_call(name), env, project)
    state = orch_project / ".claude" / "state"
    state.mkdir(exist_ok=True)
    db = state / "orchcore.db"
    db.write_text("not a database yet\n")

    from orchcore.runtime import Runtime

    broken = Runtime(project=orch_project, plugins=orch_runtime.plugins)
    try:
        assert drain_journal(broken, env) == (0, 2)
    finally:
        broken.close()
    db.unlink()

    assert drain_journal(orch_runtime, env) == (2, 0)
    assert [h[1] for h in handled(orch_runtime.store)] == ["t1", "t2"]


def test_events_kept_while_a_drain_runs_are_applied_once(env, orch_runtime):
    """Eight writers keep events while drains run: every one is applied, none twice."""
    project = project_of(env)
    names = [f"w{writer}-{n}" for writer in range(8) for n in range(25)]
    done = threading.Event()

    def write(writer: int) -> None:
        for n in range(25):
            journal.keep(tool_call(f"w{writer}-{n}"), env, project)

    def drain_while_writing() -> None:
        from orchcore.runtime import Runtime

        runtime = Runtime(project=orch_runtime.project, plugins=orch_runtime.plugins)  # its thread's own connection
        try:
            while not done.is_set():
                drain_journal(runtime, env)
        finally:
            runtime.close()

    drainer = threading.Thread(target=drain_while_writing)
    drainer.start()
    writers = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    drainer.join()
    drain_journal(orch_runtime, env)

    recorded = [h[1] for h in handled(orch_runtime.store)]
    assert sorted(recorded) == sorted(names)
    assert journal.pending(env, project) == 0


def test_orchestrated_is_judged_without_the_store(env, orch_project):
    project = project_of(env)
    assert journal.orchestrated({**env, "ORCH_ENABLED": "1"}, project, SESSION)
    plain = {k: v for k, v in env.items() if k != "ORCH_ENABLED"}
    assert not journal.orchestrated(plain, project, SESSION)
    (orch_project / ".claude" / "orchcore.json").write_text('{"orchestration": {"enabled": true}}')
    assert journal.orchestrated(plain, project, SESSION)


def test_a_drain_with_a_time_budget_goes_on_where_it_stopped(env, orch_runtime):
    """The hook path drains within a budget (router.JOURNAL_BUDGET_S): past it, the rest waits for the next event."""
    for name in ("t1", "t2", "t3"):
        journal.keep(tool_call(name), env, project_of(env))

    assert drain_journal(orch_runtime, env, budget_s=0) == (1, 2)
    assert drain_journal(orch_runtime, env) == (2, 0)
    assert [h[1] for h in handled(orch_runtime.store)] == ["t1", "t2", "t3"]


def test_a_file_is_applied_in_its_own_order_so_its_cursor_never_skips_a_line(env, orch_runtime):
    """Two processes can append out of receive-time order; the drain follows the file, never jumping ahead."""
    journal.keep(tool_call("late"), env, project_of(env), received_at="2026-12-01T12:00:09.000000Z")
    journal.keep(tool_call("early"), env, project_of(env), received_at="2026-12-01T12:00:01.000000Z")

    assert drain_journal(orch_runtime, env, budget_s=0) == (1, 1)
    assert drain_journal(orch_runtime, env) == (1, 0)
    assert [h[1] for h in handled(orch_runtime.store)] == ["late", "early"]


def test_an_event_that_arrives_while_another_process_drains_goes_after_the_kept_ones(env, orch_runtime, orch_hook):
    """The drain lock is held elsewhere: the hook waits for that drain instead of overtaking it."""
    import fcntl
    import time

    project = project_of(env)
    for n in range(3):
        journal.keep(tool_call(f"kept-{n}"), env, project)
    folder = journal.folders(env, project)[0]
    lock = os.open(folder, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # another process's drain, holding the folder

    def finish_that_drain() -> None:
        time.sleep(0.3)
        os.close(lock)  # it ends (having applied nothing): the waiting hook applies the kept ones, then its own

    threading.Thread(target=finish_that_drain).start()
    assert orch_hook(tool_call("live"), env=env).exit_code == 0

    assert [h[1] for h in handled(orch_runtime.store)] == ["kept-0", "kept-1", "kept-2", "live"]
