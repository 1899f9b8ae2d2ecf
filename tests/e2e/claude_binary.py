"""Find or install the Claude Code binary for the end-to-end tests.

The npm package ``@anthropic-ai/claude-code`` is a small wrapper whose native
binary comes in a per-platform optional dependency, e.g.
``node_modules/@anthropic-ai/claude-code-linux-x64/claude`` (also ``-linux-arm64``,
``-linux-x64-musl``, ``-linux-arm64-musl``, ``-darwin-arm64``, ``-darwin-x64``).
We install the chosen version once into a cache directory and run that native
binary directly (no node needed at run time).

* version: ``$ORCH_E2E_CLAUDE_VERSION`` if set (e.g. ``2.1.332``, or ``newest``,
  the newest we check; CI runs the suite with both), else the pinned ``2.1.328``;
* cache directory: ``$ORCH_E2E_CACHE`` if set, else
  ``~/.cache/orchcore-e2e/claude-code-<version>``;
* ``$ORCH_E2E_CLAUDE_BIN``: use this binary instead (it must report the chosen
  version unless ``ORCH_E2E_ANY_VERSION=1``);
* an exclusive file lock (``<cache>.lock``) makes parallel test processes
  (pytest-xdist, several plugin test runs) install only once.

Usable as a script too: ``python tests/e2e/claude_binary.py [VERSION|newest]``
installs and prints the path (handy for CI warm-up).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

PINNED_VERSION = "2.1.328"
NEWEST_VERSION = "2.1.332"  # the newest release the suite is checked against (CI runs both)
VERSION_VARIABLE = "ORCH_E2E_CLAUDE_VERSION"
NPM_PACKAGE = "@anthropic-ai/claude-code"
INSTALL_TIMEOUT = 900  # seconds; the native binary is ~370 MB
LOCK_TIMEOUT = INSTALL_TIMEOUT + 60


class ClaudeBinaryUnavailable(RuntimeError):
    """The chosen binary could not be found or installed (the message says why)."""


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.1.332"`` → ``(2, 1, 332)``, for comparing versions; ValueError says what is wrong."""
    parts = version.split(".")
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"{VERSION_VARIABLE}={version!r} is not a version like {NEWEST_VERSION}")
    return tuple(int(part) for part in parts)


def selected_version(given: str | None = None) -> str:
    """The version the tests run: ``given`` or ``$ORCH_E2E_CLAUDE_VERSION`` (``newest`` and ``pinned`` name ours),
    else the pinned one."""
    given = (os.environ.get(VERSION_VARIABLE, "") if given is None else given).strip()
    return {"newest": NEWEST_VERSION, "pinned": PINNED_VERSION, "": PINNED_VERSION}.get(given, given)


CLAUDE_CODE_VERSION = selected_version()


def running_at_least(version: str) -> bool:
    """Whether the chosen Claude Code is ``version`` or newer (tests of what changed there)."""
    return version_tuple(CLAUDE_CODE_VERSION) >= version_tuple(version)


