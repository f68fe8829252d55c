"""Shadow mode through the Engine, against the real fault server: a failing, hanging or slow shadow
changes no production outcome or text, production returns while the shadow is still running, a
cancelled production request is not shadowed, the daily cap stops shadow spend (also across a
restart), sampling follows the request id, and shadow spend counts in the budgets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from sqlalchemy import text

from console.core.budget.burn import budget_burn
from console.core.ledger.store import open_ledger
from console.core.outcomes import Outcome
from console.core.policy.loader import load_policy_or_raise
from console.core.request import Request
from console.core.shadow.sampling import in_sample
from console.core.workspace import Workspace
from tests.core.shadow.policies import write_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

PROMPTS = [f"question number {n} about the invoice" for n in range(6)]


def run_engine(policy_path: Path, log: str, body: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``body(engine)`` on a fresh workspace over ``log``; the workspace is closed after."""
    policy = load_policy_or_raise(policy_path)

    async def go() -> Any:
        workspace = Workspace(log)
        try:
            return await body(workspace.engine(policy, policy_path))
        finally:
            await workspace.aclose()

    return asyncio.run(go())


def rows(log: str, query: str) -> list[Any]:
    db = open_ledger(log)
    try:
        with db.connect() as conn:
            return list(conn.execute(text(query)).all())
    finally:
        db.dispose()


def production_answers(policy_path: Path, log: str, *, keep_running: bool) -> tuple[list[tuple[str, str]], list[int]]:
    """Route PROMPTS one by one: (outcome, text) of each, and the shadows in flight as each returned."""

    async def body(engine: Any) -> tuple[list[tuple[str, str]], list[int]]:
        answers, in_flight = [], []
        for prompt in PROMPTS:
            result = await engine.route(Request.from_prompt(prompt))
            answers.append((result.outcome.value, result.text))
            in_flight.append(engine.shadows.in_flight if engine.shadows is not None else 0)
        if not keep_running and engine.shadows is not None:
            await engine.shadows.wait_idle()
        return answers, in_flight

    return run_engine(policy_path, log, body)


@pytest.mark.parametrize("fault", ["500", "hang", "slow-ok:ms=1500", "reset", "cut:after=1"])
def test_a_misbehaving_shadow_changes_no_production_answer(fault: str, fault_server: FaultServer, tmp_path: Path) -> None:
    off = write_policy(tmp_path / "off", fault_server.url, sample=0.000001)  # ids in so small a sample: none here
    on = write_policy(tmp_path / "on", fault_server.url, shadow_fault=fault,
                      timeout_s=1.0 if fault == "hang" else 10.0, max_in_flight=len(PROMPTS))
    baseline, _ = production_answers(off, f"sqlite:///{tmp_path / 'off.sqlite3'}", keep_running=False)
    log = f"sqlite:///{tmp_path / 'on.sqlite3'}"
    shadowed, in_flight = production_answers(on, log, keep_running=False)
    assert shadowed == baseline and all(outcome == "ok" for outcome, _ in shadowed)
    assert len(fault_server.requests_for(fault)) == len(PROMPTS)  # every request was shadowed, on the faulty model
    if fault.startswith(("hang", "slow")):  # production came back while its shadow was still running
        assert all(count >= 1 for count in in_flight), in_flight
    kinds = rows(log, "select kind, outcome from request order by ts")
    assert [k for k, _ in kinds].count("production") == len(PROMPTS)
    shadow_outcomes = {o for k, o in kinds if k == "shadow"}
    if fault.startswith("slow"):
        assert shadow_outcomes == {"ok"}
    else:  # the failure is the shadow model's result, logged as such and kept for the pilot
        assert shadow_outcomes and "ok" not in shadow_outcomes
        metas = [json.loads(m) for (m,) in rows(log, "select metadata_json from history_case")]
        assert len(metas) == len(PROMPTS) and all(m["outcome:cheap"] != "ok" for m in metas)


def test_a_cancelled_production_request_is_cancelled_and_not_shadowed(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, production_fault="slow-ok:ms=5000")

    async def body(engine: Any) -> tuple[bool, int]:
        task = asyncio.ensure_future(engine.route(Request.from_prompt("cancel me")))
        for _ in range(200):
            if fault_server.requests_for("slow-ok:ms=5000"):
                break
            await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True, engine.shadows.started if engine.shadows is not None else 0
        return False, -1

    cancelled, started = run_engine(path, f"sqlite:///{tmp_path / 'log.sqlite3'}", body)
    assert cancelled and started == 0 and not fault_server.requests_for("ok#shadow")


