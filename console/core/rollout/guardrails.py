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


def check_failure_rate(a: ArmTraffic, b: ArmTraffic, margin: float, min_requests: int, confidence: float) -> GuardrailCheck:
    common = dict(name="failure_rate", margin=margin, relative=False, requests_baseline=a.requests,
                  requests_candidate=b.requests, min_requests=min_requests, confidence=confidence)
    if min(a.requests, b.requests) < min_requests:
        return GuardrailCheck(status=WAITING, baseline=None, candidate=None, estimate=None, lower=None, upper=None, **common)  # type: ignore[arg-type]
    d, lo, hi = proportion_difference(a.failures, a.requests, b.failures, b.requests, confidence)
    return GuardrailCheck(status=_verdict(lo, margin), baseline=a.failures / a.requests,  # type: ignore[arg-type]
                          candidate=b.failures / b.requests, estimate=d, lower=lo, upper=hi, **common)


def check_p95_latency(a: ArmTraffic, b: ArmTraffic, margin: float, min_requests: int, confidence: float) -> GuardrailCheck:
    common = dict(name="p95_latency", margin=margin, relative=True, requests_baseline=len(a.latencies_ms),
                  requests_candidate=len(b.latencies_ms), min_requests=min_requests, confidence=confidence)
    if min(len(a.latencies_ms), len(b.latencies_ms)) < min_requests:
        return GuardrailCheck(status=WAITING, baseline=None, candidate=None, estimate=None, lower=None, upper=None, **common)  # type: ignore[arg-type]
    pa = percentile_interval(a.latencies_ms, 0.95, confidence)
    pb = percentile_interval(b.latencies_ms, 0.95, confidence)
    est, lo, hi = ratio_interval(pb, pa)
    return GuardrailCheck(status=_verdict(lo, margin), baseline=pa[0], candidate=pb[0], estimate=est,  # type: ignore[arg-type]
                          lower=lo, upper=hi, **common)


def check_cost(a: ArmTraffic, b: ArmTraffic, margin: float, min_requests: int, confidence: float) -> GuardrailCheck:
    common = dict(name="cost_per_request", margin=margin, relative=True, requests_baseline=a.requests,
                  requests_candidate=b.requests, min_requests=min_requests, confidence=confidence)
    if min(a.requests, b.requests) < min_requests:
        return GuardrailCheck(status=WAITING, baseline=None, candidate=None, estimate=None, lower=None, upper=None, **common)  # type: ignore[arg-type]
    ma = mean_interval(a.requests, a.cost_usd, a.cost_squares, confidence)
    mb = mean_interval(b.requests, b.cost_usd, b.cost_squares, confidence)
    est, lo, hi = ratio_interval(mb, ma)
    return GuardrailCheck(status=_verdict(lo, margin), baseline=ma[0], candidate=mb[0], estimate=est,  # type: ignore[arg-type]
                          lower=lo, upper=hi, **common)


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
