"""A scripted model server on 127.0.0.1 that agent CLIs can be pointed at instead of a model service.

It speaks the parts of four wire protocols that the agent CLIs use:

- the Anthropic Messages API (``POST /v1/messages``, streamed as server-sent events),
- the OpenAI Chat Completions API (``POST /v1/chat/completions``, streamed chunks with ``tool_calls``),
- the OpenAI Responses API (``POST /v1/responses``, streamed ``response.*`` events with
  ``function_call`` items),
- the Gemini API (``POST /v1beta/models/<model>:streamGenerateContent?alt=sse`` and ``:generateContent``),

and replies to the side endpoints that CLIs call at start (model lists, token counts) with minimal valid data.

A script is a list of steps (text or a tool call) for one prompt. The reply to a request is chosen
without server state: step *n* is sent when the request contains *n* assistant turns after the last
message the user typed. Retries therefore get the same reply as the first try, and each new prompt
replays the script. A request that declares no tools (title generation, quota probes) gets a short
text when its step is a tool call, because it could not run the tool anyway. Past the end of the
script a request gets the final text.

Every request is recorded, so tests can assert on what an agent sent.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MODEL_NAME = "scripted-model"
"""The model id the server lists and echoes back."""

SIDE_TEXT = "Scripted reply."
"""The text sent to requests that declare no tools while the script expects a tool call."""

FINAL_TEXT = "All done."
"""The text sent once the script is used up."""

MODEL_PROTOCOLS = ("anthropic", "chat", "responses", "gemini")
"""The protocols of requests that ask for a model reply."""

HOLD_LIMIT = 300.0
"""Seconds a held reply waits for :meth:`ModelServer.release` before it is sent anyway."""


@dataclass(frozen=True)
class Text:
    """A step that replies with plain assistant text and ends the turn."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A step that calls one of the agent's tools with *arguments* (a JSON object)."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class CustomToolCall:
    """A step that calls a Responses API ``custom`` tool (free-form input, such as Codex's ``apply_patch``)."""

    name: str
    input: str


Step = Text | ToolCall | CustomToolCall


