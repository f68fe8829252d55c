"""Shared budget reservations on real Redis and real PostgreSQL: arithmetic, atomicity under
concurrent instances, the overshoot bound, and the Engine reserving and settling through them."""

from __future__ import annotations

import asyncio
import threading

import pytest

from console.core.budget.reservations import SharedBudgetBook, SharedStateError, SpendStore
from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.request import Request
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def open_store(kind: str, request: pytest.FixtureRequest) -> SpendStore:
    """Another connection to the same store (what another gateway instance would hold)."""
    if kind == "redis":
        from console.core.budget.redis_store import RedisSpendStore

        return RedisSpendStore(request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/0")
    from console.core.budget.postgres_store import PostgresSpendStore

    return PostgresSpendStore(request.getfixturevalue("postgres_url"))


def test_reserve_then_settle_replaces_the_estimate_by_the_real_cost(spend_store: SpendStore) -> None:
    keys = ["daily@2026-12-06", "team-a@2026-12"]
    spend_store.seed("daily@2026-12-06", 1.0)
    spend_store.seed("daily@2026-12-06", 99.0)  # a second instance's seed does not overwrite the first
    assert spend_store.reserve(keys, 0.5) == [1.5, 0.5]
    assert spend_store.held(keys) == [0.5, 0.5]
    spend_store.settle(keys, 0.5, 0.2)
    assert spend_store.totals(keys) == pytest.approx([1.2, 0.2])
    assert spend_store.held(keys) == pytest.approx([0.0, 0.0])
    assert spend_store.totals(["never-seen@2026-12-06"]) == [0.0]


def test_concurrent_instances_never_lose_a_reservation(
    spend_store: SpendStore, store_kind: str, request: pytest.FixtureRequest
) -> None:
    # Six "instances", each with its own connection, reserve and settle over overlapping budgets at once.
    stores = [open_store(store_kind, request) for _ in range(6)]
    keys = [["a@p", "b@p"], ["b@p", "c@p"], ["a@p", "c@p"]]
    errors: list[BaseException] = []

    def work(store: SpendStore, index: int) -> None:
        try:
            for round_ in range(60):
                chosen = keys[(index + round_) % len(keys)]
                store.reserve(chosen, 0.01)
                store.settle(chosen, 0.01, 0.003)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(store, i)) for i, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for store in stores:
        store.close()
    assert not errors
    totals = spend_store.totals(["a@p", "b@p", "c@p"])
    assert sum(totals) == pytest.approx(6 * 60 * 2 * 0.003)  # every settlement counted, each on two budgets
    assert spend_store.held(["a@p", "b@p", "c@p"]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def budget_policy(server_url: str, limit: float) -> Policy:
    return Policy.model_validate({
        "name": "team-budget",
        "providers": {"up": {"kind": "openai-compatible", "base_url": server_url}},
        "models": {"paid": {"provider": "up", "model": "slow-ok:ms=30", "prices": {"input": 1000, "output": 1000}}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["paid"], "retries": {"max": 0}, "max_output_tokens": 50}},
        "budgets": [{"name": "daily", "period": "day", "limit_usd": limit, "action": "block"}],
    })


def test_instances_sharing_a_store_overshoot_by_at_most_the_reservations_in_flight(
    fault_server: FaultServer, store_kind: str, request: pytest.FixtureRequest  # noqa: F811
) -> None:
    """Three engines (three gateways' worth) spend one budget through one store, concurrently."""
    request.getfixturevalue("spend_store")  # starts the server and empties it
    limit, instances, concurrency = 1.0, 3, 4
    policy = budget_policy(fault_server.url, limit)
    books = [SharedBudgetBook(open_store(store_kind, request)) for _ in range(instances)]
    estimate = Engine(policy).explain(Request.from_prompt("how much")).kept[0].estimated_cost_usd
    answered: list[float] = []

    async def one_instance(book: SharedBudgetBook) -> None:
        engine = Engine(policy, budget_book=book)

        async def client() -> None:
            while True:
                result = await engine.route(Request.from_prompt("how much"))
                if not result.ok:
                    return  # blocked by the budget: this client is done
                answered.append(result.total_cost_usd)

        await asyncio.gather(*(client() for _ in range(concurrency)))
        await engine.aclose()

    # Each instance on its own thread and event loop, as separate processes would be.
    threads = [threading.Thread(target=asyncio.run, args=(one_instance(book),)) for book in books]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for book in books:
        assert book.flush()
    spent = books[0].snapshot(policy)["daily"]
    held = books[0].held(policy)["daily"]
    for book in books:
        book.close()
    assert held == pytest.approx(0.0, abs=1e-9)  # every reservation settled
    assert spent == pytest.approx(sum(answered))  # the store's total is what was really spent
    in_flight_bound = instances * concurrency * estimate
    # Below the limit only by what was still held when the last clients were refused (an estimate
    # is never less than the real cost); above it only by what was in flight when it was crossed.
    assert limit - in_flight_bound <= spent <= limit + in_flight_bound
    assert spent < instances * limit  # without shared reservations each instance would spend the budget


