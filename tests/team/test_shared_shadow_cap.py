"""A route's daily shadow cap shared by every gateway instance through the team store (real Redis
and PostgreSQL): instances spending at once never take the day past the cap, the first instance of
the day seeds it from the log, a new UTC day starts again, and an unreachable store stops shadowing."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path
from typing import Any

from console.core.budget.reservations import SpendStore
from console.core.shadow.shared_cap import SharedShadowCaps

DAY = 86400.0


def test_instances_spending_at_once_never_pass_the_cap(spend_store: SpendStore) -> None:
    now = [1_800_000_000.0 + random.random()]
    instances = [SharedShadowCaps(spend_store, clock=lambda: now[0]) for _ in range(3)]
    cap = 1.0
    settled: list[float] = []
    lock = threading.Lock()

    def shadow_calls(caps: SharedShadowCaps, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            most = rng.uniform(0.01, 0.08)
            if not caps.reserve("support", most, cap):
                continue
            spent = most * rng.uniform(0.3, 1.0)  # a call costs at most its reservation
            caps.settle("support", most, spent, caps.day_start())
            with lock:
                settled.append(spent)

    threads = [threading.Thread(target=shadow_calls, args=(caps, n)) for n, caps in enumerate(instances * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(settled)
    assert 0.8 < total <= cap + 1e-9  # the cap was reached, never passed, by six spenders on three instances
    for caps in instances:  # every instance reads the one total
        assert abs(caps.spent_today("support") - total) < 1e-6
    assert not instances[0].reserve("support", 0.5, cap) and instances[0].exhausted("support")
    assert instances[1].reserve("support", (cap - total) * 0.999, cap)  # what is left still fits


def test_the_first_instance_of_the_day_seeds_it_from_the_log_and_a_new_day_starts_again(
        spend_store: SpendStore) -> None:
    now = [1_800_000_000.0 - (1_800_000_000.0 % DAY) + 3600 + random.randint(0, 10_000) * DAY]
    first, second = (SharedShadowCaps(spend_store, clock=lambda: now[0]) for _ in range(2))
    assert first.needs_seed("code") and second.needs_seed("code")
    first.seed("code", 0.75)  # what the log says shadows spent today before these processes
    second.seed("code", 0.10)  # a later instance's reading does not overwrite it
    assert not first.needs_seed("code")
    assert abs(second.spent_today("code") - 0.75) < 1e-9
    assert not second.reserve("code", 0.30, 1.0) and second.exhausted("code")
    assert first.reserve("code", 0.25, 1.0)
    now[0] += DAY  # a new UTC day: a new key, nothing spent, nothing flagged
    assert not second.exhausted("code") and first.needs_seed("code")
    assert second.reserve("code", 0.9, 1.0)


def test_a_store_that_goes_away_stops_shadowing_and_never_raises(redis_server: Any, tmp_path: Path) -> None:
    import shutil

    from console.core.budget.redis_store import RedisSpendStore
    from tests.support.redis_server import RedisServer

    own = RedisServer(redis_server.binary, tmp_path)  # a server of this test's own, to stop mid-way
    own.start()
    store = RedisSpendStore(own.url())
    caps = SharedShadowCaps(store)
    try:
        assert caps.reserve("support", 0.01, 5.0)
        own.stop()  # the team store goes away
        assert not caps.reserve("support", 0.01, 5.0)  # no shadow while the cap cannot be checked
        caps.settle("support", 0.01, 0.0, caps.day_start())  # logged, never raised
        caps.seed("support", 1.0)
        assert caps.spent_today("support") == 0.0 and caps.needs_seed("support")
    finally:
        store.close()
        own.stop()
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_team_gateway_spends_shadows_through_the_shared_cap(spend_store: SpendStore) -> None:
    from console.core.budget.reservations import SharedBudgetBook
    from console.core.engine import Engine
    from console.core.team.health_signals import HealthSignals
    from console.core.team.settings import TeamSettings
    from console.gateway.team import TeamGateway
    engine = Engine.from_file(Path(__file__).resolve().parents[2] / "policies" / "demo.yaml")
    team = TeamGateway("gw1", SharedBudgetBook(spend_store), HealthSignals("gw1"), TeamSettings())
    team.attach(engine, lambda policy: {})
    caps = engine._shadow_caps
    try:
        assert isinstance(caps, SharedShadowCaps) and caps.store is spend_store and engine.book is team.book
    finally:
        asyncio.run(engine.aclose())
