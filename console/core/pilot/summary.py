"""Figures per model from a pilot's cells: pass rate with a Wilson 95% interval, cost per 1,000
requests (judge cost shown apart), latency p50/p95, and how much of the baseline's passes a
candidate keeps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.core.ledger.stats import wilson_interval
from console.core.pilot.runner import PilotReport


@dataclass(frozen=True)
class ModelSummary:
    model: str
    cases: int
    passed: int
    pass_rate: float
    ci_low: float
    ci_high: float
    cost_per_1k_usd: float  # answering cost per 1,000 requests
    judge_cost_usd: float  # total judge cost on this model's answers
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    failed_calls: int
    recorded: int  # cells judged from answers given in the past


@dataclass(frozen=True)
class Retention:
    """Of the cases the baseline passes, how many the candidate passes too."""

    candidate: str
    baseline_passed: int
    both_passed: int

    @property
    def rate(self) -> float:
        return self.both_passed / self.baseline_passed if self.baseline_passed else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.both_passed, self.baseline_passed)


def summarize(report: PilotReport) -> list[ModelSummary]:
    out = []
    for model in report.models:
        cells = [c for (case, m), c in report.cells.items() if m == model]
        passed = sum(c.passed for c in cells)
        low, high = wilson_interval(passed, len(cells))
        latencies = np.array([c.latency_ms for c in cells if c.latency_ms is not None], dtype=float)
        p50 = float(np.percentile(latencies, 50)) if latencies.size else None
        p95 = float(np.percentile(latencies, 95)) if latencies.size else None
        cost = sum(c.cost_usd for c in cells)
        out.append(ModelSummary(
            model, len(cells), passed, passed / len(cells) if cells else 0.0, low, high,
            cost / len(cells) * 1000 if cells else 0.0, sum(c.judge_cost_usd for c in cells), p50, p95,
            sum(c.outcome != "ok" for c in cells), sum(c.recorded for c in cells)))
    return out


def retention(report: PilotReport, candidate: str) -> Retention:
    baseline = report.setup.baseline
    base_passed = both = 0
    for case in report.cases:
        base = report.cells.get((case.case_id, baseline))
        cand = report.cells.get((case.case_id, candidate))
        if base is None or cand is None or not base.passed:
            continue
        base_passed += 1
        both += int(cand.passed)
    return Retention(candidate, base_passed, both)
