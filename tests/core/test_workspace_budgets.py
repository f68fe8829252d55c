"""Two engines of one workspace (the window's and the endpoint's, on their own threads and loops)
share their spend: a budget one of them exhausts blocks the other at once, and a later engine
starts from the log, including what was spent a moment ago."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.workspace import Workspace
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

LIMIT_USD = 1.0


def priced_policy(server: FaultServer) -> Policy:
    return Policy.model_validate(
        {
            "name": "budgeted",
            "providers": {"up": {"kind": "openai-compatible", "base_url": server.url}},
            # a dear model: a few requests exhaust the dollar
            "models": {"ok": {"provider": "up", "model": "ok", "prices": {"input": 40_000, "output": 40_000}}},
            "tasks": {"chat": {}},
            "classification": {"default": "chat"},
            "routes": {"chat": {"candidates": ["ok"], "retries": {"max": 0}}},
            "budgets": [{"name": "daily", "limit_usd": LIMIT_USD, "action": "block"}],
        }
    )


def test_one_engine_spending_a_budget_blocks_the_other(fault_server: FaultServer, tmp_path: Path) -> None:
    workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    policy = priced_policy(fault_server)
    window = workspace.engine(policy, scope="window")
    endpoint = workspace.engine(policy, scope="endpoint")  # exists before the window spends anything
    assert window is not endpoint
    spent: list[float] = []

    def window_thread() -> None:  # the window's engine runs on its own thread and loop
        async def go() -> None:
            while sum(spent) < LIMIT_USD:
                result = await window.route(Request.from_prompt("hello"))
                assert result.ok, result.error
                spent.append(sum(a.cost_usd for a in result.attempts))
            await window.aclose()

        asyncio.run(go())

    thread = threading.Thread(target=window_thread)
    thread.start()
    thread.join(60)
    assert sum(spent) >= LIMIT_USD and all(cost > 0 for cost in spent)
    assert endpoint.budgets.snapshot()["daily"] == sum(spent)  # counted by the engine that did not spend

    async def from_the_endpoint() -> None:
        result = await endpoint.route(Request.from_prompt("hello"))
        assert not result.ok and "budget 'daily'" in str(result.error)
        await endpoint.aclose()

    asyncio.run(from_the_endpoint())
    later = workspace.engine(policy, scope="cli")  # starts from the log, which holds what was spent
    assert abs(later.budgets.snapshot()["daily"] - sum(spent)) < 1e-9
    asyncio.run(workspace.aclose())


def test_watching_the_log_health_does_not_open_the_log_and_hears_an_alarm_raised_at_opening(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The window watches the log's health as soon as it makes its Workspace; opening the log (SQLAlchemy,
    # a writer thread) must wait for real use, yet an alarm raised while opening must still be heard.
    from console.core.workspace import Workspace

    damaged = tmp_path / "log.sqlite3"
    damaged.write_bytes(b"not a database at all" * 300)
    workspace = Workspace(f"sqlite:///{damaged}")
    heard: list[object] = []
    assert workspace.watch_log_health(heard.append) is None
    assert workspace._recorder is None  # watching opened nothing
    workspace.recorder  # noqa: B018 - the first use opens it
    try:
        assert heard and not heard[0].ok  # type: ignore[attr-defined]
    finally:
        import asyncio

        asyncio.run(workspace.aclose())
