"""The fake Messages API on its own (no Claude Code binary needed)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from .fake_api import (
    EXHAUSTED_TEXT,
    FakeAnthropicAPI,
    api_error,
    reply,
    rules,
    text,
    tool_search,
    tool_use,
)

TOOLS = [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}]


def post(fake, path, body, headers=None):
    request = urllib.request.Request(fake.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def messages(prompt="hi", *, stream=True, tools=TOOLS, extra=None):
    body = {"model": "claude-test", "max_tokens": 10, "stream": stream,
            "system": [{"type": "text", "text": "SYSTEM-TEXT"}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]}
    if tools:
        body["tools"] = tools
    body.update(extra or {})
    return body


def parse_sse(raw: str) -> tuple[list[str], dict]:
    """Rebuild the message from the SSE events, as a client would."""
    names, message = [], None
    partial: dict[int, str] = {}
    for chunk in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        names.append(lines["event"])
        data = json.loads(lines["data"])
        assert data["type"] == lines["event"]
        if data["type"] == "message_start":
            message = data["message"]
        elif data["type"] == "content_block_start":
            message["content"].append(data["content_block"])
        elif data["type"] == "content_block_delta":
            block, delta = message["content"][data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "input_json_delta":
                partial[data["index"]] = partial.get(data["index"], "") + delta["partial_json"]
        elif data["type"] == "content_block_stop" and data["index"] in partial:
            message["content"][data["index"]]["input"] = json.loads(partial[data["index"]])
        elif data["type"] == "message_delta":
            message["stop_reason"] = data["delta"]["stop_reason"]
    return names, message


@pytest.fixture
def fake():
    with FakeAnthropicAPI() as server:
        yield server


def test_streams_text_then_tool_use_per_script_step(fake):
    fake.script = [reply("Let me run it.", tool_use("Bash", {"command": "echo " + "x" * 100})),
                   text("done")]

    status, headers, raw = post(fake, "/v1/messages?beta=true", messages())
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    names, message = parse_sse(raw)
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert message["content"][0] == {"type": "text", "text": "Let me run it."}
    assert message["content"][1]["input"] == {"command": "echo " + "x" * 100}
    assert message["stop_reason"] == "tool_use"

    _, _, raw = post(fake, "/v1/messages", messages())
    assert parse_sse(raw)[1]["content"] == [{"type": "text", "text": "done"}]
    assert parse_sse(raw)[1]["stop_reason"] == "end_turn"

    first = fake.main_requests[0]
    assert first.query == {"beta": ["true"]}
    assert first.system_text == "SYSTEM-TEXT"
    assert first.last_user_text == "hi"
    assert first.reply.blocks[1]["name"] == "Bash"
    fake.assert_no_errors()


def test_non_streaming_side_request_gets_a_json_message(fake):
    fake.script = [text("never used")]
    status, _, raw = post(fake, "/v1/messages", messages(stream=False, tools=None))
    assert status == 200
    body = json.loads(raw)
    assert body["type"] == "message" and body["content"][0]["type"] == "text"
    assert body["stop_reason"] == "end_turn"
    assert [r.kind for r in fake.messages_requests] == ["side"]
    assert fake.main_requests == []


def test_subagent_requests_are_classified_by_header(fake):
    fake.subagent_script = [text("from subagent")]
    _, _, raw = post(fake, "/v1/messages", messages(), {"x-claude-code-agent-id": "a123"})
    assert parse_sse(raw)[1]["content"][0]["text"] == "from subagent"
    (request,) = fake.subagent_requests
    assert request.agent_id == "a123"


def test_rules_and_tool_results(fake):
    fake.script = rules((lambda r: not r.tool_results, tool_use("Bash", {"command": "ls"}, id="t1")),
                        (lambda r: "RESULT" in r.tool_results_text, text("saw it")))
    post(fake, "/v1/messages", messages())
    body = messages()
    body["messages"] += [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash",
                                           "input": {"command": "ls"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                      "content": "RESULT"}]},
        {"role": "system", "content": "a trailing system message"},
    ]
    _, _, raw = post(fake, "/v1/messages", body)
    assert parse_sse(raw)[1]["content"][0]["text"] == "saw it"
    assert fake.main_requests[1].tool_results[0]["tool_use_id"] == "t1"
    assert fake.main_requests[1].locate("trailing") == ["messages[3]:system"]


def test_exhausted_script_and_script_errors_are_recorded_not_hung(fake):
    fake.script = [text("only one")]
    post(fake, "/v1/messages", messages())
    _, _, raw = post(fake, "/v1/messages", messages())
    assert parse_sse(raw)[1]["content"][0]["text"] == EXHAUSTED_TEXT
    assert len(fake.errors) == 1
    with pytest.raises(AssertionError, match="script exhausted"):
        fake.assert_no_errors()

    fake.script = lambda request: 1 / 0
    status, _, raw = post(fake, "/v1/messages", messages())
    assert status == 400 and "ZeroDivisionError" in fake.errors[-1]


def test_api_errors_other_endpoints_and_probes(fake):
    fake.script = [api_error(529, "overloaded_error", "busy")]
    status, _, raw = post(fake, "/v1/messages", messages())
    assert status == 529 and json.loads(raw)["error"]["type"] == "overloaded_error"

    status, _, raw = post(fake, "/v1/messages/count_tokens", messages())
    assert status == 200 and json.loads(raw)["input_tokens"] > 0
    status, _, _ = post(fake, "/api/unknown", {})
    assert status == 404
    for method in ("HEAD", "GET"):
        with urllib.request.urlopen(urllib.request.Request(fake.url + "/", method=method),
                                    timeout=5) as response:
            assert response.status == 200
    assert [r.path for r in fake.other_requests] == [
        "/v1/messages/count_tokens", "/api/unknown", "/", "/"]


def test_wait_for_times_out_with_the_log(fake):
    with pytest.raises(TimeoutError, match="fake API log"):
        fake.wait_for_main_requests(1, timeout=0.3)


def test_a_tool_search_loads_tools_by_name_and_its_result_reads_as_their_names():
    assert tool_search("mcp__x__a", "mcp__x__b").blocks[0]["input"] == {"query": "select:mcp__x__a,mcp__x__b"}
    with FakeAnthropicAPI(script=[text("ok")]) as fake:
        references = [{"type": "tool_reference", "tool_name": name} for name in ("mcp__x__a", "mcp__x__b")]
        loaded = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": references}]}
        post(fake, "/v1/messages", messages(extra={"messages": [{"role": "user", "content": "go"}, loaded]}))
        (request,) = fake.main_requests
        assert request.tool_results_text == "mcp__x__a\nmcp__x__b"  # as 2.1.328 answers ToolSearch
