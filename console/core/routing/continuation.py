"""Continuing a streamed answer that broke off: which models can, and what they are sent.

When a stream fails after the caller has already received text (a cut connection, a stall past
the idle timeout, a malformed chunk), the next candidate is asked to *continue* that text: the
conversation is sent again with the text so far as a trailing assistant message (a "prefill"), and
only what the model adds is streamed on. The caller sees one answer, each character once.

Only models that treat a trailing assistant message as the start of their own reply can do that.
The policy says so per provider or per model (``prefill: true|false``); without a setting the
protocol's default applies:

- ``anthropic``: yes. The Messages API continues a final assistant turn ("prefill Claude's
  response", docs.anthropic.com). Claude Opus 4.6 and later reject it with a 400 ("Prefilling
  assistant messages is not supported for this model"); mark those ``prefill: false``. A 400 to a
  continuation is never the caller's error anyway: the chain moves on (see execute.py).
- ``openai-compatible``: no. OpenAI's Chat Completions answers a trailing assistant message as a
  new turn instead of continuing it, which would repeat the answer. Servers that do continue it
  (llama.cpp's server, vLLM with ``continue_final_message``, Mistral, DeepSeek's prefix mode) are
  marked ``prefill: true`` on their provider.
- ``gemini``: no. The API documents no continuation of a final ``model`` turn.
- ``local-gguf``: no. llama-cpp-python's chat handlers open a new assistant turn after the
  messages, so the model would start over.
"""

from __future__ import annotations

from console.core.policy.schema import Policy, ProviderKind
from console.core.request import Message
from console.core.tokens import estimate_tokens

PREFILL_BY_PROTOCOL: dict[ProviderKind, bool] = {
    ProviderKind.ANTHROPIC: True,
    ProviderKind.OPENAI_COMPATIBLE: False,
    ProviderKind.GEMINI: False,
    ProviderKind.LOCAL_GGUF: False,
}


def accepts_prefill(policy: Policy, alias: str) -> bool:
    """Whether model ``alias`` continues a trailing assistant message: model, provider, protocol."""
    model = policy.models.get(alias)
    if model is None:
        return False
    if model.prefill is not None:
        return model.prefill
    provider = policy.providers.get(model.provider)
    if provider is None:
        return False
    if provider.prefill is not None:
        return provider.prefill
    return PREFILL_BY_PROTOCOL.get(provider.kind, False)


def continuation_messages(messages: tuple[Message, ...], sent: str) -> tuple[Message, ...]:
    """The conversation with the text already sent as the assistant's unfinished reply.

    When the caller's own conversation already ends in an assistant prefill, the text sent
    continues it: one assistant turn holds both (two in a row would be refused).
    """
    last = messages[-1] if messages else None
    if last is not None and last.role == "assistant" and not last.tool_calls:
        return messages[:-1] + (Message("assistant", last.content + sent),)
    return messages + (Message("assistant", sent),)


def continuation_max_tokens(max_tokens: int, sent: str) -> int:
    """The output cap left for a continuation: the whole answer keeps the request's cap."""
    return max(1, max_tokens - estimate_tokens(sent))


def cannot_continue_reason(alias: str) -> str:
    return (f"{alias}: cannot continue a broken answer (it takes no assistant prefill; "
            "set prefill: true on the model or its provider if it does)")
