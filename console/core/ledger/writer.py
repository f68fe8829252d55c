"""LedgerWriter: the routing log's single writer thread, with group commit, behind a journal.

``record()`` appends the finished request to this process's journal (``journal.py``: one
``write()`` of a JSON line, safe from the process being killed), puts it on an in-memory queue and
returns a Future that is already resolved: the request is durable, and the caller has its answer
without waiting for SQLite. The writer thread takes whatever has queued (up to ``batch_rows``
requests), inserts it in one transaction with its rollups, and deletes journal segments once
everything in them is committed. A process that dies leaves its journal, and the next
``open_ledger`` replays it into the log.

Without a journal (an in-memory log, a platform without ``fcntl``, ``journal=False``, or a journal
that cannot be written) the Future resolves after the commit instead. Under load requests arrive
while a commit is running, so they share the next one: waiting costs about one commit, not one per
request. ``max_delay_s`` holds a batch open to gather more: 0.1 s when journaled (nobody waits for
that commit), 0 otherwise.

``flush()`` waits until everything recorded before it is committed and readable. A batch that
fails is retried one request at a time, so one bad record fails only itself; every failure is
logged (and set on its Future when that is still pending), and a journaled record that failed
keeps its segment on disk for the next open to retry.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from sqlalchemy import Engine

from console.core.ledger.journal import Journal, JournalError, encode, journal_dir_for
from console.core.ledger.rows import insert_batch
from console.core.ledger.store import is_transient, open_ledger
from console.core.records import RequestRecord

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    record: RequestRecord
    future: "Future[None]"
    segment: Path | None = None  # the journal segment holding it


@dataclass
class _Retire:
    """Queued after the last record of a full journal segment: delete it once they are committed."""

    segment: Path


class _Barrier:
    """Queued by flush(): resolved once everything queued before it is committed."""

    def __init__(self) -> None:
        self.future: "Future[None]" = Future()


_STOP = object()
#: How long the writer gathers journaled requests before committing them. One commit per request
#: costs the process ~200 µs of CPU (and the GIL) each; gathered, a request costs a few µs. The
#: log lags the answers by at most this much, which the window's live charts never notice.
JOURNALED_DELAY_S = 0.1
#: How often an idle writer looks for journals left by writers that died (another process killed
#: while this one keeps running): their requests reach the log without waiting for a restart.
ORPHAN_SCAN_S = 30.0
#: Pauses before retrying a commit the database refused as busy or unreachable (each try already
#: waits out the busy timeout); after the last, the batch fails and its journal stays for replay.
TRANSIENT_WAITS_S = (1.0, 2.0, 4.0)
_Item = Union[_Pending, _Barrier, _Retire, object]


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
                 max_delay_s: float | None = None, journal: bool = True) -> None:
        self.db = db if db is not None else open_ledger(url)  # opening replays dead writers' journals
        self._owns_db = db is None
        self.batch_rows = batch_rows
        self.committed_requests = 0
        self.commits = 0
        self._queue: "queue.SimpleQueue[_Item]" = queue.SimpleQueue()
        self._closed = False
        # Held to append and enqueue, and to close: journal order == queue order (segments retire in
        # order), and nothing is journaled or queued once close() has queued _STOP.
        self._append_lock = threading.Lock()
        self._hurry = threading.Event()  # set by flush() and close(): stop gathering, commit now
        self.journal: Journal | None = None
        if journal:
            self.journal = self._open_journal()
        if max_delay_s is None:  # nobody waits for a journaled commit: gather, and spare the CPU
            max_delay_s = JOURNALED_DELAY_S if self.journal is not None else 0.0
        self.max_delay_s = max_delay_s
        self._thread = threading.Thread(target=self._run, name="routedesk-ledger-writer", daemon=True)
        self._thread.start()

    # --- the caller's side ------------------------------------------------------------------

    def _open_journal(self) -> Journal | None:
        directory = journal_dir_for(self.db.url.render_as_string(hide_password=False))
        if directory is None:
            return None
        try:
            return Journal(directory)
        except JournalError as err:
            log.warning("%s; requests will wait for their commit instead", err)
            return None

    def record(self, request: RequestRecord) -> "Future[None]":
        """Queue a finished request; the Future resolves once it is durable (or fails with why).

        Durable means journaled (resolved before this returns) or, without a journal, committed.
        """
        future: "Future[None]" = Future()
        journal = self.journal
        line = encode(request) if journal is not None else b""
        with self._append_lock:
            if self._closed:
                raise LedgerClosedError("the ledger writer is closed")
            if journal is not None:
                try:
                    segment, full = journal.append(line)
                except JournalError as err:  # e.g. disk full: this one waits for its commit
                    log.error("%s; request %s waits for its commit", err, request.request_id)
                else:
                    if full is not None:
                        self._queue.put(_Retire(full))
                    self._queue.put(_Pending(request, future, segment))
                    future.set_result(None)
                    return future
            self._queue.put(_Pending(request, future))
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything recorded before this call is committed (at once after close())."""
        barrier = _Barrier()
        with self._append_lock:
            if self._closed:  # close() committed everything it could and stopped the thread
                return
            self._queue.put(barrier)
        self._hurry.set()
        barrier.future.result(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, stop the thread, release the database (idempotent)."""
        with self._append_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._hurry.set()
        self._thread.join(timeout)
        if self.journal is not None and not self._thread.is_alive():  # else it stays for the next open
            self.journal.close()
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
            try:
                first = self._queue.get(timeout=ORPHAN_SCAN_S if self.journal is not None else None)
            except queue.Empty:  # idle: adopt journals of writers that died since the log was opened
                self._replay_orphans()
                continue
            batch, barriers, stopping = self._gather(first)
            if batch:
                self._commit(batch)
            for barrier in barriers:
                if isinstance(barrier, _Retire):
                    if self.journal is not None:
                        self.journal.retire(barrier.segment)
                else:
                    barrier.future.set_result(None)

    def _replay_orphans(self) -> None:
        from console.core.ledger.replay import replay_journals

        if self.journal is None:
            return
        try:
            replay_journals(self.db, self.journal.directory)
        except Exception as err:  # noqa: BLE001 - the next scan or open tries again
            log.warning("could not replay other writers' journals: %s", err)

    def _gather(self, first: _Item) -> tuple[list[_Pending], list[_Barrier | _Retire], bool]:
        """Take what has queued; barriers and retirements are acted on after the batch commits.

        With ``max_delay_s`` the thread first sleeps that long (or until flush/close wakes it) so
        that one commit takes many requests; then it drains the queue without waiting.
        """
        if self.max_delay_s > 0 and isinstance(first, _Pending):
            self._hurry.wait(self.max_delay_s)
            self._hurry.clear()
        batch: list[_Pending] = []
        barriers: list[_Barrier | _Retire] = []
        stopping = False
        item: _Item | None = first
        while item is not None:
            if item is _STOP:
                stopping = True
            elif isinstance(item, (_Barrier, _Retire)):
                barriers.append(item)
            elif isinstance(item, _Pending):
                batch.append(item)
            if len(batch) >= self.batch_rows:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = None
        return batch, barriers, stopping

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._insert_patiently(batch)
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

    def _insert_patiently(self, batch: list[_Pending]) -> None:
        """Insert the batch; a locked or unreachable database is waited out a few times first.

        Another process may hold the write lock past the busy timeout (a bulk import); journaled
        requests are safe meanwhile, and giving up would leave them out of the log until a restart.
        """
        for wait_s in TRANSIENT_WAITS_S:
            try:
                with self.db.begin() as conn:
                    insert_batch(conn, [p.record for p in batch])
                return
            except Exception as exc:  # noqa: BLE001 - retried only when the database is the problem
                if not is_transient(self.db, exc) or self._closed:
                    raise
                log.warning("the routing log is busy (%s); retrying %d request(s) in %.0f s", exc, len(batch), wait_s)
                time.sleep(wait_s)
        with self.db.begin() as conn:
            insert_batch(conn, [p.record for p in batch])

    def _fail(self, pending: _Pending, exc: Exception) -> None:
        log.error("ledger could not record request %s: %s", pending.record.request_id, exc)
        if pending.segment is not None and self.journal is not None:
            self.journal.mark_dirty(pending.segment)
        if not pending.future.done():
            pending.future.set_exception(exc)
