"""Building a provider instance from a policy's provider entry.

The one place that maps ``ProviderKind`` to a class, with each protocol's default base URL. Keys are
resolved by the caller (``console.core.secrets``) and passed in; this module never reads the
keyring or the environment. The in-process GGUF provider is imported lazily so that routing only
over hosted APIs never loads llama.cpp.
"""

from __future__ import annotations

from pathlib import Path

from console.core.policy import schema
from console.core.providers.anthropic import DEFAULT_BASE_URL as ANTHROPIC_BASE_URL
from console.core.providers.anthropic import AnthropicProvider
from console.core.providers.base import ChatProvider
from console.core.providers.gemini import DEFAULT_BASE_URL as GEMINI_BASE_URL
from console.core.providers.gemini import GeminiProvider
from console.core.providers.openai_compat import DEFAULT_BASE_URL as OPENAI_BASE_URL
from console.core.providers.openai_compat import OpenAICompatProvider

DEFAULT_BASE_URLS = {
    schema.ProviderKind.OPENAI_COMPATIBLE: OPENAI_BASE_URL,
    schema.ProviderKind.ANTHROPIC: ANTHROPIC_BASE_URL,
    schema.ProviderKind.GEMINI: GEMINI_BASE_URL,
}


def build_provider(
    name: str, config: schema.Provider, key: str | None, *, policy_dir: Path | None = None
) -> ChatProvider:
    """A ready (not yet connected) provider for the policy entry ``name``.

    ``policy_dir`` resolves relative GGUF paths for local-gguf providers; hosted kinds ignore it.
    """
    if config.kind is schema.ProviderKind.LOCAL_GGUF:
        from console.core.providers.local_gguf import LocalGGUFProvider

        return LocalGGUFProvider(name, config, policy_dir=policy_dir)
    base_url = config.base_url or DEFAULT_BASE_URLS[config.kind]
    if config.kind is schema.ProviderKind.ANTHROPIC:
        return AnthropicProvider(name, base_url=base_url, key=key, headers=config.headers, proxy=config.proxy)
    if config.kind is schema.ProviderKind.GEMINI:
        return GeminiProvider(name, base_url=base_url, key=key, headers=config.headers, proxy=config.proxy)
    return OpenAICompatProvider(name, base_url=base_url, key=key, headers=config.headers, proxy=config.proxy)
