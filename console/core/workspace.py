"""Workspace: what one Routedesk process shares — the log, the provider pool (keys, loaded models), the engines.

There is one per process: the CLI command, the window (its engine bridge holds it) and the local
endpoint all get their ``Engine`` here, and every page, side-by-side run, pilot and key test takes
its providers from ``workspace.providers``, so a GGUF file is loaded once whoever uses it. Every
request they route lands in the same ledger (through one writer) and budgets start from what the
log says was already spent this period; while they run, every engine counts every other engine's
spend (one SpendFeed), so the window and the endpoint cannot each spend a budget once. Nothing is
opened until first asked for.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from console.core.budget.tracker import SpendFeed
from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.providers.pool import ProviderPool
from console.core.records import MemoryRecorder, Recorder
from console.core.secrets import KeyStore
from console.core.shadow.cap import ShadowCaps

if TYPE_CHECKING:
    from console.core.ledger.health import LedgerHealth
    from console.core.rollout.service import Rollouts

log = logging.getLogger(__name__)


class Workspace:
    """Engines by policy file, one recorder, one provider pool (with the one key store).

    Attributes:
        providers: every provider instance and loaded local model of this process.
        log_url: SQLAlchemy URL of the routing log (None: the default file in the data directory).
        record: False keeps requests in memory only (``--no-log``).
        store_prompts: log prompt text too (opt-in; off by default).
    """

    def __init__(
        self,
        log_url: str | None = None,
        *,
        key_store: KeyStore | None = None,
        record: bool = True,
        store_prompts: bool = False,
    ) -> None:
        self.log_url = log_url
        self.record = record
        self.store_prompts = store_prompts
        self.providers = ProviderPool(key_store)
        self._recorder: Recorder | None = None
        self._health_listeners: list[Callable[["LedgerHealth"], None]] = []
        self._recorder_lock = threading.Lock()
        self._engines: dict[str, Engine] = {}
        self._spend_feed = SpendFeed()  # every engine here counts every engine's spend
        self._rollouts: "Rollouts | None" = None
        self._shadow_caps = ShadowCaps()  # and spends one daily shadow cap per route

    @property
    def recorder(self) -> Recorder:
        """The one log writer, opened on first use; once, whichever threads ask at the same time
        (an engine's loop, a worker reading first-token history, the window's GUI thread)."""
        if self._recorder is not None:
            return self._recorder
        with self._recorder_lock:
            if self._recorder is not None:
                return self._recorder
            if self.record:
                from console.core.ledger.writer import LedgerWriter

                writer = LedgerWriter(self.log_url)
                for listener in self._health_listeners:
                    writer.watch_health(listener)
                    if not writer.health.ok:  # already alarmed while opening: nobody was listening yet
                        listener(writer.health)
                self._recorder = writer
            else:
                self._recorder = MemoryRecorder()
        return self._recorder

    def watch_log_health(self, listener: Callable[["LedgerHealth"], None]) -> "LedgerHealth | None":
        """Call ``listener`` (on the log's writer thread) whenever the log's health changes: a full
        disk, a damaged or unwritable log, and its recovery. Returns the health now; None when
        nothing is logged (``record=False``) or the log is not open yet: watching does not open it
        (that imports SQLAlchemy and starts the writer), the listener hears once it is opened."""
        with self._recorder_lock:  # a writer opening now either sees this listener or is seen here
            self._health_listeners.append(listener)
            recorder = self._recorder
        if recorder is None:
            return None
        watch = getattr(recorder, "watch_health", None)
        if watch is None:
            return None
        watch(listener)
        return recorder.health  # type: ignore[attr-defined, no-any-return]

    def spend_so_far(self, policy: Policy) -> dict[str, float]:
        """Each budget's spend this period, from the log (empty when there is no log)."""
        if not self.record or not policy.budgets:
            return {}
        from console.core.budget.burn import budget_burn

        writer = self.recorder
        db = getattr(writer, "db", None)
        if db is None:
            return {}
        try:
            self.flush_log(10)  # what this process's engines spent is in the log before it is read
            return {burn.name: burn.spent_usd for burn in budget_burn(db, policy.budgets)}
        except Exception as err:  # a log we cannot read must not stop routing; say so
            log.warning("could not read budget spend from the routing log: %s", err)
            return {}

    def ttft_so_far(self, policy: Policy) -> dict[str, list[float]]:
        """Each model's recent streamed times to first token from the log (empty without a log).

        What the first-token deadlines start from (``routing/deadlines.py``)."""
        if not self.record:
            return {}
        db = getattr(self.recorder, "db", None)
        if db is None:
            return {}
        from console.core.ledger.ttft_history import recent_ttft

        try:
            self.flush_log(10)
            return recent_ttft(db, {alias: model.model for alias, model in policy.models.items()})
        except Exception as err:  # a log we cannot read must not stop routing; say so
            log.warning("could not read times to first token from the routing log: %s", err)
            return {}

    def engine(self, policy: Policy, path: str | Path | None = None, *, scope: str = "") -> Engine:
        """The engine for ``path`` (or this policy's name), switched to ``policy`` if it changed.

        ``scope`` keeps engines apart that run on different event loops (the window's engine thread,
        the endpoint's server thread) while they share this workspace's one ledger writer.
        """
        key = str(Path(path).resolve()) if path is not None else f"<memory:{policy.name}>"
        key = f"{scope}|{key}"
        engine = self._engines.get(key)
        if engine is None:
            engine = Engine(
                policy,
                policy_path=path,
                recorder=self.recorder,
                providers=self.providers,
                spend_seed=self.spend_so_far(policy),
                store_prompts=self.store_prompts,
                spend_feed=self._spend_feed,
                ttft_seed=self.ttft_so_far(policy),
                rollout_shares=self.rollouts.shares,
                shadow_caps=self._shadow_caps,
            )
            self._engines[key] = engine
            self._start_rollouts(policy)
        elif engine.policy != policy:
            engine.set_policy(policy, path)
            self._start_rollouts(policy)
        return engine

    @property
    def rollouts(self) -> "Rollouts":
        """This process's staged rollouts: their state in the log, the shares every engine splits by."""
        if self._rollouts is None:
            from console.core.rollout.service import Rollouts

            self._rollouts = Rollouts(
                lambda: getattr(self.recorder, "db", None) if self.record else None, flush=lambda: self.flush_log(10))
        return self._rollouts

    def _start_rollouts(self, policy: Policy) -> None:
        """A policy's rollouts start (or resume) in the log as its engine is made: the split applies at once."""
        if not self.record or not any(route.rollout for route in policy.routes.values()):
            return
        try:
            self.rollouts.sync(policy)
        except Exception as err:  # a log we cannot read must not stop routing: every request stays on A
            log.warning("could not read the rollouts from the routing log: %s", err)

    async def watch_rollouts(self) -> None:
        """Until cancelled: the guardrails of every engine's rollouts, each on its ``evaluate_every``
        (a breach rolls back or holds; a due step advances), and the shares as the log has them."""
        await self.rollouts.watch(lambda: {e.policy.name: e.policy for e in list(self._engines.values())}.values())

    def flush_log(self, timeout_s: float | None = 30.0) -> None:
        """Block until every request recorded so far is committed to the log, readable by anyone.

        Answers come back once their request is staged; the commit follows within a fraction
        of a second. Call this where something must read the log right after routing.
        """
        flush = getattr(self._recorder, "flush", None)
        if flush is not None:
            flush(timeout_s)

    async def close_engine(self, engine: Engine) -> None:
        """Close one engine (on the loop it ran on) and forget it; the log stays open for the others."""
        for key, held in list(self._engines.items()):
            if held is engine:
                del self._engines[key]
        await engine.aclose()

    async def aclose(self) -> None:
        """Close every engine, the pool's providers and models, then flush and close the log."""
        for engine in self._engines.values():
            await engine.aclose()
        self._engines.clear()
        await self.providers.aclose()
        close = getattr(self._recorder, "close", None)
        if close is not None:
            close()
        self._recorder = None
