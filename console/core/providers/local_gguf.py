"""The in-process GGUF provider: llama.cpp models run inside Routedesk, behind ``ChatProvider``.

Usage::

    provider = LocalGGUFProvider("local", policy.providers["local"], policy_dir=policy_path.parent)
    provider.configure(policy.models["tiny"])          # n_ctx / gpu_layers / threads from the policy
    await provider.load(provider.settings_for("bundled:smollm2-135m"))   # optional: stream() loads lazily
    async for event in provider.stream(call): ...      # call.model_id is the policy's model field

Loaded models live in a ``LocalModelHost`` (the process's provider pool hands every provider the
same one, so a file is loaded once whoever asks): one ``LoadedModel`` per file, loaded with the
first caller's ``LocalModelSettings``, each with a single-worker thread pool, so requests to one model are
serialised (llama.cpp is not re-entrant) while the event loop never blocks. Generated text crosses from the worker to the loop through an ``asyncio.Queue``.
Every failure leaves as a ``ProviderError``: a bad file is ``bad_request`` with the GGUF check's
sentence, a prompt longer than the context is ``context_overflow``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from pathlib import Path
from typing import AsyncGenerator, AsyncIterator, Callable

from console.core.outcomes import Outcome
from console.core.policy import schema
from console.core.providers.base import Completion, ProviderCall, ProviderError, ProviderInfo, StreamEvent, TextChunk
from console.core.providers.gguf_file import GGUFError, GGUFInfo, read_gguf_info
from console.core.providers.local_gguf_model import LoadedModel, LocalModelSettings
from console.core.providers.local_host import LocalModelHost, ProgressCallback, gpu_offload_supported
from console.core.providers.local_models import ModelNotFound, resolve_model_path

__all__ = ["LocalGGUFProvider", "LocalModelHost", "ProgressCallback", "gpu_offload_supported", "DEFAULT_N_CTX"]

DEFAULT_N_CTX = 4096
_END = object()


class _TokenBridge:
    """Hands items from the worker thread to the event loop, waking the loop at most once per batch.

    A wake-up per token costs the decoding thread GIL hand-offs; when the loop is busy, tokens that
    arrive meanwhile ride along with the pending wake-up instead of scheduling their own.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: deque[object] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._ready = asyncio.Event()

    def put(self, item: object) -> bool:
        """Called on the worker thread; False when the loop is gone."""
        self._pending.append(item)
        with self._lock:
            if self._scheduled:
                return True
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:
            return False
        return True

    async def items(self) -> AsyncIterator[object]:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while True:  # batch: while tokens flow, collect them every BATCH_S without being woken
                while self._pending:
                    yield self._pending.popleft()
                await asyncio.sleep(BATCH_S)
                with self._lock:
                    if not self._pending:  # idle again: the next item wakes the loop itself
                        self._scheduled = False
                        break


BATCH_S = 0.025  # at most ~40 loop wake-ups a second per stream, whatever the decode speed


