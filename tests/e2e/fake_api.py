"""A scripted fake of the Anthropic Messages API, served on loopback.

The real Claude Code binary talks to it through ``ANTHROPIC_BASE_URL``. A test
decides what the "model" answers with a *script*, and afterwards inspects every
request the binary made (system prompt, messages, tool results, ...).

Script forms (``FakeAnthropicAPI(script=...)`` or ``fake.script = ...``):

* a **list** of steps, consumed one per *main-agent* request, in order. A step
  is a :class:`Reply` (``text(...)``, ``tool_use(...)``, ``reply(...)``,
  ``api_error(...)``), a plain ``str`` (a text answer), or a callable
  ``step(request) -> Reply | str``. When the list is exhausted the fake answers
  ``"FAKE-API: script exhausted"`` and records an error (see
  :meth:`FakeAnthropicAPI.assert_no_errors`).
* a **callable** ``script(request) -> Reply | str | None`` called for every
  main-agent request (``None`` means "the default answer").
* :func:`rules`: the first ``(predicate, reply)`` whose predicate matches wins::

      fake.script = rules(
          (lambda r: not r.tool_results, tool_use("Bash", {"command": "echo hi"})),
          (lambda r: r.tool_results, text("done")),
      )

Which requests are "main"? Claude Code also sends side requests (non-streaming
or tool-less calls, e.g. session titles in interactive mode), and subagents (the
``Agent`` tool) run their own conversations against the same endpoint. Every
recorded :class:`MessagesRequest` has ``kind``:

* ``"subagent"``: the request carries the header ``x-claude-code-agent-id``
  (seen in 2.1.328; its system prompt's billing line also says
  ``cc_is_subagent=true``); ``request.agent_id`` is that id;
* ``"side"``: a non-streaming request, or one without tools;
* ``"main"``: everything else, i.e. the main agent's turns.

Subagent and side requests get ``subagent_script`` / ``side_script`` (same forms
as ``script``; defaults: ``"subagent done"`` and a short text). Set ``classify``
to replace the classification.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# --------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------


@dataclass
class Reply:
    """One model answer: content blocks plus stop reason (or an HTTP error)."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None  # default: "tool_use" if a tool_use block, else "end_turn"
    delay: float = 0.0  # seconds to wait before answering (e.g. to observe "thinking" UI)
    error_status: int | None = None  # if set, answer an HTTP error instead
    error_type: str = "api_error"
    error_message: str = "fake error"
    usage: dict[str, int] | None = None

    def resolved_stop_reason(self) -> str:
        if self.stop_reason:
            return self.stop_reason
        if any(b.get("type") == "tool_use" for b in self.blocks):
            return "tool_use"
        return "end_turn"

    def __add__(self, other: Reply) -> Reply:
        """``text("running") + tool_use(...)``: both blocks in one answer."""
        return Reply(
            blocks=[*self.blocks, *other.blocks],
            stop_reason=other.stop_reason or self.stop_reason,
            delay=max(self.delay, other.delay),
        )


_tool_ids = itertools.count(1)


def new_tool_use_id() -> str:
    return f"toolu_fake{next(_tool_ids):04d}{uuid.uuid4().hex[:12]}"


def text(value: str, *, delay: float = 0.0) -> Reply:
    """A plain text answer (stop_reason end_turn)."""
    return Reply(blocks=[{"type": "text", "text": value}], delay=delay)


def tool_use(name: str, input: dict[str, Any] | None = None, *, id: str | None = None,
             delay: float = 0.0) -> Reply:
    """Call one tool (stop_reason tool_use). Combine with ``+`` for several calls."""
    return Reply(
        blocks=[{"type": "tool_use", "id": id or new_tool_use_id(), "name": name,
                 "input": dict(input or {})}],
        delay=delay,
    )


def tool_search(*names: str, id: str | None = None) -> Reply:
    """Load deferred tools' schemas (2.1.328 defers MCP tools): ``ToolSearch`` with
    ``select:a,b``. Its result holds one ``tool_reference`` block per tool, and the
    next request lists those tools (with ``defer_loading: true``) in ``tools``."""
    return tool_use("ToolSearch", {"query": "select:" + ",".join(names)}, id=id)


