"""The verdict of a pilot: does the candidate meet the bar set before the run, and what would
switching the task to it save a month at the log's current volume.

Savings = (baseline cost per request − candidate cost per request, both measured in this pilot)
× production requests for the task in the log's last 30 days. With no production traffic for the
task in the log the monthly figure is left out and the saving per 1,000 requests is given instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from console.core.ledger.tables import request_table
from console.core.pilot.bar import QualityBar
from console.core.pilot.runner import PilotReport
from console.core.pilot.summary import ModelSummary, Retention, retention, summarize

MONTH_S = 30 * 86400


@dataclass
class Verdict:
    candidate: str
    meets_bar: bool
    lines: list[str] = field(default_factory=list)
    savings_per_1k_usd: float = 0.0
    savings_per_month_usd: float | None = None
    monthly_requests: int | None = None
    retention: Retention | None = None

    @property
    def headline(self) -> str:
        return self.lines[0] if self.lines else ""


def monthly_requests(db: Engine, task: str, *, now: float | None = None) -> int:
    """Production requests for ``task`` in the log's last 30 days."""
    req = request_table()
    end = time.time() if now is None else now
    query = select(func.count()).where(req.c.kind == "production", req.c.task == task, req.c.ts >= end - MONTH_S,
                                       req.c.ts < end)
    with db.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def decide(report: PilotReport, bar: QualityBar, candidate: str, *, volume: int | None) -> Verdict:
    by_model = {s.model: s for s in summarize(report)}
    base, cand = by_model[report.setup.baseline], by_model[candidate]
    kept = retention(report, candidate)
    checks: list[tuple[bool, str]] = []
    rule = bar.rule
    if rule.relative_to_baseline is not None:
        low, high = kept.interval
        ok = kept.rate >= rule.relative_to_baseline
        checks.append((ok, f"{candidate} passes {kept.both_passed} of the {kept.baseline_passed} cases "
                           f"{report.setup.baseline} passes ({kept.rate:.1%}, 95% CI {low:.1%}–{high:.1%}); "
                           f"the bar asks ≥ {rule.relative_to_baseline:.0%}"))
    if rule.min_pass_rate is not None:
        ok = cand.pass_rate >= rule.min_pass_rate
        checks.append((ok, f"{candidate} passes {cand.pass_rate:.1%} of all cases (95% CI {cand.ci_low:.1%}–"
                           f"{cand.ci_high:.1%}); the bar asks ≥ {rule.min_pass_rate:.0%}"))
    meets = all(ok for ok, _ in checks) and report.complete
    verdict = Verdict(candidate, meets, retention=kept)
    headline = (f"{candidate} MEETS the bar ({rule.describe()})" if meets else
                f"{candidate} does NOT meet the bar ({rule.describe()})")
    if not report.complete:
        headline += f" — the pilot is incomplete ({len(report.cells)} of {len(report.cases) * len(report.models)} cells)"
    verdict.lines = [headline] + [("✓ " if ok else "✗ ") + text for ok, text in checks]
    verdict.lines.append(_pass_line(base) + "; " + _pass_line(cand))
    judged = _dataset_judgements(report, [base.model, cand.model])
    if judged:
        verdict.lines.append("the dataset's own judges marked correct: " + ", ".join(
            f"{model} {rate:.1%}" for model, rate in judged.items()) + " (the bar's checks above are this pilot's own)")
    verdict.savings_per_1k_usd = base.cost_per_1k_usd - cand.cost_per_1k_usd
    verdict.lines.append(f"cost per 1,000 requests: {base.model} ${base.cost_per_1k_usd:.4f}, {cand.model} "
                         f"${cand.cost_per_1k_usd:.4f} (switching saves ${verdict.savings_per_1k_usd:.4f} per 1,000)")
    if volume:
        verdict.monthly_requests = volume
        verdict.savings_per_month_usd = verdict.savings_per_1k_usd * volume / 1000
        verdict.lines.append(f"at the log's volume for task '{report.setup.task}' ({volume:,} production requests in "
                             f"the last 30 days), switching would save ${verdict.savings_per_month_usd:,.2f} a month "
                             "(per-request cost difference measured in this pilot × that volume)")
    else:
        verdict.lines.append(f"the log has no production requests for task '{report.setup.task}' in the last 30 days, "
                             "so no monthly figure: the saving per 1,000 requests above is what switching changes")
    return verdict


def _pass_line(summary: ModelSummary) -> str:
    return (f"{summary.model}: {summary.passed}/{summary.cases} pass ({summary.pass_rate:.1%}, "
            f"95% CI {summary.ci_low:.1%}–{summary.ci_high:.1%})")


def _dataset_judgements(report: PilotReport, models: list[str]) -> dict[str, float]:
    """Share of cases the imported history itself marked correct, per model that has such marks."""
    out: dict[str, float] = {}
    for model in models:
        marks = [c.recorded[model].judged_correct for c in report.cases
                 if model in c.recorded and c.recorded[model].judged_correct is not None]
        if marks and len(marks) == len(report.cases):
            out[model] = sum(1 for mark in marks if mark) / len(marks)
    return out
