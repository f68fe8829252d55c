"""What a caller asks the router for."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A call the model asks the caller to make: ``arguments`` is JSON text, as OpenAI sends it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ImagePart:
    """An image in a user turn: an ``https:`` URL or a ``data:image/...;base64,`` URL, and OpenAI's
    ``detail`` hint (``low``/``high``/``auto``). Only models marked ``vision: true`` are sent one."""

    url: str
    detail: str | None = None


@dataclass(frozen=True)
class Message:
    """One turn. An assistant turn may carry ``tool_calls``; a ``tool`` turn answers the call
    ``tool_call_id`` with ``content``. A user turn with images has ``parts``: its text pieces and
    images in the caller's order (``content`` is then the text alone, for rules and token counts)."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    parts: tuple[str | ImagePart, ...] = ()

    @property
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ImagePart))


@dataclass(frozen=True, eq=False)
class Tool:
    """A function the model may call: its JSON-schema ``parameters`` (and OpenAI's ``strict``)."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    strict: bool | None = None


@dataclass(frozen=True)
class ToolChoice:
    """``auto`` (the model decides), ``none``, ``required`` (some tool), or ``function`` ``name``."""

    mode: Literal["auto", "none", "required", "function"] = "auto"
    name: str | None = None


@dataclass(frozen=True, eq=False)
class Sampling:
    """Generation settings passed through to providers that support them (None: the provider's default)."""

    stop: tuple[str, ...] = ()
    seed: int | None = None
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None  # OpenAI-compatible providers only (the plan enforces it)


@dataclass(frozen=True)
class Request:
    """One request to route.

    Attributes:
        messages: the conversation, last message usually the user's.
        metadata: free-form tags such as team, region (customer data residency) and customer.
        task_hint: an explicit task name from the caller; honoured when the policy allows.
        max_tokens: output cap; None uses the route's max_output_tokens.
        json_schema: when set, the answer must be JSON valid against it.
        temperature: sampling temperature passed through to providers.
        stream: whether the caller consumes the answer as a stream.
        tools: functions the model may call; tool_choice: whether and which it must call.
        sampling: stop sequences, seed, top_p, penalties, logit_bias.
        schema_name, schema_strict: the name and ``strict`` flag the caller gave its JSON schema
            (OpenAI's ``response_format.json_schema``), passed on to providers that take a schema.
    """

    messages: tuple[Message, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    task_hint: str | None = None
    max_tokens: int | None = None
    json_schema: dict[str, Any] | None = None
    temperature: float | None = None
    stream: bool = False
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    sampling: Sampling = field(default_factory=Sampling)
    schema_name: str | None = None
    schema_strict: bool | None = None

    @classmethod
    def from_prompt(cls, prompt: str, *, system: str | None = None, **kwargs: Any) -> "Request":
        messages = ((Message("system", system),) if system else ()) + (Message("user", prompt),)
        return cls(messages=messages, **kwargs)

    @property
    def text(self) -> str:
        """All message text joined, for classification rules."""
        return "\n".join(m.content for m in self.messages)

    @cached_property
    def estimated_prompt_tokens(self) -> int:
        """Estimated prompt tokens, computed once; token rules and the planner use the same figure."""
        from console.core.tokens import estimate_chat_tokens

        return estimate_chat_tokens([m.content for m in self.messages])

    @cached_property
    def images(self) -> tuple[ImagePart, ...]:
        """Every image of the conversation (only vision models may be sent the request)."""
        return tuple(image for m in self.messages if m.parts for image in m.images)

    @property
    def region(self) -> str | None:
        return self.metadata.get("region")
