"""Local GGUF models: read a file's facts, load, unload, try one, in the workspace's one pool.

What the Local models page (and anything else that loads a model by hand) calls. A model loaded
here is the very one the engines and side-by-side use when their settings match, and unloading it
here frees it for them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Mapping

from console.core.providers.base import Completion, ProviderCall, TextChunk
from console.core.providers.gguf_file import GGUFError, GGUFInfo, read_gguf_info
from console.core.providers.gguf_memory import MemoryEstimate, available_ram, estimate_memory, fit_warning, mib
from console.core.providers.local_models import ModelNotFound

if TYPE_CHECKING:
    from console.core.providers.local_gguf import LocalGGUFProvider
    from console.core.workspace import Workspace

__all__ = [
    "Completion", "GGUFError", "GGUFInfo", "LoadDefaults", "LocalModels", "LoadedFacts", "MemoryEstimate",
    "ModelNotFound", "TextChunk", "available_ram", "bundled_demo_model", "estimate_memory", "fit_warning", "mib",
    "gguf_offload_available", "load_defaults", "read_gguf_info", "watch_loaded_models",
]

MANUAL_PROVIDER = "local"


@dataclass(frozen=True)
class LoadedFacts:
    """What a load did: the settings it holds (the handle to unload it) and layers put on a GPU."""

    path: Path
    settings: object  # LocalModelSettings: opaque to front ends
    layers_offloaded: int


@dataclass(frozen=True)
class LoadDefaults:
    """How a policy says a file should be loaded: its GPU layers (-1: all) and context."""

    gpu_layers: int
    context_window: int
    alias: str | None  # the policy's model alias for the file; None: no open policy names it


#: what a file no open policy names is loaded with: every layer a GPU will take (llama.cpp
#: ignores the number where it has no GPU), and a context the smallest models hold
UNNAMED_FILE = LoadDefaults(gpu_layers=-1, context_window=2048, alias=None)


def load_defaults(path: Path, policies: Iterable[tuple[Mapping[str, Any], Path | None]]) -> LoadDefaults:
    """The settings the first open policy that names ``path`` gives it (``policies``: each policy's
    data and the folder relative model paths start from)."""
    from console.core.policy.schema import Model, Provider, ProviderKind
    from console.core.providers.local_models import resolve_model_path

    wanted = Path(path).resolve()
    for data, folder in policies:
        providers = data.get("providers") or {}
        for alias, raw in (data.get("models") or {}).items():
            try:
                model = Model.model_validate(raw)
                provider = Provider.model_validate(providers.get(model.provider))
            except Exception:  # noqa: BLE001 - an unfinished entry in an open editor names nothing yet
                continue
            if provider.kind is not ProviderKind.LOCAL_GGUF:
                continue
            try:
                found = resolve_model_path(model.model, policy_dir=folder).resolve()
            except (ModelNotFound, OSError):
                continue
            if found == wanted:
                layers = -1 if model.gpu_layers == "all" else int(model.gpu_layers)
                return LoadDefaults(layers, model.context_window, str(alias))
    return UNNAMED_FILE


def watch_loaded_models(workspace: "Workspace", listener: Callable[[int], None]) -> int:
    """Call ``listener(count)`` whenever any page, engine or comparison loads or frees a local model
    in the workspace's pool (from the thread that did it); returns how many are loaded now."""
    host = workspace.providers.local
    host.watch(listener)
    return len(host.loaded())


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

    def loaded_count(self) -> int:
        """Models loaded in the pool now, whoever loaded them."""
        return len(self._workspace.providers.local.loaded())

    def load_count(self, path: Path | None = None) -> int:
        """How many times ``path`` (or any file) was really loaded in this process."""
        return self._workspace.providers.local.load_count(path)
