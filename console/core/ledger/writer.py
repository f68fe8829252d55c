"""LedgerWriter: the routing log's single writer thread, with group commit, behind a staging file.

``record()`` makes the request's text storable (``storable.py``), inserts it into this process's
staging file (``staging.py``: stdlib ``sqlite3`` on the caller's thread, ~10 µs, safe from the
process being killed), puts it on an in-memory queue and returns a Future that is already resolved:
the request is durable and the caller has its answer without waiting for the log. The writer thread
takes whatever has queued (up to ``batch_rows`` requests), inserts it in one transaction with its
rollups, then deletes those rows from the staging file. A process that dies leaves its staging file,
and the next writer to open the log recovers it (``staging_recovery.py``).

Without staging (``staging=False``, a log in memory, or a staging file that cannot be made) the
Future resolves after the commit instead: under load requests share commits, so waiting costs about
one commit. ``max_delay_s`` holds a batch open to gather more: 0.1 s when staged, 0 otherwise.

When the log cannot take writes (a full disk, a damaged or unwritable file: ``health.py``) nothing
is retried inside requests and nothing is dropped silently: the writer keeps the requests in memory
(up to ``keep_limit``, then counts them), resolves their Futures, publishes a ``LedgerHealth`` alarm,
tries again every ``RETRY_S``, and writes what it kept once the log takes writes. A locked database
is waited out a few times first. A batch that fails for one of its records is retried one request at
a time, so a bad record fails only itself (logged, and set on its Future).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Union

from sqlalchemy import Engine

from console.core.ledger.health import DISK_FULL, OK, UNAVAILABLE, LedgerHealth, is_disk_full
from console.core.ledger.policy_changes import SeenPolicies
from console.core.ledger.record_json import encode
from console.core.ledger.rows import insert_batch
from console.core.ledger.staging import Staging, staging_dir_for
from console.core.ledger.storable import storable
from console.core.ledger.store import LedgerURLError, damaged_message, is_damage, is_transient, open_ledger
from console.core.paths import default_log_url
from console.core.records import RequestRecord

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    record: RequestRecord
    future: "Future[None]"
    seq: int | None = None  # its row in the staging file


class _Barrier:
    """Queued by flush(): resolved once everything queued before it is committed (or kept)."""

    def __init__(self) -> None:
        self.future: "Future[None]" = Future()


_STOP = object()
#: How long the writer gathers staged requests before committing them. One commit per request costs
#: the process ~200 µs of CPU (and the GIL) each; gathered, a request costs a few µs.
STAGED_DELAY_S = 0.1
#: How often an idle writer looks for staging files left by writers that died meanwhile.
ORPHAN_SCAN_S = 30.0
#: How often a writer whose log cannot take writes (disk full, damaged, unwritable) tries again.
RETRY_S = 5.0
#: Requests kept in memory while the log cannot take writes; past this they are counted.
KEEP_LIMIT = 10_000
#: Pauses before retrying a commit refused as busy or unreachable (each try already waits out the
#: busy timeout); after the last, the batch is kept in memory like a disk-full one.
TRANSIENT_WAITS_S = (1.0, 2.0, 4.0)
_Item = Union[_Pending, _Barrier, object]


class LedgerClosedError(RuntimeError):
    """record() after close()."""


class _CannotWrite(Exception):
    """The log cannot take writes now (disk full, damaged, unwritable): keep, alarm, retry later."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__(detail)
        self.state, self.detail = state, detail


