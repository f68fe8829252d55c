"""Small hand-made RequestRecords for ledger tests."""

from __future__ import annotations

from datetime import datetime, timezone

from console.core.outcomes import Outcome
from console.core.records import AttemptRecord, RequestRecord


def make_record(request_id: str, *, ts: float = 1_760_000_000.0, task: str = "support", team: str = "growth",
                kind: str = "production", chain: tuple[tuple[str, Outcome, float], ...] = (("gpt-mini", Outcome.OK, 0.001),),
                latency_ms: float = 100.0) -> RequestRecord:
    started = datetime.fromtimestamp(ts, tz=timezone.utc)
    attempts = [
        AttemptRecord(position=i, model_alias=model, provider="openai", provider_model_id=f"id-{model}",
                      outcome=outcome, started_at=started, cost_usd=cost, latency_ms=latency_ms,
                      input_tokens=100, output_tokens=20 if outcome is Outcome.OK else 0)
        for i, (model, outcome, cost) in enumerate(chain)
    ]
    final = attempts[-1].outcome if attempts else Outcome.CANCELLED
    return RequestRecord(
        request_id=request_id, started_at=started, policy_name="p", policy_hash="h", task=task, task_reason="rule",
        outcome=final, metadata={"team": team, "region": "eu", "customer": "acme", "ticket": "T-1"},
        answered_by=attempts[-1].model_alias if final is Outcome.OK else None,
        total_cost_usd=sum(a.cost_usd for a in attempts), kind=kind, attempts=attempts,
    )
