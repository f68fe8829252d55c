"""The period's production requests and their route attempts, read from the log in bulk, oldest first.

A replay reads up to millions of rows, so this bypasses ORM rows: one query per table through the
DBAPI cursor, columns kept as lists and numpy arrays. Attempts are folded into per-request figures
(prompt tokens, the answer's tokens) and kept per attempt for pricing at the draft's prices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from console.core.ledger.tables import attempt_table, request_table


@dataclass
class LoggedTraffic:
    """Column-wise requests (index i is the i-th request in time order) and their attempts.

    ``att_req`` maps each attempt to its request's index. ``prompt_tokens`` is the largest input
    any attempt reported (failed calls may report 0); ``out_*`` are the answer's tokens (the last
    attempt's when none answered).
    """

    request_id: list[str]
    ts: np.ndarray
    day: np.ndarray
    task: list[str]
    task_reason: list[str]
    team: list[str]
    region: list[str]
    customer: list[str]
    metadata_json: list[str]
    first_model: list[str]
    answered_by: list[str | None]
    ok: np.ndarray
    cost: np.ndarray
    policy_hash: list[str]
    prompt: list[str | None]
    prompt_tokens: np.ndarray
    in_tokens: np.ndarray
    cached_tokens: np.ndarray
    out_tokens: np.ndarray
    reasoning_tokens: np.ndarray
    att_req: np.ndarray
    att_model: list[str]
    att_in: np.ndarray
    att_cached: np.ndarray
    att_out: np.ndarray
    att_reasoning: np.ndarray
    att_ok: np.ndarray
    att_latency: np.ndarray
    att_cost: np.ndarray

    def __len__(self) -> int:
        return len(self.request_id)

    def metadata(self, i: int) -> dict[str, str]:
        meta: dict[str, str] = {}
        if self.metadata_json[i] and self.metadata_json[i] != "{}":
            try:
                meta = {str(k): str(v) for k, v in json.loads(self.metadata_json[i]).items()}
            except (ValueError, AttributeError):
                meta = {}
        for key, value in (("team", self.team[i]), ("region", self.region[i]), ("customer", self.customer[i])):
            if value:
                meta[key] = value
        return meta


def _raw_rows(db: Engine, query: Any) -> list[tuple[Any, ...]]:
    """All rows of ``query`` as plain tuples, through the DBAPI cursor (Row objects cost seconds per million)."""
    sql = str(query.compile(dialect=db.dialect, compile_kwargs={"literal_binds": True}))
    raw = db.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql)
        rows = list(cursor.fetchall())
        cursor.close()
        return rows
    finally:
        raw.close()


def read_traffic(db: Engine, *, since: float, until: float, task: str | None = None) -> LoggedTraffic:
    """Production requests with ``since <= ts < until`` (and ``task``, when given), oldest first."""
    req, att = request_table(), attempt_table()
    where = [req.c.kind == "production", req.c.ts >= float(since), req.c.ts < float(until)]
    if task:
        where.append(req.c.task == task)
    rows = _raw_rows(db, select(
        req.c.request_id, req.c.ts, req.c.day, req.c.task, req.c.task_reason, req.c.team, req.c.region,
        req.c.customer, req.c.metadata_json, req.c.first_model, req.c.answered_by, req.c.ok, req.c.total_cost_usd,
        req.c.policy_hash, req.c.prompt_text).where(*where).order_by(req.c.ts, req.c.request_id))
    cols = list(zip(*rows)) if rows else [()] * 15
    index = {rid: i for i, rid in enumerate(cols[0])}
    attempts = _raw_rows(db, select(
        att.c.request_id, att.c.model_alias, att.c.input_tokens, att.c.cached_tokens, att.c.output_tokens,
        att.c.reasoning_tokens, att.c.ok, att.c.latency_ms, att.c.cost_usd)
        .select_from(att.join(req, req.c.request_id == att.c.request_id))
        .where(*where, att.c.role == "route").order_by(att.c.request_id, att.c.position))
    acols = list(zip(*attempts)) if attempts else [()] * 9
    att_req = np.fromiter((index[r] for r in acols[0]), dtype=np.int64, count=len(acols[0]))
    n = len(cols[0])
    ints = [np.asarray(c, dtype=np.int64) for c in acols[2:6]]
    att_ok = np.asarray(acols[6], dtype=np.int8)
    prompt_tokens = np.zeros(n, dtype=np.int64)
    np.maximum.at(prompt_tokens, att_req, ints[0])
    # the answer's tokens: the successful attempt's, else the last attempt's (attempts are in order)
    weight = att_ok.astype(np.int64) * max(len(att_req), 1) + np.arange(len(att_req))
    best = np.full(n, -1, dtype=np.int64)
    order = np.argsort(weight, kind="stable")
    best[att_req[order]] = order  # assigned in rising weight: the ok attempt, else the latest, is left
    picked = np.where(best >= 0, best, 0)
    has = best >= 0

    def per_request(values: np.ndarray) -> np.ndarray:
        return np.where(has, values[picked] if len(values) else 0, 0)

    return LoggedTraffic(
        request_id=list(cols[0]), ts=np.asarray(cols[1], dtype=np.float64), day=np.asarray(cols[2], dtype=np.int64),
        task=list(cols[3]), task_reason=list(cols[4]), team=list(cols[5]), region=list(cols[6]),
        customer=list(cols[7]), metadata_json=list(cols[8]), first_model=list(cols[9]), answered_by=list(cols[10]),
        ok=np.asarray(cols[11], dtype=np.int8), cost=np.asarray(cols[12], dtype=np.float64), policy_hash=list(cols[13]),
        prompt=list(cols[14]), prompt_tokens=prompt_tokens, in_tokens=per_request(ints[0]),
        cached_tokens=per_request(ints[1]), out_tokens=per_request(ints[2]), reasoning_tokens=per_request(ints[3]),
        att_req=att_req, att_model=list(acols[1]), att_in=ints[0], att_cached=ints[1], att_out=ints[2],
        att_reasoning=ints[3], att_ok=att_ok, att_latency=np.asarray(acols[7], dtype=np.float64),
        att_cost=np.asarray(acols[8], dtype=np.float64))
