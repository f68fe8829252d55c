"""Each model's first-token deadline, from its measured time to first token: pure, like the plan.

A fixed deadline both waits too long for a chat model that usually starts in half a second and
cuts off a reasoning model that legitimately thinks for a minute. So a model with enough streamed
history gets ``p95_multiple`` × its p95 time to first token, kept between ``floor_s`` and
``ceiling_s`` (the policy's ``first_token_deadline``, or the route's own when it sets one). A model
without that history, or a route that turns adaptive deadlines off, gets the route's static
``timeouts.first_token_s``. The p95 comes in with the health snapshot (the log's recent history,
then this process's own attempts), so the same inputs always give the same deadline, and
``explain`` says which number applies and where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.core.policy.schema import FirstTokenDeadline, Policy, Route
from console.core.routing.health import ModelHealth


@dataclass(frozen=True)
class Deadline:
    """A first-token deadline in seconds and, as a sentence, where it came from."""

    seconds: float
    source: str


def _settings(policy: Policy, route: Route) -> tuple[FirstTokenDeadline, str]:
    if route.first_token_deadline is not None:
        return route.first_token_deadline, "the route's"
    return policy.first_token_deadline, "the policy's"


def first_token_deadline(policy: Policy, route: Route, health: ModelHealth) -> Deadline:
    """The deadline for one model on ``route`` given what was measured of it."""
    static = route.timeouts.first_token_s
    settings, whose = _settings(policy, route)
    if not settings.adaptive:
        return Deadline(static, f"the route's first_token_s ({whose} adaptive deadlines are off)")
    p95_ms, samples = health.ttft_p95_ms, health.ttft_samples
    if p95_ms is None or samples < settings.min_samples:
        return Deadline(static, f"the route's first_token_s (first-token history: {samples} of "
                                f"{settings.min_samples} streamed answers needed)")
    wanted = settings.p95_multiple * p95_ms / 1000
    seconds = min(max(wanted, settings.floor_s), settings.ceiling_s)
    source = f"{settings.p95_multiple:g} × p95 first token {p95_ms / 1000:.2f} s over {samples} streamed answers"
    if seconds > wanted:
        source += f", raised to {whose} floor {settings.floor_s:g} s"
    elif seconds < wanted:
        source += f", lowered to {whose} ceiling {settings.ceiling_s:g} s"
    return Deadline(round(seconds, 3), source)
