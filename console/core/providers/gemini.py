"""Google's Gemini API: ``generateContent`` and ``streamGenerateContent?alt=sse``.

The key travels in the ``x-goog-api-key`` header, never in the URL, so a logged URL cannot carry
it. Messages map to ``contents`` with roles ``user``/``model``; system messages become
``systemInstruction``. Each streamed event is a whole ``GenerateContentResponse`` carrying the next
piece of text; the stream has no terminator, so it is complete only once a candidate reported a
``finishReason`` (otherwise ``stream_cut``).

Usage comes from ``usageMetadata``: input ``promptTokenCount`` (which includes
``cachedContentTokenCount``), output ``candidatesTokenCount + thoughtsTokenCount`` (thinking is
billed as output; pricing reads ``reasoning_tokens`` out of it).

Blocks: ``promptFeedback.blockReason`` (the prompt was refused) and a ``finishReason`` of SAFETY,
RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII or IMAGE_SAFETY raise ``content_policy`` with the
reason. A data line that is not JSON → ``invalid_output``; empty text → a Completion without chunks.
"""

from __future__ import annotations

import json
from typing import Any, AsyncGenerator, Mapping

from console.core.outcomes import Outcome
from console.core.providers._answer import AnswerSoFar
from console.core.providers._http import HttpChannel, HttpReply, Timeouts
from console.core.providers.base import Completion, ProviderCall, ProviderError, StreamEvent, TextChunk
from console.core.providers.gemini_tools import add_tools_and_sampling, function_calls, gemini_contents
from console.core.providers.errors import (
    classify_failure,
    classify_http_error,
    content_policy_error,
    invalid_output_error,
)
from console.core.records import Usage

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
BLOCKING_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)


def usage_from_gemini(raw: Any) -> Usage | None:
    if not isinstance(raw, dict) or "promptTokenCount" not in raw:
        return None
    thoughts = int(raw.get("thoughtsTokenCount") or 0)
    return Usage(
        input_tokens=int(raw.get("promptTokenCount") or 0),
        output_tokens=int(raw.get("candidatesTokenCount") or 0) + thoughts,
        cached_tokens=int(raw.get("cachedContentTokenCount") or 0),
        reasoning_tokens=thoughts,
    )


def model_path(model_id: str) -> str:
    return model_id if model_id.startswith(("models/", "tunedModels/")) else f"models/{model_id}"


