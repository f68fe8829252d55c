"""Saved comparisons in the log: save (or update), list and load a side-by-side's result.

The tables are the log's (``ledger/comparisons.py``, created by its schema step 3); what goes in
them is this feature's, so the storage layer never depends on the compare feature.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, select, update

from console.core.compare.results import ComparisonResult
from console.core.ledger.comparisons import comparison_tables


@dataclass(frozen=True)
class SavedComparison:
    """A line of the saved-comparisons list."""

    comparison_id: int
    ts: float
    policy_name: str
    prompt: str
    winner: str | None
    columns: int


def save_comparison(db: Engine, result: ComparisonResult) -> int:
    """Insert (or, when it has an id, update) a comparison; returns its id."""
    comparisons, columns = comparison_tables()
    values = {"ts": result.started_at or time.time(), "policy_name": result.policy_name, "prompt": result.params.prompt,
              "winner": result.winner, "note": result.note}
    with db.begin() as conn:
        if result.comparison_id is None:
            inserted = conn.execute(insert(comparisons).values(**values, result_json="{}")).inserted_primary_key
            if inserted is None:  # never for a one-row INSERT on SQLite or PostgreSQL
                raise RuntimeError("the routing log gave no id for the new comparison")
            result.comparison_id = int(inserted[0])
        else:
            conn.execute(update(comparisons).where(comparisons.c.id == result.comparison_id).values(**values))
            conn.execute(delete(columns).where(columns.c.comparison_id == result.comparison_id))
        conn.execute(update(comparisons).where(comparisons.c.id == result.comparison_id)
                     .values(result_json=json.dumps(result.to_json(), ensure_ascii=False)))
        conn.execute(insert(columns), [
            {"comparison_id": result.comparison_id, "position": i, "label": c.label, "model": c.model,
             "outcome": c.outcome.value, "cost_usd": c.cost_usd, "latency_ms": c.latency_ms, "request_id": c.request_id}
            for i, c in enumerate(result.columns)
        ])
    return result.comparison_id


def list_comparisons(db: Engine, limit: int = 200) -> list[SavedComparison]:
    comparisons, columns = comparison_tables()
    counts = select(columns.c.comparison_id, func.count().label("n")).group_by(columns.c.comparison_id).subquery()
    query = (select(comparisons.c.id, comparisons.c.ts, comparisons.c.policy_name, comparisons.c.prompt,
                    comparisons.c.winner, counts.c.n)
             .join(counts, counts.c.comparison_id == comparisons.c.id, isouter=True)
             .order_by(comparisons.c.ts.desc(), comparisons.c.id.desc()).limit(limit))
    with db.connect() as conn:
        return [SavedComparison(int(r[0]), float(r[1]), r[2], r[3], r[4], int(r[5] or 0)) for r in conn.execute(query)]


def load_comparison(db: Engine, comparison_id: int) -> ComparisonResult:
    """A saved comparison; KeyError when there is none with this id."""
    comparisons, _ = comparison_tables()
    with db.connect() as conn:
        text = conn.execute(select(comparisons.c.result_json).where(comparisons.c.id == comparison_id)).scalar()
    if text is None:
        raise KeyError(f"no saved comparison #{comparison_id}")
    result = ComparisonResult.from_json(json.loads(text))
    result.comparison_id = comparison_id
    return result
