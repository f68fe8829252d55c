"""Anthropic's Messages API (``POST /v1/messages``), streaming and not.

The key travels in ``x-api-key`` with the ``anthropic-version`` header; system messages are joined
into the top-level ``system`` field, as the API requires. A stream is the event sequence
``message_start`` → ``content_block_start`` → ``content_block_delta``… → ``content_block_stop`` →
``message_delta`` (stop_reason, cumulative output tokens) → ``message_stop``, with ``ping``
keep-alives and possibly an ``error`` event (e.g. ``overloaded_error``) at any point. Unknown event
types are ignored, as Anthropic's versioning policy asks of clients.

Usage: input is ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens`` (all are
billed as input, at different rates), cached is ``cache_read_input_tokens``.

A trailing assistant message is a prefill that Claude continues (Routedesk sends one to continue a
broken stream). The API refuses a prefill that ends in whitespace with a 400 ("final assistant
content cannot end with trailing whitespace"), so that whitespace is trimmed before sending and
dropped again from the start of the continuation, where the model repeats it: the caller, who
already has it, reads it once.

Same decisions as the OpenAI adapter: no ``message_stop`` → ``stream_cut``; a data line that is not
JSON → ``invalid_output``; empty text → a Completion without chunks; ``stop_reason: refusal`` →
``content_policy``. Anthropic has no JSON mode or logprobs; the executor checks JSON itself.
"""

from __future__ import annotations

import json
from typing import Any, AsyncGenerator, Mapping

from console.core.outcomes import Outcome
from console.core.providers._answer import AnswerSoFar
from console.core.providers._http import HttpChannel, HttpReply, Timeouts
from console.core.providers.anthropic_tools import (
    ToolUseBlocks,
    add_tools_and_sampling,
    anthropic_messages,
    tool_calls_from_content,
)
from console.core.providers.base import Completion, ProviderCall, ProviderError, StreamEvent, TextChunk
from console.core.providers.errors import (
    classify_failure,
    classify_http_error,
    content_policy_error,
    invalid_output_error,
)
from console.core.records import Usage

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
MESSAGES_PATH = "v1/messages"


def usage_from_anthropic(raw: Any, previous: Usage | None = None) -> Usage | None:
    """Usage from an Anthropic ``usage`` object, merged over what earlier events reported."""
    if not isinstance(raw, dict):
        return previous
    base = previous or Usage()
    cache_read = int(raw.get("cache_read_input_tokens") or 0) if "cache_read_input_tokens" in raw else None
    cache_write = int(raw.get("cache_creation_input_tokens") or 0) if "cache_creation_input_tokens" in raw else None
    if "input_tokens" in raw or cache_read is not None or cache_write is not None:
        fresh = int(raw.get("input_tokens") or 0)
        input_total = fresh + (cache_read or 0) + (cache_write or 0)
        base = Usage(input_total, base.output_tokens, cache_read or 0, 0)
    if "output_tokens" in raw:
        base = Usage(base.input_tokens, int(raw.get("output_tokens") or 0), base.cached_tokens, 0)
    return base


def _trimmed_prefill_whitespace(call: ProviderCall) -> str:
    """The whitespace ``request_body`` trims from the end of a prefill (the caller already has it)."""
    last = call.messages[-1] if call.messages else None
    if last is None or last.role != "assistant":
        return ""
    return last.content[len(last.content.rstrip()):]


def _drop_repeat(text: str, already_sent: str) -> str:
    """``text`` less the leading whitespace that repeats ``already_sent``."""
    same = 0
    while same < min(len(text), len(already_sent)) and text[same] == already_sent[same]:
        same += 1
    return text[same:]