class LedgerWriter:
    """Implements ``console.core.records.Recorder`` over the routing log.

    Attributes:
        db: the SQLAlchemy engine written to; None while the log cannot be opened (see ``health``).
        url: the log's URL (None only while the data directory that holds the default log is unusable).
        committed_requests: requests committed so far (for status displays and benchmarks).
        commits: transactions committed so far.
        staging: this process's staging file, or None (callers then wait for commits).
    """

    def __init__(self, url: str | None = None, *, db: Engine | None = None, batch_rows: int = 1000,
                 max_delay_s: float | None = None, staging: bool = True, keep_limit: int = KEEP_LIMIT) -> None:
        self._owns_db = db is None
        self.url: str | None = db.url.render_as_string(hide_password=False) if db is not None else url
        if self.url is None:
            try:
                self.url = default_log_url()
            except OSError:  # no usable data directory: opening the log says why, and is tried again
                pass
        self.batch_rows = batch_rows
        self.keep_limit = keep_limit
        self.committed_requests = 0
        self.commits = 0
        self._queue: "queue.SimpleQueue[_Item]" = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()  # nothing is queued once close() has queued _STOP
        self._hurry = threading.Event()  # set by flush() and close(): stop gathering, commit now
        self._kept: list[_Pending] = []
        self._health = LedgerHealth()
        self._policies = SeenPolicies()  # (kind, policy, hash) known to be in policy_change
        self._health_lock = threading.Lock()
        self._listeners: list[Callable[[LedgerHealth], None]] = []
        self._next_try = 0.0
        self._stage_failing = False
        self._constructing = True  # health changes are logged only once someone could miss them
        self.staging: Staging | None = self._open_staging() if staging else None
        self.db: Engine | None = db
        if db is None:
            self._try_open()
        self._recover()
        self._constructing = False
        if max_delay_s is None:  # nobody waits for a staged request's commit: gather, spare the CPU
            max_delay_s = STAGED_DELAY_S if self.staging is not None else 0.0
        self.max_delay_s = max_delay_s
        self._thread = threading.Thread(target=self._run, name="routedesk-ledger-writer", daemon=True)
        self._thread.start()

    # --- health -----------------------------------------------------------------------------

    @property
    def health(self) -> LedgerHealth:
        """The log's state now: ``ok``, or the alarm with what is kept."""
        return self._health

    def watch_health(self, listener: Callable[[LedgerHealth], None]) -> None:
        """Call ``listener(health)`` (on the writer's thread) whenever the health changes."""
        self._listeners.append(listener)

    def _set_health(self, **changes: object) -> None:
        with self._health_lock:
            old = self._health
            new = LedgerHealth(**{**old.__dict__, **changes})
            self._health = new
        if (new.state, new.kept > 0, new.not_kept) != (old.state, old.kept > 0, old.not_kept) or (
                new.ok and new.written_late != old.written_late):
            # Logged as an error only where no front end shows it (serve and route print it themselves).
            # At construction nobody can have watched yet: a front end reads ``health`` after it.
            quiet = new.ok or self._listeners or self._constructing
            (log.info if quiet else log.error)("%s", new.summary())
            for listener in list(self._listeners):
                try:
                    listener(new)
                except Exception:  # noqa: BLE001 - a display's failure must not stop the writer
                    log.exception("a ledger health listener failed")

    # --- opening ----------------------------------------------------------------------------

    def _open_staging(self) -> Staging | None:
        if self.url is None:
            return None
        try:
            directory = staging_dir_for(self.url)
        except Exception:  # noqa: BLE001 - a bad URL is reported when the log is opened
            return None
        if directory is None:
            return None
        try:
            return Staging(directory)
        except Exception as err:  # noqa: BLE001 - read-only or full disk: requests wait for commits
            log.warning("cannot make the log's staging file in %s (%s); requests will wait for their commit",
                        directory, err)
            return None

    def _try_open(self) -> bool:
        """Open the log (creating or upgrading it); on failure, say why in the health and go on."""
        try:
            self.db = open_ledger(self.url)
            self._policies = SeenPolicies()  # a log opened anew (maybe replaced meanwhile): check again
            if self.url is None:  # the data directory is usable now
                self.url = self.db.url.render_as_string(hide_password=False)
            return True
        except LedgerURLError:
            if self._constructing:  # a mistake in --db: said at once, not alarmed forever
                raise
            return False
        except Exception as err:  # noqa: BLE001 - routing goes on without the log; the alarm says why
            state = DISK_FULL if is_disk_full(err) else UNAVAILABLE
            self._set_health(state=state, detail=str(err))
            self._next_try = time.monotonic() + RETRY_S
            return False

    def _recover(self) -> None:
        if self.db is None or self.url is None:
            return
        from console.core.ledger.staging_recovery import recover_staged

        try:
            directory = staging_dir_for(self.url)
            recover_staged(self.db, directory, own=self.staging.path if self.staging else None)
        except Exception as err:  # noqa: BLE001 - the next scan or open tries again
            log.warning("could not recover staged requests of other writers: %s", err)

    # --- the caller's side ------------------------------------------------------------------

    def record(self, request: RequestRecord) -> "Future[None]":
        """Queue a finished request; the Future resolves once it is durable (or fails with why).

        Durable means staged (resolved before this returns) or, without staging, committed; while
        the log cannot take writes, kept in memory (``health`` says so).
        """
        future: "Future[None]" = Future()
        pending = _Pending(request, future)
        staging = self.staging
        if staging is not None:
            try:
                try:
                    body = encode(request)
                except UnicodeEncodeError:  # lone surrogates: stored escaped and flagged, never dropped
                    pending.record = request = storable(request)
                    body = encode(request)
                pending.seq = staging.stage(request.request_id, body)
                self._stage_failing = False
            except Exception as err:  # noqa: BLE001 - e.g. disk full: this one waits for its commit
                if not self._stage_failing:  # said once, not once a request
                    log.warning("cannot stage requests (%s); they wait for their commit", err)
                self._stage_failing = True
        else:
            pending.record = storable(request)
        with self._close_lock:
            if self._closed:
                raise LedgerClosedError("the ledger writer is closed")
            self._queue.put(pending)
        if pending.seq is not None:
            future.set_result(None)
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything recorded before this call is committed or, while the log cannot
        take writes, kept (at once after close())."""
        barrier = _Barrier()
        with self._close_lock:
            if self._closed:
                return
            self._queue.put(barrier)
        self._hurry.set()
        barrier.future.result(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued (and what was kept, if the log takes it), stop, release (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._hurry.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            unwritten = len(self._kept)
            if self.staging is not None:
                left = self.staging.close()
                if left:
                    log.error("%d request(s) are not in the log yet; they stay in %s for the next start",
                              left, self.staging.path)
            staged_left = sum(1 for p in self._kept if p.seq is not None)
            if unwritten - staged_left or self._health.not_kept:
                log.error("%d answered request(s) could not be written to the routing log and are lost: %s",
                          unwritten - staged_left + self._health.not_kept, self._health.detail)
        if self._owns_db and self.db is not None:
            self.db.dispose()

    def __enter__(self) -> "LedgerWriter":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            wait = RETRY_S if self._kept or self.db is None else (ORPHAN_SCAN_S if self.staging else None)
            try:
                first = self._queue.get(timeout=wait)
            except queue.Empty:
                if self._kept or self.db is None:
                    self._commit([])  # try the kept requests again
                else:  # idle: adopt staging files of writers that died since the log was opened
                    self._recover()
                continue
            batch, barriers, stopping = self._gather(first)
            if batch or stopping or self._kept or self.db is None:
                self._commit(batch, now=stopping)
            for barrier in barriers:
                barrier.future.set_result(None)

    def _gather(self, first: _Item) -> tuple[list[_Pending], list[_Barrier], bool]:
        """Take what has queued; barriers are resolved after the batch commits.

        With ``max_delay_s`` the thread first sleeps that long (or until flush/close wakes it) so
        that one commit takes many requests; then it drains the queue without waiting.
        """
        if self.max_delay_s > 0 and isinstance(first, _Pending):
            self._hurry.wait(self.max_delay_s)
            self._hurry.clear()
        batch: list[_Pending] = []
        barriers: list[_Barrier] = []
        stopping = False
        item: _Item | None = first
        while item is not None:
            if item is _STOP:
                stopping = True
            elif isinstance(item, _Barrier):
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

    def _commit(self, batch: list[_Pending], *, now: bool = False) -> None:
        """Commit what was kept (if it is time to try) and ``batch``; keep them if the log can't."""
        if (self._kept or self.db is None) and not (now or time.monotonic() >= self._next_try):
            self._keep(batch)  # the log cannot take writes and it is not time to try again: keep, in order
            return
        kept, self._kept = self._kept, []
        batch = kept + batch
        written_late = len(kept)
        if not batch and self.db is not None:
            return
        try:
            if self.db is None:
                if not self._try_open():
                    raise _CannotWrite(self._health.state, self._health.detail)
                self._recover()  # the log can be opened now: staged files left meanwhile go in too
            if batch:
                self._write(batch)
        except _CannotWrite as why:
            self._next_try = time.monotonic() + RETRY_S
            self._set_health(state=why.state, detail=why.detail)
            self._keep(batch)
            return
        if written_late or not self._health.ok:
            self._set_health(state=OK, detail="", kept=0, written_late=self._health.written_late + written_late)

    def _write(self, batch: list[_Pending]) -> None:
        try:
            self._insert_patiently(batch)
        except _CannotWrite:
            raise
        except Exception as exc:  # one bad record must not fail the rest: retry each alone
            if len(batch) == 1:
                self._fail(batch[0], exc)
                return
            log.warning("ledger batch of %d failed (%s); retrying one by one", len(batch), exc)
            for pending in batch:
                self._write([pending])
            return
        self.commits += 1
        self.committed_requests += len(batch)
        if self.staging is not None:
            try:
                self.staging.done([p.seq for p in batch if p.seq is not None])
            except Exception as err:  # noqa: BLE001 - they are committed; recovery will skip them
                log.warning("could not clear committed requests from the staging file: %s", err)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)

    def _insert_patiently(self, batch: list[_Pending]) -> None:
        """Insert the batch; a locked or unreachable database is waited out a few times first.

        A full disk or a damaged log is not waited out inside a request: ``_CannotWrite`` at once.
        """
        assert self.db is not None
        for wait_s in (*TRANSIENT_WAITS_S, None):
            try:
                with self.db.begin() as conn:
                    insert_batch(conn, [p.record for p in batch], self._policies)
                self._policies.committed()
                return
            except Exception as exc:  # noqa: BLE001 - sorted by what it says about the database
                self._policies.rolled_back()
                if is_disk_full(exc):
                    raise _CannotWrite(DISK_FULL, str(getattr(exc, "orig", exc))) from None
                if is_damage(exc):
                    raise _CannotWrite(UNAVAILABLE, damaged_message(self.url or "", exc)) from None
                if not is_transient(self.db, exc):
                    raise
                if wait_s is None or self._closed:
                    raise _CannotWrite(UNAVAILABLE, f"the log stays busy or unreachable: "
                                                    f"{getattr(exc, 'orig', exc)}") from None
                log.warning("the routing log is busy (%s); retrying %d request(s) in %.0f s", exc, len(batch), wait_s)
                time.sleep(wait_s)

    def _keep(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        room = max(0, self.keep_limit - len(self._kept))
        self._kept.extend(batch[:room])
        over = batch[room:]
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)  # answered; the alarm says where the record is
        self._set_health(kept=len(self._kept), not_kept=self._health.not_kept + len(over))

    def _fail(self, pending: _Pending, exc: Exception) -> None:
        log.error("ledger could not record request %s: %s", pending.record.request_id, exc)
        if not pending.future.done():
            pending.future.set_exception(exc)
