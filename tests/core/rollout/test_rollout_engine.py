"""Through a real Engine and the fault server: each arm is routed and logged, and a failing B is rolled back.

A is ``ok`` on the fault server; B answers as the test says (``switch:name=...``). The workspace
writes a real SQLite log, the guardrails read it back.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from sqlalchemy import text

from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.rollout.split import BASELINE, CANDIDATE, route_splits
from console.core.rollout.state import ACTIVE, ROLLED_BACK, read_events, read_state
from console.core.workspace import Workspace
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

_tags = itertools.count()


def _policy(server: FaultServer, b_switch: str, *, steps: list[float], guardrails: dict | None = None,
            sticky_by: str = "meta.customer") -> Policy:
    tag = next(_tags)
    return Policy.model_validate({
        "name": f"rollout-{tag}",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url}},
        "models": {
            "premium": {"provider": "faulty", "model": f"ok#premium{tag}", "prices": {"input": 5, "output": 15}},
            "cheap": {"provider": "faulty", "model": f"switch:name={b_switch}", "prices": {"input": 0.1, "output": 0.4}},
        },
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {
            "candidates": ["premium"], "retries": {"max": 0},
            "rollout": {"candidate": "cheap", "replaces": "premium", "steps": steps, "sticky_by": sticky_by,
                        "guardrails": guardrails or {}},
        }},
    })


def test_each_request_takes_its_keys_arm_is_answered_by_it_and_logs_it(tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.switch("b-good", "ok")
    policy = _policy(fault_server, "b-good", steps=[50, 100])

    async def scenario() -> list:
        workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
        engine = workspace.engine(policy)
        assert engine.rollout_shares.share(policy.name, "chat") == 50  # started in the log as the engine was made
        results = []
        for i in range(240):
            customer = f"c{i % 40}"
            results.append((customer, await engine.route(Request.from_prompt(f"hello {i}", metadata={"customer": customer}))))
        workspace.flush_log()
        db = workspace.recorder.db  # type: ignore[attr-defined]
        with db.connect() as conn:
            logged = dict(conn.execute(text("SELECT request_id, arm FROM rollout_arm")).all())
        await workspace.aclose()
        return [(c, r, logged.get(r.request_id)) for c, r in results]

    rows = asyncio.run(scenario())
    split = route_splits(policy)["chat"]
    arms_by_customer: dict[str, set[str]] = {}
    for customer, result, logged_arm in rows:
        assert result.ok and logged_arm == result.arm  # every request's arm is in the log
        assert result.answered_by == ("cheap" if result.arm == CANDIDATE else "premium")
        assert result.arm == split.arm(Request.from_prompt("x", metadata={"customer": customer}), "-", 50)
        arms_by_customer.setdefault(customer, set()).add(result.arm)
    assert all(len(arms) == 1 for arms in arms_by_customer.values())  # sticky per customer
    assert {next(iter(a)) for a in arms_by_customer.values()} == {BASELINE, CANDIDATE}


def test_per_request_split_is_reproducible_from_the_logged_request_id(tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.switch("b-ok2", "ok")
    policy = _policy(fault_server, "b-ok2", steps=[50, 100], sticky_by="request")

    async def scenario() -> list:
        workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
        engine = workspace.engine(policy)
        results = [await engine.route(Request.from_prompt(f"q{i}")) for i in range(60)]
        await workspace.aclose()
        return results

    split = route_splits(policy)["chat"]
    for result in asyncio.run(scenario()):
        assert result.arm == split.arm(Request.from_prompt("any"), result.request_id, 50)


GUARDED = {"evaluate_every": "1s", "failure_rate": {"margin": 0.05, "min_requests": 30},
           "p95_latency": None, "cost_per_request": None}


def test_a_failure_rate_regression_on_b_is_rolled_back_at_the_next_check(tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.switch("b-bad", "500")
    policy = _policy(fault_server, "b-bad", steps=[50, 100], guardrails=GUARDED, sticky_by="request")

    async def scenario() -> tuple:
        workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
        engine = workspace.engine(policy)
        results = [await engine.route(Request.from_prompt(f"q{i}")) for i in range(120)]
        before = workspace.rollouts.status(policy, "chat")[0]  # looking changes nothing
        checked = workspace.rollouts.status(policy, "chat", act=True)[0]  # the one periodic check, on demand
        after = [await engine.route(Request.from_prompt(f"after {i}")) for i in range(30)]
        db = workspace.recorder.db  # type: ignore[attr-defined]
        events = read_events(db, policy.name, "chat")
        await workspace.aclose()
        return results, before, checked, after, events

    results, before, checked, after, events = asyncio.run(scenario())
    failed_b = [r for r in results if r.arm == CANDIDATE]
    assert len(failed_b) >= 30 and all(not r.ok for r in failed_b)
    assert before.state.status == ACTIVE and before.breached and before.action == ""
    assert checked.action == "rollback" and checked.state.status == ROLLED_BACK and checked.state.share == 0
    assert all(r.arm == BASELINE and r.ok for r in after)  # share 0: everyone back on A at once
    rollback = events[-1]
    assert (rollback.action, rollback.by, rollback.share) == ("rollback", "guardrail", 0)
    [tripped] = rollback.detail["breached"]
    assert tripped["name"] == "failure_rate" and tripped["baseline"] == 0 and tripped["candidate"] == 1
    assert tripped["lower"] > tripped["margin"] == 0.05
    assert tripped["requests_candidate"] == len(failed_b)


def test_the_serving_process_checks_by_itself_within_one_evaluation_period(tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.switch("b-bad-live", "500")
    policy = _policy(fault_server, "b-bad-live", steps=[50, 100], guardrails=GUARDED, sticky_by="request")

    async def scenario() -> tuple:
        workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
        engine = workspace.engine(policy)
        watching = asyncio.create_task(workspace.watch_rollouts())
        db = workspace.recorder.db  # type: ignore[attr-defined]
        enough_at = None
        counts = {BASELINE: 0, CANDIDATE: 0}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result = await engine.route(Request.from_prompt("live"))
            counts[result.arm] += 1
            if enough_at is None and min(counts.values()) >= 30:
                enough_at = time.time()
            state = await asyncio.to_thread(read_state, db, policy.name, "chat")
            if state is not None and state.status == ROLLED_BACK:
                break
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
        events = read_events(db, policy.name, "chat")
        await workspace.aclose()
        return enough_at, events

    enough_at, events = asyncio.run(scenario())
    assert enough_at is not None and events[-1].action == "rollback" and events[-1].by == "guardrail"
    # One evaluate_every (1 s) and one tick of the watcher (1 s), plus 2 s for a loaded machine; the
    # on-demand test above shows the first check after the data trips it.
    assert events[-1].ts - enough_at < 1.0 + 1.0 + 2.0


def test_a_rollout_advances_by_itself_once_its_step_has_run_long_enough_with_enough_traffic(
        tmp_path: Path, fault_server: FaultServer) -> None:
    from console.core.policy.rollout_schema import Rollout
    from console.core.rollout.service import Rollouts

    fault_server.switch("b-fine", "ok")
    policy = _policy(fault_server, "b-fine", steps=[50, 100], sticky_by="request", guardrails={
        "failure_rate": {"min_requests": 10}, "p95_latency": None, "cost_per_request": None})
    route = policy.routes["chat"].model_copy(update={"rollout": Rollout.model_validate(
        {**policy.routes["chat"].rollout.model_dump(), "advance": {"after": "1h", "min_requests": 10}})})
    policy = policy.model_copy(update={"routes": {"chat": route}})
    offset = [0.0]

    async def scenario() -> tuple:
        workspace = Workspace(f"sqlite:///{tmp_path / 'log.sqlite3'}")
        engine = workspace.engine(policy)
        db = workspace.recorder.db  # type: ignore[attr-defined]
        rollouts = Rollouts(lambda: db, shares=engine.rollout_shares, flush=workspace.flush_log,
                            clock=lambda: time.time() + offset[0])
        for i in range(60):
            await engine.route(Request.from_prompt(f"q{i}"))
        early = rollouts.status(policy, "chat", act=True)[0]  # enough traffic, but the step is young
        offset[0] = 3601.0  # an hour later (the clock is the only thing moved)
        due = rollouts.status(policy, "chat", act=True)[0]
        after = [await engine.route(Request.from_prompt(f"after {i}")) for i in range(20)]
        await workspace.aclose()
        return early, due, after

    early, due, after = asyncio.run(scenario())
    assert early.action == "" and early.state.share == 50
    assert due.action == "advance" and due.state.share == 100 and due.events[-1].by == "auto-advance"
    assert all(r.arm == CANDIDATE and r.answered_by == "cheap" for r in after)  # 100 %: every request on B
