"""Section 5: the pilots run in the period, each judged again by the pilot's own verdict code
(``pilot.verdict.decide`` over the stored cells and the bar stored with the run), with the saving
it projected and the saving realised since.

Realised saving: the task's production cost per request in the period after the run minus before
it (within the review's period), times the monthly volume after it. It is the whole task's
change, so it says so; it is left out when either side has no traffic.
"""

from __future__ import annotations

from sqlalchemy import Engine

from console.core.ledger.filters import Filters
from console.core.ledger.queries import counts
from console.core.review.figures import PilotLine
from console.core.review.period import ReviewPeriod

MONTH_S = 30 * 86400.0


def _report(db: Engine, run_id: str, status: str):  # type: ignore[no-untyped-def]
    from console.core.pilot.cases import PilotCase
    from console.core.pilot.runner import PilotReport
    from console.core.pilot.store import load_cells, load_setup

    setup = load_setup(db, run_id)
    cells = load_cells(db, run_id)
    cases = [PilotCase(case_id, "") for case_id in sorted({case for case, _model in cells})]
    return setup, PilotReport(setup, cases, cells, complete=status == "finished")


def _realised(db: Engine, task: str, ts: float, period: ReviewPeriod, policy_name: str) -> tuple[float | None, str]:
    before = counts(db, Filters(period.since, ts, policy=policy_name, task=task))
    after = counts(db, Filters(ts, period.until, policy=policy_name, task=task))
    if not before.requests or not after.requests:
        return None, "no traffic on one side of the run within the period"
    per_before, per_after = before.cost_usd / before.requests, after.cost_usd / after.requests
    monthly = after.requests * MONTH_S / max(period.until - ts, 1.0)
    return (per_before - per_after) * monthly, (f"task cost per request ${per_before:.5f} before the run, "
                                                f"${per_after:.5f} after, at {monthly:,.0f} requests a month")


def pilot_lines(db: Engine, period: ReviewPeriod, policy_name: str) -> list[PilotLine]:
    from console.core.pilot.bar import BarError, parse_bar
    from console.core.pilot.store import list_runs
    from console.core.pilot.verdict import decide, monthly_requests

    lines = []
    for run in sorted(list_runs(db), key=lambda r: r.ts):
        if not period.since <= run.ts < period.until or not run.cells:
            continue
        setup, report = _report(db, run.run_id, run.status)
        try:
            bar = parse_bar(setup.bar_json, "bar.json")
        except BarError:
            continue
        realised, note = _realised(db, setup.task, run.ts, period, policy_name)
        volume = monthly_requests(db, setup.task, now=run.ts) or None
        for candidate in setup.candidates:
            verdict = decide(report, bar, candidate, volume=volume)
            lines.append(PilotLine(run.run_id, run.ts, setup.task, setup.baseline, candidate, run.status,
                                   verdict.lines, verdict.meets_bar, verdict.savings_per_month_usd, realised, note))
    return lines