def test_cancelling_production_is_not_held_up_by_a_hanging_shadow(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, shadow_fault="hang", production_fault="slow-ok:ms=5000",
                        timeout_s=30.0)
    path.write_text(path.read_text().replace('model: "slow-ok:ms=5000"', 'model: "seq:ok,slow-ok:ms=5000"'))

    async def body(engine: Any) -> tuple[str, bool, int]:
        first = await engine.route(Request.from_prompt("answered, then shadowed into a hang"))
        second = asyncio.ensure_future(engine.route(Request.from_prompt("cancelled while its shadow hangs")))
        for _ in range(200):
            if len(fault_server.requests_for("seq:ok,slow-ok:ms=5000")) >= 2:
                break
            await asyncio.sleep(0.01)
        second.cancel()
        done, _ = await asyncio.wait({second}, timeout=2.0)  # the cancel lands at once, not after the shadow
        return first.outcome.value, second in done and second.cancelled(), engine.shadows.in_flight

    outcome, cancelled, in_flight = run_engine(path, f"sqlite:///{tmp_path / 'log.sqlite3'}", body)
    assert outcome == "ok" and cancelled and in_flight == 1  # the hanging shadow is still there; closing cut it


def test_the_daily_cap_stops_shadow_spend_and_holds_after_a_restart(fault_server: FaultServer, tmp_path: Path) -> None:
    cap = 0.02
    path = write_policy(tmp_path, fault_server.url, cap_usd=cap)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"

    async def twenty(engine: Any) -> tuple[list[str], int]:
        outcomes = []
        for n in range(20):
            outcomes.append((await engine.route(Request.from_prompt(f"request {n} of the day"))).outcome.value)
            await engine.shadows.wait_idle()
        return outcomes, engine.shadows.skipped_cap

    outcomes, skipped = run_engine(path, log, twenty)
    assert outcomes == ["ok"] * 20 and skipped > 0
    [(calls, spent)] = rows(log, "select count(*), sum(total_cost_usd) from request where kind = 'shadow'")
    assert 0 < calls < 20 and 0 < spent <= cap
    outcomes, _ = run_engine(path, log, twenty)  # a new process the same day: the log says the cap is spent
    assert outcomes == ["ok"] * 20
    [(calls_after, spent_after)] = rows(log, "select count(*), sum(total_cost_usd) from request where kind = 'shadow'")
    assert spent_after <= cap and calls_after <= calls + 1


def test_the_sample_is_the_request_ids_in_it(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, sample=0.5, max_in_flight=24)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"

    async def body(engine: Any) -> list[str]:
        ids = [(await engine.route(Request.from_prompt(f"sampled {n}"))).request_id for n in range(24)]
        await engine.shadows.wait_idle()
        return ids

    ids = run_engine(path, log, body)
    shadowed = {json.loads(m)["shadow_of"] for (m,) in rows(log, "select metadata_json from request where kind = 'shadow'")}
    assert shadowed == {i for i in ids if in_sample(i, 0.5)}
    assert 0 < len(shadowed) < len(ids)


def test_shadow_cost_counts_in_the_budgets(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, budget_usd=100.0)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"

    async def body(engine: Any) -> tuple[float, float]:
        result = await engine.route(Request.from_prompt("count me twice"))
        await engine.shadows.wait_idle()
        return result.total_cost_usd, engine.budgets.snapshot()["daily"]

    production_cost, tracked = run_engine(path, log, body)
    [(shadow_cost,)] = rows(log, "select total_cost_usd from request where kind = 'shadow'")
    assert shadow_cost > 0 and tracked == pytest.approx(production_cost + shadow_cost)
    db = open_ledger(log)
    try:
        [burn] = budget_burn(db, load_policy_or_raise(path).budgets)
    finally:
        db.dispose()
    assert burn.spent_usd == pytest.approx(production_cost + shadow_cost)


