"""The OpenAI chat-completions protocol, which most hosted and local servers speak.

OpenAI, xAI, OpenRouter, Groq, Mistral, vLLM, Ollama, LM Studio and llama.cpp's server differ only
in base URL and headers (the provider profile). Streaming uses SSE with
``stream_options.include_usage`` so that usage arrives in a final chunk when the server supports it;
when it does not (llama.cpp's server), usage is estimated and marked so.

Decisions, for the executor and the ledger:
- A stream is complete when it carried a ``finish_reason`` and its body ended cleanly at the HTTP
  level (the chunked terminator, or the full length); ``[DONE]`` is not required, because some
  servers never send it. A body that breaks off, or ends without a ``finish_reason``, raises
  ``stream_cut`` with the partial text and the usage billed for it. Usage sent in a chunk after
  the finish chunk is kept whether or not ``[DONE]`` follows.
- A data line that is not JSON fails the attempt with ``invalid_output`` at once: skipping it could
  silently drop text from the answer, and garbage is never yielded as text.
- An empty answer is *not* an error here: the stream yields no TextChunk and a Completion, and the
  executor classifies it as ``empty_output`` (one rule for every provider, local ones included).
- ``finish_reason: content_filter`` (and a model refusal with no content) raise ``content_policy``.
"""

from __future__ import annotations

import json
from typing import Any, AsyncGenerator, Mapping

