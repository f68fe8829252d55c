"""The review as plain data: one dataclass per section, each figure with what it was computed from.

Renderers (HTML, PDF) only lay these out; nothing here is computed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from console.core.ledger.latency import LatencyStats
from console.core.ledger.queries import Counts, Rate
from console.core.ledger.series import StackedSeries
from console.core.review.period import ReviewPeriod


@dataclass(frozen=True)
class SpendLine:
    key: str  # a task or a model
    cost_usd: float
    previous_usd: float
    by_month: tuple[float, ...]  # one per ``Spend.months``


@dataclass(frozen=True)
class BudgetLine:
    name: str
    scope: str
    period: str  # day | month
    limit_usd: float
    worst_usd: float  # the most spent in one period of the review
    periods_over: int
    periods: int


@dataclass
class Spend:
    counts: Counts
    previous: Counts
    months: list[str]
    by_task: list[SpendLine]
    by_model: list[SpendLine]
    budgets: list[BudgetLine]
    daily_by_task: StackedSeries
    daily_by_model: StackedSeries


@dataclass(frozen=True)
class Outage:
    provider: str
    start: float
    end: float
    attempts: int
    failures: int


@dataclass(frozen=True)
class DriftAlert:
    week_ending: float
    task: str
    model: str
    metric: str
    baseline_value: float
    recent_value: float
    p_value: float


@dataclass
class Reliability:
    failures: list[Rate]  # per task × model, Wilson 95%
    fallbacks: list[Rate]  # per task × first-choice model
    fallback_requests: int
    failed_attempt_cost_usd: float  # billed for attempts that failed (what the fallbacks cost on top)
    outcome_mix: list[tuple[str, int]]
    drift: list[DriftAlert]
    outages: list[Outage]
    outage_rule: str


@dataclass(frozen=True)
class LatencyLine:
    task: str
    stats: LatencyStats
    required_p95_ms: float | None  # the route's latency.p95_ms, if it sets one

    @property
    def meets(self) -> bool | None:
        return None if self.required_p95_ms is None else self.stats.p95_ms <= self.required_p95_ms


@dataclass(frozen=True)
class VersionLine:
    saved_at: float
    policy_hash: str
    first_traffic: float | None  # when the log first saw requests under it (policy_change)
    summary: list[str]


@dataclass(frozen=True)
class PilotLine:
    run_id: str
    ts: float
    task: str
    baseline: str
    candidate: str
    status: str
    verdict: list[str]  # the pilot's own verdict lines (pilot.verdict.decide)
    meets_bar: bool
    projected_month_usd: float | None
    realised_month_usd: float | None  # cost per request of the task before vs after the run × volume
    realised_note: str


@dataclass(frozen=True)
class ArmLine:
    arm: str  # baseline | candidate
    model: str
    requests: int
    failures: int
    cost_usd: float

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    @property
    def cost_per_request(self) -> float:
        return self.cost_usd / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class RolloutLine:
    route: str
    candidate: str
    replaces: str
    state: str  # the rollout's own words for where it stands now
    events: tuple[str, ...]  # what happened to it in the period, oldest first
    arms: tuple[ArmLine, ...]  # each arm over the period (rollout_arm rows)
    realised_month_usd: float | None  # (A's cost per request - B's) x B's requests, scaled to 30 days


@dataclass(frozen=True)
class PriceLine:
    as_of: str
    model: str
    old: str
    new: str
    source: str


@dataclass(frozen=True)
class NewModelLine:
    task: str
    model: str
    serving: str
    monthly_saving_usd: float
    note: str


@dataclass(frozen=True)
class Recommendation:
    task: str
    action: str  # keep | pilot X (saves about $N a month) | investigate failure drift
    evidence: list[str]
    next_step: str  # the command (or window button) that starts it


@dataclass
class Review:
    policy_name: str
    period: ReviewPeriod
    generated_at: float
    spend: Spend
    reliability: Reliability
    latency: list[LatencyLine]
    versions: list[VersionLine]
    pilots: list[PilotLine]
    rollouts: list[RolloutLine]
    prices: list[PriceLine]
    new_models: list[NewModelLine]
    recommendations: list[Recommendation]
    notes: list[str] = field(default_factory=list)  # what the review could not say, and why
