"""The scripted model server, driven with a plain HTTP client."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest

from tests.model_server import FINAL_TEXT, SIDE_TEXT, CustomToolCall, ModelServer, Text, ToolCall

SCRIPT = [ToolCall("Bash", {"command": "ls"}), Text("Finished.")]
TOOLS_ANTHROPIC = [{"name": "Bash", "input_schema": {"type": "object"}}]
TOOLS_OPENAI = [{"type": "function", "function": {"name": "Bash", "parameters": {"type": "object"}}}]


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer(SCRIPT) as running:
        yield running


def post(server: ModelServer, path: str, body: dict, headers: dict | None = None) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type", ""), data


def get(server: ModelServer, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def sse_events(data: bytes) -> list[tuple[str | None, str]]:
    """Split a server-sent event stream into (event name, data) pairs."""
    events = []
    for frame in data.decode().split("\n\n"):
        if not frame.strip():
            continue
        name = None
        payload = []
        for line in frame.splitlines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                payload.append(line[len("data: "):])
        events.append((name, "\n".join(payload)))
    return events


def test_server_listens_on_loopback_only(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert server._server.server_address[0] == "127.0.0.1"


def test_anthropic_stream_tool_use(server):
    body = {"model": "m", "stream": True, "tools": TOOLS_ANTHROPIC,
            "messages": [{"role": "user", "content": "list files"}]}
    status, content_type, data = post(server, "/v1/messages?beta=true", body)
    assert status == 200
    assert content_type == "text/event-stream"
    events = sse_events(data)
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    payloads = [json.loads(payload) for _, payload in events]
    start = next(payload for payload in payloads if payload["type"] == "content_block_start")
    assert start["content_block"]["type"] == "tool_use"
    assert start["content_block"]["name"] == "Bash"
    partial = "".join(payload["delta"]["partial_json"] for payload in payloads
                      if payload["type"] == "content_block_delta")
    assert json.loads(partial) == {"command": "ls"}
    delta = next(payload for payload in payloads if payload["type"] == "message_delta")
    assert delta["delta"]["stop_reason"] == "tool_use"
    assert delta["usage"]["output_tokens"] > 0
    assert payloads[0]["message"]["usage"]["input_tokens"] > 0


def test_anthropic_after_tool_result_sends_text(server):
    body = {"model": "m", "stream": True, "tools": TOOLS_ANTHROPIC, "messages": [
        {"role": "user", "content": "list files"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "a.txt"}]},
    ]}
    _, _, data = post(server, "/v1/messages", body)
    payloads = [json.loads(payload) for _, payload in sse_events(data)]
    text = "".join(payload["delta"]["text"] for payload in payloads if payload["type"] == "content_block_delta")
    assert text == "Finished."
    delta = next(payload for payload in payloads if payload["type"] == "message_delta")
    assert delta["delta"]["stop_reason"] == "end_turn"


def test_anthropic_without_stream_returns_message(server):
    body = {"model": "m", "tools": TOOLS_ANTHROPIC, "messages": [{"role": "user", "content": "hi"}]}
    status, content_type, data = post(server, "/v1/messages", body)
    message = json.loads(data)
    assert status == 200
    assert content_type == "application/json"
    assert message["content"][0]["type"] == "tool_use"
    assert message["content"][0]["input"] == {"command": "ls"}


def test_request_without_tools_gets_side_text(server):
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "title please"}]}
    _, _, data = post(server, "/v1/messages", body)
    payloads = [json.loads(payload) for _, payload in sse_events(data)]
    text = "".join(payload["delta"]["text"] for payload in payloads if payload["type"] == "content_block_delta")
    assert text == SIDE_TEXT


def test_new_prompt_restarts_script(server):
    body = {"model": "m", "tools": TOOLS_ANTHROPIC, "messages": [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": [{"type": "text", "text": "Finished."}]},
        {"role": "user", "content": "second"},
    ]}
    _, _, data = post(server, "/v1/messages", body)
    assert json.loads(data)["content"][0]["type"] == "tool_use"


def test_script_end_sends_final_text(server):
    body = {"model": "m", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "one"},
        {"role": "tool", "content": "r"},
        {"role": "assistant", "content": "two"},
        {"role": "tool", "content": "r"},
    ]}
    _, _, data = post(server, "/v1/chat/completions", body)
    assert json.loads(data)["choices"][0]["message"]["content"] == FINAL_TEXT


def test_chat_stream_tool_calls(server):
    body = {"model": "m", "stream": True, "stream_options": {"include_usage": True}, "tools": TOOLS_OPENAI,
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "go"}]}
    status, content_type, data = post(server, "/v1/chat/completions", body)
    assert status == 200
    assert content_type == "text/event-stream"
    events = sse_events(data)
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(payload) for _, payload in events[:-1]]
    calls = [call for chunk in chunks for choice in chunk["choices"] for call in choice["delta"].get("tool_calls", [])]
    assert calls[0]["function"]["name"] == "Bash"
    assert calls[0]["id"].startswith("call_")
    arguments = "".join(call["function"]["arguments"] for call in calls)
    assert json.loads(arguments) == {"command": "ls"}
    finishes = [choice["finish_reason"] for chunk in chunks for choice in chunk["choices"] if choice["finish_reason"]]
    assert finishes == ["tool_calls"]
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_chat_few_shot_examples_ignored(server):
    # Aider sends example exchanges before the real prompt; they must not advance the script.
    body = {"model": "m", "tools": TOOLS_OPENAI, "messages": [
        {"role": "user", "content": "example"},
        {"role": "assistant", "content": "example reply"},
        {"role": "user", "content": "real prompt"},
    ]}
    _, _, data = post(server, "/v1/chat/completions", body)
    assert json.loads(data)["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "Bash"


def test_responses_stream_function_call(server):
    body = {"model": "m", "stream": True, "tools": [{"type": "function", "name": "Bash"}],
            "input": [{"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "d"}]},
                      {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}]}
    status, content_type, data = post(server, "/v1/responses", body)
    assert status == 200
    assert content_type == "text/event-stream"
    events = sse_events(data)
    names = [name for name, _ in events]
    assert names[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert names[-1] == "response.completed"
    payloads = [json.loads(payload) for _, payload in events]
    assert [payload["sequence_number"] for payload in payloads] == list(range(len(payloads)))
    done = next(payload for payload in payloads if payload["type"] == "response.output_item.done")
    assert done["item"]["type"] == "function_call"
    assert json.loads(done["item"]["arguments"]) == {"command": "ls"}
    completed = payloads[-1]["response"]
    assert completed["status"] == "completed"
    assert completed["id"] == payloads[0]["response"]["id"]
    assert completed["usage"]["output_tokens"] > 0


def test_responses_after_call_output_sends_text(server):
    body = {"model": "m", "stream": True, "tools": [{"type": "function", "name": "Bash"}], "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
        {"type": "function_call", "call_id": "c1", "name": "Bash", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"},
    ]}
    _, _, data = post(server, "/v1/responses", body)
    payloads = [json.loads(payload) for _, payload in sse_events(data)]
    text = "".join(payload["delta"] for payload in payloads if payload["type"] == "response.output_text.delta")
    assert text == "Finished."


def test_responses_custom_tool_call():
    with ModelServer([CustomToolCall("apply_patch", "*** Begin Patch\n*** End Patch\n")]) as server:
        body = {"model": "m", "stream": True, "tools": [{"type": "custom", "name": "apply_patch"}],
                "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}]}
        _, _, data = post(server, "/v1/responses", body)
    payloads = [json.loads(payload) for _, payload in sse_events(data)]
    done = next(payload for payload in payloads if payload["type"] == "response.output_item.done")
    assert done["item"]["type"] == "custom_tool_call"
    assert done["item"]["input"] == "*** Begin Patch\n*** End Patch\n"


def test_side_endpoints(server):
    status, data = get(server, "/v1/models")
    models = json.loads(data)
    assert status == 200
    assert models["data"][0]["id"] == "scripted-model"
    status, _, data = post(server, "/v1/messages/count_tokens", {"messages": [{"role": "user", "content": "x"}]})
    assert status == 200
    assert json.loads(data)["input_tokens"] > 0
    status, data = get(server, "/v1/unknown")
    assert status == 404
    assert "/v1/unknown" in json.loads(data)["error"]["message"]


def test_requests_recorded(server):
    post(server, "/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "go"}]},
         {"Authorization": "Bearer fake"})
    get(server, "/v1/models")
    assert server.paths() == ["POST /v1/chat/completions", "GET /v1/models"]
    request = server.model_requests()[0]
    assert request.protocol == "chat"
    assert request.headers["authorization"] == "Bearer fake"
    assert request.json["messages"][0]["content"] == "go"
    assert request.step == Text(SIDE_TEXT)


def test_hold_delays_reply_until_release(server):
    server.hold()
    results: list[int] = []
    body = {"model": "m", "messages": [{"role": "user", "content": "go"}]}
    client = threading.Thread(target=lambda: results.append(post(server, "/v1/chat/completions", body)[0]))
    client.start()
    arrived = server.wait_for(lambda request: request.protocol == "chat", timeout=10)
    assert arrived is not None
    assert results == []
    server.release()
    client.join(10)
    assert results == [200]


def test_gemini_stream_function_call(server):
    body = {"contents": [{"role": "user", "parts": [{"text": "go"}]}],
            "tools": [{"functionDeclarations": [{"name": "Bash"}]}]}
    status, content_type, data = post(server, "/v1beta/models/scripted-model:streamGenerateContent?alt=sse", body)
    assert status == 200
    assert content_type == "text/event-stream"
    events = sse_events(data)
    assert len(events) == 1
    reply = json.loads(events[0][1])
    part = reply["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"] == {"name": "Bash", "args": {"command": "ls"}}
    assert reply["usageMetadata"]["totalTokenCount"] > 0


def test_gemini_after_function_response(server):
    body = {"tools": [{"functionDeclarations": [{"name": "Bash"}]}], "contents": [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "Bash", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "Bash", "response": {"output": "a.txt"}}}]},
    ]}
    status, content_type, data = post(server, "/v1beta/models/scripted-model:generateContent", body)
    assert status == 200
    assert content_type == "application/json"
    assert json.loads(data)["candidates"][0]["content"]["parts"][0]["text"] == "Finished."
