"""What ``Engine.route_stream`` yields and what ``Engine.route`` returns.

A streamed answer that breaks off is either continued by another model (``Interrupted``, then more
``Delta``s that carry only the new text) or restarted (``Discarded``: the text so far is void), so
no caller shows a truncated or spliced answer as if it were whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from console.core.outcomes import Outcome
from console.core.records import AttemptRecord
from console.core.request import ToolCall
from console.core.routing.types import Plan


@dataclass(frozen=True)
class Started:
    """An attempt began on ``model`` (alias)."""

    model: str
    attempt: int


@dataclass(frozen=True)
class Delta:
    """A piece of answer text from ``model``."""

    model: str
    text: str


@dataclass(frozen=True)
class Discarded:
    """Text already streamed from ``model`` is void; the answer restarts on the next candidate."""

    model: str
    outcome: Outcome
    reason: str
    discarded_chars: int


@dataclass(frozen=True)
class Interrupted:
    """The answer from ``model`` broke off after ``sent_chars`` characters of the whole answer had
    been sent; the next candidate continues it (its Deltas carry only the new text)."""

    model: str
    outcome: Outcome
    reason: str
    sent_chars: int


@dataclass
class RouteResult:
    """The end of a routed request: an answer, or a clear error; the attempt chain either way."""

    request_id: str
    plan: Plan
    outcome: Outcome
    text: str = ""
    answered_by: str | None = None  # model alias that produced ``text``
    answered_model_id: str | None = None  # the provider's own id for it
    attempts: list[AttemptRecord] = field(default_factory=list)
    error: str | None = None  # a sentence naming why, when outcome is not ok
    total_cost_usd: float = 0.0  # every attempt's, and the classifier model's call when there was one
    latency_ms: float = 0.0
    overhead_ms: float = 0.0
    classifier: AttemptRecord | None = None  # the classifier model's call (role "classify"), if any
    tool_calls: tuple[ToolCall, ...] = ()  # calls the answering model asks the caller to make
    finish_reason: str | None = None  # the answering provider's own, when it gave one
    arm: str | None = None  # "baseline" or "candidate" on a route in staged rollout (rollout/split.py)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


RouteEvent = Union[Started, Delta, Discarded, Interrupted, RouteResult]
