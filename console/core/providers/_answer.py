"""What a hosted call has produced so far: text, reported usage, and the fallbacks for both.

Shared by the protocol modules so that every one of them attaches the same things to a failure
(the partial text, and the usage the provider will bill for it) and estimates usage the same way
when a provider reports none.
"""

from __future__ import annotations

from typing import Iterable

from console.core.providers.base import ProviderCall, ProviderError
from console.core.providers.errors import redact
from console.core.records import Usage
from console.core.request import ToolCall
from console.core.tokens import estimate_chat_tokens, estimate_tokens


class AnswerSoFar:
    """Accumulates one call's streamed text and whatever usage the provider reported.

    ``model_id`` is the model the provider says answered. It is stored in the log and printed, and
    a misbehaving or hostile server can echo the caller's key there, so ``secrets`` (the key this
    call sent) are redacted from it on the way in.
    """

    def __init__(self, call: ProviderCall, secrets: Iterable[str | None] = ()) -> None:
        self._call = call
        self._secrets = tuple(secrets)
        self._parts: list[str] = []
        self.reported: Usage | None = None
        self._model_id: str = call.model_id
        self.finish_reason: str | None = None
        self.tool_calls: list[ToolCall] = []  # for protocols that send calls whole (Gemini)

    @property
    def model_id(self) -> str:
        return self._model_id

    @model_id.setter
    def model_id(self, reported: str) -> None:
        self._model_id = redact(reported, self._secrets)

    def add(self, text: str) -> None:
        self._parts.append(text)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def estimated(self) -> Usage:
        return Usage(
            input_tokens=estimate_chat_tokens([m.content for m in self._call.messages]),
            output_tokens=estimate_tokens(self.text),
            estimated=True,
        )

    def usage(self) -> Usage:
        """Reported usage when the provider sent it, else an estimate marked as such."""
        return self.reported if self.reported is not None else self.estimated()

    def billed_on_failure(self) -> Usage | None:
        """What a failed attempt costs: reported usage, or an estimate once output had started."""
        if self.reported is not None:
            return self.reported
        return self.estimated() if self._parts else None

    def attach(self, error: ProviderError) -> ProviderError:
        """Add the partial text and billed usage to a failure that does not carry them yet."""
        if not error.partial_text:
            error.partial_text = self.text
        if error.usage is None:
            error.usage = self.billed_on_failure()
        return error
