"""What a caller asks the router for."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


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
    """

    messages: tuple[Message, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    task_hint: str | None = None
    max_tokens: int | None = None
    json_schema: dict[str, Any] | None = None
    temperature: float | None = None
    stream: bool = False

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

    @property
    def region(self) -> str | None:
        return self.metadata.get("region")