@dataclass
class RecordedRequest:
    """One HTTP request the server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any
    protocol: str
    """``anthropic``, ``chat``, ``responses``, ``gemini``, ``models``, ``count_tokens`` or ``other``."""
    step: Step | None = None
    """The scripted step that was sent back, for model requests."""
    received_at: float = field(default_factory=time.monotonic)


class ModelServer:
    """A threaded HTTP server on 127.0.0.1 that replays a script of model replies.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, script: list[Step] | None = None, port: int = 0, chunk_delay: float = 0.0) -> None:
        self.script: list[Step] = list(script or [])
        self.chunk_delay = chunk_delay
        """Seconds to sleep between streamed events, so an agent shows its busy screen for a while."""
        self.requests: list[RecordedRequest] = []
        self._condition = threading.Condition()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.model_server = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self._released = threading.Event()
        self._released.set()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL without a path, such as ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ModelServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="model-server", daemon=True)
        self._thread.start()
        log.info("model server listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        log.info("model server on port %s stopped", self.port)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    # -- holding replies ------------------------------------------------------------------

    def hold(self) -> None:
        """Make model requests wait before their reply, so an agent stays on its busy screen."""
        self._released.clear()

    def release(self) -> None:
        """Let held and later model requests get their replies."""
        self._released.set()

    def wait_until_released(self, timeout: float) -> bool:
        return self._released.wait(timeout)

    # -- the request log ------------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self._condition:
            self.requests.append(request)
            self._condition.notify_all()

    def paths(self) -> list[str]:
        """The method and path of every recorded request, for failure messages."""
        with self._condition:
            return [f"{request.method} {request.path}" for request in self.requests]

    def model_requests(self) -> list[RecordedRequest]:
        """The requests that asked for a model reply, in order of arrival."""
        with self._condition:
            return [request for request in self.requests if request.protocol in MODEL_PROTOCOLS]

    def wait_for(self, predicate: Callable[[RecordedRequest], bool], timeout: float) -> RecordedRequest | None:
        """Block until a recorded request satisfies *predicate*; return it, or None after *timeout* seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for request in self.requests:
                    if predicate(request):
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)

    # -- choosing a step --------------------------------------------------------------------

    def choose_step(self, assistant_turns: int, has_tools: bool) -> Step:
        """Return the step for a request that contains *assistant_turns* assistant turns since the user's prompt."""
        if assistant_turns >= len(self.script):
            return Text(FINAL_TEXT)
        step = self.script[assistant_turns]
        if not has_tools and not isinstance(step, Text):
            return Text(SIDE_TEXT)
        return step


# -- counting turns in each protocol ---------------------------------------------------------
#
# Each function counts the assistant turns after the last message the user typed. Messages that
# only carry tool results do not count as typed, and few-shot examples before the prompt (Aider
# sends some) fall before it, so a new prompt starts the script again.


def _count_after_last(items: list[Any], is_prompt: Callable[[Any], bool], is_turn: Callable[[Any], bool]) -> int:
    turns = 0
    for item in items:
        if not isinstance(item, dict):
            continue
        if is_prompt(item):
            turns = 0
        elif is_turn(item):
            turns += 1
    return turns


def _has_tool_result(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(block, dict) and block.get("type") == "tool_result" for block in content
    )


def anthropic_assistant_turns(body: dict[str, Any]) -> int:
    return _count_after_last(
        body.get("messages") or [],
        lambda message: message.get("role") == "user" and not _has_tool_result(message),
        lambda message: message.get("role") == "assistant",
    )


def chat_assistant_turns(body: dict[str, Any]) -> int:
    return _count_after_last(
        body.get("messages") or [],
        lambda message: message.get("role") == "user",
        lambda message: message.get("role") == "assistant",
    )


def responses_assistant_turns(body: dict[str, Any]) -> int:
    items = body.get("input")
    if not isinstance(items, list):
        return 0
    calls = ("function_call", "custom_tool_call", "local_shell_call")
    return _count_after_last(
        items,
        lambda item: item.get("type", "message") == "message" and item.get("role") == "user",
        lambda item: item.get("type") in calls or (item.get("type", "message") == "message"
                                                  and item.get("role") == "assistant"),
    )


def _is_gemini_prompt(content: dict[str, Any]) -> bool:
    parts = content.get("parts") or []
    return content.get("role", "user") == "user" and not any(
        isinstance(part, dict) and "functionResponse" in part for part in parts
    )


def gemini_assistant_turns(body: dict[str, Any]) -> int:
    return _count_after_last(body.get("contents") or [], _is_gemini_prompt,
                             lambda content: content.get("role") == "model")


# -- the HTTP handler ---------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ScriptedModel/1.0"

    @property
    def model_server(self) -> ModelServer:
        return self.server.model_server  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            raw = b"".join(chunks)
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
        return raw

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        body = self._read_body() if self.command == "POST" else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        protocol = _protocol_of(self.command, path)
        request = RecordedRequest(
            method=self.command,
            path=path,
            query=parts.query,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            json=parsed,
            protocol=protocol,
        )
        log.info("model server: %s %s (%s)", self.command, self.path, protocol)
        # Recorded on arrival, so a test can see a request whose reply is still held.
        self.model_server.record(request)
        try:
            self._dispatch(request)
        except (BrokenPipeError, ConnectionResetError):
            log.info("model server: client closed the connection during %s %s", self.command, path)

    def _dispatch(self, request: RecordedRequest) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        server = self.model_server
        if request.protocol in MODEL_PROTOCOLS and not server.wait_until_released(HOLD_LIMIT):
            log.warning("model server: a reply was held for %s s; sending it anyway", HOLD_LIMIT)
        if request.protocol == "anthropic":
            step = server.choose_step(anthropic_assistant_turns(body), bool(body.get("tools")))
            request.step = step
            events = anthropic_events(server, step, body)
            self._reply_stream_or_json(body, events, anthropic_message(server, step, body))
        elif request.protocol == "chat":
            step = server.choose_step(chat_assistant_turns(body), bool(body.get("tools")))
            request.step = step
            self._reply_stream_or_json(body, chat_events(server, step, body), chat_completion(server, step, body))
        elif request.protocol == "responses":
            step = server.choose_step(responses_assistant_turns(body), bool(body.get("tools")))
            request.step = step
            events = responses_events(server, step, body)
            self._reply_stream_or_json(body, events, responses_object(server, step, body, "completed"))
        elif request.protocol == "gemini":
            step = server.choose_step(gemini_assistant_turns(body), bool(body.get("tools")))
            request.step = step
            streamed = ":streamGenerateContent" in request.path
            whole = gemini_response(step, body)
            self._reply_stream_or_json({"stream": streamed}, iter([(None, whole)]), whole)
        elif request.protocol == "count_tokens":
            tokens = max(1, len(request.body) // 4)
            self._reply_json({"input_tokens": tokens, "totalTokens": tokens})
        elif request.protocol == "models":
            self._reply_json(model_list())
        elif request.method == "HEAD" or request.path in ("", "/"):
            self._reply_json({})
        else:
            self._reply_json({"error": {"type": "not_found_error", "message": f"{request.path} is not scripted"}},
                             status=HTTPStatus.NOT_FOUND)

    def _reply_json(self, payload: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", self.model_server.next_id("req"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _reply_stream_or_json(self, body: dict[str, Any], events: Iterator[tuple[str | None, Any]],
                              whole: dict[str, Any]) -> None:
        if not body.get("stream"):
            self._reply_json(whole)
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("request-id", self.model_server.next_id("req"))
        self.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
            self._write_chunk(frame.encode())
            if self.model_server.chunk_delay:
                time.sleep(self.model_server.chunk_delay)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _protocol_of(method: str, path: str) -> str:
    if path.endswith("/messages/count_tokens") or path.endswith(":countTokens"):
        return "count_tokens"
    if method == "POST" and (path.endswith(":streamGenerateContent") or path.endswith(":generateContent")):
        return "gemini"
    if method == "POST" and path.endswith("/messages"):
        return "anthropic"
    if method == "POST" and path.endswith("/chat/completions"):
        return "chat"
    if method == "POST" and path.endswith("/responses"):
        return "responses"
    if method == "GET" and (path.endswith("/models") or "/models/" in path):
        return "models"
    return "other"


def model_list() -> dict[str, Any]:
    """Return a model list that reads as valid to both OpenAI and Anthropic clients."""
    return {
        "object": "list",
        "data": [
            {
                "id": MODEL_NAME,
                "object": "model",
                "type": "model",
                "created": 1700000000,
                "created_at": "2025-01-01T00:00:00Z",
                "owned_by": "scripted",
                "display_name": "Scripted model",
            }
        ],
        "models": [],
        "has_more": False,
        "first_id": MODEL_NAME,
        "last_id": MODEL_NAME,
    }


def _split(text: str, size: int = 12) -> list[str]:
    return [text[start:start + size] for start in range(0, len(text), size)] or [""]


# -- Anthropic Messages ---------------------------------------------------------------------


def _anthropic_usage(body: dict[str, Any]) -> dict[str, int]:
    return {
        "input_tokens": max(1, len(json.dumps(body.get("messages", []))) // 4),
        "output_tokens": 1,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _anthropic_block(server: ModelServer, step: Step) -> dict[str, Any]:
    if isinstance(step, Text):
        return {"type": "text", "text": step.text}
    if isinstance(step, ToolCall):
        return {"type": "tool_use", "id": server.next_id("toolu"), "name": step.name, "input": step.arguments}
    raise ValueError(f"{step!r} cannot be sent over the Anthropic Messages API; use ToolCall")


def anthropic_message(server: ModelServer, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    """Return the non-streamed Messages API reply for *step*."""
    block = _anthropic_block(server, step)
    usage = _anthropic_usage(body)
    usage["output_tokens"] = 10
    return {
        "id": server.next_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", MODEL_NAME),
        "content": [block],
        "stop_reason": "end_turn" if block["type"] == "text" else "tool_use",
        "stop_sequence": None,
        "usage": usage,
    }


def anthropic_events(server: ModelServer, step: Step, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield the server-sent events of a streamed Messages API reply for *step*."""
    whole = anthropic_message(server, step, body)
    block = whole["content"][0]
    start = dict(whole, content=[], stop_reason=None, usage=dict(whole["usage"], output_tokens=1))
    yield "message_start", {"type": "message_start", "message": start}
    if block["type"] == "text":
        yield "content_block_start", {"type": "content_block_start", "index": 0,
                                      "content_block": {"type": "text", "text": ""}}
        yield "ping", {"type": "ping"}
        for piece in _split(block["text"]):
            yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta", "text": piece}}
    else:
        yield "content_block_start", {"type": "content_block_start", "index": 0,
                                      "content_block": dict(block, input={})}
        yield "ping", {"type": "ping"}
        for piece in _split(json.dumps(block["input"]), 24):
            yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "input_json_delta", "partial_json": piece}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta",
                            "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
                            "usage": {"output_tokens": whole["usage"]["output_tokens"]}}
    yield "message_stop", {"type": "message_stop"}


# -- OpenAI Chat Completions ------------------------------------------------------------------


def _chat_usage(body: dict[str, Any]) -> dict[str, int]:
    prompt = max(1, len(json.dumps(body.get("messages", []))) // 4)
    return {"prompt_tokens": prompt, "completion_tokens": 10, "total_tokens": prompt + 10}


def chat_completion(server: ModelServer, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    """Return the non-streamed Chat Completions reply for *step*."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if isinstance(step, Text):
        message["content"] = step.text
        finish = "stop"
    elif isinstance(step, ToolCall):
        message["tool_calls"] = [{"id": server.next_id("call"), "type": "function",
                                  "function": {"name": step.name, "arguments": json.dumps(step.arguments)}}]
        finish = "tool_calls"
    else:
        raise ValueError(f"{step!r} cannot be sent over the Chat Completions API; use ToolCall")
    return {
        "id": server.next_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", MODEL_NAME),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _chat_usage(body),
    }


def chat_events(server: ModelServer, step: Step, body: dict[str, Any]) -> Iterator[tuple[None, Any]]:
    """Yield the ``data:`` payloads of a streamed Chat Completions reply for *step*, ending with ``[DONE]``."""
    whole = chat_completion(server, step, body)
    message = whole["choices"][0]["message"]
    base = {"id": whole["id"], "object": "chat.completion.chunk", "created": whole["created"],
            "model": whole["model"]}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}])

    yield None, chunk({"role": "assistant", "content": ""})
    if message["content"] is not None:
        for piece in _split(message["content"]):
            yield None, chunk({"content": piece})
    else:
        call = message["tool_calls"][0]
        yield None, chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                           "function": {"name": call["function"]["name"], "arguments": ""}}]})
        for piece in _split(call["function"]["arguments"], 24):
            yield None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield None, chunk({}, whole["choices"][0]["finish_reason"])
    if (body.get("stream_options") or {}).get("include_usage"):
        yield None, dict(base, choices=[], usage=whole["usage"])
    yield None, "[DONE]"


