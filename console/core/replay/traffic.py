"""The period's production requests and their route attempts, read from the log in bulk, oldest first.

A replay reads up to millions of rows, so this bypasses ORM rows: one query per table through the
DBAPI cursor, columns kept as lists and numpy arrays. Attempts are folded into per-request figures
(prompt tokens, the answer's tokens) and kept per attempt for pricing at the draft's prices.
"""

from __future__ import annotations

import gc
import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

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


#: how long after its request an attempt may start (a chain of retries and fallbacks ends well within it)
ATTEMPT_SLACK_S = 86400.0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of row tuples are made.

    Each of them counts as an allocation, so the collector would run full passes over every row made
    so far again and again (most of a million-row read's time here); rows hold no cycles to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_traffic(db: Engine, *, since: float, until: float, task: str | None = None,
                 metadata: bool = True) -> LoggedTraffic:
    """Production requests with ``since <= ts < until`` (and ``task``, when given), oldest first.

    ``metadata=False`` skips the customer and free-form metadata columns (when no rule reads them).
    """
    with collector_paused():
        return _read_traffic(db, since=since, until=until, task=task, metadata=metadata)


def _read_traffic(db: Engine, *, since: float, until: float, task: str | None,
                  metadata: bool) -> LoggedTraffic:
    """The read itself. Attempts are read by their own time range (no join, no sort: a million-row join costs seconds
    here) and matched to the requests by id.
    """
    req, att = request_table(), attempt_table()
    where = [req.c.kind == "production", req.c.ts >= float(since), req.c.ts < float(until)]
    if task:
        where.append(req.c.task == task)
    hinted = req.c.task_reason.like("explicit task hint%")
    columns = [req.c.request_id, req.c.ts, req.c.day, req.c.task, hinted, req.c.team, req.c.region,
               req.c.first_model, req.c.total_cost_usd, req.c.policy_hash, req.c.prompt_text]
    att_where = [att.c.kind == "production", att.c.ts >= float(since), att.c.ts < float(until) + ATTEMPT_SLACK_S,
                 att.c.role == "route"]
    if task:
        att_where.append(att.c.task == task)
    request_query = select(*columns, *([req.c.customer, req.c.metadata_json] if metadata else [])).where(
        *where).order_by(req.c.ts)
    attempt_query = select(
        att.c.request_id, att.c.model_alias, att.c.input_tokens, att.c.cached_tokens, att.c.output_tokens,
        att.c.reasoning_tokens, att.c.ok, att.c.latency_ms, att.c.cost_usd, att.c.position).where(*att_where)
    # One read after the other: run side by side on two connections they took three times as long
    # (the sqlite3 module builds each row's objects holding the GIL, so the two threads only thrash).
    rows, attempts = _raw_rows(db, request_query), _raw_rows(db, attempt_query)
    cols: list[tuple[Any, ...]] = list(zip(*rows)) if rows else [()] * (len(columns) + 2)
    n = len(cols[0])
    if not metadata:  # no rule reads them: not worth a million strings each
        cols[11:13] = [("",) * n, ("{}",) * n]
    index = dict(zip(cols[0], range(n)))
    acols = list(zip(*attempts)) if attempts else [()] * 10
    owner = np.fromiter(map(index.get, acols[0], itertools.repeat(-1)), dtype=np.int64, count=len(acols[0]))
    mine = np.flatnonzero(owner >= 0)  # attempts of requests after ``until`` are dropped
    att_req = owner[mine]
    ints = [np.asarray(c, dtype=np.int64)[mine] for c in acols[2:6]]
    att_ok = np.asarray(acols[6], dtype=np.int8)[mine]
    position = np.asarray(acols[9], dtype=np.int64)[mine]
    models = [acols[1][k] for k in mine.tolist()]
    prompt_tokens = np.zeros(n, dtype=np.int64)
    np.maximum.at(prompt_tokens, att_req, ints[0])
    # the answer's tokens: the successful attempt's, else the last attempt's
    weight = att_ok.astype(np.int64) * (1 << 32) + position
    best = np.full(n, -1, dtype=np.int64)
    order = np.argsort(weight, kind="stable")
    best[att_req[order]] = order  # assigned in rising weight: the ok attempt, else the latest, is left
    picked = np.where(best >= 0, best, 0)
    has = best >= 0

    def per_request(values: np.ndarray) -> np.ndarray:
        return np.where(has, values[picked] if len(values) else 0, 0)

    return LoggedTraffic(
        request_id=list(cols[0]), ts=np.asarray(cols[1], dtype=np.float64), day=np.asarray(cols[2], dtype=np.int64),
        task=list(cols[3]), task_reason=["explicit task hint" if h else "" for h in cols[4]], team=list(cols[5]),
        region=list(cols[6]), customer=list(cols[11]), metadata_json=list(cols[12]), first_model=list(cols[7]),
        cost=np.asarray(cols[8], dtype=np.float64), policy_hash=list(cols[9]), prompt=list(cols[10]), prompt_tokens=prompt_tokens, in_tokens=per_request(ints[0]),
        cached_tokens=per_request(ints[1]), out_tokens=per_request(ints[2]), reasoning_tokens=per_request(ints[3]),
        att_req=att_req, att_model=models, att_in=ints[0], att_cached=ints[1], att_out=ints[2],
        att_reasoning=ints[3], att_ok=att_ok, att_latency=np.asarray(acols[7], dtype=np.float64)[mine],
        att_cost=np.asarray(acols[8], dtype=np.float64)[mine])
