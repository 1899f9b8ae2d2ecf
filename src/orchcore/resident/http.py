"""The HTTP front of the resident runtime: Claude Code posts hook events here.

Claude Code's http hooks (every event but SessionStart and Setup) POST the
payload a command hook would read on stdin, and read a 2xx reply body like a
command hook's stdout; an empty body is a silent success, and a refused
connection, a non-2xx status or a timeout are non-blocking errors: the session
goes on. Claude Code keeps the connection alive (one per session, more when
subagents post in parallel).

A deliberately small HTTP/1.1 server instead of ``http.server``: every event
is on the user's clock, so a reply is one ``sendall`` with ``TCP_NODELAY``
(``http.server`` writes the headers and the body separately, which meets
delayed ACKs and costs 40 ms), and bodies come only with ``Content-Length``.

Who may post (``Guard``): a loopback peer (we bind 127.0.0.1 only), to our
path, to a loopback ``Host`` (a DNS-rebinding page names its own host), with
no ``Origin`` header (a browser always sends one), with a JSON content type
(what a page can post without asking first is never JSON), and with the
project's secret in ``X-Orch-Token``. Anything else is answered 4xx and
recorded nowhere.
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable
from typing import Any

HOOK_PATH = "/orchcore/hook"
HEALTH_PATH = "/orchcore/health"  # `orch doctor`: is the runtime answering, with this token?
TOKEN_HEADER = "x-orch-token"
ENABLED_HEADER = "x-orch-enabled"  # Claude Code's own ORCH_ENABLED, which the runtime's environment may lack
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
KEEP_ALIVE_S = 600.0
REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large",
    415: "Unsupported Media Type", 500: "Internal Server Error", 503: "Service Unavailable",
}


class Request:
    """One parsed request: method, path, lower-cased headers, body, and the peer's address."""

    def __init__(self, method: str, path: str, version: str, headers: dict[str, str], body: bytes, peer: str):
        self.method = method
        self.path = path
        self.version = version
        self.headers = headers
        self.body = body
        self.peer = peer

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


class Refused(Exception):
    """A request we will not serve: its status and a one-line reason."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Guard:
    """The checks every request passes before its body is looked at."""

    def __init__(self, port: int, token: Callable[[], str | None]):
        self.port = port
        self.token = token

    def check(self, request: Request) -> None:
        if not _loopback(request.peer):
            raise Refused(403, "only loopback peers may post hook events")
        host = request.headers.get("host", "")
        if host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"):
            raise Refused(403, f"unexpected Host {host!r}")
        if "origin" in request.headers:
            raise Refused(403, "requests from web pages are refused")
        if request.path not in (HOOK_PATH, HEALTH_PATH):
            raise Refused(404, f"nothing at {request.path}")
        if request.method != "POST":
            raise Refused(405, "hook events are POSTed")
        expected = self.token()
        given = request.headers.get(TOKEN_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Refused(401, "missing or wrong X-Orch-Token")
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise Refused(415, "the body must be application/json")


def _loopback(peer: str) -> bool:
    return peer.startswith("127.") or peer in ("::1", "::ffff:127.0.0.1")


def read_request(conn: socket.socket, buffered: bytearray, peer: str) -> Request | None:
    """The next request on a keep-alive connection; None when the peer closed it between requests."""
    while b"\r\n\r\n" not in buffered:
        if len(buffered) > MAX_HEAD_BYTES:
            raise Refused(400, "request head too large")
        chunk = conn.recv(65536)
        if not chunk:
            if buffered:
                raise Refused(400, "connection closed inside a request")
            return None
        buffered += chunk
    end = buffered.index(b"\r\n\r\n")
    head = bytes(buffered[:end]).decode("latin-1")
    del buffered[:end + 4]
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise Refused(400, "not an HTTP/1.x request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise Refused(400, "malformed header line")
        headers[name.lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise Refused(411, "send a Content-Length, not a transfer encoding")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise Refused(400, "Content-Length is not a number") from None
    if length < 0:
        raise Refused(400, "negative Content-Length")
    if length > MAX_BODY_BYTES:
        raise Refused(413, f"bodies are limited to {MAX_BODY_BYTES} bytes")
    while len(buffered) < length:
        chunk = conn.recv(min(65536, length - len(buffered)) or 65536)
        if not chunk:
            raise Refused(400, "connection closed inside a body")
        buffered += chunk
    body = bytes(buffered[:length])
    del buffered[:length]
    return Request(method, target.split("?")[0], version, headers, body, peer)


def response(status: int, body: bytes = b"", content_type: str = "application/json", close: bool = False) -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode("ascii") + body


Handler = Callable[[Request], tuple[int, bytes]]


class HookListener:
    """Accepts Claude Code's connections on 127.0.0.1:``port`` and answers each request with ``handler``."""

    def __init__(self, port: int, guard: Guard, handler: Handler, on_request: Callable[[], Any] = lambda: None,
                 on_refused: Callable[[Refused], Any] = lambda refused: None):
        self.port = port
        self.guard = guard
        self.handler = handler
        self.on_request = on_request
        self.on_refused = on_refused
        self.sock: socket.socket | None = None
        self.closed = threading.Event()

    def bind(self) -> None:
        """Listen on loopback only; raises OSError when the port is taken."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.sock = sock

    def serve_forever(self) -> None:
        assert self.sock is not None
        while not self.closed.is_set():
            try:
                conn, address = self.sock.accept()
            except OSError:
                if self.closed.is_set():
                    return
                continue
            threading.Thread(
                target=self._serve_connection, args=(conn, address[0]), name="orch-http", daemon=True
            ).start()

    def close(self) -> None:
        self.closed.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def _serve_connection(self, conn: socket.socket, peer: str) -> None:
        buffered = bytearray()
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(KEEP_ALIVE_S)
            while not self.closed.is_set():
                try:
                    request = read_request(conn, buffered, peer)
                except Refused as refused:
                    conn.sendall(response(refused.status, refused.reason.encode() + b"\n", "text/plain", close=True))
                    return
                except socket.timeout:
                    return
                if request is None:
                    return
                self.on_request()
                try:
                    self.guard.check(request)
                    status, body = self.handler(request)
                except Refused as refused:
                    self.on_refused(refused)
                    status, body = refused.status, refused.reason.encode() + b"\n"
                except Exception:  # noqa: BLE001 - our bug: a non-blocking error for Claude Code, never a hang
                    status, body = 500, b"orchcore: internal error (see .claude/state/hook.log)\n"
                kind = "application/json" if status == 200 else "text/plain"
                conn.sendall(response(status, body, kind, close=not request.keep_alive))
                if not request.keep_alive:
                    return
        except OSError:
            pass
        finally:
            conn.close()
