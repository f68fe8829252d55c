"""Pilot tables: imported history (cases, answers models already gave) and pilot runs with results.

* ``history_case`` / ``history_answer``: what ``routedesk import`` brought in, beyond the
  request/attempt rows of kind ``imported``: the prompt, the reference answer, each recorded answer's
  text. Ids are derived from the dataset name and the row, so a re-import inserts nothing twice.
* ``pilot_run`` / ``pilot_result``: a pilot's set-up (bar saved before the run) and one row per
  (case, model) written as soon as that cell finishes: a resumed run skips the cells it finds.
Created by schema step 3.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, Table, Text
from sqlmodel import Field, SQLModel


class HistoryCaseRow(SQLModel, table=True):
    __tablename__ = "history_case"

    case_id: str = Field(primary_key=True)
    dataset: str = Field(index=True)
    position: int
    task: str = ""
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    system: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    reference: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    metadata_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class HistoryAnswerRow(SQLModel, table=True):
    __tablename__ = "history_answer"

    case_id: str = Field(primary_key=True)
    model: str = Field(primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    judged_correct: Optional[int] = None  # the dataset's own verdict, when it had one
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    request_id: str = ""


class PilotRunRow(SQLModel, table=True):
    __tablename__ = "pilot_run"

    run_id: str = Field(primary_key=True)
    ts: float
    name: str = ""
    task: str = ""
    baseline: str
    candidates_json: str = "[]"
    bar_json: str = Field(sa_column=Column(Text, nullable=False))
    source_json: str = Field(sa_column=Column(Text, nullable=False))
    status: str = "running"  # running | finished | cancelled


class PilotResultRow(SQLModel, table=True):
    __tablename__ = "pilot_result"

    run_id: str = Field(primary_key=True)
    case_id: str = Field(primary_key=True)
    model: str = Field(primary_key=True)
    passed: int = 0
    outcome: str = "ok"
    output: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    failures_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    latency_ms: Optional[float] = None
    input_tokens: int = 0
    output_tokens: int = 0
    recorded: int = 0  # 1 when judged from an imported answer, without calling the model


def pilot_tables() -> list[Table]:
    return [HistoryCaseRow.__table__, HistoryAnswerRow.__table__, PilotRunRow.__table__,  # type: ignore[attr-defined]
            PilotResultRow.__table__]  # type: ignore[attr-defined]