class AnthropicProvider:
    """A chat provider speaking Anthropic's Messages API.

    Attributes:
        name: the policy's provider name.
        base_url: where requests go (no key in it).
        kind: the wire protocol, for display.
    """

    kind = "anthropic"

    def __init__(
        self, name: str, *, base_url: str = DEFAULT_BASE_URL, key: str | None = None,
        headers: Mapping[str, str] | None = None, proxy: str | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        fixed = {"content-type": "application/json", "anthropic-version": API_VERSION, **dict(headers or {})}
        if key:
            fixed["x-api-key"] = key
        self._key = key
        self._channel = HttpChannel(provider=name, base_url=base_url, headers=fixed, secrets=(key,), proxy=proxy)

    def request_body(self, call: ProviderCall) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in call.messages if m.role == "system")
        messages = anthropic_messages(call.messages, self.name)
        if messages and messages[-1]["role"] == "assistant" and isinstance(messages[-1]["content"], str):
            messages[-1]["content"] = messages[-1]["content"].rstrip()
        body: dict[str, Any] = {
            "model": call.model_id,
            "max_tokens": call.max_tokens,
            "messages": messages,
        }
        if system:
            body["system"] = system
        if call.temperature is not None:
            body["temperature"] = call.temperature
        if call.stream:
            body["stream"] = True
        add_tools_and_sampling(body, call)
        return body

    async def stream(self, call: ProviderCall) -> AsyncGenerator[StreamEvent, None]:
        """Yield TextChunks then one Completion, or raise ProviderError."""
        body = self.request_body(call)
        timeouts = Timeouts(connect_timeout_s=call.connect_timeout_s, read_timeout_s=call.read_timeout_s)
        if not call.stream:
            whole = await self._channel.request("POST", MESSAGES_PATH, json_body=body, **timeouts)
            for event in self._whole_answer(call, whole):
                yield event
            return
        answer = AnswerSoFar(call, secrets=(self._key,))
        stopped = False
        repeated = _trimmed_prefill_whitespace(call)
        tools = ToolUseBlocks()
        async with self._channel.stream(MESSAGES_PATH, json_body=body, **timeouts) as reply:
            if not 200 <= reply.status < 300:
                raise self._http_error(HttpReply(reply.status, reply.headers, await reply.read()))
            try:
                async for sse in reply.events():
                    kind, payload = self._decode(sse.data, sse.event)
                    if kind == "message_stop":
                        stopped = True
                        break
                    text = self._absorb(kind, payload, answer, tools)
                    if text and repeated:
                        text, repeated = _drop_repeat(text, repeated), ""
                    if text:
                        answer.add(text)
                        yield TextChunk(text)
            except ProviderError as error:
                raise answer.attach(error) from None
        if not stopped:
            raise answer.attach(ProviderError(Outcome.STREAM_CUT, f"{self.name}: the stream ended without message_stop"))
        self._check_refusal(answer)
        yield Completion(answer.usage(), answer.model_id, answer.finish_reason, tools.calls())

    def _decode(self, data: str, event: str | None) -> tuple[str, dict[str, Any]]:
        try:
            payload = json.loads(data)
        except ValueError:
            raise invalid_output_error(self.name, "malformed event in the stream (not JSON)") from None
        if not isinstance(payload, dict):
            raise invalid_output_error(self.name, "malformed event in the stream (not an object)")
        return str(payload.get("type") or event or ""), payload

    def _absorb(self, kind: str, payload: dict[str, Any], answer: AnswerSoFar, tools: ToolUseBlocks) -> str:
        """Fold one event into the answer; returns new text, if the event carried some."""
        if kind == "error":
            raise classify_failure(provider=self.name, status=None, payload=payload, secrets=(self._key,))
        try:
            if kind == "message_start":
                message = payload["message"]
                answer.model_id = str(message.get("model") or answer.model_id)
                answer.reported = usage_from_anthropic(message.get("usage"), answer.reported)
            elif kind == "content_block_start":
                tools.start(payload)
            elif kind == "content_block_delta":
                delta = payload["delta"]
                if delta.get("type") == "text_delta":
                    return str(delta.get("text") or "")
                if delta.get("type") == "input_json_delta":
                    tools.delta(payload)
            elif kind == "message_delta":
                stop = (payload.get("delta") or {}).get("stop_reason")
                if stop:
                    answer.finish_reason = str(stop)
                answer.reported = usage_from_anthropic(payload.get("usage"), answer.reported)
        except (AttributeError, TypeError, KeyError, ValueError):
            raise invalid_output_error(self.name, f"malformed {kind} event in the stream") from None
        return ""  # ping, content_block_start/stop and unknown events carry no text

    def _http_error(self, reply: HttpReply) -> ProviderError:
        return classify_http_error(
            provider=self.name, status=reply.status, headers=reply.headers, body=reply.body, secrets=(self._key,)
        )

    def _whole_answer(self, call: ProviderCall, reply: HttpReply) -> list[StreamEvent]:
        if not 200 <= reply.status < 300:
            raise self._http_error(reply)
        try:
            payload = json.loads(reply.body)
        except ValueError:
            raise invalid_output_error(self.name, "the response body is not JSON") from None
        if isinstance(payload, dict) and payload.get("type") == "error":
            raise classify_failure(provider=self.name, status=reply.status, payload=payload, secrets=(self._key,))
        answer = AnswerSoFar(call, secrets=(self._key,))
        try:
            answer.model_id = str(payload.get("model") or call.model_id)
            answer.reported = usage_from_anthropic(payload.get("usage"))
            answer.finish_reason = payload.get("stop_reason")
            text = "".join(str(b.get("text") or "") for b in payload["content"] if b.get("type") == "text")
            tool_calls = tool_calls_from_content(payload["content"])
        except (AttributeError, TypeError, KeyError):
            raise invalid_output_error(self.name, "the response is not a Messages API message") from None
        answer.add(text)
        self._check_refusal(answer)
        events: list[StreamEvent] = [TextChunk(text)] if text else []
        events.append(Completion(answer.usage(), answer.model_id, answer.finish_reason, tool_calls))
        return events

    def _check_refusal(self, answer: AnswerSoFar) -> None:
        if answer.finish_reason == "refusal":
            raise content_policy_error(
                self.name, "stop_reason=refusal", partial_text=answer.text, usage=answer.billed_on_failure()
            )

    async def aclose(self) -> None:
        await self._channel.aclose()
