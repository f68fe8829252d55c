"""The routing log's tables: one row per request, one per attempt, hourly and daily rollups, schema_meta.

Times are UTC epoch seconds (``ts``) plus integer ``hour``/``day`` buckets (epoch // 3600, // 86400):
bucketed charts group by an integer on SQLite and PostgreSQL alike, with no date functions. Team,
region and customer are real columns for filtering; the rest of the metadata is JSON text.
Attempts repeat their request's kind, policy, task and team so chart queries never join.

The rollup tables hold per-hour sums maintained by the writer in the same transaction as the raw
rows, so spend, counts and rates over a year of traffic read thousands of rows, not millions.
Their key columns are never NULL ("" stands for "none") so that upserts can match them.
The daily rollups hold the same sums per day, so a year reads a few tens of thousands of rows, and
``attempt_day`` also carries latency and time-to-first-token histograms of the successful attempts
(``histogram.py``): percentiles over a year read no raw rows either.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, ColumnClause, Index, Integer, LargeBinary, Table, Text, literal_column
from sqlmodel import Field, SQLModel

#: The schema version this code writes; ``migrations.py`` upgrades older logs to it.
SCHEMA_VERSION = 8

KINDS = ("production", "comparison", "pilot", "imported", "shadow")

#: ``ok = 0`` as a literal: a partial index on failed attempts applies only to a query that says so.
FAILED: ColumnClause[int] = literal_column("0", Integer)


class SchemaMeta(SQLModel, table=True):
    __tablename__ = "schema_meta"

    key: str = Field(primary_key=True)
    value: str


class RequestRow(SQLModel, table=True):
    __tablename__ = "request"

    request_id: str = Field(primary_key=True)
    ts: float
    hour: int
    day: int
    kind: str = "production"
    policy_name: str = ""
    policy_hash: str = ""
    task: str = ""
    task_reason: str = ""
    outcome: str
    ok: int = 0
    team: str = ""
    region: str = ""
    customer: str = ""
    metadata_json: str = "{}"
    first_model: str = ""  # the model the plan tried first; fallback rates are per first choice
    answered_by: Optional[str] = None
    fell_back: int = 0  # 1 when a model other than the first choice was tried
    attempt_count: int = 0
    total_cost_usd: float = 0.0
    total_latency_ms: float = 0.0
    overhead_ms: float = 0.0
    streamed: int = 0
    prompt_text: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))


class AttemptRow(SQLModel, table=True):
    __tablename__ = "attempt"

    id: Optional[int] = Field(default=None, primary_key=True)
    request_id: str = Field(index=True)
    position: int
    ts: float
    hour: int
    day: int
    kind: str = "production"
    policy_name: str = ""
    task: str = ""
    team: str = ""
    model_alias: str
    provider: str
    provider_model_id: str = ""
    answered_model_id: Optional[str] = None
    outcome: str
    ok: int = 0
    error_class: Optional[str] = None
    error_message: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    http_status: Optional[int] = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    tokens_estimated: int = 0
    cost_usd: float = 0.0
    price_input: float = 0.0  # $/M tokens actually used for cost_usd
    price_output: float = 0.0
    price_cached_input: float = 0.0
    price_reasoning: float = 0.0
    latency_ms: float = 0.0
    ttft_ms: Optional[float] = None
    retry_index: int = 0
    # "route" (an attempt of the chain) or "classify" (the classifier model's call, position -1)
    role: str = Field(default="route", sa_column_kwargs={"server_default": "route"})


class AttemptHourRow(SQLModel, table=True):
    """Per-hour sums over attempts, keyed by everything a chart filters or groups by."""

    __tablename__ = "attempt_hour"

    hour: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    policy_name: str = Field(primary_key=True)
    task: str = Field(primary_key=True)
    team: str = Field(primary_key=True)
    model_alias: str = Field(primary_key=True)
    provider: str = Field(primary_key=True)
    attempts: int = 0
    failures: int = 0
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0


class RequestHourRow(SQLModel, table=True):
    """Per-hour sums over requests (fallback and request failure rates per first-choice model)."""

    __tablename__ = "request_hour"

    hour: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    policy_name: str = Field(primary_key=True)
    task: str = Field(primary_key=True)
    team: str = Field(primary_key=True)
    first_model: str = Field(primary_key=True)
    requests: int = 0
    failures: int = 0
    fallbacks: int = 0
    cost_usd: float = 0.0


class AttemptDayRow(SQLModel, table=True):
    """Per-day sums over attempts (same keys as ``attempt_hour``), plus latency histograms."""

    __tablename__ = "attempt_day"

    # The key leads with (kind, day): the primary key's own index serves the charts' range reads,
    # so an upsert maintains one index, not two.
    kind: str = Field(primary_key=True)
    day: int = Field(primary_key=True)
    policy_name: str = Field(primary_key=True)
    task: str = Field(primary_key=True)
    team: str = Field(primary_key=True)
    model_alias: str = Field(primary_key=True)
    provider: str = Field(primary_key=True)
    attempts: int = 0
    failures: int = 0
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    # Successful attempts only, encoded by ``histogram.encode`` (b"" when there were none).
    latency_hist: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    ttft_hist: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))


class RequestDayRow(SQLModel, table=True):
    """Per-day sums over requests (same keys as ``request_hour``)."""

    __tablename__ = "request_day"

    kind: str = Field(primary_key=True)  # (kind, day) first, as in attempt_day
    day: int = Field(primary_key=True)
    policy_name: str = Field(primary_key=True)
    task: str = Field(primary_key=True)
    team: str = Field(primary_key=True)
    first_model: str = Field(primary_key=True)
    requests: int = 0
    failures: int = 0
    fallbacks: int = 0
    cost_usd: float = 0.0


class PolicyChangeRow(SQLModel, table=True):
    """When each (kind, policy name, policy hash) was first logged: the charts' policy-change markers.

    A handful of rows (one per saved policy version), kept by the write path (``policy_changes.py``)
    so the dashboards never scan the request table for changes."""

    __tablename__ = "policy_change"

    kind: str = Field(primary_key=True)
    policy_name: str = Field(primary_key=True)
    policy_hash: str = Field(primary_key=True)
    first_seen: float  # epoch seconds of the earliest request logged under it


def _table(model: type[SQLModel]) -> Table:
    """A table model's Core table (sqlmodel does not declare ``__table__`` to type checkers)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def request_table() -> Table:
    return _table(RequestRow)