def test_an_unreachable_store_leaves_routing_on_the_last_known_spend(fault_server: FaultServer) -> None:  # noqa: F811
    class Down:
        def totals(self, *args: object) -> list[float]:
            raise SharedStateError("Redis at redis://127.0.0.1:1/0: MGET failed: connection refused")

        reserve = settle = seed = held = change = totals

        def close(self) -> None:
            return None

    book = SharedBudgetBook(Down())  # type: ignore[arg-type]
    policy = budget_policy(fault_server.url, 1.0)

    async def route_once() -> bool:
        engine = Engine(policy, budget_book=book)
        try:
            return (await engine.route(Request.from_prompt("still there?"))).ok
        finally:
            await engine.aclose()

    assert asyncio.run(route_once())
    assert not book.flush()  # the settlement is kept, to be sent when the store is back
    book.close()
    assert book.failures >= 3  # read, reserve and settle each said so



def test_a_new_period_starts_at_zero_at_midnight_utc(spend_store: SpendStore) -> None:
    from datetime import datetime, timedelta, timezone

    clock = [datetime(2026, 12, 6, 23, 59, 59, tzinfo=timezone.utc)]
    book = SharedBudgetBook(spend_store, now=lambda: clock[0])
    policy = budget_policy("http://127.0.0.1:9/v1", 1.0)
    held = book.reserve(policy, 0.25, task="chat", team=None, provider="up", model="paid")
    assert held.keys == ("daily@2026-12-06",) and book.snapshot(policy) == {"daily": 0.25}
    clock[0] += timedelta(seconds=1)  # the keys worked out for the old day are not reused
    assert book.snapshot(policy) == {"daily": 0.0}
    assert book.reserve(policy, 0.1, task="chat", team=None, provider="up", model="paid").keys == ("daily@2026-12-07",)
    book.settle(held, 0.2)  # a call that straddled midnight settles on the day it reserved on
    assert book.flush()
    assert spend_store.totals(["daily@2026-12-06", "daily@2026-12-07"]) == pytest.approx([0.2, 0.1])
    book.close()


def test_costs_without_a_reservation_still_count(spend_store: SpendStore) -> None:
    """A classifier call or a shadow copy is billed with nothing held for it: added to the same budgets."""
    book = SharedBudgetBook(spend_store)
    policy = budget_policy("http://127.0.0.1:9/v1", 1.0)
    book.add(policy, 0.3, task="chat", team=None, provider="up", model="paid")
    book.add(policy, 0.2, task="chat", team="growth", provider="up", model="paid")
    book.add(policy, 0.0, task="chat", team=None, provider="up", model="paid")
    assert book.flush()
    assert book.snapshot(policy) == pytest.approx({"daily": 0.5})
    assert book.held(policy) == pytest.approx({"daily": 0.0})
    book.close()


def test_a_settlement_with_no_request_after_it_lands_within_the_linger(spend_store: SpendStore) -> None:
    import time

    book = SharedBudgetBook(spend_store, linger_s=0.05)
    policy = budget_policy("http://127.0.0.1:9/v1", 1.0)
    held = book.reserve(policy, 0.4, task="chat", team=None, provider="up", model="paid")
    book.settle(held, 0.1)  # nothing else happens on this instance: the worker sends it
    key = held.keys[0]
    deadline = time.monotonic() + 5
    while spend_store.held([key])[0] > 1e-9 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert spend_store.held([key]) == pytest.approx([0.0], abs=1e-9)
    assert spend_store.totals([key]) == pytest.approx([0.1])
    book.close()


def test_threads_sharing_one_book_lose_no_settlement(spend_store: SpendStore) -> None:
    """Settlements merge while reads and reservations carry them off: stress it from four threads."""
    book = SharedBudgetBook(spend_store, linger_s=0.001)
    policy = budget_policy("http://127.0.0.1:9/v1", 1e9)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(150):
                book.snapshot(policy)
                held = book.reserve(policy, 0.01, task="chat", team=None, provider="up", model="paid")
                book.settle(held, 0.004)
                book.add(policy, 0.001, task="chat", team=None, provider="up", model="paid")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and book.flush()
    assert book.snapshot(policy)["daily"] == pytest.approx(4 * 150 * 0.005)
    assert book.held(policy)["daily"] == pytest.approx(0.0, abs=1e-9)
    book.close()


def test_a_change_reads_the_real_totals_of_keys_it_does_not_change(spend_store: SpendStore) -> None:
    """The planner's snapshot rides on a settlement: budgets it reads but does not change must come
    back with their totals, not as unspent (both stores returned 0.0 for them)."""
    spend_store.change({"untouched-a": (5.0, 0.0), "untouched-b": (7.0, 0.0)}, ())
    assert spend_store.change({"untouched-a": (1.0, 0.0)}, ["untouched-a", "untouched-b", "untouched-c"]) == [6.0, 7.0, 0.0]
