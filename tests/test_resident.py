"""The resident runtime: hook events, status lines and commands answered by one warm process per project.

These tests run the real `orch` script and the real runtime processes, as
Claude Code does, with a test plugin installed (a fake distribution on
PYTHONPATH) whose handler and command report the process that ran them.
Claude Code's side of the http hooks is played by ``http.client``; the
end-to-end tests (tests/e2e/test_resident_e2e.py) do the same with the real
binary.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orchcore import install
from orchcore.resident import client, forkserver
from orchcore.testing import write_distribution

ORCH = str(Path(sys.executable).with_name("orch"))
SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"

WHOAMI_PLUGIN = '''
import os
import sys
import time

from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import CliCommand, HookHandler


def whoami(event, context):
    return HookResult.context(f"pid={os.getpid()}")


def load():
    import typer

    app = typer.Typer()

    @app.command()
    def pids():
        print(f"{os.getpid()} {os.getppid()}")

    @app.command()
    def shout():
        print(sys.stdin.read().upper(), end="")

    @app.command()
    def fail():
        print("it went wrong", file=sys.stderr)
        raise typer.Exit(3)

    @app.command()
    def wait():
        try:
            print("waiting", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            raise typer.Exit(130)

    return app


@hookimpl
def orch_hook_handlers():
    return [HookHandler(name="whoami", events=["UserPromptSubmit"], handler=whoami)]


@hookimpl
def orch_cli_commands():
    return [CliCommand(name="whoami", help="who runs this", load=load)]
'''


@pytest.fixture
def env(orch_project, tmp_path):
    site = tmp_path / "site"
    write_distribution(site, "orchtest-whoami", "1.0", {"whoami": "orchtest_whoami"},
                       {"orchtest_whoami.py": WHOAMI_PLUGIN})
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_CODE", "ORCH_"))}
    environ.update(
        PYTHONPATH=str(site),
        CLAUDE_PROJECT_DIR=str(orch_project),
        TMPDIR=str(tmp_path / "tmp"),  # a private socket folder for this test
        ORCH_CACHE_DIR=str(tmp_path / "cache"),
        ORCH_RUNTIME_IDLE_S="30",
        ORCH_RUNTIME_LINGER_S="30",
    )
    (tmp_path / "tmp").mkdir()
    orch(environ, "session", "create", SID, "--enable", runtime=False)
    yield environ
    stop_runtime(environ)


def orch(environ: dict[str, str], *args: str, runtime: bool = True, **options) -> subprocess.CompletedProcess:
    """Run `orch ARGS` as a user would; ``runtime=False``: as if there were no resident runtime."""
    run_env = environ if runtime else {**environ, "ORCH_RUNTIME": "0"}
    return subprocess.run([ORCH, *args], env=run_env, capture_output=True, text=True, timeout=60, **options)


def prompt(session: str = SID, text: str = "hello") -> bytes:
    return json.dumps({"session_id": session, "transcript_path": "", "cwd": "/", "hook_event_name": "UserPromptSubmit",
                       "prompt": text, "prompt_id": f"prompt-{time.monotonic_ns()}"}).encode()


def session_start(session: str = SID) -> bytes:
    return json.dumps({"session_id": session, "transcript_path": "", "cwd": "/", "hook_event_name": "SessionStart",
                       "source": "startup"}).encode()


def hook(environ: dict[str, str], data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ORCH, "hook"], input=data or prompt(), env=environ, capture_output=True, timeout=60)


def answered_pid(done: subprocess.CompletedProcess) -> int:
    assert done.returncode == 0, done.stderr
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    return int(context.split("pid=")[1])


def wait_for_runtime(environ: dict[str, str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.status(environ, timeout_s=1.0)
        if status is not None:
            return status
        time.sleep(0.05)
    raise AssertionError(f"no runtime answering at {client.socket_path(environ)}")


def runtime_pid(environ: dict[str, str]) -> int | None:
    status = client.status(environ, timeout_s=2.0)
    return status["pid"] if status else None


def runtime_processes(environ: dict[str, str]) -> list[int]:
    found = subprocess.run(["pgrep", "-f", f"orchcore.resident {client.socket_path(environ)}"],
                           capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def stop_runtime(environ: dict[str, str]) -> None:
    for pid in runtime_processes(environ):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def handled(environ: dict[str, str]) -> list[dict]:
    done = orch(environ, "events", "list", "--session", SID, "--type", "hook.handled", "--json", "--limit", "0",
                runtime=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# -- hooks and status lines over the Unix socket ---------------------------------


def test_the_first_event_starts_the_runtime_and_later_events_are_answered_by_it(env):
    first = hook(env)
    wait_for_runtime(env)

    second, third = hook(env), hook(env)

    in_process = answered_pid(first)
    assert answered_pid(second) == answered_pid(third) == runtime_pid(env)
    assert in_process != runtime_pid(env)


def test_a_session_start_waits_for_the_runtime_it_starts_and_is_answered_by_it(env):
    done = hook(env, session_start())

    assert done.returncode == 0
    status = client.status(env)
    assert status is not None  # up before the hook answered: the session's http hooks have somewhere to go
    assert [e["data"]["event"] for e in handled(env)] == ["SessionStart"]


def test_the_runtime_answers_exactly_what_the_router_answers_in_process(env):
    hook(env)
    wait_for_runtime(env)
    warm = hook(env)
    cold = hook({**env, "ORCH_RUNTIME": "0"})

    warm_answer, cold_answer = json.loads(warm.stdout), json.loads(cold.stdout)
    for answer in (warm_answer, cold_answer):
        answer["hookSpecificOutput"]["additionalContext"] = "pid=…"
    assert warm_answer == cold_answer
    assert warm.returncode == cold.returncode == 0


def test_ORCH_RUNTIME_0_never_starts_a_runtime(env):
    environ = {**env, "ORCH_RUNTIME": "0"}
    for _ in range(3):
        assert hook(environ).returncode == 0
    assert orch(environ, "session", "list").returncode == 0

    assert not os.path.exists(client.socket_path(environ))
    assert runtime_processes(environ) == []


def test_a_changed_plugin_file_makes_the_runtime_restart_with_the_new_code(env, tmp_path):
    hook(env)
    wait_for_runtime(env)
    old = runtime_pid(env)
    plugin_file = tmp_path / "site" / "orchtest_whoami.py"
    stamp = plugin_file.stat().st_mtime + 5
    os.utime(plugin_file, (stamp, stamp))

    done = hook(env)

    assert answered_pid(done) != old  # answered in-process, with the new code
    deadline = time.monotonic() + 15
    while runtime_pid(env) in (old, None) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runtime_pid(env) not in (old, None)  # the supervisor started the new code at once


def test_a_killed_runtime_is_restarted_by_its_supervisor_and_no_event_is_lost(env):
    hook(env)
    killed = wait_for_runtime(env)["pid"]
    os.kill(killed, signal.SIGKILL)

    after = [hook(env) for _ in range(3)]
    status = wait_for_runtime(env)

    assert all(done.returncode == 0 and json.loads(done.stdout) for done in after)
    assert len(handled(env)) == 4
    assert status["pid"] != killed


def test_a_socket_folder_open_to_other_users_is_not_trusted(env):
    hook(env)
    status = wait_for_runtime(env)
    os.chmod(os.path.dirname(status["socket"]), 0o777)
    try:
        done = hook(env)
        assert answered_pid(done) != status["pid"]  # answered in-process instead
    finally:
        os.chmod(os.path.dirname(status["socket"]), 0o700)


def test_parallel_events_through_the_runtime_are_all_answered_and_recorded(env):
    hook(env)
    wait_for_runtime(env)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: hook(env), range(16)))

    assert all(done.returncode == 0 for done in results)
    assert {answered_pid(done) for done in results} == {runtime_pid(env)}
    assert len(handled(env)) == 17


def test_the_runtime_exits_when_idle_and_no_session_is_open(env):
    environ = {**env, "ORCH_RUNTIME_IDLE_S": "1", "ORCH_RUNTIME_LINGER_S": "1"}
    hook(environ)
    wait_for_runtime(environ)

    deadline = time.monotonic() + 20
    while runtime_processes(environ) and time.monotonic() < deadline:
        time.sleep(0.2)

    assert runtime_processes(environ) == []
    assert not os.path.exists(client.socket_path(environ))


def test_an_open_session_keeps_the_runtime_up_past_its_idle_time(env):
    environ = {**env, "ORCH_RUNTIME_IDLE_S": "1", "ORCH_RUNTIME_LINGER_S": "60"}
    hook(environ, session_start())  # started, not ended: its http hooks may post any time
    wait_for_runtime(environ)

    time.sleep(3)

    assert runtime_pid(environ) is not None


def test_a_session_whose_claude_code_is_gone_no_longer_keeps_the_runtime_up(env):
    environ = {**env, "ORCH_RUNTIME_IDLE_S": "1", "ORCH_RUNTIME_LINGER_S": "600"}
    # A short-lived process plays Claude Code: it runs the SessionStart hook and exits (crashed, no SessionEnd).
    started = subprocess.run([sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:], "
                              "input=sys.stdin.buffer.read())", ORCH, "hook"],
                             input=session_start(), env=environ, capture_output=True, timeout=60)
    assert started.returncode == 0

    deadline = time.monotonic() + 20
    while runtime_processes(environ) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runtime_processes(environ) == []


def test_the_status_line_is_answered_by_the_runtime(env):
    hook(env)
    wait_for_runtime(env)
    status_input = json.dumps({"session_id": SID, "cwd": str(env["CLAUDE_PROJECT_DIR"]),
                               "model": {"display_name": "Opus"}}).encode()
    warm = subprocess.run([ORCH, "statusline"], input=status_input, env={**env, "NO_COLOR": "1"},
                          capture_output=True, timeout=60)
    cold = subprocess.run([ORCH, "statusline"], input=status_input, env={**env, "NO_COLOR": "1", "ORCH_RUNTIME": "0"},
                          capture_output=True, timeout=60)

    assert warm.returncode == cold.returncode == 0
    assert warm.stdout == cold.stdout and b"Opus" in warm.stdout


def test_requests_and_replies_round_trip():
    request = client._request("hook", b'{"a": 1}', {"CLAUDE_PROJECT_DIR": "/p", "ORCH_ENABLED": "1", "HOME": "/h"})

    kind, env, data = client.parse_request(request)

    assert (kind, env, data) == ("hook", {"CLAUDE_PROJECT_DIR": "/p", "ORCH_ENABLED": "1"}, b'{"a": 1}')
    assert client.parse_reply(client.encode_reply(2, b"abc", b"reason")) == (2, b"abc", b"reason")
    assert client.parse_reply(client.STALE) is None
    assert client.parse_reply(b"") is None
    assert client._request("hook", b"{}", {"ORCH_X": "two\nlines"}) is None


def test_the_socket_is_keyed_by_project_and_settings_but_not_by_per_event_switches():
    base = {"CLAUDE_PROJECT_DIR": "/p", "TMPDIR": "/tmp"}

    assert client.socket_path(base) == client.socket_path({**base, "ORCH_ENABLED": "1"})
    assert client.socket_path(base) == client.socket_path({**base, "ORCH_HOOK_TOKEN": "t"})
    assert client.socket_path(base) != client.socket_path({**base, "CLAUDE_PROJECT_DIR": "/q"})
    assert client.socket_path(base) != client.socket_path({**base, "ORCH_PLUGINS_DENY": "x"})
    assert len(client.socket_path(base).encode()) < 100


# -- orch commands forked from the runtime ---------------------------------------


def test_a_command_runs_in_a_child_of_the_runtime_with_this_processs_streams(env):
    hook(env)
    wait_for_runtime(env)
    wait_for_zygote(env)

    done = orch(env, "whoami", "pids")

    pid, parent = map(int, done.stdout.split())
    assert done.returncode == 0
    assert parent != os.getpid() and parent in runtime_family(env)  # forked by the runtime's zygote
    assert orch(env, "whoami", "shout", input="quiet please").stdout == "QUIET PLEASE"


def test_a_forked_command_keeps_its_exit_code_and_its_error_output(env):
    hook(env)
    wait_for_runtime(env)
    wait_for_zygote(env)

    failed = orch(env, "whoami", "fail")
    missing = orch(env, "state", "get", "nope", "--session", SID)

    assert (failed.returncode, failed.stderr) == (3, "it went wrong\n")
    assert missing.returncode == 1 and missing.stderr.startswith("orch: error: no 'nope' in the session")
    assert orch(env, "state", "get", "mode", "--session", SID).stdout == "default\n"


def test_ctrl_c_reaches_the_forked_command(env):
    hook(env)
    wait_for_runtime(env)
    wait_for_zygote(env)
    command = subprocess.Popen([ORCH, "whoami", "wait"], env=env, stdout=subprocess.PIPE, text=True)
    assert command.stdout.readline() == "waiting\n"

    command.send_signal(signal.SIGINT)

    code = command.wait(timeout=20)
    rest = command.stdout.read()
    assert (code, rest) == (130, "interrupted\n")


def test_commands_that_follow_or_inspect_this_machine_run_in_process():
    assert forkserver.forked(["state", "get", "mode"])
    assert forkserver.forked(["events", "list", "--limit", "5"])
    for argv in (["dashboard"], ["events", "tail"], ["doctor"], ["install", "--dry-run"], ["runtime", "status"], []):
        assert not forkserver.forked(argv), argv


def test_command_requests_round_trip():
    message = forkserver.encode_command(["state", "get", "a b"], "/work", {"HOME": "/h", "X": "1=2"})

    assert forkserver.parse_command(message.removesuffix(b"\n\0END\n")) == (
        ["state", "get", "a b"], "/work", {"HOME": "/h", "X": "1=2"})
    assert forkserver.encode_command(["x"], "/", {"BAD": "two\nlines"}) is None


def wait_for_zygote(environ: dict[str, str], timeout: float = 30) -> None:
    path = forkserver.cli_path(client.socket_path(environ))
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"no command zygote at {path}"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    return [int(c) for c in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


def runtime_family(environ: dict[str, str]) -> set[int]:
    """The runtime's processes: supervisor, server, zygote (the zygote has the server as its parent)."""
    found = set(runtime_processes(environ))
    for pid in list(found):
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        found.update(int(c) for c in children)
    return found