def attempt_table() -> Table:
    return _table(AttemptRow)


def attempt_hour_table() -> Table:
    return _table(AttemptHourRow)


def request_hour_table() -> Table:
    return _table(RequestHourRow)


def attempt_day_table() -> Table:
    return _table(AttemptDayRow)


def request_day_table() -> Table:
    return _table(RequestDayRow)


def policy_change_table() -> Table:
    return _table(PolicyChangeRow)


def _indexes() -> list[Index]:
    """Indexes named here (not per column) so migrations can create exactly the missing ones.

    Raw-row indexes lead with kind + ts and carry the columns their queries read (covering), so
    a time-filtered query never scans the attempt table itself. Failed attempts get a partial
    index of their own (a few percent of the rows) carrying the outcome (and ok itself: only then is it covering), so the outcome mix over
    a year reads only them; queries must say ``ok = 0`` literally (``FAILED``) for it to apply.
    """
    req, att = request_table(), attempt_table()
    return [
        Index("ix_request_kind_ts", req.c.kind, req.c.ts),
        Index("ix_request_task_ts", req.c.task, req.c.ts),
        Index("ix_request_team_ts", req.c.team, req.c.ts),
        Index(
            "ix_attempt_kind_ts_cover",
            att.c.kind, att.c.ts, att.c.model_alias, att.c.task, att.c.ok, att.c.latency_ms, att.c.ttft_ms,
        ),
        Index(
            "ix_attempt_model_ts_cover",
            att.c.kind, att.c.model_alias, att.c.ts, att.c.task, att.c.ok, att.c.latency_ms, att.c.ttft_ms,
        ),
        Index("ix_attempt_hour_kind_hour", attempt_hour_table().c.kind, attempt_hour_table().c.hour),
        Index("ix_request_hour_kind_hour", request_hour_table().c.kind, request_hour_table().c.hour),
        Index(
            "ix_attempt_failed_cover",
            att.c.kind, att.c.ts, att.c.outcome, att.c.model_alias, att.c.task, att.c.team, att.c.policy_name,
            att.c.provider, att.c.ok, sqlite_where=att.c.ok == FAILED, postgresql_where=att.c.ok == FAILED,
        ),
    ]


_INDEX_CACHE: list[Index] = []


def named_indexes() -> list[Index]:
    """The indexes of the current schema (built once: an Index binds itself to its table)."""
    if not _INDEX_CACHE:
        _INDEX_CACHE.extend(_indexes())
    return list(_INDEX_CACHE)


def ledger_tables() -> list[Table]:
    named_indexes()
    return [SchemaMeta.__table__, request_table(), attempt_table(), attempt_hour_table(),  # type: ignore[attr-defined]
            request_hour_table(), attempt_day_table(), request_day_table(), policy_change_table()]


__all__ = [
    "SCHEMA_VERSION", "KINDS", "FAILED", "SchemaMeta", "RequestRow", "AttemptRow", "AttemptHourRow", "RequestHourRow",
    "AttemptDayRow", "RequestDayRow", "request_table", "attempt_table", "attempt_hour_table", "request_hour_table",
    "attempt_day_table", "request_day_table", "named_indexes", "ledger_tables", "PolicyChangeRow",
    "policy_change_table",
]