def reply(*blocks: Reply | str, stop_reason: str | None = None, delay: float = 0.0) -> Reply:
    """Several blocks in one answer: ``reply("Let me check.", tool_use("Bash", {...}))``."""
    out = Reply(stop_reason=stop_reason, delay=delay)
    for b in blocks:
        out.blocks.extend(text(b).blocks if isinstance(b, str) else b.blocks)
    return out


def api_error(status: int = 400, error_type: str = "invalid_request_error",
              message: str = "fake error") -> Reply:
    """Answer with an HTTP error. 400 is not retried. 429/5xx/529 are retried by Claude Code
    with growing back-off (10 times by default: set ``CLAUDE_CODE_MAX_RETRIES=0`` in the
    environment to see the error at once; one retry took ~0.5 s)."""
    return Reply(error_status=status, error_type=error_type, error_message=message)


def rules(*pairs: tuple[Callable[[MessagesRequest], bool], Reply | str | Callable]) -> Callable:
    """A script: the first ``(predicate, reply)`` whose predicate is true answers."""

    def script(request: MessagesRequest):
        for predicate, answer in pairs:
            if predicate(request):
                return answer(request) if callable(answer) else answer
        raise LookupError("no rule matched the request")

    return script


# --------------------------------------------------------------------------
# Recorded requests
# --------------------------------------------------------------------------


