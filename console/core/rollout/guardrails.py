"""The guardrails: B compared with A over the same period, each with its interval and its margin.

* ``failure_rate``: B's failure rate minus A's (absolute). Breached when the whole interval lies
  above the margin: B fails more than the margin allows, and the data says so at the confidence.
* ``p95_latency``: B's p95 relative to A's (0.2 = 20 % slower). Breached when even the low end of
  the interval (B's low bound over A's high bound) is above the margin.
* ``cost_per_request``: B's mean cost per request relative to A's, judged the same way.
Each waits until both arms have ``min_requests`` (answered ones, for latency): until then it is
``waiting``, never breached. A breach carries the numbers that tripped it (``as_dict``), which the
monitor writes into the log's event.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from console.core.policy.rollout_schema import Guardrails
from console.core.rollout.arms import ArmTraffic
from console.core.rollout.split import BASELINE, CANDIDATE
from console.core.rollout.statistics import mean_interval, percentile_interval, proportion_difference, ratio_interval

PASS, BREACH, WAITING = "pass", "breach", "waiting"


@dataclass(frozen=True)
class GuardrailCheck:
    """One guardrail's verdict over a period.

    Attributes:
        name: failure_rate | p95_latency | cost_per_request.
        status: pass | breach | waiting (too few requests to judge).
        baseline, candidate: the measure on each arm (a rate, ms, USD).
        estimate, lower, upper: B against A (a difference for the rate, relative for the others) and its interval.
        margin: how far B may be worse; ``relative`` says whether it is a fraction of A's value.
        requests_baseline, requests_candidate, min_requests: the sample, and what it must reach.
        confidence: of the interval.
    """

    name: str
    status: str
    baseline: float | None
    candidate: float | None
    estimate: float | None
    lower: float | None
    upper: float | None
    margin: float
    relative: bool
    requests_baseline: int
    requests_candidate: int
    min_requests: int
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}

    def sentence(self) -> str:
        """One line for the CLI and the window."""
        label = {"failure_rate": "failure rate", "p95_latency": "p95 latency", "cost_per_request": "cost per request"}
        head = f"{label.get(self.name, self.name)}: {self.status}"
        if self.status == WAITING or self.estimate is None:
            return (f"{head} ({self.requests_baseline} / {self.requests_candidate} requests on A / B; "
                    f"{self.min_requests} each needed)")
        return (f"{head}: A {_value(self.name, self.baseline)}, B {_value(self.name, self.candidate)}; "
                f"B−A {_diff(self.estimate, self.relative)} [{_diff(self.lower, self.relative)}, "
                f"{_diff(self.upper, self.relative)}] at {self.confidence:.0%}, margin {_diff(self.margin, self.relative)}"
                f" (n = {self.requests_baseline} / {self.requests_candidate})")


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    if name == "failure_rate":
        return f"{value:.2%}"
    if name == "p95_latency":
        return f"{value:.0f} ms"
    return f"${value:.6f}"


def _diff(value: float | None, relative: bool) -> str:
    if value is None or not math.isfinite(value):
        return "∞" if value is not None else "–"
    return f"{value:+.1%}" if relative else f"{value * 100:+.2f} pts"


def _verdict(lower: float, margin: float) -> str:
    return BREACH if lower > margin else PASS


def _check(name: str, relative: bool, n_a: int, n_b: int, margin: float, min_requests: int, confidence: float,
           values: tuple[float, float, float, float, float] | None) -> GuardrailCheck:
    """A check from (A's value, B's value, estimate, lower, upper), or waiting when ``values`` is None."""
    if values is None:
        return GuardrailCheck(name, WAITING, None, None, None, None, None, margin, relative, n_a, n_b, min_requests,
                              confidence)
    a, b, estimate, lower, upper = values
    return GuardrailCheck(name, _verdict(lower, margin), a, b, estimate, lower, upper, margin, relative, n_a, n_b,
                          min_requests, confidence)


def check_failure_rate(a: ArmTraffic, b: ArmTraffic, margin: float, min_requests: int, confidence: float) -> GuardrailCheck:
    values = None
    if min(a.requests, b.requests) >= min_requests:
        d, lo, hi = proportion_difference(a.failures, a.requests, b.failures, b.requests, confidence)
        values = (a.failures / a.requests, b.failures / b.requests, d, lo, hi)
    return _check("failure_rate", False, a.requests, b.requests, margin, min_requests, confidence, values)


def check_p95_latency(a: ArmTraffic, b: ArmTraffic, margin: float, min_requests: int, confidence: float) -> GuardrailCheck:
    n_a, n_b = len(a.latencies_ms), len(b.latencies_ms)
    values = None
    if min(n_a, n_b) >= min_requests:
        pa = percentile_interval(a.latencies_ms, 0.95, confidence)
        pb = percentile_interval(b.latencies_ms, 0.95, confidence)
        values = (pa[0], pb[0], *ratio_interval(pb, pa))
    return _check("p95_latency", True, n_a, n_b, margin, min_requests, confidence, values)


def check_cost(a: ArmTraffic, b: ArmTraffic, margin: float, min_requests: int, confidence: float) -> GuardrailCheck:
    values = None
    if min(a.requests, b.requests) >= min_requests:
        ma = mean_interval(a.requests, a.cost_usd, a.cost_squares, confidence)
        mb = mean_interval(b.requests, b.cost_usd, b.cost_squares, confidence)
        values = (ma[0], mb[0], *ratio_interval(mb, ma))
    return _check("cost_per_request", True, a.requests, b.requests, margin, min_requests, confidence, values)


def evaluate(guardrails: Guardrails, traffic: dict[str, ArmTraffic]) -> list[GuardrailCheck]:
    """Every configured guardrail over the arms' traffic (an arm with no traffic counts as empty)."""
    a, b = traffic.get(BASELINE, ArmTraffic()), traffic.get(CANDIDATE, ArmTraffic())
    checks = []
    if guardrails.failure_rate is not None:
        g = guardrails.failure_rate
        checks.append(check_failure_rate(a, b, g.margin, g.min_requests, g.confidence))
    if guardrails.p95_latency is not None:
        lat = guardrails.p95_latency
        checks.append(check_p95_latency(a, b, lat.margin, lat.min_requests, lat.confidence))
    if guardrails.cost_per_request is not None:
        c = guardrails.cost_per_request
        checks.append(check_cost(a, b, c.margin, c.min_requests, c.confidence))
    return checks
