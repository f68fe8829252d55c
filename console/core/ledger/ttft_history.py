"""Each model's recent times to first token, from the log: what an engine's first-token deadlines start from.

An engine fits each model's first-token deadline to its measured p95 (``routing/deadlines.py``).
When it starts it reads the last ``limit`` successful, streamed answers of each model alias here,
so the deadlines fit from the first request; its own attempts keep them current after that. Only
attempts by the same provider model id count: an alias re-pointed at another model starts afresh.
Non-streamed answers are left out: their "first token" is the whole answer.
"""

from __future__ import annotations

from typing import Mapping

from sqlalchemy import Engine, select

from console.core.ledger.tables import attempt_table, request_table

#: As many as a ``LatencyWindow`` keeps.
HISTORY_LIMIT = 200


def recent_ttft(db: Engine, model_ids: Mapping[str, str], limit: int = HISTORY_LIMIT) -> dict[str, list[float]]:
    """Times to first token (ms) per alias in ``model_ids`` (alias → provider model id), oldest first."""
    att, req = attempt_table(), request_table()
    found: dict[str, list[float]] = {}
    with db.connect() as conn:
        for alias, model_id in model_ids.items():
            stmt = (
                select(att.c.ttft_ms)
                .join(req, req.c.request_id == att.c.request_id)
                .where(att.c.kind == "production", att.c.model_alias == alias, att.c.ok == 1,
                       att.c.role == "route", att.c.provider_model_id == model_id, att.c.ttft_ms.is_not(None),
                       req.c.streamed == 1)
                .order_by(att.c.ts.desc())
                .limit(limit)
            )
            values = [float(v) for (v,) in conn.execute(stmt).all()]
            if values:
                found[alias] = values[::-1]
    return found
