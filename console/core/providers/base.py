"""The one async streaming interface every provider implements, and the error it raises.

A provider turns a ``ProviderCall`` into an async iterator of ``TextChunk`` events ending in exactly
one ``Completion``. Anything that goes wrong is raised as ``ProviderError`` carrying an ``Outcome``;
transport exceptions (httpx, sockets, llama.cpp) never escape a provider.

Deadlines: providers apply the connect timeout themselves; the executor enforces first-token and
total deadlines around the iterator, so every provider (hosted or in-process) gets the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncGenerator, Protocol, Union, runtime_checkable

from console.core.outcomes import Outcome
from console.core.records import Usage
from console.core.request import Message, Sampling, Tool, ToolCall, ToolChoice


@dataclass(frozen=True)
class TextChunk:
    """A piece of the answer. ``logprobs`` holds the token log-probabilities in it, when sent."""

    text: str
    logprobs: tuple[float, ...] = ()


@dataclass(frozen=True)
class Completion:
    """The end of a successful stream."""

    usage: Usage
    model_id: str
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # calls the model asks for (finish_reason "tool_calls")


StreamEvent = Union[TextChunk, Completion]


@dataclass(frozen=True)
class ProviderCall:
    model_id: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float | None = None
    json_mode: bool = False
    want_logprobs: bool = False
    stream: bool = True
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 120.0
    #: when set, the answer must be exactly one of these labels (a grammar for llama.cpp, an enum
    #: JSON schema where the protocol supports one); used by the model-based task classifier.
    choices: tuple[str, ...] | None = None
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    sampling: Sampling = field(default_factory=Sampling)
    #: the caller's JSON schema for the answer (with its name and strict flag), for providers that
    #: can constrain output to a schema; ``json_mode`` alone asks for any JSON
    json_schema: dict[str, Any] | None = None
    schema_name: str | None = None
    schema_strict: bool | None = None


class ProviderError(Exception):
    """A classified failure of one call.

    Attributes:
        outcome: which of the documented outcomes this is.
        message: a human sentence, never containing a key.
        http_status: the status code when there was one.
        retry_after_s: seconds the provider asked us to wait (429/503).
        usage: tokens the provider will bill for despite the failure (e.g. a stream cut after output).
        partial_text: what had streamed before the failure (discarded by the executor, kept for the log).
        before_response: the connection failed before any byte of a response arrived (e.g. a reset);
            the executor retries such a failure once even when the route allows no retries.
    """

    def __init__(
        self,
        outcome: Outcome,
        message: str,
        *,
        http_status: int | None = None,
        retry_after_s: float | None = None,
        usage: Usage | None = None,
        partial_text: str = "",
        before_response: bool = False,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.http_status = http_status
        self.retry_after_s = retry_after_s
        self.usage = usage
        self.partial_text = partial_text
        self.before_response = before_response

    def __repr__(self) -> str:
        return f"ProviderError({self.outcome.value}, {self.message!r}, http_status={self.http_status})"


@runtime_checkable
class ChatProvider(Protocol):
    """What the executor needs from a provider."""

    name: str

    def stream(self, call: ProviderCall) -> AsyncGenerator[StreamEvent, None]:
        """Yield TextChunks then one Completion, or raise ProviderError.

        A generator, not any iterator: the executor calls ``aclose()`` on it when it stops early, so
        a provider's connection or worker is released at once rather than when it is collected."""
        ...

    async def aclose(self) -> None:
        """Release connections / workers."""
        ...


@dataclass
class ProviderInfo:
    """What the console shows about a provider instance."""

    name: str
    kind: str
    detail: dict[str, str] = field(default_factory=dict)
