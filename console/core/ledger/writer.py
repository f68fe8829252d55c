"""LedgerWriter: the routing log's single writer thread, with group commit.

``record()`` puts the finished request on an in-memory queue and returns a Future at once; the
caller never touches the disk. The writer thread takes whatever has queued (up to ``batch_rows``
requests), inserts it in one transaction and resolves those futures after the commit. Under load
requests arrive while a commit is running, so they share the next one: waiting on the future costs
about one commit, not one commit per request. ``max_delay_s`` optionally holds a batch open a
little longer to gather more (0 by default: lowest latency).

A batch that fails is retried one request at a time, so one bad record fails only its own future;
every failure is logged and set on the futures, never dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Union

from sqlalchemy import Engine

from console.core.ledger.rows import insert_batch
from console.core.ledger.store import open_ledger
from console.core.records import RequestRecord

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    record: RequestRecord
    future: "Future[None]"


class _Barrier:
    """Queued by flush(): resolved once everything queued before it is committed."""

    def __init__(self) -> None:
        self.future: "Future[None]" = Future()


_STOP = object()
_Item = Union[_Pending, _Barrier, object]


class LedgerClosedError(RuntimeError):
    """record() after close()."""


class LedgerWriter:
    """Implements ``console.core.records.Recorder`` over the routing log.

    Attributes:
        db: the SQLAlchemy engine written to.
        committed_requests: requests committed so far (for status displays and benchmarks).
        commits: transactions committed so far.
    """

    def __init__(self, url: str | None = None, *, db: Engine | None = None, batch_rows: int = 1000,
                 max_delay_s: float = 0.0) -> None:
        self.db = db if db is not None else open_ledger(url)
        self._owns_db = db is None
        self.batch_rows = batch_rows
        self.max_delay_s = max_delay_s
        self.committed_requests = 0
        self.commits = 0
        self._queue: "queue.SimpleQueue[_Item]" = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="routedesk-ledger-writer", daemon=True)
        self._thread.start()

    # --- the caller's side ------------------------------------------------------------------

    def record(self, request: RequestRecord) -> "Future[None]":
        """Queue a finished request; the Future resolves once it is committed (or fails with why)."""
        if self._closed:
            raise LedgerClosedError("the ledger writer is closed")
        future: "Future[None]" = Future()
        self._queue.put(_Pending(request, future))
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything recorded before this call is committed."""
        barrier = _Barrier()
        self._queue.put(barrier)
        barrier.future.result(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, stop the thread, release the database (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._owns_db:
            self.db.dispose()

    def __enter__(self) -> "LedgerWriter":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, barriers, stopping = self._gather(self._queue.get())
            if batch:
                self._commit(batch)
            for barrier in barriers:
                barrier.future.set_result(None)

    def _gather(self, first: _Item) -> tuple[list[_Pending], list[_Barrier], bool]:
        batch: list[_Pending] = []
        barriers: list[_Barrier] = []
        stopping = False
        item: _Item | None = first
        deadline = time.monotonic() + self.max_delay_s
        while item is not None:
            if item is _STOP:
                stopping = True
            elif isinstance(item, _Barrier):
                barriers.append(item)
            elif isinstance(item, _Pending):
                batch.append(item)
            if len(batch) >= self.batch_rows:
                break
            item = self._next_nowait(deadline, stopping)
        return batch, barriers, stopping

    def _next_nowait(self, deadline: float, stopping: bool) -> _Item | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            pass
        remaining = deadline - time.monotonic()
        if stopping or remaining <= 0:
            return None
        try:
            return self._queue.get(timeout=remaining)
        except queue.Empty:
            return None

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with self.db.begin() as conn:
                insert_batch(conn, [p.record for p in batch])
        except Exception as exc:  # one bad record must not fail the rest: retry each alone
            if len(batch) == 1:
                self._fail(batch[0], exc)
                return
            log.warning("ledger batch of %d failed (%s); retrying one by one", len(batch), exc)
            for pending in batch:
                self._commit([pending])
            return
        self.commits += 1
        self.committed_requests += len(batch)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)

    @staticmethod
    def _fail(pending: _Pending, exc: Exception) -> None:
        log.error("ledger could not record request %s: %s", pending.record.request_id, exc)
        if not pending.future.done():
            pending.future.set_exception(exc)
