"""Streamed chat completions: engine events → SSE chunks, honest about failures.

- The response head waits for the first text (or the end) for at most ``head_after_s`` (state): a
  request that fails before that is answered with a plain OpenAI-style error and a fitting status,
  exactly like a non-streaming one. After that the head goes out at once, and an SSE comment
  (``: keep-alive``) follows every ``keepalive_s`` while nothing else is sent (a slow first token,
  a failover), so a client with a short header or read timeout does not give up while Routedesk is
  still working. A failure after the head is reported in-band: a ``data: {"error": ...}`` event.
- Each text chunk's ``model`` is the alias producing it; the final chunk's ``model`` is the alias
  that answered, with a ``routedesk`` extension object (task, attempts, policy hash, overhead), then
  a usage chunk (when ``stream_options.include_usage``), an SSE comment with the same facts, and
  ``data: [DONE]``.
- An upstream that fails after sending text, with no model left to take over: a ``data:
  {"error": ...}`` event and no ``[DONE]`` — OpenAI SDKs raise APIError; never a clean end.
- An upstream that fails after sending text while another model can take over (failover mode,
  header ``X-Routedesk-Stream-Failover`` or ``serve --stream-failover``):
  ``continue`` (the default) has the next candidate that takes an assistant prefill continue the
  answer from the text already sent; the client reads one answer, every character once, and an
  SSE comment says who broke off and who continued. When no candidate can continue, the stream
  ends with an error event naming the original failure. ``error`` ends the stream with an error
  event naming the failure, so no client ever reads a spliced answer as whole. ``restart`` sends
  a chunk with an empty delta and ``routedesk: {"discarded": {...}}``, an SSE comment, and
  continues with the next model's answer from its start: clients that read the extension drop
  what they showed; clients that ignore it see the two texts concatenated. Failures before any
  text fail over silently in every mode.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator

from starlette.responses import Response, StreamingResponse

from console.core.routing.events import Delta, Discarded, Interrupted, RouteEvent, RouteResult, Started
from console.gateway.responses import (
    ChunkWriter,
    attempts_header,
    dumps,
    finish_reason,
    header_safe,
    outcome_error_body,
    result_error_body,
    routedesk_extension,
    routedesk_headers,
    tool_calls_of,
    usage_of,
)
from console.gateway.keepalive import END, KEEPALIVE_FRAME, WAITING, PatientReader
from console.gateway.state import GatewayState
from console.gateway.targets import Target
from console.gateway.wire import ChatCall


async def stream_chat(state: GatewayState, call: ChatCall, target: Target, t0: float) -> Response:
    engine = state.engine
    policy_hash = engine.policy_hash
    pre_ms = (time.perf_counter() - t0) * 1000
    failover = call.failover or state.stream_failover
    # In "error" mode the engine stops at the first failure after text was sent, so the log records
    # that failure (not a cancellation) and no fallback runs for an answer nobody will read.
    events = engine.route_stream(
        call.request, task=target.task, prefer=target.prefer, stop_after_discard=failover != "restart",
        continue_streamed=failover == "continue",
    )
    reader: PatientReader[RouteEvent] = PatientReader(events)
    buffered: list[RouteEvent] = []
    loop = asyncio.get_running_loop()
    head_deadline = loop.time() + state.head_after_s
    try:
        while True:
            event = await reader.next(max(0.0, head_deadline - loop.time()))
            if event is WAITING or event is END:
                break
            buffered.append(event)  # type: ignore[arg-type]
            if isinstance(event, (Delta, RouteResult)):
                break
    except BaseException:
        await reader.aclose()
        raise
    last = buffered[-1] if buffered else None
    if isinstance(last, RouteResult) and not last.ok:
        overhead = last.overhead_ms + pre_ms
        status, body = result_error_body(last)
        body["error"]["routedesk"] = routedesk_extension(last, policy_hash, overhead)
        return Response(dumps(body), status, media_type="application/json",
                        headers=routedesk_headers(last, policy_hash, overhead))
    frames = _frames(reader, buffered, call.include_usage, failover, policy_hash, pre_ms, state.keepalive_s)
    headers = {"cache-control": "no-cache", "x-routedesk-policy-hash": policy_hash, "x-routedesk-stream-failover": failover}
    if target.task is not None:
        headers["x-routedesk-task"] = header_safe(target.task)
    return StreamingResponse(frames, media_type="text/event-stream", headers=headers)


async def _replay(
    buffered: list[RouteEvent], reader: PatientReader[RouteEvent], keepalive_s: float
) -> AsyncIterator[RouteEvent | None]:
    """The buffered events, then the rest; None whenever ``keepalive_s`` passed without one."""
    if not any(isinstance(e, (Delta, RouteResult)) for e in buffered):
        yield None  # the head goes out now, still waiting: say so at once
    for event in buffered:
        yield event
    while True:
        next_event = await reader.next(keepalive_s)
        if next_event is END:
            return
        yield None if next_event is WAITING else next_event  # type: ignore[misc]


async def _frames(
    reader: PatientReader[RouteEvent],
    buffered: list[RouteEvent],
    include_usage: bool,
    failover: str,
    policy_hash: str,
    pre_ms: float,
    keepalive_s: float,
) -> AsyncIterator[bytes]:
    writer: ChunkWriter | None = None
    model: str | None = None
    try:
        async for event in _replay(buffered, reader, keepalive_s):
            if event is None:
                yield KEEPALIVE_FRAME
            elif isinstance(event, Started):
                model = event.model
            elif isinstance(event, Delta):
                if writer is None:
                    writer = ChunkWriter(f"chatcmpl-{time.time_ns():x}")
                    yield writer.chunk(event.model, {"role": "assistant", "content": ""})
                yield writer.chunk(event.model, {"content": event.text})
            elif isinstance(event, Interrupted):
                if writer is None:
                    writer = ChunkWriter(f"chatcmpl-{time.time_ns():x}")
                yield writer.comment(f"routedesk: {event.model} broke off ({event.outcome.value}) after "
                                     f"{event.sent_chars} characters; the next model continues the answer")
            elif isinstance(event, Discarded):
                if writer is None:  # the provider reported partial text that never reached this stream
                    writer = ChunkWriter(f"chatcmpl-{time.time_ns():x}")
                notice = {"model": event.model, "outcome": event.outcome.value, "reason": event.reason,
                          "chars": event.discarded_chars}
                if failover == "error":
                    message = (f"{event.model} failed mid-stream ({event.outcome.value}: {event.reason}) after "
                               f"{event.discarded_chars} characters: the text above is incomplete. Send "
                               "X-Routedesk-Stream-Failover: continue to let a fallback model continue it.")
                    body = outcome_error_body(event.outcome, message, "upstream_error")
                    body["error"]["routedesk"] = {"discarded": notice}
                    yield writer.error(body)
                    while await reader.next(None) is not END:  # the engine ends the request and logs the failure
                        pass
                    return
                yield writer.chunk(event.model, {}, routedesk={"discarded": notice, "restart": True})
                yield writer.comment(f"routedesk: the {event.discarded_chars} characters from {event.model} above are "
                                     "discarded; the answer restarts on the next model")
            elif isinstance(event, RouteResult):
                if writer is None:
                    writer = ChunkWriter(f"chatcmpl-{event.request_id}")
                    if event.ok:
                        yield writer.chunk(event.answered_by, {"role": "assistant", "content": ""})
                async for frame in _ending(writer, event, include_usage, policy_hash, event.overhead_ms + pre_ms):
                    yield frame
    finally:
        await reader.aclose()


async def _ending(writer: ChunkWriter, result: RouteResult, include_usage: bool, policy_hash: str,
                  overhead_ms: float) -> AsyncIterator[bytes]:
    extension = routedesk_extension(result, policy_hash, overhead_ms)
    if not result.ok:
        _, body = result_error_body(result)
        body["error"]["routedesk"] = extension
        yield writer.error(body)
        return
    if result.tool_calls:  # whole calls, in one delta: clients join fragments, and one is a whole
        yield writer.chunk(result.answered_by, {"tool_calls": tool_calls_of(result, indexed=True)})
    yield writer.chunk(result.answered_by, {}, finish_reason(result), routedesk=extension)
    if include_usage:
        yield writer.usage_chunk(result.answered_by, usage_of(result))
    summary = {"model": result.answered_by, "task": result.plan.task, "attempts": attempts_header(result),
               "policy_hash": policy_hash, "overhead_ms": round(overhead_ms, 3), "request_id": result.request_id}
    yield writer.comment("routedesk " + json.dumps(summary, separators=(",", ":")))
    yield ChunkWriter.DONE
