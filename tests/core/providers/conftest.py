"""Fixtures for provider tests: the fault server, and a way to drain a provider's stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.core.providers.base import ChatProvider, Completion, ProviderCall, TextChunk
from console.core.request import Message
from tests.support.fault_server import fault_server  # noqa: F401 - a fixture, used by name

KEY = "sk-routedesk-TEST-0123456789abcdef"


@dataclass
class Drained:
    chunks: list[TextChunk]
    completion: Completion

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chunks)


async def drain_async(provider: ChatProvider, call: ProviderCall) -> Drained:
    chunks: list[TextChunk] = []
    completions: list[Completion] = []
    async for event in provider.stream(call):
        assert not completions, "nothing may follow the Completion"
        if isinstance(event, Completion):
            completions.append(event)
        else:
            chunks.append(event)
    assert len(completions) == 1, "a stream ends in exactly one Completion"
    return Drained(chunks, completions[0])


def drain(provider: ChatProvider, call: ProviderCall) -> Drained:
    """Run one call to the end in a fresh loop, closing the provider's pool afterwards."""

    async def run() -> Drained:
        try:
            return await drain_async(provider, call)
        finally:
            await provider.aclose()

    return asyncio.run(run())


def make_call(model: str, prompt: str = "hello there big world", **kwargs: Any) -> ProviderCall:
    kwargs.setdefault("max_tokens", 64)
    kwargs.setdefault("read_timeout_s", 2.0)
    kwargs.setdefault("connect_timeout_s", 2.0)
    return ProviderCall(model_id=model, messages=(Message("user", prompt),), **kwargs)
