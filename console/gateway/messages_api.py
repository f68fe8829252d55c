"""``POST /v1/messages``: the Anthropic Messages API over the same engine, whole and streamed.

Answers are Anthropic-shaped: a ``message`` object with ``text`` and ``tool_use`` content blocks,
``stop_reason`` (``end_turn``, ``max_tokens``, ``tool_use``) and ``usage``; streams are SSE with
Anthropic's events (``message_start``, ``content_block_start``/``_delta``/``_stop``,
``message_delta``, ``message_stop``, and ``ping`` while a first token is awaited). Failures are
Anthropic error bodies (``{"type": "error", "error": {"type", "message"}}``); after a stream has
begun one arrives in-band as an ``error`` event, as Anthropic sends it. A stream that breaks after
text was sent is continued by the next candidate that takes a prefill, as on /v1/chat/completions.
"""

from __future__ import annotations

import json
import time
from typing import Any, AsyncIterator

from starlette.requests import Request as HttpRequest
from starlette.responses import Response, StreamingResponse

from console.core.routing.events import Delta, RouteResult
from console.gateway.body import read_call
from console.gateway.keepalive import END, WAITING, PatientReader
from console.gateway.messages_wire import MessagesCall, parse_messages_call
from console.gateway.responses import dumps, result_error_body, routedesk_headers, usage_of
from console.gateway.state import GatewayState
from console.gateway.targets import UnknownModel, resolve_target
from console.gateway.wire import WireError

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 503: "overloaded_error"}


def error_json(status: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message}}


def _respond(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status, headers=headers, media_type="application/json")


def stop_reason(result: RouteResult) -> str:
    if result.tool_calls:
        return "tool_use"
    usage = usage_of(result)
    return "max_tokens" if usage["completion_tokens"] >= result.plan.max_output_tokens else "end_turn"


def _tool_use(call: Any) -> dict[str, Any]:
    try:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        arguments = {"_arguments": call.arguments}  # a model's malformed JSON, kept for the caller to see
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}


def message_body(result: RouteResult, message_id: str) -> dict[str, Any]:
    usage = usage_of(result)
    content = ([{"type": "text", "text": result.text}] if result.text else []) + [_tool_use(c) for c in result.tool_calls]
    return {"id": message_id, "type": "message", "role": "assistant", "model": result.answered_by, "content": content,
            "stop_reason": stop_reason(result), "stop_sequence": None,
            "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]}}


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


async def _stream(state: GatewayState, call: MessagesCall, task: str | None, prefer: str | None,
                  model: str) -> AsyncIterator[bytes]:
    message_id = f"msg_{time.time_ns():x}"
    yield _event("message_start", {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0}}})
    continuing = state.stream_failover == "continue"
    events = state.engine.route_stream(call.request, task=task, prefer=prefer, continue_streamed=continuing,
                                       stop_after_discard=not continuing)
    reader = PatientReader(events)
    block = -1  # the index of the text block once it is open
    result: RouteResult | None = None
    try:
        while result is None:
            event = await reader.next(state.keepalive_s)
            if event is WAITING:  # still waiting (a slow first token, a failover): Anthropic's ping
                yield _event("ping", {"type": "ping"})
                continue
            if event is END:
                break
            if isinstance(event, Delta) and event.text:
                if block < 0:
                    block = 0
                    yield _event("content_block_start", {"type": "content_block_start", "index": 0,
                                                         "content_block": {"type": "text", "text": ""}})
                yield _event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                     "delta": {"type": "text_delta", "text": event.text}})
            elif isinstance(event, RouteResult):
                result = event
    finally:
        await reader.aclose()
    if result is None or not result.ok:
        status, failure = result_error_body(result) if result is not None else (500, {"error": {"message": "no answer"}})
        yield _event("error", error_json(status, failure["error"]["message"]))
        return
    if block == 0:
        yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
    for offset, tool in enumerate(result.tool_calls):
        index = block + 1 + offset
        yield _event("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
            "type": "tool_use", "id": tool.id, "name": tool.name, "input": {}}})
        yield _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {
            "type": "input_json_delta", "partial_json": json.dumps(_tool_use(tool)["input"])}})
        yield _event("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _event("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason(result),
                                                                       "stop_sequence": None},
                                   "usage": {"output_tokens": usage_of(result)["completion_tokens"]}})
    yield _event("message_stop", {"type": "message_stop"})


async def messages(state: GatewayState, http: HttpRequest) -> Response:
    try:
        call = await read_call(await http.body(), http.headers, parse_messages_call,
                               offload_bytes=state.limits.offload_bytes)
    except WireError as err:
        return _respond(error_json(err.status, err.message), err.status)
    engine = state.engine
    try:
        target = resolve_target(engine.policy, call.model, call.request)
    except UnknownModel as err:
        return _respond(error_json(404, str(err)), 404)
    if call.stream:
        return StreamingResponse(_stream(state, call, target.task, target.prefer, call.model),
                                 media_type="text/event-stream", headers={"cache-control": "no-cache"})
    policy_hash = engine.policy_hash
    result = await engine.route(call.request, task=target.task, prefer=target.prefer)
    headers = routedesk_headers(result, policy_hash, result.overhead_ms)
    if not result.ok:
        status, failure = result_error_body(result)
        return _respond(error_json(status, failure["error"]["message"]), status, headers)
    return _respond(message_body(result, f"msg_{result.request_id}"), 200, headers)
