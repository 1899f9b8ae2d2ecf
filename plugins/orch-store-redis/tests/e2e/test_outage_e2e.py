"""Redis stopped in the middle of a stream of hook events, then restarted: Claude Code never notices.

The real Claude Code runs a project installed with the real ``orch install``
(orchestration on by default) whose session store is a real redis-server of
the test's own. The fake model makes ten Bash calls, one per request. When it
is asked for call ``STOPPED_FROM`` the test stops the server (SIGTERM); when
it is asked for call ``RESTARTED_FROM`` the test starts it again (same port,
same AOF data) and waits out the store's fail-fast second, so the very next
hook event tries the server. This proves, once per transport (what ``orch
install`` chooses by default, and ``--transport command`` with the resident
runtime off, each event its own process):

* the run finishes, and every hook answered well within its installed
  timeout, with no hook error or timeout in Claude Code's output or log;
* the user is told exactly once that the state is not being saved;
* the events of the calls made during the outage were kept in the journal
  and applied (``recovered``) by the first event after the restart, in
  order, before it: every call's PreToolUse and PostToolUse is recorded
  exactly once, on the Redis server, and the journal is empty.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from datetime import datetime

import pytest

from orchcore_e2e_harness.fake_api import rules, text, tool_use
from orchcore_e2e_harness.orch_e2e import OrchProject, handled

from orch_store_redis import outage
from orch_store_redis.store import RedisStore

pytestmark = pytest.mark.e2e

CALLS = 10
STOPPED_FROM = 3  # calls 3..6 run while the server is down
RESTARTED_FROM = 7  # calls 7..9 run after it is back
NOTICE = "not being saved"
BUDGET_SHARE = 0.5  # "well within": each hook takes at most half of the timeout Claude Code gives it


# -- the outage, driven by the model's requests ------------------------------------


class RedisOutage:
    """Stops the server as the model is asked for one call and starts it again as it is asked for a later one.

    The fake API answers in the test process, and Claude Code sends the request
    for call n only after call n-1's hooks answered, so every hook event falls
    on a known side of the outage. Each side effect happens once, whatever
    the request count (a retried request does not stop the server twice).
    """

    def __init__(self, server):
        self.server = server
        self.stopped = self.restarted = False

    def before_call(self, n: int) -> None:
        if n == STOPPED_FROM and not self.stopped:
            self.server.stop()
            self.stopped = True
        if n == RESTARTED_FROM and not self.restarted:
            self.server.start()
            # Right after a failure every store fails fast for RETRY_AFTER_S; once that has passed
            # since the restart, whatever failed before it is past too: the next hook event tries the server.
            time.sleep(outage.RETRY_AFTER_S + 0.1)
            self.restarted = True


def bash_calls_with(outage_: RedisOutage):
    """Script: the model runs ``CALLS`` Bash commands (one per request), then answers DONE."""
    def call(n: int):
        def answer(request):
            outage_.before_call(n)
            return tool_use("Bash", {"command": f"echo call-{n}", "description": f"call {n}"})
        return answer

    def asked_for(n: int):
        return lambda request: len(request.all_tool_results) == n

    return rules(*[(asked_for(n), call(n)) for n in range(CALLS)],
                 (lambda request: len(request.all_tool_results) >= CALLS, text("DONE")))


# -- what Claude Code says about its hooks --------------------------------------------


_STAMP = r"^(\d{4}-\d\d-\d\dT[\d:.]+Z) \[\w+\] "
_COMMAND_FINISHED = re.compile(_STAMP + r"Hooks: (\S+) \[.*\] finished with status (-?\d+) \((\d+)ms\)", re.M)
_HTTP_POSTED = re.compile(_STAMP + r"Hooks: HTTP hook POST to ", re.M)
_HTTP_ANSWERED = re.compile(_STAMP + r"Hooks: HTTP hook response status (\d+)", re.M)
_HOOK_TROUBLE = re.compile(r"hook timed out|Hooks: [^\n]*(?:error|[Ff]ailed)|HTTP hook must return", re.M)


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def installed_timeouts(project) -> dict[str, float]:
    """The shortest timeout `orch install` gave each kind of hook ("command", "http"), from the settings it wrote."""
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    shortest: dict[str, float] = {}
    for groups in settings.get("hooks", {}).values():
        for group in groups:
            for hook in group.get("hooks", []):
                if "timeout" in hook:
                    kind = hook.get("type", "command")
                    shortest[kind] = min(shortest.get(kind, float("inf")), float(hook["timeout"]))
    return shortest


def hook_timings(debug_log: str, budgets: dict[str, float]) -> list[tuple[str, float, float]]:
    """(what, seconds, budget) for each orchcore hook run, from Claude Code's debug log.

    Command hooks log their own duration; an http hook is timed from its
    POST to its response (paired in order: at worst that overstates a time).
    """
    timings = [(f"command {m[2]} (exit {m[3]})", int(m[4]) / 1000, budgets["command"])
               for m in _COMMAND_FINISHED.finditer(debug_log)]
    posted = [_seconds(m[1]) for m in _HTTP_POSTED.finditer(debug_log)]
    answered = [(_seconds(m[1]), m[2]) for m in _HTTP_ANSWERED.finditer(debug_log)]
    assert len(answered) == len(posted), f"{len(posted)} http hook POSTs, {len(answered)} answers"
    timings += [(f"http hook (status {status})", end - start, budgets.get("http", 0.0))
                for start, (end, status) in zip(posted, answered)]
    return timings


def hook_troubles(stream_json: str, debug_log: str) -> list[str]:
    """Hook errors and timeouts as Claude Code reports them: stream-json hook responses and its log."""
    troubles = list(_HOOK_TROUBLE.findall(debug_log))
    for line in stream_json.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("subtype") == "hook_response" and message.get("outcome") != "success":
            troubles.append(line[:500])
        content = str(message.get("content", "")) if message.get("type") == "system" else ""
        if re.search(r"hook (?:error|timed out|failed)", content, re.I):
            troubles.append(content[:500])
    return troubles


# -- what orchcore recorded ------------------------------------------------------------


def per_tool_call(events: list[dict]) -> Counter:
    """How often each (hook event, tool_use_id) was recorded."""
    return Counter((h["event"], h.get("tool_use_id")) for name in ("PreToolUse", "PostToolUse")
                   for h in handled(events, name))


def every_call_recorded(ids: list[str]):
    def check(events: list[dict]) -> bool:
        counted = per_tool_call(events)
        return all(counted[("PreToolUse", i)] and counted[("PostToolUse", i)] for i in ids)
    return check


def model_tool_use_ids(fake_api) -> list[str]:
    """The model's tool calls in order, from the tool results Claude Code sent back."""
    return [block["tool_use_id"] for block in fake_api.main_requests[-1].all_tool_results]


