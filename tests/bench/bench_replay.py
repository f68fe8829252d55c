"""Benchmark: replay 1,000,000 logged production requests through a draft that changes two routes.

Run: .venv/bin/python -m tests.bench.bench_replay [--requests 1000000] [--sample 20000]
Goal: the whole replay (read the log, classify, plan, price, report) in <= 5 s on the 2-core box.
The naive way, one ``plan_route`` per request, is timed in the same run on a sample of requests
and extrapolated to all of them (the output says so); it counts planning alone, not reading the log.
The log is the demo traffic generator's, built once and cached in the temp directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from console.core.app import replay_policy
from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.ledger.tables import SCHEMA_VERSION
from console.core.ledger.traffic import KIND_WEIGHTS, generate
from console.core.policy.loader import load_policy_or_raise
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.plan import plan_route
from console.core.routing.types import Classified

ROOT = Path(__file__).resolve().parents[2]
LOG_END = 1_790_000_000.0  # fixed, so a cached log stays valid
DAYS = 30.0


def draft_policy() -> Policy:
    """The demo traffic's policy with two routes changed: code and analysis go to cheaper models first."""
    policy = load_policy_or_raise(ROOT / "policies" / "demo-traffic.yaml").model_copy(deep=True)
    policy.routes["code"].candidates = ["gpt-mini", "claude"]
    policy.routes["analysis"].candidates = ["gemini-flash", "reasoner"]
    return policy


def with_budget(policy: Policy) -> Policy:
    """The draft plus a daily budget on the code task that falls back to gpt-mini: budgets are spent in
    time order, the one per-request loop of a replay."""
    from console.core.policy.schema import Budget, BudgetScope

    budgeted = policy.model_copy(deep=True)
    budgeted.budgets = [Budget(name="code-daily", scope=BudgetScope(task="code"), period="day", limit_usd=20.0,
                               action="fallback", fallback_model="gpt-mini")]
    return budgeted


def cached_log(production: int, folder: Path | None = None) -> str:
    """A log with about ``production`` production requests over 30 days (built on first use)."""
    total = int(production / KIND_WEIGHTS["production"])
    folder = folder or Path(tempfile.gettempdir()) / "routedesk-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"replay-{production}-schema{SCHEMA_VERSION}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for stale in folder.glob(partial.name + "*"):
            stale.unlink()
        t0 = time.perf_counter()
        db = open_ledger(f"sqlite:///{partial}")
        write_records(db, generate(total, days=DAYS, seed=3, end=LOG_END), batch_requests=20_000)
        with db.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - t0:.0f} s")
    return f"sqlite:///{path}"


def naive_seconds_per_request(policy: Policy, url: str, sample: int) -> float:
    """One plan per request, as a loop over the log would do it, timed over ``sample`` logged requests."""
    from console.core.ledger.store import open_ledger_readonly
    from console.core.replay.traffic import read_traffic

    db = open_ledger_readonly(url)
    try:
        traffic = read_traffic(db, since=LOG_END - DAYS * 86400, until=LOG_END - DAYS * 86400 + sample * 3)
    finally:
        db.dispose()
    count = min(sample, len(traffic))
    t0 = time.perf_counter()
    for i in range(count):
        request = Request.from_prompt("", metadata={"team": traffic.team[i], "region": traffic.region[i]})
        request.__dict__["estimated_prompt_tokens"] = int(traffic.prompt_tokens[i])
        plan_route(request, policy, classified=Classified(task=traffic.task[i], reason="logged"))
    return (time.perf_counter() - t0) / max(count, 1)


def measure(production: int, sample: int, folder: Path | None = None) -> dict[str, float]:
    url = cached_log(production, folder)
    policy = draft_policy()
    t0 = time.perf_counter()
    report = replay_policy(policy, url=url, since=LOG_END - DAYS * 86400 - 1, until=LOG_END + 1)
    replay_s = time.perf_counter() - t0
    per_request = naive_seconds_per_request(policy, url, sample)
    t0 = time.perf_counter()
    replay_policy(with_budget(policy), url=url, since=LOG_END - DAYS * 86400 - 1, until=LOG_END + 1)
    budget_s = time.perf_counter() - t0
    return {
        "replay with a daily budget s": budget_s,
        "requests replayed": report.requests,
        "routing changes": report.changed_requests,
        "replay s": replay_s,
        "naive plan per request us (sample)": per_request * 1e6,
        "naive sample size": min(sample, report.requests),
        "naive loop s (extrapolated)": per_request * report.requests,
        "speed-up": per_request * report.requests / replay_s if replay_s else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000, help="production requests in the log")
    parser.add_argument("--sample", type=int, default=20_000, help="requests the naive loop is timed on")
    args = parser.parse_args()
    figures = measure(args.requests, args.sample)
    print(f"replayed {figures['requests replayed']:,.0f} requests ({figures['routing changes']:,.0f} change route) "
          f"in {figures['replay s']:.2f} s  (goal <= 5 s)")
    print(f"naive one-plan-per-request loop: {figures['naive plan per request us (sample)']:.1f} us a request, "
          f"measured on {figures['naive sample size']:,.0f} requests in this run and extrapolated to "
          f"{figures['requests replayed']:,.0f}: {figures['naive loop s (extrapolated)']:.1f} s "
          f"(planning alone, no log reading)")
    print(f"speed-up: {figures['speed-up']:.1f}x")
    print(f"the same draft with a daily budget (spent request by request in time order): "
          f"{figures['replay with a daily budget s']:.2f} s")


if __name__ == "__main__":
    main()
