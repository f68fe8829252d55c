"""A gateway instance's part in a team: shared budgets, circuit signals, API keys, the published policy.

``TeamGateway.open(settings, instance)`` connects to the team store (PostgreSQL, and Redis when
configured): budgets reserve in Redis if there is one, else in PostgreSQL; circuit signals go the
same way; API keys and the published policy are always PostgreSQL's. ``attach`` points an engine at
the shared budgets and its breakers at the signals; ``run`` (the endpoint's lifespan task) listens
for signals and applies each newly published policy version to the engine (hot reload, requests in
flight finish on the old one).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from console.core.budget.reservations import SharedBudgetBook, SharedStateError
from console.core.team.health_signals import CircuitSignal, HealthSignals
from console.core.team.settings import TeamSettings
from console.gateway.team_auth import KeyCache

if TYPE_CHECKING:
    from console.core.engine import Engine
    from console.core.policy.schema import Policy
    from console.core.team.api_keys import ApiKeyStore
    from console.core.team.published import PolicyPublisher, PublishedPolicy

log = logging.getLogger(__name__)


@dataclass
class TeamGateway:
    """Attributes:
        instance: this instance's name (reported by /healthz, carried by its circuit signals).
        policy_version: the published version this instance runs (None: its own policy file).
        on_policy: told a one-line summary when a published version is applied or refused.
    """

    instance: str
    book: SharedBudgetBook
    signals: HealthSignals
    settings: TeamSettings
    key_store: "ApiKeyStore | None" = None
    keys: KeyCache | None = None
    publisher: "PolicyPublisher | None" = None
    policy_version: int | None = None
    on_policy: Callable[[str], None] = field(default=lambda line: log.info("%s", line))
    #: each budget's spend this period from the log, for a policy (the workspace's ``spend_so_far``)
    spend_in_log: Callable[["Policy"], dict[str, float]] = field(default=lambda policy: {})

    @classmethod
    def open(cls, settings: TeamSettings, instance: str) -> "TeamGateway":
        """Connect; SharedStateError (saying which store and why) when one cannot be reached."""
        book: SharedBudgetBook
        signals: HealthSignals
        if settings.redis:
            from console.core.budget.redis_store import RedisSpendStore
            from console.core.team.health_signals import RedisHealthSignals

            book, signals = SharedBudgetBook(RedisSpendStore(settings.redis)), RedisHealthSignals(settings.redis, instance)
            try:
                book.store.totals(["connection-check"])  # redis-py connects lazily: fail at start, not mid-request
            except SharedStateError:
                book.store.close()
                raise
        elif settings.postgres:
            from console.core.budget.postgres_store import PostgresSpendStore
            from console.core.team.health_signals import PostgresHealthSignals

            book = SharedBudgetBook(PostgresSpendStore(settings.postgres))
            signals = PostgresHealthSignals(settings.postgres, instance)
        else:
            raise SharedStateError("a team gateway needs [team] postgres (and optionally redis) in its config")
        gateway = cls(instance, book, signals, settings)
        if settings.postgres:
            from console.core.team.api_keys import ApiKeyStore
            from console.core.team.published import PolicyPublisher

            gateway.key_store = ApiKeyStore(settings.postgres)
            gateway.keys = KeyCache(gateway.key_store.check_digest, settings.key_cache_s)
            gateway.publisher = PolicyPublisher(settings.postgres)
        return gateway

    def attach(self, engine: "Engine", spend_in_log: Callable[["Policy"], dict[str, float]]) -> None:
        """Route ``engine``'s budgets and shadow caps through the shared store (seeded from the log if first)."""
        from console.core.shadow.shared_cap import SharedShadowCaps

        self.spend_in_log = spend_in_log
        self.book.seed(engine.policy, spend_in_log(engine.policy))
        engine.share_spend(self.book, SharedShadowCaps(self.book.store))  # one daily shadow cap for the team too

    def latest_published(self) -> "PublishedPolicy | None":
        if self.publisher is None:
            return None
        return self.publisher.latest(newer_than=self.policy_version or 0)

    async def run(self, engine: "Engine") -> None:
        """Until cancelled: hear other instances' circuit openings, apply newly published policies."""
        loop = asyncio.get_running_loop()

        def heard(signal: CircuitSignal) -> None:  # on the listener thread: the breakers live on the loop
            loop.call_soon_threadsafe(lambda: engine.health.trip(signal.alias, signal.cooldown_s))

        def announce(alias: str, cooldown_s: float) -> None:
            # A breaker opens on the loop, mid-request: the store round trip (up to its timeout when the
            # store is failing too) goes to a thread of its own, not into every request's latency.
            threading.Thread(target=self.signals.publish, args=(alias, cooldown_s), daemon=True,
                             name="routedesk-circuit-publish").start()

        engine.health.on_opened = announce
        await asyncio.to_thread(self.signals.start, heard)
        try:
            while True:
                await asyncio.sleep(self.settings.policy_poll_s)
                await self.check_published(engine)
        finally:
            await asyncio.to_thread(self.signals.stop)

    async def check_published(self, engine: "Engine") -> bool:
        """Apply the newest published version if there is one newer than this instance's; True if applied."""
        try:
            found = await asyncio.to_thread(self.latest_published)
        except SharedStateError as err:
            log.warning("could not read the published policy: %s", err)
            return False
        if found is None:
            return False
        from console.core.policy.loader import load_policy_text

        loaded = await asyncio.to_thread(load_policy_text, found.body, f"<published v{found.version}>")
        if loaded.policy is None or loaded.errors:  # published by an older or newer Routedesk: keep serving
            self.on_policy(f"published policy v{found.version} does not load here and was NOT applied: "
                           + "; ".join(d.format() for d in loaded.errors))
            self.policy_version = found.version  # do not retry it every poll
            return False
        # A budget the new version adds starts from what the log already holds for its scope (a log
        # query: only when there is such a budget, so a routine publish applies within the poll time).
        known = {(b.name, b.period) for b in engine.policy.budgets}
        if any((b.name, b.period) not in known for b in loaded.policy.budgets):
            await asyncio.to_thread(lambda: self.book.seed(loaded.policy, self.spend_in_log(loaded.policy)))
        engine.set_policy(loaded.policy, engine.policy_path)
        self.policy_version = found.version
        self.on_policy(f"published policy v{found.version} applied; now serving {engine.policy_hash}")
        return True

    def status(self) -> dict[str, Any]:
        return {"instance": self.instance, "policy_version": self.policy_version,
                "budget_store_failures": self.book.failures}

    def close(self) -> None:
        for part in (self.book, self.key_store, self.publisher):
            if part is not None:
                try:
                    part.close()
                except Exception as err:  # noqa: BLE001 - closing at shutdown: report, go on
                    log.warning("closing the team store: %s", err)
