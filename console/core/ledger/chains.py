"""The requests behind a chart point: filters in, request rows with their attempt chains out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from console.core.ledger.filters import Filters, raw_where
from console.core.ledger.tables import attempt_table, request_table

_ATTEMPT_FIELDS = (
    "position", "ts", "model_alias", "provider", "provider_model_id", "answered_model_id", "outcome",
    "error_class", "error_message", "http_status", "input_tokens", "output_tokens", "cached_tokens",
    "reasoning_tokens", "tokens_estimated", "cost_usd", "price_input", "price_output", "price_cached_input",
    "price_reasoning", "latency_ms", "ttft_ms", "retry_index", "role",
)
_REQUEST_FIELDS = (
    "request_id", "ts", "kind", "policy_name", "policy_hash", "task", "task_reason", "outcome", "team",
    "region", "customer", "metadata_json", "first_model", "answered_by", "fell_back", "attempt_count",
    "total_cost_usd", "total_latency_ms", "overhead_ms", "streamed",
)


@dataclass
class RequestChain:
    """One logged request as plain values, with its attempts in chain order."""

    request: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        request = dict(self.request)
        request["metadata"] = json.loads(request.pop("metadata_json") or "{}")
        for key in ("team", "region", "customer"):
            if request.get(key):
                request["metadata"][key] = request[key]
        return {**request, "attempts": self.attempts}


def requests_behind(db: Engine, filters: Filters, *, failed_only: bool = False, outcome: str | None = None,
                    limit: int = 100) -> list[RequestChain]:
    """Newest first: requests with an attempt matching ``filters`` (and failing, or ending in
    ``outcome``, when asked), each with its whole chain."""
    att, req = attempt_table(), request_table()
    condition = raw_where(att, filters)
    if failed_only:
        condition = condition & (att.c.ok == 0)
    if outcome is not None:
        condition = condition & (att.c.outcome == outcome)
    with db.connect() as conn:
        # Several attempts per request can match: over-fetch, then keep the first `limit` ids.
        ids_stmt = select(att.c.request_id, att.c.ts).where(condition).order_by(att.c.ts.desc()).limit(limit * 4)
        ordered: list[str] = []
        for request_id, _ts in conn.execute(ids_stmt):
            if request_id not in ordered:
                ordered.append(request_id)
            if len(ordered) >= limit:
                break
        if not ordered:
            return []
        requests = {row.request_id: dict(row._mapping) for row in conn.execute(
            select(*(req.c[n] for n in _REQUEST_FIELDS)).where(req.c.request_id.in_(ordered)))}
        chains = {rid: RequestChain(requests[rid]) for rid in ordered if rid in requests}
        attempts = conn.execute(
            select(att.c.request_id, *(att.c[n] for n in _ATTEMPT_FIELDS))
            .where(att.c.request_id.in_(list(chains))).order_by(att.c.request_id, att.c.position))
        for row in attempts:
            values = dict(row._mapping)
            chains[values.pop("request_id")].attempts.append(values)
    return list(chains.values())