from console.core.outcomes import Outcome
from console.core.providers._answer import AnswerSoFar
from console.core.providers._http import HttpChannel, HttpReply
from console.core.providers.base import Completion, ProviderCall, ProviderError, StreamEvent, TextChunk
from console.core.providers.errors import (
    classify_failure,
    classify_http_error,
    content_policy_error,
    invalid_output_error,
)
from console.core.providers.openai_tools import (
    ToolCallAssembler,
    add_tools_and_sampling,
    openai_message,
    tool_calls_from_message,
)
from console.core.records import Usage

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def usage_from_openai(raw: Any) -> Usage | None:
    """Usage from an OpenAI ``usage`` object, or None when it carries no token counts."""
    if not isinstance(raw, dict) or ("prompt_tokens" not in raw and "completion_tokens" not in raw):
        return None
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cached_tokens=int(prompt_details.get("cached_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


def _logprobs(choice: Mapping[str, Any]) -> tuple[float, ...]:
    content = (choice.get("logprobs") or {}).get("content") or ()
    return tuple(float(item["logprob"]) for item in content if item.get("logprob") is not None)


class OpenAICompatProvider:
    """A chat provider speaking OpenAI's ``/chat/completions``.

    Attributes:
        name: the policy's provider name (used in messages and records).
        base_url: where requests go (no key in it).
        kind: the wire protocol, for display.
    """

    kind = "openai-compatible"

    def __init__(
        self, name: str, *, base_url: str = DEFAULT_BASE_URL, key: str | None = None,
        headers: Mapping[str, str] | None = None, proxy: str | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        fixed = {"content-type": "application/json", **dict(headers or {})}
        if key:
            fixed["authorization"] = f"Bearer {key}"
        self._key = key
        self._channel = HttpChannel(provider=name, base_url=base_url, headers=fixed, secrets=(key,), proxy=proxy)

    def request_body(self, call: ProviderCall) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": call.model_id,
            "messages": [openai_message(m) for m in call.messages],
            "max_tokens": call.max_tokens,
            "stream": call.stream,
        }
        if call.stream:
            body["stream_options"] = {"include_usage": True}
        if call.temperature is not None:
            body["temperature"] = call.temperature
        if call.want_logprobs:
            body["logprobs"] = True
            # llama.cpp's server returns logprobs only when top_logprobs is set; 1 is the cheapest.
            body["top_logprobs"] = 1
        if call.json_mode:
            body["response_format"] = {"type": "json_object"}
        add_tools_and_sampling(body, call)
        return body

    async def stream(self, call: ProviderCall) -> AsyncGenerator[StreamEvent, None]:
        """Yield TextChunks then one Completion, or raise ProviderError."""
        body = self.request_body(call)
        if not call.stream:
            whole = await self._channel.request(
                "POST", "chat/completions", json_body=body,
                connect_timeout_s=call.connect_timeout_s, read_timeout_s=call.read_timeout_s,
            )
            for event in self._whole_answer(call, whole):
                yield event
            return
        answer = AnswerSoFar(call, secrets=(self._key,))
        async with self._channel.stream(
            "chat/completions", json_body=body,
            connect_timeout_s=call.connect_timeout_s, read_timeout_s=call.read_timeout_s,
        ) as reply:
            if not 200 <= reply.status < 300:
                raise classify_http_error(
                    provider=self.name, status=reply.status, headers=reply.headers,
                    body=await reply.read(), secrets=(self._key,),
                )
            if "event-stream" not in reply.headers.get("content-type", "event-stream"):
                # Some servers ignore stream=true and answer with one JSON body.
                whole = HttpReply(reply.status, reply.headers, await reply.read())
                for event in self._whole_answer(call, whole):
                    yield event
                return
            done = False
            refusal: list[str] = []
            tools = ToolCallAssembler()
            try:
                async for sse in reply.events():
                    if sse.data.strip() == "[DONE]":
                        done = True
                        break
                    chunk = self._absorb_chunk(sse.data, answer, refusal, tools)
                    if chunk is not None:
                        answer.add(chunk.text)
                        yield chunk
            except ProviderError as error:
                raise answer.attach(error) from None
        if answer.finish_reason is None:
            # Text without a finish_reason may be any prefix of the answer: a cut, even after [DONE].
            missing = "a finish_reason" if done else "a finish_reason or the [DONE] terminator"
            raise answer.attach(ProviderError(Outcome.STREAM_CUT, f"{self.name}: the stream ended without {missing}"))
        # A finish_reason and a body that ended cleanly (the transport raised no cut) is a whole
        # answer even without [DONE]: some servers never send it, and retrying would bill twice.
        self._check_refusal(answer, "".join(refusal))
        yield Completion(answer.usage(), answer.model_id, answer.finish_reason, tools.calls())

    def _absorb_chunk(
        self, data: str, answer: AnswerSoFar, refusal: list[str], tools: ToolCallAssembler
    ) -> TextChunk | None:
        try:
            payload = json.loads(data)
        except ValueError:
            raise invalid_output_error(self.name, "malformed event in the stream (not JSON)") from None
        if not isinstance(payload, dict):
            raise invalid_output_error(self.name, "malformed event in the stream (not an object)")
        if "error" in payload:
            raise classify_failure(provider=self.name, status=None, payload=payload, secrets=(self._key,))
        try:
            if payload.get("model"):
                answer.model_id = str(payload["model"])
            usage = usage_from_openai(payload.get("usage"))
            if usage is not None:
                answer.reported = usage
            choices = payload.get("choices") or []
            if not choices:
                return None
            choice = choices[0]
            if choice.get("finish_reason"):
                answer.finish_reason = str(choice["finish_reason"])
            delta = choice.get("delta") or {}
            if isinstance(delta.get("refusal"), str):
                refusal.append(delta["refusal"])
            if delta.get("tool_calls"):
                tools.add(delta["tool_calls"])
            content = delta.get("content")
            if not isinstance(content, str) or not content:
                return None
            return TextChunk(content, _logprobs(choice))
        except (AttributeError, TypeError, KeyError, ValueError, IndexError):
            raise invalid_output_error(self.name, "malformed event in the stream (unexpected shape)") from None

    def _whole_answer(self, call: ProviderCall, reply: HttpReply) -> list[StreamEvent]:
        if not 200 <= reply.status < 300:
            raise classify_http_error(
                provider=self.name, status=reply.status, headers=reply.headers, body=reply.body,
                secrets=(self._key,),
            )
        try:
            payload = json.loads(reply.body)
        except ValueError:
            raise invalid_output_error(self.name, "the response body is not JSON") from None
        if isinstance(payload, dict) and "error" in payload:
            raise classify_failure(
                provider=self.name, status=reply.status, payload=payload, secrets=(self._key,)
            )
        answer = AnswerSoFar(call, secrets=(self._key,))
        try:
            answer.model_id = str(payload.get("model") or call.model_id)
            answer.reported = usage_from_openai(payload.get("usage"))
            choice = payload["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content") or ""
            if not isinstance(content, str):
                raise TypeError("content is not text")
            answer.finish_reason = choice.get("finish_reason")
            refusal = message.get("refusal") or ""
            logprobs = _logprobs(choice)
            tool_calls = tool_calls_from_message(message)
        except (AttributeError, TypeError, KeyError, ValueError, IndexError):
            raise invalid_output_error(self.name, "the response is not a chat completion") from None
        answer.add(content)
        self._check_refusal(answer, refusal if isinstance(refusal, str) else "")
        events: list[StreamEvent] = [TextChunk(content, logprobs)] if content else []
        events.append(Completion(answer.usage(), answer.model_id, answer.finish_reason, tool_calls))
        return events

    def _check_refusal(self, answer: AnswerSoFar, refusal: str) -> None:
        if answer.finish_reason == "content_filter":
            raise content_policy_error(
                self.name, "finish_reason=content_filter", partial_text=answer.text, usage=answer.billed_on_failure()
            )
        if refusal and not answer.text:
            raise content_policy_error(self.name, f"model refusal: {refusal}", usage=answer.usage())

    async def list_models(self, *, timeout_s: float = 10.0) -> list[str]:
        """Model ids from ``GET /models``; a cheap authenticated call for ``keys test``."""
        reply = await self._channel.request(
            "GET", "models", connect_timeout_s=timeout_s, read_timeout_s=timeout_s
        )
        if not 200 <= reply.status < 300:
            raise classify_http_error(
                provider=self.name, status=reply.status, headers=reply.headers, body=reply.body,
                secrets=(self._key,),
            )
        try:
            return [str(item["id"]) for item in json.loads(reply.body)["data"]]
        except (ValueError, KeyError, TypeError):
            raise invalid_output_error(self.name, "the model list is not in the OpenAI shape") from None

    async def aclose(self) -> None:
        await self._channel.aclose()
