"""A store that fails loses no hook event: real faults, the real ``orch hook``, ``orch doctor``, recovery.

For each fault: a session is recorded while the store is healthy; the store
is then broken for real (truncated, a page overwritten, replaced by text,
emptied, its WAL deleted under a live writer, made read-only, its disk
filled); three hook events arrive through ``orch hook`` processes; each is
answered safely (exit 0, no decision), the user is told once, with the real
cause; ``orch doctor`` is red with that cause and counts the kept events;
once the fault is removed, the next event applies the kept ones first, and
the log holds every acknowledged event exactly once, in order.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from orchcore.testing import orch_executable
from tests.conftest import fill_disk, mount_small_disk, unmount_small_disk

SESSION = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


# -- driving orch as Claude Code does ---------------------------------------------------------


@pytest.fixture
def env(orch_project: Path, tmp_path: Path) -> dict[str, str]:
    """``orch`` run against the test's project: in-process router (no resident runtime), orchestration on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCH_", "CLAUDE_"))}
    env.update(
        CLAUDE_PROJECT_DIR=str(orch_project), ORCH_CACHE_DIR=str(tmp_path / "cache"), ORCH_RUNTIME="0",
        ORCH_ENABLED="1", XDG_STATE_HOME=str(tmp_path / "xdg-state"), COLUMNS="200",
    )
    return env


def event(name: str, tool_use_id: str | None = None, **extra) -> dict:
    payload = {"session_id": SESSION, "transcript_path": "", "cwd": os.environ.get("CLAUDE_PROJECT_DIR", ""),
               "hook_event_name": name, **extra}
    if tool_use_id:
        payload.update(tool_name="Bash", tool_input={"command": "ls"}, tool_use_id=tool_use_id)
    return payload


def hook(env: dict[str, str], payload: dict) -> dict:
    """One ``orch hook`` process; Claude Code would take exit 0 and this answer (None: nothing printed)."""
    done = subprocess.run([orch_executable(), "hook"], input=json.dumps(payload), env=env, capture_output=True,
                          text=True, timeout=60, cwd=env["CLAUDE_PROJECT_DIR"])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def orch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([orch_executable(), *args], env=env, capture_output=True, text=True, timeout=120,
                          cwd=env["CLAUDE_PROJECT_DIR"])