# -- Claude Code's http hooks ------------------------------------------------------


@pytest.fixture
def wired(env):
    """The project installed with http hooks, its runtime up (as after a SessionStart)."""
    done = orch(env, "install", "--port", str(free_port()), runtime=False)
    assert done.returncode == 0, done.stderr
    assert hook(env, session_start()).returncode == 0
    status = wait_for_runtime(env)
    deadline = time.monotonic() + 10
    while not status["http"]["listening"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
        status = client.status(env)
    return install.http_endpoint(Path(env["CLAUDE_PROJECT_DIR"]), env)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(endpoint, body: bytes, headers: dict[str, str] | None = None, method: str = "POST",
         path: str = "/orchcore/hook", connection=None) -> tuple[int, bytes]:
    connection = connection or http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    sent = {"Content-Type": "application/json", "X-Orch-Token": endpoint.token}
    sent.update(headers or {})
    connection.request(method, path, body=body, headers={k: v for k, v in sent.items() if v is not None})
    answer = connection.getresponse()
    return answer.status, answer.read()


def test_an_http_hook_event_is_answered_and_recorded_like_a_command_hook(wired, env):
    status, body = post(wired, prompt())
    cold = hook({**env, "ORCH_RUNTIME": "0"})

    assert status == 200
    answer = json.loads(body)
    assert answer["hookSpecificOutput"]["additionalContext"].endswith(f"pid={runtime_pid(env)}")
    assert list(answer) == list(json.loads(cold.stdout))
    assert [e["data"]["event"] for e in handled(env)] == ["SessionStart", "UserPromptSubmit", "UserPromptSubmit"]


def test_one_connection_carries_many_events(wired, env):
    connection = http.client.HTTPConnection("127.0.0.1", wired.port, timeout=30)

    answers = [post(wired, prompt(text=f"prompt {n}"), connection=connection) for n in range(5)]

    assert [status for status, _ in answers] == [200] * 5
    assert len(handled(env)) == 6


def test_an_event_of_a_session_with_orchestration_off_is_answered_with_nothing(wired, env):
    off = "7a214c65-635e-4f7c-ac74-130030d59d09"
    orch(env, "session", "create", off, runtime=False)

    assert post(wired, prompt(session=off)) == (200, b"")
    assert post(wired, prompt(session=off), headers={"X-Orch-Enabled": "1"})[0] == 200  # ORCH_ENABLED=1 in Claude Code


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param({"headers": {"X-Orch-Token": None}}, 401, id="no-secret"),
        pytest.param({"headers": {"X-Orch-Token": "guessed"}}, 401, id="wrong-secret"),
        pytest.param({"headers": {"Origin": "https://evil.example"}}, 403, id="from-a-web-page"),
        pytest.param({"headers": {"Host": "evil.example:80"}}, 403, id="rebound-host"),
        pytest.param({"headers": {"Content-Type": "text/plain"}}, 415, id="not-json"),
        pytest.param({"path": "/other"}, 404, id="wrong-path"),
        pytest.param({"method": "PUT"}, 405, id="not-post"),
        pytest.param({"body": b"{not json"}, 400, id="malformed-json"),
        pytest.param({"body": b"[1, 2]"}, 400, id="not-an-object"),
        pytest.param({"body": b'{"session_id": "x", "hook_event_name": "Stop"}'}, 400, id="bad-session-id"),
        pytest.param({"body": b""}, 400, id="empty"),
        pytest.param({"body": prompt().replace(b'"hello"', b"[" * 1000 + b"]" * 1000)}, 400, id="nested-too-deep"),
    ],
)
def test_requests_that_are_not_claude_codes_are_refused_and_nothing_is_recorded(wired, env, change, status):
    body = change.get("body", prompt())

    answer = post(wired, body, headers=change.get("headers"), method=change.get("method", "POST"),
                  path=change.get("path", "/orchcore/hook"))

    assert answer[0] == status
    assert [e["data"]["event"] for e in handled(env)] == ["SessionStart"]
    assert post(wired, prompt())[0] == 200  # and the runtime answers the next real event


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /orchcore/hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"POST /orchcore/hook HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
        b"POST /orchcore/hook HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",
        b"\x00\xff" * 40000,
    ],
    ids=["no-request-line", "chunked", "huge", "cut-body", "binary"],
)
def test_malformed_http_never_crashes_the_runtime(wired, env, raw):
    with socket.create_connection(("127.0.0.1", wired.port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        reply = sock.recv(4096)

    assert reply == b"" or reply.startswith(b"HTTP/1.1 4")
    assert post(wired, prompt())[0] == 200
    assert len(handled(env)) == 2


def test_the_runtime_listens_on_loopback_only(wired):
    address = outside_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    with pytest.raises(OSError):
        socket.create_connection((address, wired.port), timeout=3)


def outside_address() -> str | None:
    """An address of this machine that is not loopback (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_a_peer_that_is_not_loopback_is_refused():
    from orchcore.resident.http import Guard, Refused, Request

    guard = Guard(4242, lambda: "secret")
    request = Request("POST", "/orchcore/hook", "HTTP/1.1",
                      {"host": "127.0.0.1:4242", "x-orch-token": "secret", "content-type": "application/json"},
                      b"{}", peer="192.168.1.20")

    with pytest.raises(Refused) as refused:
        guard.check(request)
    assert refused.value.status == 403
    guard.check(Request(request.method, request.path, request.version, request.headers, b"{}", peer="127.0.0.1"))


def test_the_health_path_tells_doctor_who_answers(wired, env):
    status, body = post(wired, b"{}", path="/orchcore/health")

    assert status == 200
    assert json.loads(body)["pid"] == runtime_pid(env)
    assert post(wired, b"{}", path="/orchcore/health", headers={"X-Orch-Token": "nope"})[0] == 401


def test_doctor_reports_the_runtime_up_and_answering(wired, env):
    done = orch(env, "doctor", "--json")

    found = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert found["runtime"]["status"] == "ok" and f"pid {runtime_pid(env)}" in found["runtime"]["detail"]
    assert found["http hooks"]["status"] == "ok", found["http hooks"]


def test_doctor_says_so_when_the_runtime_is_down(wired, env):
    stop_runtime(env)

    done = orch(env, "doctor", "--json")

    found = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert found["runtime"]["status"] == "warn"
    assert "not running" in found["runtime"]["detail"]


# -- orch runtime ------------------------------------------------------------------


def test_orch_runtime_start_status_and_stop(env):
    assert orch(env, "runtime", "status").returncode == 1

    started = orch(env, "runtime", "start")
    status = json.loads(orch(env, "runtime", "status", "--json").stdout)
    family = runtime_family(env)
    stopped = orch(env, "runtime", "stop")

    assert started.returncode == 0 and started.stdout == f"running: pid {status['pid']}\n"
    assert status["project"] == env["CLAUDE_PROJECT_DIR"] and {status["pid"], status["supervisor"]} <= family
    assert stopped.returncode == 0 and runtime_processes(env) == []  # the supervisor went too, restarting nothing
    assert json.loads(orch(env, "runtime", "status", "--json").stdout) == {"running": False}


def test_a_session_whose_http_hooks_carry_no_secret_is_told_so_at_its_start(wired, env):
    without = hook(env, session_start("7a214c65-635e-4f7c-ac74-130030d59d09"))
    with_it = hook({**env, "ORCH_HOOK_TOKEN": wired.token}, session_start("1b2c3d4e-635e-4f7c-ac74-130030d59d09"))

    assert "ORCH_HOOK_TOKEN" in json.loads(without.stdout)["systemMessage"]
    assert with_it.stdout == b"" or "systemMessage" not in json.loads(with_it.stdout)


def test_posts_without_the_secret_make_the_runtime_read_the_transcripts_instead(wired, env):
    assert post(wired, prompt(), headers={"X-Orch-Token": None})[0] == 401

    log = (Path(env["CLAUDE_PROJECT_DIR"]) / ".claude" / "state" / "hook.log").read_text()
    assert "refused a hook event without the project's secret" in log


def test_a_command_still_runs_when_the_spare_child_was_killed(env):
    hook(env)
    wait_for_runtime(env)
    wait_for_zygote(env)
    time.sleep(0.5)
    zygotes = children(runtime_pid(env))  # the server's child: the zygote; its child: the spare
    spares = [spare for zygote in zygotes for spare in children(zygote)]
    assert spares  # one child forked ahead, waiting for a command
    for pid in spares:
        os.kill(pid, signal.SIGKILL)

    first = orch(env, "state", "get", "mode", "--session", SID)
    time.sleep(0.5)  # the zygote forks a new spare
    second = orch(env, "whoami", "pids")

    assert (first.returncode, first.stdout) == (0, "default\n")  # answered in-process, the spare being gone
    assert int(second.stdout.split()[1]) in zygotes  # and the next one by a new spare of the same zygote