class LocalGGUFProvider:
    """Runs GGUF models in this process through llama-cpp-python.

    Attributes:
        name: the provider's alias in the policy.
        config: its policy entry (kind local-gguf; no key, no URL).
        last_tokens_per_second: decode speed of the most recent finished generation.
        host: where its models are loaded; shared (the pool's) or its own.
    """

    def __init__(self, name: str, config: schema.Provider, *, policy_dir: Path | None = None,
                 host: LocalModelHost | None = None) -> None:
        self.name = name
        self.config = config
        self.policy_dir = policy_dir
        self.last_tokens_per_second = 0.0
        self._model_options: dict[str, tuple[int | None, int, int | None]] = {}
        self._owns_host = host is None  # a borrowed host is closed by its owner (the provider pool)
        self.host = host if host is not None else LocalModelHost()
        self._headers: dict[tuple[Path, int, int], GGUFInfo] = {}

    # --- settings -------------------------------------------------------------------------------

    def configure(self, model: schema.Model) -> None:
        """Remember a policy model's load settings, keyed by its ``model`` field."""
        layers = -1 if model.gpu_layers == "all" else int(model.gpu_layers)
        self._model_options[model.model] = (model.context_window, layers, model.threads)

    def settings_for(self, model_id: str) -> LocalModelSettings:
        """Resolve ``model_id`` to a checked file and the settings it loads with; raise ProviderError."""
        try:
            path = resolve_model_path(model_id, policy_dir=self.policy_dir)
            info = self._header(path)
        except (ModelNotFound, GGUFError) as exc:
            raise ProviderError(Outcome.BAD_REQUEST, str(exc)) from None
        n_ctx, layers, threads = self._model_options.get(model_id, (None, 0, None))
        n_ctx = n_ctx or DEFAULT_N_CTX
        if info.context_length:  # a context past what the model was trained on only wastes memory
            n_ctx = min(n_ctx, info.context_length)
        return LocalModelSettings(path=path, n_ctx=n_ctx, n_gpu_layers=layers, n_threads=threads)

    # --- loading --------------------------------------------------------------------------------

    def _header(self, path: Path) -> GGUFInfo:
        """The file's checked GGUF header, read again only when the file changed (it takes ~80 ms)."""
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        info = self._headers.get(key)
        if info is None:
            info = self._headers[key] = read_gguf_info(path)
        return info

    async def load(self, settings: LocalModelSettings, progress: ProgressCallback | None = None) -> LoadedModel:
        """Load (once, in the host) the model these settings describe; concurrent callers share one load."""
        report = progress or (lambda stage, fraction: None)
        report("checking", 0.0)
        try:
            info = self._header(settings.path)
        except GGUFError as exc:
            raise ProviderError(Outcome.BAD_REQUEST, str(exc)) from None
        return await self.host.load(settings, info, report)

    async def unload(self, settings: LocalModelSettings | None = None) -> None:
        """Free one loaded model (or, on a host of its own, all); the next call loads it again."""
        if settings is None and not self._owns_host:
            return  # the pool's models are the pool's to free
        await self.host.unload(settings)

    async def aclose(self) -> None:
        await self.unload()

    # --- generation -----------------------------------------------------------------------------

    async def stream(self, call: ProviderCall) -> AsyncGenerator[StreamEvent, None]:
        """Yield TextChunks then one Completion; cancel between tokens when the consumer stops."""
        model = await self.load(self.settings_for(call.model_id))
        loop = asyncio.get_running_loop()
        bridge = _TokenBridge(loop)
        cancelled = threading.Event()

        def emit(chunk: TextChunk) -> None:
            if not bridge.put(chunk):  # the loop closed under us: stop generating
                cancelled.set()

        def run() -> Completion:
            try:
                return model.generate_in_worker(call, emit, cancelled)
            finally:
                bridge.put(_END)

        job = loop.run_in_executor(model.executor, self._guarded, run)
        try:
            async for item in bridge.items():
                if item is _END:
                    break
                assert isinstance(item, TextChunk)
                yield item
            completion = await job
            self.last_tokens_per_second = model.last_run.tokens_per_second
            yield completion
        finally:
            cancelled.set()
            if not job.done():
                # The consumer left early; the worker stops at its next token. Collect its end quietly.
                job.add_done_callback(lambda done: done.cancelled() or done.exception())

    @staticmethod
    def _guarded(run: Callable[[], Completion]) -> Completion:
        try:
            return run()
        except ProviderError:
            raise
        except Exception as exc:  # llama.cpp surfaces failures as ValueError/RuntimeError
            raise ProviderError(Outcome.SERVER_ERROR, f"local generation failed: {exc}") from None

    # --- reporting ------------------------------------------------------------------------------

    def info(self) -> ProviderInfo:
        detail = {"gpu_offload": "supported" if gpu_offload_supported() else "not in this build"}
        for model in self.host.loaded():
            label = model.settings.path.name
            detail[label] = (
                f"n_ctx {model.settings.n_ctx}, layers on GPU {model.layers_offloaded} of {model.layers_total}, "
                f"{model.last_run.tokens_per_second:.1f} tok/s last run"
            )
        return ProviderInfo(name=self.name, kind=schema.ProviderKind.LOCAL_GGUF.value, detail=detail)

    async def list_models(self) -> list[str]:
        """The model fields this provider has been configured with."""
        return sorted(self._model_options)