def cache_dir(version: str = CLAUDE_CODE_VERSION) -> Path:
    explicit = os.environ.get("ORCH_E2E_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "orchcore-e2e" / f"claude-code-{version}"


def _is_musl() -> bool:
    if sys.platform != "linux":
        return False
    libc, _ = platform.libc_ver()
    if libc == "glibc":
        return False
    return any(Path(p).exists() for p in ("/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1"))


def platform_package_names() -> list[str]:
    """Platform package suffixes to look for, best match first."""
    machine = platform.machine().lower()
    cpu = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    if sys.platform == "darwin":
        # Rosetta: the arm64 build is the right one even for an x64 Python
        return [f"darwin-{cpu}", "darwin-arm64", "darwin-x64"]
    if sys.platform == "linux":
        plain, musl = f"linux-{cpu}", f"linux-{cpu}-musl"
        return [musl, plain] if _is_musl() else [plain, musl]
    if sys.platform == "win32":
        return [f"win32-{cpu}"]
    return [f"{sys.platform}-{cpu}"]


def find_installed_binary(prefix: Path) -> Path | None:
    """The native binary inside an npm prefix, or None."""
    scope = prefix / "node_modules" / "@anthropic-ai"
    exe = "claude.exe" if sys.platform == "win32" else "claude"
    for suffix in platform_package_names():
        candidate = scope / f"claude-code-{suffix}" / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def binary_version(binary: Path, timeout: float = 60) -> str:
    """``claude --version`` → ``"2.1.328"`` (raises ClaudeBinaryUnavailable)."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL,
                             env=_clean_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClaudeBinaryUnavailable(f"cannot run {binary} --version: {exc}") from exc
    if out.returncode != 0:
        raise ClaudeBinaryUnavailable(
            f"{binary} --version exited {out.returncode}: {out.stderr.strip()[:500]}")
    return out.stdout.strip().split()[0] if out.stdout.strip() else ""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("CLAUDE", "ANTHROPIC"))}


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float = LOCK_TIMEOUT):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise ClaudeBinaryUnavailable(
                        f"timed out after {timeout:.0f}s waiting for the install lock {path}")
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _verified(binary: Path | None, version: str) -> Path | None:
    if binary is None:
        return None
    try:
        return binary if binary_version(binary) == version else None
    except ClaudeBinaryUnavailable:
        return None


def npm_install(prefix: Path, version: str = CLAUDE_CODE_VERSION) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ClaudeBinaryUnavailable(
            "npm is not on PATH: install Node.js and npm to run the end-to-end tests "
            f"(they need {NPM_PACKAGE}@{version})")
    prefix.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--no-audit", "--no-fund", "--engine-strict=false",
           "--prefix", str(prefix), f"{NPM_PACKAGE}@{version}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise ClaudeBinaryUnavailable(
            f"`{' '.join(cmd)}` did not finish within {INSTALL_TIMEOUT}s") from exc
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-25:])
        raise ClaudeBinaryUnavailable(
            f"`{' '.join(cmd)}` failed with exit code {out.returncode}:\n{tail}")


def ensure_claude_binary(version: str = CLAUDE_CODE_VERSION, prefix: Path | None = None) -> Path:
    """Path of the native ``claude`` binary of ``version``, installing it if needed."""
    override = os.environ.get("ORCH_E2E_CLAUDE_BIN")
    if override:
        binary = Path(override).expanduser()
        found = binary_version(binary)
        if found != version and os.environ.get("ORCH_E2E_ANY_VERSION") != "1":
            raise ClaudeBinaryUnavailable(
                f"ORCH_E2E_CLAUDE_BIN={binary} is version {found!r}, the tests want {version} "
                "(set ORCH_E2E_ANY_VERSION=1 to run them anyway)")
        return binary

    prefix = prefix or cache_dir(version)
    fast = _verified(find_installed_binary(prefix), version)
    if fast:
        return fast
    with _file_lock(prefix.parent / f"{prefix.name}.lock"):
        # another process may have installed it while we waited for the lock
        done = _verified(find_installed_binary(prefix), version)
        if done:
            return done
        npm_install(prefix, version)
        binary = find_installed_binary(prefix)
        if binary is None:
            scope = prefix / "node_modules" / "@anthropic-ai"
            present = sorted(p.name for p in scope.iterdir()) if scope.is_dir() else []
            raise ClaudeBinaryUnavailable(
                f"npm installed {NPM_PACKAGE}@{version} into {prefix} but no native binary for "
                f"this platform (looked for {', '.join(platform_package_names())}; found "
                f"{present or 'nothing'}). Is npm configured to omit optional dependencies?")
        found = binary_version(binary)
        if found != version:
            raise ClaudeBinaryUnavailable(f"{binary} reports version {found!r}, expected {version}")
        return binary


if __name__ == "__main__":
    try:
        chosen = selected_version(sys.argv[1]) if len(sys.argv) > 1 else CLAUDE_CODE_VERSION
        version_tuple(chosen)
        print(ensure_claude_binary(chosen))
    except (ValueError, ClaudeBinaryUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
