"""The in-process GGUF provider: llama.cpp models run inside Routedesk, behind ``ChatProvider``.

Usage::

    provider = LocalGGUFProvider("local", policy.providers["local"], policy_dir=policy_path.parent)
    provider.configure(policy.models["tiny"])          # n_ctx / gpu_layers / threads from the policy
    await provider.load(provider.settings_for("bundled:smollm2-135m"))   # optional: stream() loads lazily
    async for event in provider.stream(call): ...      # call.model_id is the policy's model field

One ``LoadedModel`` is kept per distinct ``LocalModelSettings``; each owns a single-worker thread
pool, so requests to one model are serialised (llama.cpp is not re-entrant) while the event loop
never blocks. Generated text crosses from the worker to the loop through an ``asyncio.Queue``.
Every failure leaves as a ``ProviderError``: a bad file is ``bad_request`` with the GGUF check's
sentence, a prompt longer than the context is ``context_overflow``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import AsyncGenerator, AsyncIterator, Callable

from console.core.outcomes import Outcome
from console.core.policy import schema
from console.core.providers.base import Completion, ProviderCall, ProviderError, ProviderInfo, StreamEvent, TextChunk
from console.core.providers.gguf_file import GGUFError, GGUFInfo, read_gguf_info
from console.core.providers.local_gguf_model import LoadedModel, LocalModelSettings
from console.core.providers.local_models import ModelNotFound, resolve_model_path

ProgressCallback = Callable[[str, float], None]
DEFAULT_N_CTX = 4096
_END = object()


def gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can put layers on a GPU (CUDA, Metal, Vulkan...)."""
    try:
        import llama_cpp
    except ImportError:
        return False
    return bool(llama_cpp.llama_supports_gpu_offload())


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
    """

    def __init__(self, name: str, config: schema.Provider, *, policy_dir: Path | None = None) -> None:
        self.name = name
        self.config = config
        self.policy_dir = policy_dir
        self.last_tokens_per_second = 0.0
        self._model_options: dict[str, tuple[int | None, int, int | None]] = {}
        self._loaded: dict[LocalModelSettings, LoadedModel] = {}
        self._loading: dict[LocalModelSettings, asyncio.Task[LoadedModel]] = {}
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
        """Load (once) the model these settings describe; concurrent callers share one load.

        The load runs as a task of its own: a caller that gives up (a first-token deadline, a
        cancel) stops waiting, but the load finishes for the next caller instead of being thrown away.
        """
        if settings in self._loaded:
            return self._loaded[settings]
        task = self._loading.get(settings)
        if task is None:
            task = asyncio.ensure_future(self._load(settings, progress or (lambda stage, fraction: None)))
            self._loading[settings] = task
            task.add_done_callback(lambda done: self._loading.pop(settings, None) and None)
            task.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved: no warning
        return await asyncio.shield(task)

    async def _load(self, settings: LocalModelSettings, report: ProgressCallback) -> LoadedModel:
        report("checking", 0.0)
        try:
            info = self._header(settings.path)
        except GGUFError as exc:
            raise ProviderError(Outcome.BAD_REQUEST, str(exc)) from None
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gguf-{settings.path.stem}")
        model = LoadedModel(settings=settings, info=info, executor=executor)
        report("loading", 0.1)
        try:
            offload = await asyncio.get_running_loop().run_in_executor(executor, gpu_offload_supported)
            await asyncio.get_running_loop().run_in_executor(executor, model.load_in_worker, offload)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        self._loaded[settings] = model
        report("ready", 1.0)
        return model

    async def unload(self, settings: LocalModelSettings | None = None) -> None:
        """Free one loaded model (or all); the next call loads it again."""
        targets = [settings] if settings else list(self._loaded)
        for key in targets:
            model = self._loaded.pop(key, None)
            if model is None:
                continue
            await asyncio.get_running_loop().run_in_executor(model.executor, model.free_in_worker)
            model.executor.shutdown(wait=True)

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
        for model in self._loaded.values():
            label = model.settings.path.name
            detail[label] = (
                f"n_ctx {model.settings.n_ctx}, layers on GPU {model.layers_offloaded} of {model.layers_total}, "
                f"{model.last_run.tokens_per_second:.1f} tok/s last run"
            )
        return ProviderInfo(name=self.name, kind=schema.ProviderKind.LOCAL_GGUF.value, detail=detail)

    async def list_models(self) -> list[str]:
        """The model fields this provider has been configured with."""
        return sorted(self._model_options)