def test_a_failed_production_request_is_not_shadowed(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, production_fault="500")

    async def body(engine: Any) -> Outcome:
        return (await engine.route(Request.from_prompt("no baseline to compare"))).outcome

    assert run_engine(path, f"sqlite:///{tmp_path / 'log.sqlite3'}", body) is Outcome.SERVER_ERROR
    assert not fault_server.requests_for("ok#shadow")


@pytest.mark.parametrize("round_", range(3))
def test_shadows_started_at_once_never_pass_the_cap_together(round_: int, fault_server: FaultServer,
                                                             tmp_path: Path) -> None:
    # Stress: 20 requests at once, each shadowed; every shadow reserves before it calls.
    cap = 0.03
    path = write_policy(tmp_path, fault_server.url, cap_usd=cap, max_in_flight=20,
                        shadow_fault=f"slow-ok:ms={50 * round_}#s")
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"

    async def body(engine: Any) -> tuple[list[str], int]:
        results = await asyncio.gather(*(engine.route(Request.from_prompt(f"burst {n}")) for n in range(20)))
        await engine.shadows.wait_idle()
        in_burst = len(fault_server.requests_for(f"slow-ok:ms={50 * round_}#s"))
        for n in range(5):  # the burst's holds were worst cases: once settled, the day goes on
            await engine.route(Request.from_prompt(f"after the burst {n}"))
            await engine.shadows.wait_idle()
        return [r.outcome.value for r in results], in_burst

    outcomes, in_burst = run_engine(path, log, body)
    assert outcomes == ["ok"] * 20
    [(calls, spent)] = rows(log, "select count(*), sum(total_cost_usd) from request where kind = 'shadow'")
    assert calls > in_burst >= 1 and spent <= cap


def test_past_max_in_flight_a_request_is_not_shadowed(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, shadow_fault="hang", max_in_flight=1, timeout_s=30.0)

    async def body(engine: Any) -> tuple[list[str], int, int]:
        outcomes = [(await engine.route(Request.from_prompt(f"busy {n}"))).outcome.value for n in range(3)]
        return outcomes, engine.shadows.started, engine.shadows.skipped_busy

    outcomes, started, skipped = run_engine(path, f"sqlite:///{tmp_path / 'log.sqlite3'}", body)
    assert outcomes == ["ok"] * 3 and (started, skipped) == (1, 2)
    assert len(fault_server.requests_for("hang")) == 1


def test_a_spent_budget_that_blocks_the_shadow_model_stops_shadows(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url)
    path.write_text(path.read_text() + "budgets:\n  - {name: mini, scope: {model: cheap}, limit_usd: 0.002, action: block}\n")
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"

    async def body(engine: Any) -> tuple[list[str], int, float]:
        outcomes = []
        for n in range(8):
            outcomes.append((await engine.route(Request.from_prompt(f"budgeted {n}"))).outcome.value)
            await engine.shadows.wait_idle()
        return outcomes, engine.shadows.skipped_budget, engine.budgets.snapshot()["mini"]

    outcomes, skipped, spent = run_engine(path, log, body)
    assert outcomes == ["ok"] * 8 and skipped > 0  # production goes on; shadows stop once the budget is spent
    [(calls,)] = rows(log, "select count(*) from request where kind = 'shadow'")
    assert 1 <= calls < 8 and spent >= 0.002


def test_only_the_baseline_arm_of_a_staged_rollout_is_shadowed(fault_server: FaultServer, tmp_path: Path) -> None:
    path = write_policy(tmp_path, fault_server.url, max_in_flight=40)
    path.write_text(path.read_text().replace(
        "    shadow:", "    rollout: {candidate: cheap, replaces: prod, steps: [50, 100], sticky_by: request}\n    shadow:"))
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"

    async def body(engine: Any) -> list[tuple[str, str | None]]:
        results = []
        for n in range(40):
            results.append(await engine.route(Request.from_prompt(f"rolling {n}")))
            if engine.shadows is not None:
                await engine.shadows.wait_idle()
        return [(r.request_id, r.arm) for r in results]

    arms = dict(run_engine(path, log, body))
    shadowed = {json.loads(m)["shadow_of"] for (m,) in rows(log, "select metadata_json from request where kind = 'shadow'")}
    assert set(arms.values()) == {"baseline", "candidate"}
    assert shadowed == {rid for rid, arm in arms.items() if arm == "baseline"}
