"""Value types of routing decisions: a classified task and an explained plan.

These are what ``routedesk explain``, the editor's Try-it panel and the ledger show, so every
decision carries its reason as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from console.core.outcomes import Outcome
from console.core.records import Usage


@dataclass(frozen=True)
class ClassifierCall:
    """The classifier model's call for one request: billed like any other call, so it is logged.

    Attributes:
        alias / provider / model_id: the classifier model, as the policy binds it.
        outcome: how the call itself ended (OK even when its label was then not used).
        usage: tokens the provider reported (None when it failed before reporting).
    """

    alias: str
    provider: str
    model_id: str
    outcome: Outcome
    started_at: datetime
    latency_ms: float
    usage: Usage | None = None
    error: str | None = None


@dataclass(frozen=True)
class Classified:
    """Which task a request belongs to, and why.

    Attributes:
        task: the task name.
        reason: a sentence: which rule matched, the hint, the model's label and probability, or the default.
        rule: the matched rule's name (or index as 'rule #N') when a rule decided.
        probability: the local model's probability for its label, when a model decided.
        call: the classifier model's call, when one was made (whether or not its label was used).
    """

    task: str
    reason: str
    rule: str | None = None
    probability: float | None = None
    call: ClassifierCall | None = None


#: How a plan says a model's context window cannot hold the request (prompt + max output).
CONTEXT_TOO_SMALL = "context too small"


@dataclass(frozen=True)
class CandidateDecision:
    """One model considered for a request, kept or dropped with the reason."""

    model: str
    kept: bool
    reason: str
    estimated_cost_usd: float
    position: int  # order in the route (budget fallbacks come after the route's own candidates)
    via_budget: str | None = None  # budget name when this candidate was added by a budget's fallback
    first_token_s: float | None = None  # kept candidates: its first-token deadline (routing/deadlines.py)
    first_token_source: str = ""  # where that deadline came from, as a sentence
    pass_probability: float | None = None  # the route's learned router's P(pass), when it has one


@dataclass(frozen=True)
class Plan:
    """The ordered, explained route for one request. Built by the pure ``plan_route``."""

    task: str
    task_reason: str
    candidates: tuple[CandidateDecision, ...]
    estimated_input_tokens: int
    max_output_tokens: int
    warnings: tuple[str, ...] = field(default_factory=tuple)
    blocked_by: str | None = None  # the budget that blocked the request, if one did
    router_note: str | None = None  # how the route's learned router ordered the candidates

    @property
    def kept(self) -> tuple[CandidateDecision, ...]:
        return tuple(c for c in self.candidates if c.kept)

    @property
    def dropped(self) -> tuple[CandidateDecision, ...]:
        return tuple(c for c in self.candidates if not c.kept)
