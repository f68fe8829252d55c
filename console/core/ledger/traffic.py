"""Synthetic routing traffic with known totals, for demos, tests and the benchmark.

Seeded and realistic enough to read charts by eye: five tasks with their own fallback chains over
six models (hosted and local), four teams, a mix of production/pilot/comparison traffic, lognormal
token counts and latencies, classified failures (429s, 5xx, timeouts, stream cuts billed for the
output they sent) and an optional failure spike on one task × model in the most recent hours, for
drift detection to find. Every record is priced by ``console.core.pricing``; ``TrafficTotals``
adds up exactly what was generated so tests can compare it with what the log returns.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator

import numpy as np

from console.core.outcomes import Outcome
from console.core.pricing import PriceSheet, cost_usd
from console.core.records import AttemptRecord, RequestRecord


@dataclass(frozen=True)
class DemoModel:
    provider: str
    model_id: str
    prices: PriceSheet
    latency_ms: float  # median of a successful call
    failure_rate: float
    reasoning: bool = False


MODELS: dict[str, DemoModel] = {
    "gpt-large": DemoModel("openai", "gpt-4.1", PriceSheet(2.0, 8.0, 0.5, 8.0), 2400, 0.02),
    "gpt-mini": DemoModel("openai", "gpt-4.1-mini", PriceSheet(0.4, 1.6, 0.1, 1.6), 900, 0.03),
    "claude": DemoModel("anthropic", "claude-sonnet-4", PriceSheet(3.0, 15.0, 0.3, 15.0), 2100, 0.025),
    "gemini-flash": DemoModel("gemini", "gemini-2.5-flash", PriceSheet(0.3, 2.5, 0.075, 2.5), 700, 0.04, True),
    "reasoner": DemoModel("openrouter", "o4-mini", PriceSheet(1.1, 4.4, 0.275, 4.4), 5200, 0.05, True),
    "local-smol": DemoModel("local", "SmolLM2-135M-Instruct.Q4_1.gguf", PriceSheet(0, 0, 0, 0), 350, 0.06),
}
TASKS: dict[str, tuple[float, tuple[str, ...]]] = {  # weight, fallback chain
    "support": (0.35, ("gpt-mini", "claude", "gpt-large")),
    "summarize": (0.25, ("gemini-flash", "gpt-mini")),
    "extract": (0.15, ("local-smol", "gpt-mini")),
    "code": (0.15, ("claude", "gpt-large")),
    "analysis": (0.10, ("reasoner", "gpt-large")),
}
TEAMS = ("growth", "platform", "support-ops", "research")
REGIONS = ("us", "eu")
KIND_WEIGHTS = {"production": 0.92, "pilot": 0.05, "comparison": 0.03}
FAILURES = (  # outcome, share of failures, http status
    (Outcome.RATE_LIMITED, 0.35, 429), (Outcome.SERVER_ERROR, 0.2, 500), (Outcome.TIMEOUT, 0.2, None),
    (Outcome.STREAM_CUT, 0.15, None), (Outcome.INVALID_OUTPUT, 0.1, None),
)
POLICY_NAME, POLICY_HASH = "demo", "demo-policy-hash"


@dataclass
class KindTotals:
    requests: int = 0
    failed_requests: int = 0
    fallbacks: int = 0
    attempts: int = 0
    failed_attempts: int = 0
    cost_usd: float = 0.0
    by_task_model: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    cost_by_model: dict[str, float] = field(default_factory=lambda: defaultdict(float))


@dataclass
class TrafficTotals:
    """What was generated, per kind ('production', 'pilot', 'comparison')."""

    kinds: dict[str, KindTotals] = field(default_factory=lambda: defaultdict(KindTotals))
    start: float = 0.0
    end: float = 0.0

    @property
    def attempts(self) -> int:
        return sum(k.attempts for k in self.kinds.values())

    @property
    def requests(self) -> int:
        return sum(k.requests for k in self.kinds.values())


def parse_spike(text: str) -> tuple[str, str]:
    """'task:model' → (task, model), checked against the demo's tasks and models."""
    task, sep, model = text.partition(":")
    if not sep or task not in TASKS or model not in MODELS:
        raise ValueError(f"--spike wants task:model with task in {sorted(TASKS)} and model in {sorted(MODELS)}; "
                         f"got {text!r}")
    return task, model