def _block_text(block: Any) -> str:
    """All text inside a content block (text, tool_result content, ...)."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return ""
    kind = block.get("type")
    if kind == "text":
        return block.get("text", "")
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, list):
            return "\n".join(_block_text(b) for b in content)
        return content if isinstance(content, str) else ""
    if kind == "tool_use":
        return json.dumps(block.get("input", {}))
    if kind == "tool_reference":  # what ToolSearch answers in 2.1.328: one block per loaded tool
        return block.get("tool_name", "")
    return ""


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_block_text(b) for b in content)
    return ""


@dataclass
class RecordedRequest:
    """Any HTTP request the fake received."""

    index: int
    time: float
    method: str
    path: str  # without query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class MessagesRequest(RecordedRequest):
    """A ``POST /v1/messages`` request, with helpers to inspect it."""

    kind: str = "side"  # main | subagent | side
    reply: Reply | None = None  # what the fake answered

    @property
    def data(self) -> dict[str, Any]:
        data = self.json
        return data if isinstance(data, dict) else {}

    @property
    def agent_id(self) -> str | None:
        """The subagent's id (header ``x-claude-code-agent-id``), None on the main thread."""
        return self.headers.get("x-claude-code-agent-id") or None

    @property
    def session_id(self) -> str | None:
        """Claude Code's session id (header ``x-claude-code-session-id``)."""
        return self.headers.get("x-claude-code-session-id") or None

    @property
    def model(self) -> str:
        return self.data.get("model", "")

    @property
    def stream(self) -> bool:
        return bool(self.data.get("stream"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.data.get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.data.get("tools") or [])

    @property
    def tool_names(self) -> list[str]:
        return [t.get("name", "") for t in self.tools]

    @property
    def system_text(self) -> str:
        """The system prompt as one string (it may be sent as a list of blocks)."""
        system = self.data.get("system")
        if isinstance(system, str):
            return system
        if isinstance(system, list):
            return "\n".join(_block_text(b) for b in system)
        return ""

    @property
    def first_user_text(self) -> str:
        for m in self.messages:
            if m.get("role") == "user":
                return _message_text(m)
        return ""

    @property
    def last_message(self) -> dict[str, Any]:
        return self.messages[-1] if self.messages else {}

    @property
    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.get("role") == "user":
                return _message_text(m)
        return ""

    @property
    def messages_text(self) -> str:
        """Text of every message (text blocks, tool results, tool inputs)."""
        return "\n".join(_message_text(m) for m in self.messages)

    @property
    def system_messages_text(self) -> str:
        """Text of the ``role: "system"`` messages inside ``messages`` (2.1.328 sends the
        environment, output style and hook ``additionalContext`` there)."""
        return "\n".join(_message_text(m) for m in self.messages if m.get("role") == "system")

    def locate(self, needle: str) -> list[str]:
        """Where ``needle`` occurs: ``"system"`` (top-level prompt) and/or
        ``"messages[i]:<role>"`` entries."""
        where = ["system"] if needle in self.system_text else []
        where += [f"messages[{i}]:{m.get('role')}" for i, m in enumerate(self.messages)
                  if needle in _message_text(m)]
        return where

    @property
    def all_text(self) -> str:
        """System prompt plus every message: the place to look for a marker."""
        return self.system_text + "\n" + self.messages_text

    def contains(self, needle: str) -> bool:
        """True if ``needle`` occurs anywhere in the raw request body."""
        return needle in self.all_text or needle in self.body.decode("utf-8", "replace")

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks sent since the last assistant message (the results of
        the previous answer's tool calls; system messages may follow them)."""
        out: list[dict[str, Any]] = []
        for m in reversed(self.messages):
            if m.get("role") == "assistant":
                break
            if m.get("role") == "user" and isinstance(m.get("content"), list):
                out[:0] = [b for b in m["content"]
                           if isinstance(b, dict) and b.get("type") == "tool_result"]
        return out

    @property
    def all_tool_results(self) -> list[dict[str, Any]]:
        out = []
        for m in self.messages:
            if m.get("role") == "user" and isinstance(m.get("content"), list):
                out += [b for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
        return out

    def tool_result_text(self, block: dict[str, Any]) -> str:
        return _block_text(block)

    @property
    def tool_results_text(self) -> str:
        return "\n".join(_block_text(b) for b in self.tool_results)

    def summary(self) -> str:
        return (f"#{self.index} {self.kind} model={self.model} stream={self.stream} "
                f"tools={len(self.tools)} messages={len(self.messages)} "
                f"first_user={self.first_user_text[:80]!r}")


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

DEFAULT_SIDE_TEXT = "Fake title"
EXHAUSTED_TEXT = "FAKE-API: script exhausted"

Script = Sequence[Any] | Callable[[MessagesRequest], Any] | None


class _Runner:
    """Applies one script (list or callable) to a stream of requests."""

    def __init__(self, script: Script, default: str | None):
        self.script = script
        self.default = default
        self.position = 0

    def next(self, request: MessagesRequest) -> tuple[Reply, str | None]:
        """(reply, error-or-None)."""
        script = self.script
        if script is None:
            return text(self.default or "ok"), None
        if callable(script):
            answer = script(request)
            if answer is None:
                return text(self.default or "ok"), None
            return _as_reply(answer, request), None
        if self.position >= len(script):
            return text(EXHAUSTED_TEXT), (
                f"script exhausted: request #{request.index} ({request.kind}) is beyond its "
                f"{len(script)} step(s); last user text: {request.last_user_text[:300]!r}")
        step = script[self.position]
        self.position += 1
        return _as_reply(step, request), None


def _as_reply(answer: Any, request: MessagesRequest) -> Reply:
    if callable(answer) and not isinstance(answer, Reply):
        answer = answer(request)
    if isinstance(answer, str):
        return text(answer)
    if isinstance(answer, Reply):
        return answer
    raise TypeError(f"a script step must give a Reply or str, not {type(answer).__name__}")


class FakeAnthropicAPI:
    """Threaded HTTP server on 127.0.0.1 speaking enough of the Messages API."""

    def __init__(self, script: Script = None, *, subagent_script: Script = None,
                 side_script: Script = None, host: str = "127.0.0.1", port: int = 0,
                 model_name: str | None = None):
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self.classify: Callable[[MessagesRequest], str] | None = None
        self.model_name = model_name  # echo the request's model when None
        self._main = _Runner(script, None)
        self._subagent = _Runner(subagent_script, "subagent done")
        self._side = _Runner(side_script, DEFAULT_SIDE_TEXT)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- script setters --------------------------------------------------
    @property
    def script(self) -> Script:
        return self._main.script

    @script.setter
    def script(self, value: Script) -> None:
        with self._lock:
            self._main = _Runner(value, None)

    @property
    def subagent_script(self) -> Script:
        return self._subagent.script

    @subagent_script.setter
    def subagent_script(self, value: Script) -> None:
        with self._lock:
            self._subagent = _Runner(value, "subagent done")

    @property
    def side_script(self) -> Script:
        return self._side.script

    @side_script.setter
    def side_script(self, value: Script) -> None:
        with self._lock:
            self._side = _Runner(value, DEFAULT_SIDE_TEXT)

    # -- lifecycle ---------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAnthropicAPI:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"fake-anthropic-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropicAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection ----------------------------------------------------------
    @property
    def messages_requests(self) -> list[MessagesRequest]:
        with self._lock:
            return [r for r in self.requests if isinstance(r, MessagesRequest)]

    @property
    def main_requests(self) -> list[MessagesRequest]:
        return [r for r in self.messages_requests if r.kind == "main"]

    @property
    def subagent_requests(self) -> list[MessagesRequest]:
        return [r for r in self.messages_requests if r.kind == "subagent"]

    @property
    def side_requests(self) -> list[MessagesRequest]:
        return [r for r in self.messages_requests if r.kind == "side"]

    @property
    def other_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if not isinstance(r, MessagesRequest)]

    def any_contains(self, needle: str, kinds: Iterable[str] = ("main",)) -> bool:
        kinds = set(kinds)
        return any(r.contains(needle) for r in self.messages_requests if r.kind in kinds)

    def wait_for(self, predicate: Callable[[FakeAnthropicAPI], Any], timeout: float = 30.0,
                 message: str = "condition") -> Any:
        """Block until ``predicate(self)`` is truthy (re-checked on every request)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"fake API: timed out after {timeout}s waiting for "
                                       f"{message}\n{self.describe()}")
                self._changed.wait(min(remaining, 0.25))

    def wait_for_main_requests(self, count: int, timeout: float = 30.0) -> list[MessagesRequest]:
        self.wait_for(lambda f: len(f.main_requests) >= count, timeout,
                      f"{count} main-agent request(s)")
        return self.main_requests

    def describe(self) -> str:
        """A readable log of everything received (for assertion messages)."""
        with self._lock:
            lines = []
            for r in self.requests:
                if isinstance(r, MessagesRequest):
                    lines.append("  " + r.summary())
                else:
                    lines.append(f"  #{r.index} {r.method} {r.path}")
            if self.errors:
                lines.append("  errors: " + "; ".join(self.errors))
            return "fake API log:\n" + ("\n".join(lines) or "  (no requests)")

    def assert_no_errors(self) -> None:
        assert not self.errors, "fake API errors:\n" + "\n".join(self.errors) + "\n" + self.describe()

    # -- request handling ---------------------------------------------------
    def _classify(self, request: MessagesRequest) -> str:
        if self.classify is not None:
            return self.classify(request)
        if request.agent_id or "cc_is_subagent=true" in request.system_text:
            return "subagent"
        if not request.stream or not request.tools:
            return "side"
        return "main"

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> RecordedRequest:
        parts = urlsplit(handler.path)
        common = dict(
            time=time.time(),
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            index = len(self.requests)
            if handler.command == "POST" and parts.path.rstrip("/") == "/v1/messages":
                req: RecordedRequest = MessagesRequest(index=index, **common)
                req.kind = self._classify(req)  # type: ignore[attr-defined]
            else:
                req = RecordedRequest(index=index, **common)
            self.requests.append(req)
            self._changed.notify_all()
        return req

    def _answer_messages(self, request: MessagesRequest) -> Reply:
        runner = {"main": self._main, "subagent": self._subagent}.get(request.kind, self._side)
        with self._lock:
            try:
                answer, error = runner.next(request)
            except Exception as exc:  # the script itself failed: tell the test, don't hang
                error = f"script raised for request #{request.index} ({request.kind}): " + \
                    "".join(traceback.format_exception_only(type(exc), exc)).strip()
                answer = api_error(400, "invalid_request_error", f"FAKE-API script error: {exc}")
            if error:
                self.errors.append(error)
            request.reply = answer
            self._changed.notify_all()
        return answer

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "FakeAnthropic/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _read_body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, payload: bytes, content_type: str,
                      extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("request-id", "req_fake" + uuid.uuid4().hex[:16])
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                    self.wfile.flush()

            def _json(self, status: int, obj: Any) -> None:
                self._send(status, json.dumps(obj).encode(), "application/json")

            def do_HEAD(self) -> None:
                fake._record(self, b"")
                self._send(200, b"", "text/plain")

            def do_GET(self) -> None:
                req = fake._record(self, b"")
                if req.path.rstrip("/") == "/v1/models":
                    self._json(200, {"data": [], "has_more": False, "first_id": None,
                                     "last_id": None})
                elif req.path in ("", "/"):
                    self._send(200, b"ok", "text/plain")
                else:
                    self._json(404, _error_body("not_found_error", f"fake: no GET {req.path}"))

            def do_POST(self) -> None:
                body = self._read_body()
                req = fake._record(self, body)
                path = req.path.rstrip("/")
                try:
                    if isinstance(req, MessagesRequest):
                        self._messages(req)
                    elif path == "/v1/messages/count_tokens":
                        self._json(200, {"input_tokens": max(1, len(body) // 4)})
                    else:
                        self._json(404, _error_body("not_found_error", f"fake: no POST {path}"))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _messages(self, req: MessagesRequest) -> None:
                answer = fake._answer_messages(req)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.error_status:
                    self._json(answer.error_status,
                               _error_body(answer.error_type, answer.error_message))
                    return
                model = fake.model_name or req.model or "claude-fake"
                input_tokens = max(1, len(req.body) // 4)
                if req.stream:
                    payload = _sse(answer, model, input_tokens).encode()
                    self._send(200, payload, "text/event-stream; charset=utf-8",
                               {"Cache-Control": "no-cache"})
                else:
                    self._json(200, _message_json(answer, model, input_tokens))

            do_PUT = do_POST
            do_PATCH = do_POST

            def do_DELETE(self) -> None:
                fake._record(self, self._read_body())
                self._json(200, {})

        return Handler


def _error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _usage(answer: Reply, input_tokens: int) -> dict[str, int]:
    usage = {"input_tokens": input_tokens, "output_tokens": 10,
             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    usage.update(answer.usage or {})
    return usage


def _message_json(answer: Reply, model: str, input_tokens: int) -> dict[str, Any]:
    return {
        "id": "msg_fake" + uuid.uuid4().hex[:20],
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": answer.blocks,
        "stop_reason": answer.resolved_stop_reason(),
        "stop_sequence": None,
        "usage": _usage(answer, input_tokens),
    }


def _sse(answer: Reply, model: str, input_tokens: int) -> str:
    usage = _usage(answer, input_tokens)
    events: list[tuple[str, dict[str, Any]]] = []
    start_usage = dict(usage, output_tokens=1)
    events.append(("message_start", {"type": "message_start", "message": {
        "id": "msg_fake" + uuid.uuid4().hex[:20], "type": "message", "role": "assistant",
        "model": model, "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": start_usage}}))
    for index, block in enumerate(answer.blocks):
        kind = block.get("type")
        if kind == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            value = block.get("text", "")
            # several deltas, like the real API
            for chunk in [value[i:i + 40] for i in range(0, len(value), 40)] or [""]:
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "text_delta", "text": chunk}}))
        elif kind == "tool_use":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "tool_use",
                                                                     "id": block["id"],
                                                                     "name": block["name"],
                                                                     "input": {}}}))
            raw = json.dumps(block.get("input", {}))
            for chunk in [raw[i:i + 40] for i in range(0, len(raw), 40)]:
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta",
                                                                 "partial_json": chunk}}))
        elif kind == "thinking":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "thinking", "thinking": "",
                                                                     "signature": ""}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                   "delta": {"type": "thinking_delta",
                                                             "thinking": block.get("thinking", "")}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                   "delta": {"type": "signature_delta",
                                                             "signature": block.get("signature", "fake")}}))
        else:
            raise ValueError(f"fake API cannot stream a {kind!r} block")
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": answer.resolved_stop_reason(),
                                               "stop_sequence": None},
                                     "usage": {"output_tokens": usage["output_tokens"]}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