# -- OpenAI Responses ---------------------------------------------------------------------------


def _responses_item(server: ModelServer, step: Step, status: str) -> dict[str, Any]:
    if isinstance(step, Text):
        return {"id": server.next_id("msg"), "type": "message", "status": status, "role": "assistant",
                "content": [{"type": "output_text", "text": step.text, "annotations": []}]}
    if isinstance(step, ToolCall):
        return {"id": server.next_id("fc"), "type": "function_call", "status": status,
                "call_id": server.next_id("call"), "name": step.name, "arguments": json.dumps(step.arguments)}
    return {"id": server.next_id("ctc"), "type": "custom_tool_call", "status": status,
            "call_id": server.next_id("call"), "name": step.name, "input": step.input}


def responses_object(server: ModelServer, step: Step, body: dict[str, Any], status: str,
                     item: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a Responses API ``response`` object for *step* with *status*."""
    prompt = max(1, len(json.dumps(body.get("input", ""))) // 4)
    done = status == "completed"
    return {
        "id": server.next_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": body.get("model", MODEL_NAME),
        "output": [item or _responses_item(server, step, "completed")] if done else [],
        "parallel_tool_calls": False,
        "tool_choice": "auto",
        "tools": [],
        "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 10,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": prompt + 10} if done else None,
    }


def responses_events(server: ModelServer, step: Step, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield the server-sent events of a streamed Responses API reply for *step*."""
    sequence = itertools.count()
    item = _responses_item(server, step, "completed")
    started = responses_object(server, step, body, "in_progress")
    response_id = started["id"]

    def event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return kind, {"type": kind, "sequence_number": next(sequence), **fields}

    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    opening = dict(item, status="in_progress")
    if item["type"] == "message":
        opening["content"] = []
    elif item["type"] == "function_call":
        opening["arguments"] = ""
    else:
        opening["input"] = ""
    yield event("response.output_item.added", output_index=0, item=opening)
    if item["type"] == "message":
        text = item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": []}
        yield event("response.content_part.added", item_id=item["id"], output_index=0, content_index=0, part=part)
        for piece in _split(text):
            yield event("response.output_text.delta", item_id=item["id"], output_index=0, content_index=0,
                        delta=piece)
        yield event("response.output_text.done", item_id=item["id"], output_index=0, content_index=0, text=text)
        yield event("response.content_part.done", item_id=item["id"], output_index=0, content_index=0,
                    part=dict(part, text=text))
    elif item["type"] == "function_call":
        for piece in _split(item["arguments"], 24):
            yield event("response.function_call_arguments.delta", item_id=item["id"], output_index=0, delta=piece)
        yield event("response.function_call_arguments.done", item_id=item["id"], output_index=0,
                    arguments=item["arguments"])
    else:
        for piece in _split(item["input"], 24):
            yield event("response.custom_tool_call_input.delta", item_id=item["id"], output_index=0, delta=piece)
        yield event("response.custom_tool_call_input.done", item_id=item["id"], output_index=0,
                    input=item["input"])
    yield event("response.output_item.done", output_index=0, item=item)
    completed = responses_object(server, step, body, "completed", item)
    completed["id"] = response_id
    yield event("response.completed", response=completed)


# -- Gemini -------------------------------------------------------------------------------------


def gemini_response(step: Step, body: dict[str, Any]) -> dict[str, Any]:
    """Return a Gemini ``GenerateContentResponse`` for *step*; a stream sends it as one event."""
    if isinstance(step, Text):
        part: dict[str, Any] = {"text": step.text}
    elif isinstance(step, ToolCall):
        part = {"functionCall": {"name": step.name, "args": step.arguments}}
    else:
        raise ValueError(f"{step!r} cannot be sent over the Gemini API; use ToolCall")
    prompt = max(1, len(json.dumps(body.get("contents", []))) // 4)
    return {
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": 10, "totalTokenCount": prompt + 10},
        "modelVersion": MODEL_NAME,
    }
