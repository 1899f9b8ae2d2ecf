"""A real, private Redis server for tests and benchmarks: Debian's ``redis-server`` on loopback.

Never a fake: the store's guarantees (WATCH/MULTI, persistence, what a
restart keeps) are the server's, so tests run against the real one. Each
server listens on 127.0.0.1 at a free port, keeps its files in its own
folder, uses AOF with ``appendfsync always`` (what is acknowledged is on
disk, so a test may stop and restart it), and is stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def redis_server_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """One redis-server process; ``stop`` and ``start`` again keep its port and its data."""

    def __init__(self, folder: Path, binary: str, port: int | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.binary = binary
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        args = [
            self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
            "--protected-mode", "yes", "--logfile", str(self.folder / "redis.log"),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while not self.answers():
            if self.process.poll() is not None:
                log = (self.folder / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{log}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout_s} s")
            time.sleep(0.02)
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM: the server finishes its AOF and exits, as ``systemctl stop redis-server`` would."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


def start_redis_server(folder: Path) -> RedisServer:
    """A started server in ``folder``; skips the test when there is no redis-server, fails under CI."""
    import pytest

    binary = redis_server_binary()
    if binary is None:
        message = "redis-server is not installed (Debian: apt-get install redis-server; scripts/test.sh does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    for _ in range(5):  # a free port can be taken between the probe and the bind
        server = RedisServer(folder, binary)
        try:
            return server.start()
        except RuntimeError:
            if "Address already in use" not in (folder / "redis.log").read_text(errors="replace"):
                raise
    raise RuntimeError("no free port for redis-server after five tries")
