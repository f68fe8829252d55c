"""One asyncio loop on its own "engine" thread, and the way the GUI hands it work.

The GUI thread never runs a coroutine and never blocks: it submits a coroutine factory (or a
blocking callable, which runs in the loop's executor), gets a ``Job`` back at once and hears about
progress through the Job's signals. Streamed text is not sent chunk by chunk: the engine thread
appends to a locked buffer and one GUI-thread timer flushes every active job at screen rate, so a
fast token stream costs the GUI at most ~60 repaints a second however many tokens arrive.

Nothing crosses threads except through ``asyncio.run_coroutine_threadsafe`` /
``call_soon_threadsafe`` (GUI → engine) and the locked buffers (engine → GUI).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, AsyncIterator, Awaitable, Callable

from PySide6.QtCore import QObject, QTimer, Signal

FLUSH_INTERVAL_MS = 16
ENGINE_THREAD_NAME = "engine"


class Job(QObject):
    """A piece of work running on the engine loop.

    Signals:
        sig_text_arrived(str): text streamed since the last flush (consecutive pieces coalesced).
        sig_event_arrived(object): a non-text event from a stream (e.g. Started, Discarded).

    Text and events arrive in the order the engine queued them: text streamed before a Discarded
    arrives before it, and text after it after it, however they fall across flushes.
        sig_finished(object): the coroutine's result.
        sig_failed(str): the work raised; a sentence, never a traceback.
        sig_cancelled(): the work was cancelled before it finished.
    """

    sig_text_arrived = Signal(str)
    sig_event_arrived = Signal(object)
    sig_finished = Signal(object)
    sig_failed = Signal(str)
    sig_cancelled = Signal()

    def __init__(self, loop: asyncio.AbstractEventLoop, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop = loop
        self._lock = threading.Lock()
        # In queue order: an event, or a list of text pieces queued one after another.
        self._queued: list[Any] = []
        self._future: concurrent.futures.Future[Any] | None = None
        self._delivered = False
        self._flushing = False  # GUI thread: a flush is emitting its events
        self._task: asyncio.Task[Any] | None = None  # set on the engine thread when the work starts
        self._cancel_asked = False  # read and written on the engine thread only

    # --- engine-thread side ---------------------------------------------------------------
    def push_text(self, text: str) -> None:
        """Called from the engine thread: queue text for the next flush."""
        with self._lock:
            if self._queued and type(self._queued[-1]) is _TextRun:
                self._queued[-1].append(text)
            else:
                self._queued.append(_TextRun([text]))

    def push_event(self, event: Any) -> None:
        """Called from the engine thread: queue a non-text event for the next flush."""
        with self._lock:
            self._queued.append(event)

    def started(self) -> None:
        """Called on the engine thread as the work begins: cancel() can now reach its task."""
        self._task = asyncio.current_task()
        if self._cancel_asked:
            raise asyncio.CancelledError

    def _cancel_on_loop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        else:
            self._cancel_asked = True  # not started yet: started() raises

    # --- GUI-thread side ------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._delivered

    def cancel(self) -> None:
        """Ask the engine loop to cancel the work; ``sig_cancelled`` follows once it has stopped.

        The task itself is cancelled (not the Future that mirrors it), so the signal waits for the
        work's own clean-up: a cancelled route has been recorded in the log by then.
        """
        if self._future is None or self._future.done():
            return
        try:
            self._loop.call_soon_threadsafe(self._cancel_on_loop)
        except RuntimeError:  # the loop is closed: nothing will run the work any more
            self._future.cancel()

    def flush(self) -> bool:
        """Deliver queued text, events and (once) the ending; return True when the job is over.

        Whether the work has ended is read BEFORE the queues are drained: the engine thread queues
        everything before its future completes, so a future seen done means every event is already
        in the queues and this drain takes the last of them. Reading it after the drain (as this
        once did) lost whatever was queued while the drained events were being emitted - usually
        the final one, so a page waited for a verdict forever.
        """
        if self._delivered or self._flushing:
            # A slot that spins the event loop (a dialog) must not start a second, overlapping
            # delivery: events would arrive out of order or after the ending.
            return self._delivered
        future = self._future
        ended = future is not None and future.done()
        with self._lock:
            queued, self._queued = self._queued, []
        self._flushing = True
        try:
            for item in queued:
                if type(item) is _TextRun:
                    self.sig_text_arrived.emit("".join(item))
                else:
                    self.sig_event_arrived.emit(item)
        finally:
            self._flushing = False
        if not ended:
            return False
        assert future is not None
        self._delivered = True
        if future.cancelled():
            self.sig_cancelled.emit()
            return True
        error = future.exception()
        if isinstance(error, asyncio.CancelledError):
            self.sig_cancelled.emit()
        elif error is not None:
            self.sig_failed.emit(_sentence(error))
        else:
            self.sig_finished.emit(future.result())
        return True


class _TextRun(list):  # type: ignore[type-arg]
    """Text pieces queued back to back; delivered as one string."""


def _sentence(error: BaseException) -> str:
    message = str(error) or type(error).__name__
    return message if message.endswith((".", "!", "?")) else f"{message}."


class EngineBridge(QObject):
    """Owns the engine thread and loop; submits work; flushes results to the GUI at screen rate.

    Signals:
        sig_busy_changed(bool): True while any job is running.
        sig_log_health_changed(object): the routing log's ``LedgerHealth`` changed (a full disk, a
            damaged log, and their end); emitted from the log's writer thread, delivered queued.
    """

    sig_busy_changed = Signal(bool)
    sig_log_health_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._jobs: list[Job] = []
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.closing = False  # set by shutdown(); late timers must not start the thread again
        self.log_url: str | None = None  # the routing log; None is the default file in the data directory
        self._workspace: Any = None  # console.core.workspace.Workspace, created on the engine thread
        self._closers: list[Callable[[], Awaitable[Any]]] = []
        self._workspace_lock = threading.Lock()  # the GUI thread and the engine thread may ask at once
        self._rollout_watch: Any = None  # the guardrail checks' task on the engine loop (watch_rollouts)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=ENGINE_THREAD_NAME, daemon=True)
        self._thread.start()
        ready.wait()

    @property
    def workspace(self) -> Any:
        """The process's one Workspace: every page and the endpoint route, compare, pilot and load
        local models through it (one ledger writer, one provider pool).

        Made on first use, once even when two threads ask at once; use what it holds (engines,
        providers) on the engine thread (inside submitted coroutines or stream factories).
        """
        with self._workspace_lock:
            if self._workspace is None:
                from console.core.app import Workspace

                self._workspace = Workspace(self.log_url)
                health = self._workspace.watch_log_health(self.sig_log_health_changed.emit)
                if health is not None and not health.ok:
                    self.sig_log_health_changed.emit(health)
            return self._workspace

    def add_closer(self, close: Callable[[], Awaitable[Any]]) -> None:
        """Have ``close()`` awaited on the engine loop at shutdown (free models, close clients)."""
        self._closers.append(close)

    def watch_rollouts(self) -> None:
        """Check the staged rollouts' guardrails on the engine loop from now until shutdown (once):
        the window routes too (Try it, its endpoint), so it is a serving process."""
        if self._rollout_watch is not None or self.closing:
            return
        self.start()
        assert self._loop is not None

        async def watch() -> None:  # the workspace made (imports, the log opened) on the engine thread
            await self.workspace.watch_rollouts()

        self._rollout_watch = asyncio.run_coroutine_threadsafe(watch(), self._loop)

        async def stop() -> None:  # before the workspace closes under it
            self._rollout_watch.cancel()

        self.add_closer(stop)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel every job, close the engine, stop the loop and join the thread."""
        self.closing = True
        self._timer.stop()
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            # No engine loop ever ran, yet the workspace may have been made (its ledger writer is
            # a thread): close it here, on a loop of its own; nothing in it belongs to another loop.
            with self._workspace_lock:
                workspace, self._workspace = self._workspace, None
            if workspace is not None:
                asyncio.run(workspace.aclose())
            return
        for job in self._jobs:
            job.cancel()
        self._jobs.clear()

        async def close_workspace() -> None:  # last: the endpoint stops before the workspace frees its models
            with self._workspace_lock:
                workspace, self._workspace = self._workspace, None
            if workspace is not None:
                await workspace.aclose()

        async def close() -> None:
            for close in [*self._closers, close_workspace]:
                try:
                    await close()
                except Exception:  # noqa: BLE001 - one failing closer must not keep the others open
                    pass
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await loop.shutdown_asyncgens()
            await loop.shutdown_default_executor()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout_s)
        except Exception:  # noqa: BLE001 - shutting down: a failing aclose must not keep the thread alive
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None

    # --- submitting work ------------------------------------------------------------------
    def submit(self, make_coro: Callable[[], Awaitable[Any]]) -> Job:
        """Run ``make_coro()`` on the engine loop; the Job reports its result on the GUI thread."""
        self.start()
        assert self._loop is not None
        job = Job(self._loop)

        async def runner() -> Any:
            job.started()
            return await make_coro()

        job._future = asyncio.run_coroutine_threadsafe(runner(), self._loop)
        self._track(job)
        return job

    def run_blocking(self, func: Callable[..., Any], *args: Any) -> Job:
        """Run a blocking call (keyring, llama load, disk) in the engine loop's executor."""

        async def call() -> Any:
            return await asyncio.get_running_loop().run_in_executor(None, func, *args)

        return self.submit(call)

    def stream(
        self,
        make_stream: Callable[[], AsyncIterator[Any]],
        text_of: Callable[[Any], str | None] = lambda event: event if isinstance(event, str) else None,
    ) -> Job:
        """Iterate ``make_stream()`` on the engine loop; text events are coalesced, others queued.

        ``text_of`` says which events are answer text (and what text); the stream's last event that
        is not text becomes the job's result, so an Engine.route_stream ends with its RouteResult.
        """
        self.start()
        assert self._loop is not None
        job = Job(self._loop)

        async def runner() -> Any:
            job.started()
            last: Any = None
            async for event in make_stream():
                text = text_of(event)
                if text is not None:
                    job.push_text(text)
                else:
                    job.push_event(event)
                    last = event
            return last

        job._future = asyncio.run_coroutine_threadsafe(runner(), self._loop)
        self._track(job)
        return job

    def _track(self, job: Job) -> None:
        self._jobs.append(job)
        if not self._timer.isActive():
            self._timer.start()
            self.sig_busy_changed.emit(True)

    def _on_timer_timeout(self) -> None:
        for job in list(self._jobs):
            if job.flush():
                self._jobs.remove(job)  # the caller's reference keeps the Job alive as long as it cares
        if not self._jobs:
            self._timer.stop()
            self.sig_busy_changed.emit(False)
