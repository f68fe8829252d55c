"""The dashboards' link to the log: every read runs off the GUI thread; only the newest answer lands.

``DashboardData`` opens the log on the engine thread's executor, loads each section of a query as
its own job (so each section draws as soon as it arrives), drops answers to queries that have
since been replaced, and polls the log every ``POLL_MS`` for a newer request so live traffic shows
up without a refresh and without redrawing when nothing changed.

Sections are read two at a time, in ``SECTIONS`` order. What is left of each read in Python
(the GIL) is small next to SQLite's own work (the rollup sums, the joined latency histograms),
which runs beside the other reader and the GUI thread on a second core. Two readers finished a year's filter change sooner than one (bench_dashboard, A/B in one
run); more would only compete with the GUI thread drawing the first answers. A section whose
query has been replaced by the time its turn comes is skipped, not read.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import Engine

from console.core.ledger.series import latest_request_ts
from console.core.policy.schema import Budget
from console.ui.pages.dashboard import loaders
from console.ui.pages.dashboard.query import Clock, DashboardQuery

POLL_MS = 2000
SECTIONS = ("attempts", "requests", "budgets", "latency", "drift")  # the order they are read in
READERS = 2  # sections read at once (see the module docstring)


class DashboardData(QObject):
    """Loads sections of a ``DashboardQuery`` through the bridge.

    Signals:
        sig_opened(object): the log is open; carries the newest request time (None: empty log).
        sig_open_failed(str): the log could not be opened; a sentence.
        sig_section_loaded(str, object): one section of the current query arrived.
        sig_query_finished(): every section of the current query arrived (or failed).
        sig_section_failed(str, str): a section's read failed: (section, sentence).
        sig_log_changed(float): a newer request was logged since the last look.
        sig_choices_loaded(object): the FilterChoices present in the log.
    """

    sig_opened = Signal(object)
    sig_open_failed = Signal(str)
    sig_section_loaded = Signal(str, object)
    sig_query_finished = Signal()
    sig_section_failed = Signal(str, str)
    sig_log_changed = Signal(float)
    sig_choices_loaded = Signal(object)

    def __init__(self, bridge: Any, clock: Clock = time.time, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._clock = clock
        self.db: Engine | None = None
        self.url: str | None = None
        self.budgets: list[Budget] = []
        self._generation = 0
        self._pending: set[str] = set()
        self._jobs: list[Any] = []  # keep Job objects alive until they report
        self._latest: float | None = None
        self._polling = False
        self._section_lock: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None  # per engine loop
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self._on_poll_timer_timeout)

    # --- opening ----------------------------------------------------------------------------
    def open(self, url: str | None) -> None:
        """Open the log at ``url`` (None: the default log) off the GUI thread."""
        self._close_db()
        self.url = url

        def work() -> tuple[Engine, float | None]:
            from console.core.app import open_log

            db = open_log(url, create_if_missing=True)  # read-only; a new empty log only where none is
            return db, latest_request_ts(db)

        self._run(work, self._on_opened, self.sig_open_failed.emit)

    def _on_opened(self, result: tuple[Engine, float | None]) -> None:
        self.db, self._latest = result
        self.refresh_choices()
        self._poll_timer.start()
        self.sig_opened.emit(self._latest)

    def refresh_choices(self) -> None:
        if self.db is not None:
            self._run(loaders.load_choices, self.sig_choices_loaded.emit, lambda _m: None, self.db)

    # --- loading a query -------------------------------------------------------------------
    def load(self, query: DashboardQuery, sections: Sequence[str] = SECTIONS) -> int:
        """Start reading ``sections`` of ``query``; earlier queries' answers will be dropped."""
        if self.db is None:
            return self._generation
        self._generation += 1
        generation = self._generation
        self._pending = set(sections)
        db, now = self.db, self._clock()
        work: dict[str, Callable[[], Any]] = {
            "attempts": lambda: loaders.load_attempts(db, query),
            "requests": lambda: loaders.load_requests(db, query),
            "latency": lambda: loaders.load_latency(db, query),
            "budgets": lambda: loaders.load_budgets(db, self.budgets, now, query.filters.kind),
            "drift": lambda: loaders.load_drift(db, query, now),
        }
        for name in sorted(sections, key=lambda n: SECTIONS.index(n) if n in SECTIONS else len(SECTIONS)):
            self._run_section(generation, work[name],
                              lambda result, n=name: self._deliver(generation, n, result),
                              lambda message, n=name: self._fail(generation, n, message))
        return generation

    def _run_section(self, generation: int, func: Callable[[], Any], on_done: Callable[[Any], None],
                     on_failed: Callable[[str], None]) -> None:
        """Read one section once a reader is free, in the order sections were queued (see the module docstring)."""

        async def read_in_turn() -> Any:
            loop = asyncio.get_running_loop()
            if self._section_lock is None or self._section_lock[0] is not loop:  # only the engine loop gets here
                self._section_lock = (loop, asyncio.Semaphore(READERS))
            async with self._section_lock[1]:
                if generation != self._generation:
                    return None  # replaced while waiting: _deliver drops it anyway
                return await loop.run_in_executor(None, func)

        self._track(self._bridge.submit(read_in_turn), on_done, on_failed)

    def _deliver(self, generation: int, name: str, result: Any) -> None:
        if generation != self._generation:
            return  # answer to a query that has been replaced
        self.sig_section_loaded.emit(name, result)
        self._settle(name)

    def _fail(self, generation: int, name: str, message: str) -> None:
        if generation != self._generation:
            return
        self.sig_section_failed.emit(name, message)
        self._settle(name)

    def _settle(self, name: str) -> None:
        self._pending.discard(name)
        if not self._pending:
            self.sig_query_finished.emit()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(self, func: Callable[..., Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None],
            *args: Any) -> None:
        """Run any read off the GUI thread (the requests table pages through this)."""
        self._run(func, on_done, on_failed, *args)

    def _run(self, func: Callable[..., Any], on_done: Callable[[Any], None], on_failed: Callable[[str], None],
             *args: Any) -> None:
        self._track(self._bridge.run_blocking(func, *args), on_done, on_failed)

    def _track(self, job: Any, on_done: Callable[[Any], None], on_failed: Callable[[str], None]) -> None:
        self._jobs.append(job)

        def finished(result: Any) -> None:
            self._forget(job)
            on_done(result)

        def failed(message: str) -> None:
            self._forget(job)
            on_failed(message)

        job.sig_finished.connect(finished)
        job.sig_failed.connect(failed)
        job.sig_cancelled.connect(lambda: self._forget(job))

    def _forget(self, job: Any) -> None:
        if job in self._jobs:
            self._jobs.remove(job)

    # --- live ------------------------------------------------------------------------------
    def poll_now(self) -> None:
        self._on_poll_timer_timeout()

    def _on_poll_timer_timeout(self) -> None:
        if self.db is None or self._polling:
            return
        self._polling = True
        self._run(latest_request_ts, self._on_poll_finished, self._on_poll_failed, self.db)

    def _on_poll_finished(self, latest: float | None) -> None:
        self._polling = False
        if latest is not None and latest != self._latest:
            self._latest = latest
            self.sig_log_changed.emit(latest)

    def _on_poll_failed(self, _message: str) -> None:
        self._polling = False

    # --- closing ---------------------------------------------------------------------------
    def _close_db(self) -> None:
        self._poll_timer.stop()
        self._generation += 1
        self._pending.clear()
        if self.db is not None:
            self.db.dispose()
            self.db = None

    def shutdown(self) -> None:
        self._close_db()
