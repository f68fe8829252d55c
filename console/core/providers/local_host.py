"""Every GGUF model this process has loaded, each loaded once, whichever event loop asks for it.

A 7B-70B model held twice is an out-of-memory error on a workstation GPU, so the window's engine,
the endpoint's engine, side-by-side, pilots and the Local models page all borrow their models
from one ``LocalModelHost`` (the process's ``ProviderPool`` owns it). The window and the endpoint
run different event loops, so a load is a ``concurrent.futures.Future`` (settled on the model's
own worker thread) rather than an asyncio task: any loop can wait for it.

One file is held once: the first load's settings (context size, GPU layers, threads) stand while
it stays loaded, and a caller asking for other settings shares that load rather than holding the
file a second time (a prompt past its context fails as ``context_overflow``, which routing falls
back on). Unloading (the Local models page) and loading again is how settings change.

``loads`` counts the loads that really happened (``Llama`` built), per file; tests read it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # numpy and llama.cpp's helpers load with the first model, not with the engine
    from console.core.providers.gguf_file import GGUFInfo
    from console.core.providers.local_gguf_model import LoadedModel, LocalModelSettings

ProgressCallback = Callable[[str, float], None]


def gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can put layers on a GPU (CUDA, Metal, Vulkan...)."""
    try:
        import llama_cpp
    except ImportError:
        return False
    return bool(llama_cpp.llama_supports_gpu_offload())


def _file(path: Path) -> Path:
    """One name per file: a symlink, a relative path and the real path are the same file."""
    return Path(path).resolve()


def _retrieved(done: "asyncio.Future[LoadedModel]") -> None:
    """Mark an abandoned waiter's outcome as seen, so asyncio logs no 'never retrieved'."""
    if not done.cancelled():
        done.exception()


class LocalModelHost:
    """Loaded models by file (every user of a file shares one ``Llama`` and its one worker).

    Attributes:
        loads: how many times each file was actually loaded into llama.cpp.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: "dict[Path, Future[LoadedModel]]" = {}
        self.loads: Counter[Path] = Counter()
        self._listeners: list[Callable[[int], None]] = []

    def watch(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(count)`` after every load and unload, whoever made it (on the thread that
        finished it: a model's worker or the unloading loop)."""
        with self._lock:
            self._listeners.append(listener)

    def _announce(self) -> None:
        count = len(self.loaded())
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(count)

    def load_count(self, path: Path | None = None) -> int:
        """Real loads of ``path`` (or of every file) since this host was made."""
        with self._lock:
            return sum(self.loads.values()) if path is None else self.loads[_file(path)]

    def loaded(self) -> "list[LoadedModel]":
        """The models loaded and ready now."""
        with self._lock:
            futures = list(self._models.values())
        return [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]

    async def load(self, settings: "LocalModelSettings", info: "GGUFInfo", progress: ProgressCallback | None = None
                   ) -> "LoadedModel":
        """The model of ``settings.path``, loaded with ``settings`` if no one has loaded that file yet.

        Concurrent callers share one load. A caller that gives up waiting (a deadline, a cancel)
        leaves the load running for the next. A failed load is forgotten, so the next caller tries again.
        """
        report = progress or (lambda stage, fraction: None)
        with self._lock:
            found = self._models.get(_file(settings.path))
            if found is not None and found.done() and (found.cancelled() or found.exception() is not None):
                found = None
            start = found is None
            if found is None:
                found = self._models[_file(settings.path)] = Future()
        if start:
            report("loading", 0.1)
            self._start_load(settings, info, found)
        waiter = asyncio.wrap_future(found)
        waiter.add_done_callback(_retrieved)
        model = await asyncio.shield(waiter)
        report("ready", 1.0)
        return model

    def _start_load(self, settings: "LocalModelSettings", info: "GGUFInfo", done: "Future[LoadedModel]") -> None:
        from console.core.providers.local_gguf_model import LoadedModel

        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gguf-{settings.path.stem}")
        model = LoadedModel(settings=settings, info=info, executor=executor)

        def work() -> None:  # on the model's own worker: the only thread that ever drives its Llama
            try:
                model.load_in_worker(gpu_offload_supported())
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                executor.shutdown(wait=False)
                done.set_exception(exc)
                return
            with self._lock:
                self.loads[_file(settings.path)] += 1
            done.set_result(model)
            self._announce()

        executor.submit(work)

    async def unload(self, settings: "LocalModelSettings | None" = None) -> None:
        """Free the model of ``settings.path`` (or all); the next call loads it again."""
        with self._lock:
            keys = [_file(settings.path)] if settings is not None else list(self._models)
            futures = [self._models.pop(key) for key in keys if key in self._models]
        loop = asyncio.get_running_loop()
        for future in futures:
            try:
                model = await asyncio.wrap_future(future)
            except BaseException:  # noqa: BLE001 - a load that failed holds nothing to free
                continue
            await loop.run_in_executor(model.executor, model.free_in_worker)  # after any generation in flight
            model.executor.shutdown(wait=True)
        if futures:
            self._announce()

    async def aclose(self) -> None:
        await self.unload()