# -- the project -------------------------------------------------------------------------


TRANSPORTS = {
    "default": {"install": (), "env": {}},  # what `orch install` chooses: http hooks to the resident runtime
    "command": {"install": ("--transport", "command"), "env": {"ORCH_RUNTIME": "0"}},  # a process per event
}


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request) -> str:
    return request.param


@pytest.fixture
def store_prefix() -> str:
    """This test's keys on the server."""
    return f"e2e:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_project(orch: OrchProject, own_redis_server, store_prefix, cc_env, transport, tmp_path):
    """The test project installed by `orch install`, orchestration on, the store on the test's own server."""
    cc_env.update(TRANSPORTS[transport]["env"])
    cc_env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")  # the journal's per-user fallback stays in the test
    orch.orch("install", "--scope", "project", *TRANSPORTS[transport]["install"])
    (orch.project / ".claude" / "orchcore.json").write_text(json.dumps({
        "orchestration": {"enabled": True},
        "store": {"backend": "redis", "url": own_redis_server.url, "prefix": store_prefix},
    }, indent=2) + "\n")
    try:
        yield orch
    finally:
        if transport == "default":
            orch.orch("runtime", "stop", check=False)


def test_redis_stopped_mid_stream_then_restarted_loses_no_event_and_tells_once(
    redis_project: OrchProject, own_redis_server, store_prefix, fake_api, run_claude, transport, tmp_path
):
    orch = redis_project
    outage_ = RedisOutage(own_redis_server)
    fake_api.script = bash_calls_with(outage_)

    run = run_claude("make ten calls; the store's server goes down and comes back in the middle",
                     output_format="stream-json", max_turns=CALLS + 5)

    fake_api.assert_no_errors()
    assert run.text == "DONE"
    assert outage_.stopped and outage_.restarted
    assert run.stdout.count(NOTICE) == 1, run.stdout[-4000:]
    debug_log = run.debug_text()
    assert hook_troubles(run.stdout, debug_log) == []
    timings = hook_timings(debug_log, installed_timeouts(orch.project))
    assert len(timings) >= 3 * CALLS  # PreToolUse, PostToolUse, PostToolBatch of each call, at least
    slow = [t for t in timings if t[1] > BUDGET_SHARE * t[2]]
    assert slow == [], slow

    ids = model_tool_use_ids(fake_api)
    assert len(ids) == CALLS and len(set(ids)) == CALLS
    session = orch.track(run.session_id)
    events = orch.wait_for_events(session, every_call_recorded(ids), "every tool call's PreToolUse and PostToolUse",
                                  timeout=60)
    counted = per_tool_call(events)
    assert all(counted[("PreToolUse", i)] == counted[("PostToolUse", i)] == 1 for i in ids), counted
    assert [h["tool_use_id"] for h in handled(events, "PreToolUse")] == ids  # kept ones applied in order, first
    during_outage = set(ids[STOPPED_FROM:RESTARTED_FROM])
    for name in ("PreToolUse", "PostToolUse"):
        recovered = {h["tool_use_id"] for h in handled(events, name) if h.get("recovered")}
        assert recovered == during_outage, (name, recovered)
    # Drained by the events after the restart: nothing left in the journal, in the state folder or the fallback.
    assert not list((orch.project / ".claude" / "state").glob("journal/*.jsonl"))
    assert not list((tmp_path / "xdg-state").rglob("*.jsonl"))

    on_the_server = RedisStore(own_redis_server.url, store_prefix, str(orch.project / ".claude" / "state"))
    stored = [e.data.get("tool_use_id") for e in on_the_server.events(session, types=["hook.handled"])
              if e.data.get("event") == "PreToolUse"]
    assert stored == ids
