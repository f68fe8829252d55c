"""A route's staged rollout, as policy models: ``routes.X.rollout`` in the YAML.

    rollout:
      candidate: cheap          # B: the model that takes over
      replaces: premium         # A: the route candidate it takes over from
      steps: [5, 25, 50, 100]   # percent of the route's traffic on B, one step at a time
      sticky_by: meta.customer  # or "request": each request drawn on its own
      advance: manual           # or {after: 1d, min_requests: 500}
      guardrails: {failure_rate: {margin: 0.02}, p95_latency: {margin: 0.2}, cost_per_request: {margin: 0.1}}
      on_breach: rollback       # or hold

Only the shape is checked here; that ``candidate`` and ``replaces`` name models of the policy and
that ``replaces`` is one of the route's candidates is ``checks.py``'s (``check_rollouts``). Where
the rollout stands (its step, a rollback) is not policy: it lives in the routing log
(``console/core/rollout/state.py``).
"""

from __future__ import annotations

import re
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DURATION_HELP = "a number and a unit: 30s, 10m, 12h, 1d or 2w"


class Strict(BaseModel):
    """As ``schema.Strict`` (which imports this module, so cannot be imported here): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def duration_seconds(text: str) -> float:
    """``"1d"`` → 86400.0; ValueError naming the accepted forms otherwise."""
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(f"'{text}' is not a duration ({DURATION_HELP})")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def _checked_duration(value: str) -> str:
    if duration_seconds(value) <= 0:
        raise ValueError(f"'{value}' must be longer than zero")
    return value


class AutoAdvance(Strict):
    """Advance by itself once a step has run this long with this much traffic on both arms."""

    after: str = Field(description=f"how long each step runs at least ({DURATION_HELP})")
    min_requests: int = Field(default=500, ge=1, description="requests each arm must have had in the step")

    _after = field_validator("after")(_checked_duration)


class FailureRateGuard(Strict):
    """B's failure rate may exceed A's by at most ``margin`` (absolute, 0.02 = two points)."""

    margin: float = Field(default=0.02, ge=0, le=1)
    min_requests: int = Field(default=200, ge=1, description="requests each arm needs before it is judged")
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="of the two-proportion interval")


class LatencyGuard(Strict):
    """B's p95 latency may exceed A's by at most ``margin`` (relative, 0.2 = 20 % slower)."""

    margin: float = Field(default=0.2, ge=0)
    min_requests: int = Field(default=100, ge=1, description="answered requests each arm needs")
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="of the interval around B's p95")


class CostGuard(Strict):
    """B's mean cost per request may exceed A's by at most ``margin`` (relative)."""

    margin: float = Field(default=0.1, ge=0)
    min_requests: int = Field(default=100, ge=1)
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="of the interval around B's mean")


class Guardrails(Strict):
    """What is compared between the arms, over the same period, every ``evaluate_every``."""

    window: str = Field(default="1h", description="compare the arms over this much recent traffic (within the step)")
    evaluate_every: str = Field(default="1m", description="how often the serving process checks")
    failure_rate: FailureRateGuard | None = Field(default_factory=FailureRateGuard)
    p95_latency: LatencyGuard | None = Field(default_factory=LatencyGuard)
    cost_per_request: CostGuard | None = Field(default_factory=CostGuard)

    _durations = field_validator("window", "evaluate_every")(_checked_duration)


class Rollout(Strict):
    """Shift a route from ``replaces`` (A) to ``candidate`` (B) in steps, watched by guardrails."""

    candidate: str = Field(description="B: the model alias that takes over")
    replaces: str = Field(description="A: the route candidate B takes the place of")
    steps: list[float] = Field(default_factory=lambda: [5.0, 25.0, 50.0, 100.0],
                               description="percent of the route's traffic sent to B at each step, rising")
    sticky_by: str = Field(
        default="request", pattern=r"^(request|meta\.[A-Za-z0-9_.\-]+)$",
        description="'meta.KEY' keeps every request with the same metadata value on one arm; "
                    "'request' draws each request on its own")
    advance: Union[Literal["manual"], AutoAdvance] = "manual"
    guardrails: Guardrails = Field(default_factory=Guardrails)
    on_breach: Literal["rollback", "hold"] = "rollback"
    notes: str | None = None

    @field_validator("steps")
    @classmethod
    def _rising_percentages(cls, steps: list[float]) -> list[float]:
        if not steps:
            raise ValueError("steps needs at least one percentage, e.g. [5, 25, 50, 100]")
        for index, step in enumerate(steps):
            if not 0 < step <= 100:
                raise ValueError(f"step {index + 1} is {step:g}: each step is a percentage above 0 and at most 100")
            if index and step <= steps[index - 1]:
                raise ValueError(f"steps must rise: step {index + 1} ({step:g}) is not above step {index} "
                                 f"({steps[index - 1]:g})")
        return steps

    @property
    def sticky_key(self) -> str | None:
        """The metadata key the split is sticky by; None for per-request."""
        return self.sticky_by[len("meta."):] if self.sticky_by.startswith("meta.") else None
