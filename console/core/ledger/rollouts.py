"""Rollout tables: where each staged rollout stands, what happened to it, and which arm each request took.

* ``rollout_state``: one row per (policy name, route) in rollout: its step, the share of traffic
  on the candidate now, its status and a ``revision`` that every change bumps. Changes are
  compare-and-set (``UPDATE ... WHERE step = :expected AND revision = :seen``), so two processes
  advancing at once cannot skip a step: one wins, the other is told.
* ``rollout_event``: every start, advance, hold, rollback and guardrail breach, with the numbers
  that tripped it (``detail_json``): the share-over-time chart and the audit trail.
* ``rollout_arm``: one row per routed request of a route in rollout, written with the request in
  the writer's transaction. It repeats the request's outcome, latency and cost so the guardrails
  compare the arms without joining the request table.
Created by schema step 7. Only the schema and the arm rows' write live here; reading and
changing the state is the rollout feature's (``console/core/rollout``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from sqlalchemy import Column, Index, Table, Text
from sqlmodel import Field, SQLModel

class RolloutStateRow(SQLModel, table=True):
    __tablename__ = "rollout_state"

    policy_name: str = Field(primary_key=True)
    route: str = Field(primary_key=True)
    candidate: str
    replaces: str
    steps_json: str = "[]"
    step: int = 0  # index into steps
    share: float = 0.0  # percent of the route's traffic on the candidate now
    status: str = "active"  # active | held | rolled_back | complete
    revision: int = 0
    started_ts: float = 0.0
    step_ts: float = 0.0  # when the current step (or the resume) began: the guardrails look from here
    updated_ts: float = 0.0


class RolloutEventRow(SQLModel, table=True):
    __tablename__ = "rollout_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    ts: float
    policy_name: str
    route: str
    action: str  # start | advance | hold | rollback | breach | restart
    step: int = 0
    share: float = 0.0  # the share after the event
    by: str = ""  # who: "guardrail", "auto-advance", "cli", "window", ...
    detail_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class RolloutArmRow(SQLModel, table=True):
    __tablename__ = "rollout_arm"

    request_id: str = Field(primary_key=True)
    ts: float
    policy_name: str
    route: str
    arm: str  # "baseline" (A, the route as written) | "candidate" (B in A's place)
    ok: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0


def _index() -> Index:
    arm: Table = RolloutArmRow.__table__  # type: ignore[attr-defined]
    return Index("ix_rollout_arm_route_ts", arm.c.policy_name, arm.c.route, arm.c.ts)


_INDEX: list[Index] = []


def rollout_tables() -> list[Table]:
    if not _INDEX:
        _INDEX.append(_index())  # bound to its table once, created with it
    return [RolloutStateRow.__table__, RolloutEventRow.__table__, RolloutArmRow.__table__]  # type: ignore[attr-defined]


def arm_rows(requests: Sequence[dict[str, Any]], arms: Sequence[str | None]) -> list[dict[str, Any]]:
    """The ``rollout_arm`` rows of a batch: its request rows paired with each record's arm (None: not in rollout)."""
    return [
        {"request_id": row["request_id"], "ts": row["ts"], "policy_name": row["policy_name"], "route": row["task"],
         "arm": arm, "ok": row["ok"], "latency_ms": row["total_latency_ms"], "cost_usd": row["total_cost_usd"]}
        for row, arm in zip(requests, arms) if arm
    ]


def rollout_arm_table() -> Table:
    table: Table = RolloutArmRow.__table__  # type: ignore[attr-defined]
    return table


def rollout_state_table() -> Table:
    table: Table = RolloutStateRow.__table__  # type: ignore[attr-defined]
    return table


def rollout_event_table() -> Table:
    table: Table = RolloutEventRow.__table__  # type: ignore[attr-defined]
    return table