class GeminiProvider:
    """A chat provider speaking the Gemini API.

    Attributes:
        name: the policy's provider name.
        base_url: where requests go (no key in it).
        kind: the wire protocol, for display.
    """

    kind = "gemini"

    def __init__(
        self, name: str, *, base_url: str = DEFAULT_BASE_URL, key: str | None = None,
        headers: Mapping[str, str] | None = None, proxy: str | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        fixed = {"content-type": "application/json", **dict(headers or {})}
        if key:
            fixed["x-goog-api-key"] = key
        self._key = key
        self._channel = HttpChannel(provider=name, base_url=base_url, headers=fixed, secrets=(key,), proxy=proxy)

    def request_body(self, call: ProviderCall) -> dict[str, Any]:
        body: dict[str, Any] = {"contents": gemini_contents(call.messages, self.name)}
        system = [{"text": m.content} for m in call.messages if m.role == "system"]
        if system:
            body["systemInstruction"] = {"parts": system}
        config: dict[str, Any] = {"maxOutputTokens": call.max_tokens}
        if call.temperature is not None:
            config["temperature"] = call.temperature
        if call.json_mode:
            config["responseMimeType"] = "application/json"
        if call.want_logprobs:
            config["responseLogprobs"] = True
        add_tools_and_sampling(body, config, call)
        body["generationConfig"] = config
        return body

    async def stream(self, call: ProviderCall) -> AsyncGenerator[StreamEvent, None]:
        """Yield TextChunks then one Completion, or raise ProviderError."""
        body = self.request_body(call)
        timeouts = Timeouts(connect_timeout_s=call.connect_timeout_s, read_timeout_s=call.read_timeout_s)
        answer = AnswerSoFar(call, secrets=(self._key,))
        if not call.stream:
            whole = await self._channel.request(
                "POST", f"{model_path(call.model_id)}:generateContent", json_body=body, **timeouts
            )
            if not 200 <= whole.status < 300:
                raise self._http_error(whole)
            try:
                payload = json.loads(whole.body)
            except ValueError:
                raise invalid_output_error(self.name, "the response body is not JSON") from None
            chunk = self._absorb(payload, answer, whole.status)
            if chunk is not None:
                answer.add(chunk.text)
                yield chunk
            yield self._finish(answer)
            return
        path = f"{model_path(call.model_id)}:streamGenerateContent"
        async with self._channel.stream(path, json_body=body, params={"alt": "sse"}, **timeouts) as reply:
            if not 200 <= reply.status < 300:
                raise self._http_error(HttpReply(reply.status, reply.headers, await reply.read()))
            try:
                async for sse in reply.events():
                    try:
                        payload = json.loads(sse.data)
                    except ValueError:
                        raise invalid_output_error(self.name, "malformed event in the stream (not JSON)") from None
                    chunk = self._absorb(payload, answer, None)
                    if chunk is not None:
                        answer.add(chunk.text)
                        yield chunk
            except ProviderError as error:
                raise answer.attach(error) from None
        yield self._finish(answer)

    def _absorb(self, payload: Any, answer: AnswerSoFar, status: int | None) -> TextChunk | None:
        """Fold one GenerateContentResponse into the answer; returns its text, if any."""
        if not isinstance(payload, dict):
            raise invalid_output_error(self.name, "a response is not a JSON object")
        if "error" in payload:
            raise classify_failure(provider=self.name, status=status, payload=payload, secrets=(self._key,))
        try:
            if payload.get("modelVersion"):
                answer.model_id = str(payload["modelVersion"])
            usage = usage_from_gemini(payload.get("usageMetadata"))
            if usage is not None:
                answer.reported = usage
            block = (payload.get("promptFeedback") or {}).get("blockReason")
            if block:
                raise answer.attach(content_policy_error(self.name, f"prompt blocked: {block}"))
            candidates = payload.get("candidates") or []
            if not candidates:
                return None
            candidate = candidates[0]
            if candidate.get("finishReason"):
                answer.finish_reason = str(candidate["finishReason"])
            parts = (candidate.get("content") or {}).get("parts") or []
            # Thought summaries are not part of the answer.
            text = "".join(str(p.get("text") or "") for p in parts if not p.get("thought"))
            answer.tool_calls.extend(function_calls(parts, len(answer.tool_calls)))
            chosen = (candidate.get("logprobsResult") or {}).get("chosenCandidates") or []
            logprobs = tuple(float(c["logProbability"]) for c in chosen if "logProbability" in c)
        except (AttributeError, TypeError, KeyError, ValueError):
            raise invalid_output_error(self.name, "a response has an unexpected shape") from None
        return TextChunk(text, logprobs) if text else None

    def _finish(self, answer: AnswerSoFar) -> Completion:
        if answer.finish_reason is None:
            raise answer.attach(
                ProviderError(Outcome.STREAM_CUT, f"{self.name}: the stream ended before a finishReason")
            )
        if answer.finish_reason in BLOCKING_FINISH_REASONS:
            raise answer.attach(content_policy_error(self.name, f"finishReason={answer.finish_reason}"))
        return Completion(answer.usage(), answer.model_id, answer.finish_reason, tuple(answer.tool_calls))

    def _http_error(self, reply: HttpReply) -> ProviderError:
        return classify_http_error(
            provider=self.name, status=reply.status, headers=reply.headers, body=reply.body, secrets=(self._key,)
        )

    async def aclose(self) -> None:
        await self._channel.aclose()
