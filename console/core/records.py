"""Plain records of what routing did: one per request, one per attempt, and a call's token counts.

The executor produces them; the ledger stores them; the CLI and window print them. They carry no
keys and no ORM state. Prices used are stored with each attempt so a later price change never
rewrites history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from concurrent.futures import Future
from typing import Optional, Protocol

from console.core.outcomes import Outcome


def new_request_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Usage:
    """Token counts of one call. ``estimated`` is True when the provider did not report them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False


@dataclass
class AttemptRecord:
    position: int  # 0-based place in the chain of attempts (retries count as their own attempts)
    model_alias: str
    provider: str
    provider_model_id: str
    outcome: Outcome
    started_at: datetime = field(default_factory=utcnow)
    error_class: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    tokens_estimated: bool = False
    cost_usd: float = 0.0
    price_input: float = 0.0  # $/M tokens used for cost_usd
    price_output: float = 0.0
    price_cached_input: float = 0.0
    price_reasoning: float = 0.0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    retry_index: int = 0  # 0 for the first try of this model, 1 for its first retry, ...
    answered_model_id: str | None = None  # the model id the provider says answered
    role: str = "route"  # "route": an attempt of the chain; "classify": the classifier model's call


Kind = str  # "production" | "comparison" | "pilot" | "imported" | "shadow"


@dataclass
class RequestRecord:
    request_id: str
    started_at: datetime
    policy_name: str
    policy_hash: str
    task: str
    task_reason: str
    outcome: Outcome
    metadata: dict[str, str] = field(default_factory=dict)
    answered_by: str | None = None  # model alias that produced the answer
    total_cost_usd: float = 0.0
    total_latency_ms: float = 0.0
    overhead_ms: float = 0.0  # router's own time: total minus time spent inside provider calls
    streamed: bool = False
    kind: Kind = "production"
    prompt_text: str | None = None  # only when the user opted in
    arm: str | None = None  # on a route in staged rollout: "baseline" or "candidate" (ledger/rollouts.py)
    attempts: list[AttemptRecord] = field(default_factory=list)


class Recorder(Protocol):
    """Where finished requests go (the ledger's writer, or an in-memory list in tests)."""

    def record(self, request: RequestRecord) -> Optional["Future[None]"]:
        """Queue a finished request. May return a Future that resolves once it is durable;
        the Engine awaits it before handing the answer back (group commit keeps that cheap)."""
        ...


class MemoryRecorder:
    """Keeps records in a list; for tests and for runs with logging off."""

    def __init__(self) -> None:
        self.requests: list[RequestRecord] = []

    def record(self, request: RequestRecord) -> None:
        self.requests.append(request)
        return None