def generate(requests: int, *, days: float = 30.0, seed: int = 7, end: float | None = None,
             spike: tuple[str, str] | None = None, spike_hours: float = 24.0, spike_failure_rate: float = 0.5,
             totals: TrafficTotals | None = None, chains: dict[str, tuple[str, ...]] | None = None,
             policy: tuple[str, str] = (POLICY_NAME, POLICY_HASH)) -> Iterator[RequestRecord]:
    """Yield ``requests`` records spread over the ``days`` before ``end``, oldest first.

    ``chains`` replaces some tasks' fallback chains and ``policy`` names the (name, hash) logged, so
    a demo can show a policy change: the quarterly review's demo writes two stretches this way."""
    rng = np.random.default_rng(seed)
    end = time.time() if end is None else end
    start = end - days * 86400
    if totals is not None:
        totals.start, totals.end = start, end
    times = np.sort(rng.uniform(start, end, requests))
    task_names = list(TASKS)
    task_pick = rng.choice(len(task_names), size=requests, p=[TASKS[t][0] for t in task_names])
    kind_names = list(KIND_WEIGHTS)
    kind_pick = rng.choice(len(kind_names), size=requests, p=list(KIND_WEIGHTS.values()))
    team_pick = rng.integers(0, len(TEAMS), requests)
    spike_from = end - spike_hours * 3600
    uuid_bits = rng.integers(0, 2**63, size=(requests, 2))
    for i in range(requests):
        task = task_names[task_pick[i]]
        kind = kind_names[kind_pick[i]]
        ts = float(times[i])
        record = RequestRecord(
            request_id=uuid.UUID(int=(int(uuid_bits[i, 0]) << 64) | int(uuid_bits[i, 1])).hex,
            started_at=datetime.fromtimestamp(ts, tz=timezone.utc), policy_name=policy[0],
            policy_hash=policy[1], task=task, task_reason="rule", outcome=Outcome.OK,
            metadata={"team": TEAMS[team_pick[i]], "region": REGIONS[i % 2], "customer": f"c{i % 97}"},
            streamed=bool(i % 3 == 0), kind=kind,
        )
        spiking = spike is not None and ts >= spike_from
        _simulate_chain(rng, record, (chains or {}).get(task, TASKS[task][1]), ts,
                        spike_model=spike[1] if spiking and spike and spike[0] == task else None,
                        spike_failure_rate=spike_failure_rate)
        if totals is not None:
            _add(totals.kinds[kind], record)
        yield record


def _simulate_chain(rng: np.random.Generator, record: RequestRecord, chain: tuple[str, ...], ts: float,
                    *, spike_model: str | None, spike_failure_rate: float) -> None:
    clock = ts
    elapsed_ms = 0.0
    for position, alias in enumerate(chain):
        model = MODELS[alias]
        failure_rate = spike_failure_rate if alias == spike_model else model.failure_rate
        input_tokens = int(rng.lognormal(6.5, 0.6)) + 20
        cached = int(input_tokens * rng.uniform(0.3, 0.9)) if rng.random() < 0.3 else 0
        output_tokens = int(rng.lognormal(5.2, 0.5)) + 5
        reasoning = int(output_tokens * rng.uniform(0.2, 0.6)) if model.reasoning else 0
        latency = float(model.latency_ms * rng.lognormal(0.0, 0.35))
        outcome, status = Outcome.OK, None
        if rng.random() < failure_rate:
            outcome, status = _failure(rng)
            if outcome is Outcome.STREAM_CUT:  # billed for what streamed before the cut
                output_tokens, reasoning = output_tokens // 3, reasoning // 3
                latency *= 0.4
            else:
                output_tokens = reasoning = cached = 0
                input_tokens = 0 if outcome in (Outcome.RATE_LIMITED, Outcome.SERVER_ERROR) else input_tokens
                latency = latency * 0.1 if status else latency * 2.5
        attempt = AttemptRecord(
            position=position, model_alias=alias, provider=model.provider, provider_model_id=model.model_id,
            outcome=outcome, started_at=datetime.fromtimestamp(clock, tz=timezone.utc),
            error_class=None if outcome is Outcome.OK else outcome.value.replace("_", " ").title().replace(" ", ""),
            error_message=None if outcome is Outcome.OK else f"simulated {outcome.value}", http_status=status,
            input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached, reasoning_tokens=reasoning,
            tokens_estimated=model.provider == "local",
            cost_usd=cost_usd(model.prices, input_tokens=input_tokens, output_tokens=output_tokens,
                              cached_tokens=cached, reasoning_tokens=reasoning),
            price_input=model.prices.input, price_output=model.prices.output,
            price_cached_input=model.prices.cached_input, price_reasoning=model.prices.reasoning,
            latency_ms=latency, ttft_ms=latency * 0.3 if record.streamed and output_tokens else None,
            answered_model_id=model.model_id if outcome is Outcome.OK else None,
        )
        record.attempts.append(attempt)
        record.total_cost_usd += attempt.cost_usd
        elapsed_ms += latency
        clock += latency / 1000
        if outcome is Outcome.OK:
            record.outcome, record.answered_by = Outcome.OK, alias
            break
        record.outcome = outcome
    record.overhead_ms = float(rng.uniform(0.2, 1.5))
    record.total_latency_ms = elapsed_ms + record.overhead_ms


def _failure(rng: np.random.Generator) -> tuple[Outcome, int | None]:
    draw = rng.random()
    for outcome, share, status in FAILURES:
        if draw < share:
            return outcome, status
        draw -= share
    return FAILURES[-1][0], FAILURES[-1][2]


def _add(totals: KindTotals, record: RequestRecord) -> None:
    totals.requests += 1
    totals.failed_requests += record.outcome is not Outcome.OK
    totals.fallbacks += len({a.model_alias for a in record.attempts}) > 1
    for attempt in record.attempts:
        totals.attempts += 1
        failed = attempt.outcome is not Outcome.OK
        totals.failed_attempts += failed
        totals.cost_usd += attempt.cost_usd
        totals.cost_by_model[attempt.model_alias] += attempt.cost_usd
        counts = totals.by_task_model[(record.task, attempt.model_alias)]
        counts[0] += 1
        counts[1] += failed