def doctor(env: dict[str, str]) -> tuple[int, dict[str, dict]]:
    done = orch(env, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    return done.returncode, checks


def handled(env: dict[str, str]) -> list[str]:
    """The hook events the session's log holds, as ``name:tool_use_id`` (or the name alone)."""
    done = orch(env, "events", "list", "--session", SESSION, "--json", "--type", "hook.handled")
    assert done.returncode == 0, done.stderr
    return [f"{e['data']['event']}:{e['data'].get('tool_use_id', '')}".rstrip(":") for e in json.loads(done.stdout)]


# -- faults, for real -----------------------------------------------------------------------


def immutable(path: Path) -> None:
    """Read-only in a way root cannot bypass (``chattr +i``); ``chmod`` for anyone else."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root without chattr +i: no read-only condition root cannot bypass")
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)


def writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o755 if path.is_dir() else 0o644)


def overwrite_table_pages(db: Path) -> None:
    """Garbage over the first page of every table: what a bad sector or a stray write leaves."""
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table'")]
    conn.close()
    with open(db, "r+b") as handle:
        for root in roots:
            handle.seek((root - 1) * page_size)
            handle.write(bytes(range(256)) * (page_size // 256))


class Fault:
    """Breaks the store in ``state`` and puts it right again (as a user would: restore, chmod, free space)."""

    cause = ""

    def __init__(self, state: Path):
        self.state = state
        self.db = state / "orchcore.db"

    def make(self) -> None: ...

    def remove(self) -> None: ...


class Replaced(Fault):
    """The file's bytes are changed; removing the fault is putting the good copy back."""

    def make(self) -> None:
        self.good = self.db.read_bytes()
        self.damage()

    def damage(self) -> None: ...

    def remove(self) -> None:
        self.db.write_bytes(self.good)


class Truncated(Replaced):
    cause = "corrupt"

    def damage(self) -> None:
        os.truncate(self.db, len(self.good) // 2)


class OverwrittenPage(Replaced):
    cause = "corrupt"

    def damage(self) -> None:
        overwrite_table_pages(self.db)


class TextFile(Replaced):
    cause = "not-a-database"

    def damage(self) -> None:
        self.db.write_text("orchcore.db was here\n", encoding="utf-8")


class ZeroBytes(Replaced):
    cause = "empty"

    def damage(self) -> None:
        os.truncate(self.db, 0)


class ReadOnlyFile(Fault):
    cause = "permission"

    def make(self) -> None:
        immutable(self.db)

    def remove(self) -> None:
        writable(self.db)


class ReadOnlyFolder(Fault):
    cause = "permission"

    def make(self) -> None:
        immutable(self.state)

    def remove(self) -> None:
        writable(self.state)


FAULTS = {
    "truncated": Truncated,
    "overwritten-page": OverwrittenPage,
    "text-file": TextFile,
    "zero-bytes": ZeroBytes,
    "read-only-file": ReadOnlyFile,
    "read-only-folder": ReadOnlyFolder,
}


@pytest.fixture
def state(orch_project: Path) -> Path:
    return orch_project / ".claude" / "state"


def assert_no_event_lost_through(env: dict[str, str], fault: Fault, before: list[str]) -> None:
    """The fault on, three events, the fault off, one more: every acknowledged event once, in order."""
    fault.make()
    answers = [hook(env, event("PreToolUse", "t1")), hook(env, event("PostToolUse", "t1")),
               hook(env, event("Notification", message="waiting", notification_type="idle_prompt"))]

    told = [a.get("systemMessage", "") for a in answers]
    assert "orchestration state is not being saved" in told[0]
    assert str(fault.db) in told[0] and "orch doctor" in told[0]
    assert told[1:] == ["", ""]  # once per session
    assert all(set(a) <= {"systemMessage"} for a in answers)  # no decision taken without the store
    code, checks = doctor(env)
    assert code == 1
    assert checks["store"]["status"] == "fail" and checks["store"]["detail"].startswith(f"{fault.cause}: ")
    assert checks["journal"]["status"] == "fail" and checks["journal"]["detail"].startswith("3 hook event(s)")

    fault.remove()
    assert hook(env, event("PreToolUse", "t2")).get("systemMessage") is None
    assert handled(env) == [*before, "PreToolUse:t1", "PostToolUse:t1", "Notification", "PreToolUse:t2"]
    assert not (fault.state / "journal").exists() and not list(Path(env["XDG_STATE_HOME"]).rglob("*.jsonl"))


def start_session(env: dict[str, str]) -> list[str]:
    hook(env, event("SessionStart", source="startup"))
    hook(env, event("PreToolUse", "t0"))
    return ["SessionStart", "PreToolUse:t0"]


@pytest.mark.parametrize("name", FAULTS)
def test_no_event_is_lost_while_the_store_is_broken(env, state, name):
    before = start_session(env)
    assert_no_event_lost_through(env, FAULTS[name](state), before)


def test_the_right_cause_and_advice_in_each_message(env, state):
    start_session(env)
    for name, kind in FAULTS.items():
        fault = kind(state)
        fault.make()
        try:
            done = orch(env, "session", "list")
        finally:
            fault.remove()
        assert done.returncode == 1 and done.stderr.count("\n") == 1, (name, done.stderr)
        message = done.stderr
        if fault.cause == "corrupt":
            assert "orch recover" in message and "move it aside" in message
        else:
            assert "move it aside" not in message and "orch recover" not in message or fault.cause == "empty"
        if fault.cause == "permission":
            assert "chmod u+w" in message and "read-only" in message
        assert "backup" not in message  # orchcore made none here


def test_a_backup_is_named_only_when_there_is_one(env, state):
    start_session(env)
    (state / "backups").mkdir()
    (state / "backups" / "orchcore-20261201T170000Z.db").write_bytes(b"")
    fault = Truncated(state)
    fault.make()

    done = orch(env, "session", "list")

    assert "restore the newest backup" in done.stderr and "orchcore-20261201T170000Z.db" in done.stderr


def test_a_new_store_in_a_fresh_project_is_not_an_empty_one(env, state):
    """A 0-byte file is refused only where sessions have been: a new project's first event creates the store."""
    state.mkdir(parents=True)
    (state / "orchcore.db").write_bytes(b"")

    assert "systemMessage" not in hook(env, event("SessionStart", source="startup"))
    assert handled(env) == ["SessionStart"]


# -- a deleted WAL while a writer had committed ------------------------------------------------


WRITER = """
import os, sys
from pathlib import Path
from orchcore import router
from orchcore.runtime import Runtime

env = dict(os.environ)
runtime = Runtime(project=Path(env["CLAUDE_PROJECT_DIR"]))
for payload in map(eval, sys.argv[1:]):
    router.respond(payload, env, runtime)
print("committed", flush=True)
sys.stdin.readline()
runtime.close()
print("closed", flush=True)
"""


def test_a_deleted_wal_under_a_live_writer(env, state):
    """The resident runtime's connection holds events in the WAL; someone deletes it; stopping the writer saves them."""
    before = start_session(env)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, repr(event("PreToolUse", "w1")), repr(event("PostToolUse", "w1"))],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=env["CLAUDE_PROJECT_DIR"],
    )
    try:
        assert writer.stdout.readline() == "committed\n"
        wal = state / "orchcore.db-wal"
        assert wal.stat().st_size > 0
        wal.unlink()

        class DeletedWal(Fault):
            cause = "io"

            def remove(self) -> None:  # the advice: stop the process that still holds it
                writer.stdin.write("\n")
                writer.stdin.flush()
                assert writer.stdout.readline() == "closed\n"

        fault = DeletedWal(state)
        first = hook(env, event("PreToolUse", "t1"))
        assert f"process {writer.pid}" in first["systemMessage"]
        hook(env, event("PostToolUse", "t1"))
        hook(env, event("Notification", message="waiting", notification_type="idle_prompt"))
        code, checks = doctor(env)
        assert code == 1 and checks["store"]["detail"].startswith("io: ") and "was deleted" in checks["store"]["detail"]
        fault.remove()
        hook(env, event("PreToolUse", "t2"))
        assert handled(env) == [*before, "PreToolUse:w1", "PostToolUse:w1",
                                "PreToolUse:t1", "PostToolUse:t1", "Notification", "PreToolUse:t2"]
    finally:
        writer.kill()
        writer.wait()


# -- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(state):
    """The state folder on a 1 MiB tmpfs (needs root and mount)."""
    yield mount_small_disk(state, "1m")
    unmount_small_disk(state)


class FullDisk(Fault):
    cause = "disk-full"

    def make(self) -> None:
        self.filler = fill_disk(self.state)

    def remove(self) -> None:
        self.filler.unlink()


def test_no_event_is_lost_while_the_disk_is_full(env, small_disk):
    before = start_session(env)
    assert_no_event_lost_through(env, FullDisk(small_disk), before)


# -- orch doctor's write test -----------------------------------------------------------------


def test_the_write_test_commits_nothing_and_names_a_lock_held_too_long(env, state):
    from orchcore.store import faults

    start_session(env)
    db = state / "orchcore.db"
    before = handled(env)

    assert faults.write_test(db) is None
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "orchcore_write_test" not in tables and handled(env) == before

    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        problem = faults.write_test(db, timeout_s=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert problem is not None and problem.cause == "locked" and "orch runtime status" in str(problem)
