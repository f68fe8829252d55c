"""Local GGUF models: read a file's facts, load, unload, try one, in the workspace's one pool.

What the Local models page (and anything else that loads a model by hand) calls. A model loaded
here is the very one the engines and side-by-side use when their settings match, and unloading it
here frees it for them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator

from console.core.providers.base import Completion, ProviderCall, TextChunk
from console.core.providers.gguf_file import GGUFError, GGUFInfo, read_gguf_info
from console.core.providers.local_models import ModelNotFound

if TYPE_CHECKING:
    from console.core.providers.local_gguf import LocalGGUFProvider
    from console.core.workspace import Workspace

__all__ = [
    "Completion", "GGUFError", "GGUFInfo", "LocalModels", "LoadedFacts", "ModelNotFound", "TextChunk",
    "bundled_demo_model", "gguf_offload_available", "read_gguf_info",
]

MANUAL_PROVIDER = "local"


@dataclass(frozen=True)
class LoadedFacts:
    """What a load did: the settings it holds (the handle to unload it) and layers put on a GPU."""

    path: Path
    settings: object  # LocalModelSettings: opaque to front ends
    layers_offloaded: int


def bundled_demo_model() -> Path | None:
    """The demo GGUF shipped with Routedesk, if this install has it."""
    from console.core.providers.local_models import bundled_model_path

    try:
        return bundled_model_path("smollm2-135m")
    except ModelNotFound:
        return None


def gguf_offload_available() -> bool:
    """Whether this llama.cpp build can put layers on a GPU (imports llama.cpp: not on a GUI thread)."""
    from console.core.providers.local_host import gpu_offload_supported

    return gpu_offload_supported()


class LocalModels:
    """Load, unload and try GGUF files by hand, through ``workspace.providers``. Use on one event loop."""

    def __init__(self, workspace: "Workspace") -> None:
        self._workspace = workspace
        self._provider: "LocalGGUFProvider | None" = None

    @property
    def provider(self) -> "LocalGGUFProvider":
        if self._provider is None:
            from console.core.policy.schema import Provider, ProviderKind

            self._provider = self._workspace.providers.local_provider(
                MANUAL_PROVIDER, Provider(kind=ProviderKind.LOCAL_GGUF))
        assert self._provider is not None
        return self._provider

    async def load(self, path: Path, *, context_window: int, gpu_layers: int) -> LoadedFacts:
        """Load ``path`` (once: a model already loaded with these settings is reused); ``gpu_layers`` -1: all."""
        from console.core.policy.schema import Model

        provider = self.provider
        provider.configure(Model(provider=MANUAL_PROVIDER, model=str(path), context_window=context_window,
                                 gpu_layers="all" if gpu_layers < 0 else gpu_layers))
        settings = provider.settings_for(str(path))
        loaded = await provider.load(settings)
        return LoadedFacts(settings.path, settings, loaded.layers_offloaded)

    async def unload(self, loaded: LoadedFacts) -> None:
        """Free the model (for every user of it in this process)."""
        await self.provider.unload(loaded.settings)  # type: ignore[arg-type]

    def try_model(self, path: Path, prompt: str = "Say hello in one sentence.", max_tokens: int = 32
                  ) -> AsyncIterator[object]:
        """Stream a short answer from a loaded file: TextChunks, then one Completion."""
        from console.core.request import Message

        call = ProviderCall(model_id=str(path), messages=(Message("user", prompt),), max_tokens=max_tokens)
        return self.provider.stream(call)

    @property
    def last_tokens_per_second(self) -> float:
        return self._provider.last_tokens_per_second if self._provider is not None else 0.0

    def load_count(self, path: Path | None = None) -> int:
        """How many times ``path`` (or any file) was really loaded in this process."""
        return self._workspace.providers.local.load_count(path)
