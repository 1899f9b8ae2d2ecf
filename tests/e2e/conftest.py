"""Fixtures for driving the real Claude Code binary against a scripted fake API.

* ``claude_bin``: the native binary of the chosen version (``$ORCH_E2E_CLAUDE_VERSION``,
  default the pinned one; installed once with npm into a cache);
  if that fails the tests FAIL when ``CI`` is set and are skipped otherwise;
* ``fake_api``: a :class:`~fake_api.FakeAnthropicAPI` on 127.0.0.1 (set ``fake_api.script``);
* ``cc_project``: a temporary project (``.claude/``, ``git init``), trusted;
* ``cc_home``: a temporary ``HOME`` whose ``.claude.json`` has onboarding done, the
  project trusted and the fake key approved;
* ``cc_env``: the environment for the binary (edit it to add variables);
* ``run_claude(prompt, *, settings=None, extra_args=(), timeout=120, ...)``: one
  ``claude -p`` turn in the project, returns a :class:`~harness.ClaudeRun`;
* ``claude_tmux(args=(), ...)``: the interactive TUI under tmux (``TmuxClaude``).

On a failing test the fake API's request log and the last run's command, output
and debug-log tail are added to the report. A summary of e2e durations is printed
at the end of the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .claude_binary import (
    CLAUDE_CODE_VERSION,
    ClaudeBinaryUnavailable,
    ensure_claude_binary,
    version_tuple,
)
from .fake_api import FakeAnthropicAPI
from .harness import (
    FAKE_API_KEY,
    ClaudeRun,
    TmuxClaude,
    ci_enabled,
    claude_env,
    init_project,
    run_claude_print,
    tmux_path,
    write_claude_json,
)

_E2E_DIR = Path(__file__).parent
_DIAGNOSTICS = pytest.StashKey[list]()
_TIMINGS: list[tuple[str, str, float]] = []


def _unavailable(reason: str) -> None:
    """Fail under CI (a broken CI must not pass silently), skip elsewhere."""
    if ci_enabled():
        pytest.fail(f"e2e prerequisite missing (CI is set, so this fails): {reason}",
                    pytrace=False)
    pytest.skip(f"e2e prerequisite missing: {reason}")


# --------------------------------------------------------------------------
# collection, reporting
# --------------------------------------------------------------------------


def pytest_configure(config):
    try:
        version_tuple(CLAUDE_CODE_VERSION)
    except ValueError as exc:  # a one-line usage error, not a traceback per test
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if _E2E_DIR not in Path(item.path).parents:
        return report
    if report.when == "call":
        _TIMINGS.append((item.nodeid, report.outcome, report.duration))
    add_diagnostics_to(report, item)
    return report


def add_diagnostics_to(report, item) -> None:
    """A failing test's report gets what the harness collected (fake API log, claude run, orch side).

    A plugin whose e2e tests use this harness calls it from its own
    ``pytest_runtest_makereport`` (the hook above serves this folder only).
    """
    if not report.failed:
        return
    for title, provider in item.stash.get(_DIAGNOSTICS, []):
        try:
            text = provider()
        except Exception as exc:  # diagnostics must never hide the real failure
            text = f"(could not collect: {exc!r})"
        if text:
            report.sections.append((title, text))


def pytest_terminal_summary(terminalreporter):
    if not _TIMINGS:
        return
    terminalreporter.write_sep("-", "e2e durations (Claude Code %s)" % CLAUDE_CODE_VERSION)
    for nodeid, outcome, duration in sorted(_TIMINGS, key=lambda t: -t[2]):
        terminalreporter.write_line(f"{duration:7.2f}s {outcome:8} {nodeid}")


def _add_diagnostics(request: pytest.FixtureRequest, title: str, provider) -> None:
    request.node.stash.setdefault(_DIAGNOSTICS, []).append((title, provider))


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """The native Claude Code binary of the chosen version."""
    try:
        return ensure_claude_binary(CLAUDE_CODE_VERSION)
    except ClaudeBinaryUnavailable as exc:
        reason = str(exc)
    _unavailable(f"Claude Code {CLAUDE_CODE_VERSION}: {reason}")
    raise AssertionError("unreachable")


@pytest.fixture
def fake_api(request: pytest.FixtureRequest):
    """A started fake Anthropic API; set ``fake_api.script`` before running claude."""
    fake = FakeAnthropicAPI().start()
    _add_diagnostics(request, "fake Anthropic API", fake.describe)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def cc_project(tmp_path: Path) -> Path:
    """A trusted temporary project: ``.claude/`` and a git repository."""
    return init_project(tmp_path / "project")


@pytest.fixture
def cc_home(tmp_path: Path, cc_project: Path) -> Path:
    """A temporary HOME: onboarding done, ``cc_project`` trusted, the fake key approved."""
    home = tmp_path / "home"
    write_claude_json(home, [cc_project], FAKE_API_KEY)
    return home


@pytest.fixture
def cc_env(cc_home: Path, fake_api: FakeAnthropicAPI, claude_bin: Path) -> dict[str, str]:
    """Environment for the binary; tests may add to it before running claude.

    The binary's folder leads PATH, as a user's ``claude`` would: ``orch install``
    asks it for its version (it wires no event that version does not know).
    """
    env = claude_env(cc_home, fake_api.url, FAKE_API_KEY)
    env["PATH"] = os.pathsep.join([str(claude_bin.parent), env.get("PATH", os.defpath)])
    return env


@pytest.fixture
def run_claude(request: pytest.FixtureRequest, claude_bin: Path, cc_project: Path,
               cc_env: dict[str, str], fake_api: FakeAnthropicAPI, tmp_path: Path):
    """``run_claude(prompt, *, settings=None, extra_args=(), timeout=120, **kw) -> ClaudeRun``.

    Runs ``claude -p PROMPT --output-format json --session-id <uuid>
    --permission-mode bypassPermissions --max-turns 10 --debug-file <file>`` in
    ``cc_project`` with ``cc_env``. Keyword arguments: ``session_id``,
    ``permission_mode`` (None: leave out), ``max_turns``, ``output_format``
    (``json`` | ``stream-json`` | ``text``), ``env`` (added to ``cc_env``), ``cwd``,
    ``check`` (default True: raise with full diagnostics unless exit 0 + JSON),
    ``debug`` (default True: write ``--debug-file``).
    """
    runs: list[ClaudeRun] = []
    scratch = tmp_path / "claude-runs"

    def last_run() -> str:
        return runs[-1].describe() if runs else ""

    _add_diagnostics(request, "last claude -p run", last_run)

    def run(prompt: str, *, settings=None, extra_args=(), timeout: float = 120,
            env: dict[str, str] | None = None, cwd: Path | None = None, debug: bool = True,
            **kwargs) -> ClaudeRun:
        scratch.mkdir(exist_ok=True)
        debug_file = scratch / f"debug-{len(runs) + 1}.log" if debug else None
        result = run_claude_print(
            claude_bin, prompt, cwd=cwd or cc_project, env={**cc_env, **(env or {})},
            settings=settings, extra_args=extra_args, timeout=timeout, debug_file=debug_file,
            scratch_dir=scratch, describe_extra=fake_api.describe, **kwargs)
        runs.append(result)
        return result

    run.runs = runs  # type: ignore[attr-defined]
    return run


@pytest.fixture(scope="session")
def tmux_bin() -> str:
    path = tmux_path()
    if path is None:
        _unavailable("tmux is not installed (apt-get install -y tmux)")
    return path  # type: ignore[return-value]


@pytest.fixture
def claude_tmux(request: pytest.FixtureRequest, claude_bin: Path, tmux_bin: str,
                cc_project: Path, cc_env: dict[str, str]):
    """``claude_tmux(args=(), *, env=None, width=200, height=50) -> TmuxClaude`` (started)."""
    sessions: list[TmuxClaude] = []

    def screens() -> str:
        return "\n\n".join(f"--- tmux screen {i} ---\n{s.capture(history=True)}"
                           for i, s in enumerate(sessions) if s._dir)

    _add_diagnostics(request, "interactive claude (tmux)", screens)

    def start(args=(), *, env: dict[str, str] | None = None, cwd: Path | None = None,
              width: int = 200, height: int = 50) -> TmuxClaude:
        session = TmuxClaude(binary=claude_bin, cwd=cwd or cc_project,
                             env={**cc_env, **(env or {})}, args=tuple(args),
                             width=width, height=height, tmux=tmux_bin)
        sessions.append(session)
        return session.start()

    yield start
    for s in sessions:
        s.close()
