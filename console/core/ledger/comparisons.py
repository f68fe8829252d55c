"""Saved side-by-side comparisons: one ``comparison`` row each, one ``comparison_column`` per column.

The calls themselves are ordinary request/attempt rows of kind ``comparison`` (so production
spend never counts them); these tables keep what the log does not: the prompt, the answers, the
column specs (for a re-run against new models), the winner and the note. Created by schema step 3.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Column, Engine, Table, Text, delete, insert, select, update
from sqlmodel import Field, SQLModel

from console.core.compare.results import ComparisonResult


class ComparisonRow(SQLModel, table=True):
    __tablename__ = "comparison"

    id: Optional[int] = Field(default=None, primary_key=True)
    ts: float
    policy_name: str = ""
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    winner: Optional[str] = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    result_json: str = Field(sa_column=Column(Text, nullable=False))


class ComparisonColumnRow(SQLModel, table=True):
    __tablename__ = "comparison_column"

    comparison_id: int = Field(primary_key=True)
    position: int = Field(primary_key=True)
    label: str
    model: str
    outcome: str
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    request_id: Optional[str] = None


def comparison_tables() -> list[Table]:
    return [ComparisonRow.__table__, ComparisonColumnRow.__table__]  # type: ignore[list-item]


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
            new_id = conn.execute(insert(comparisons).values(**values, result_json="{}")).inserted_primary_key[0]
            result.comparison_id = int(new_id)
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
    from sqlalchemy import func

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
