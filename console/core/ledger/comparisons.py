"""Comparison tables: one ``comparison`` row per saved side-by-side, one ``comparison_column`` per column.

The calls themselves are ordinary request/attempt rows of kind ``comparison`` (so production
spend never counts them); these tables keep what the log does not: the prompt, the answers, the
column specs (for a re-run against new models), the winner and the note. Created by schema step 3.
Only the schema lives here; reading and writing them is the compare feature's (``compare/store.py``).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, Table, Text
from sqlmodel import Field, SQLModel


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
    return [ComparisonRow.__table__, ComparisonColumnRow.__table__]  # type: ignore[attr-defined]
