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
from dataclasses import dataclass, field
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
    _codes: dict[str, tuple[np.ndarray, list[Any]]] = field(default_factory=dict, repr=False, compare=False)

    def factorized(self, name: str) -> tuple[np.ndarray, list[Any]]:
        """``classify.factorize`` of the column ``name``, made once: a replay groups by the same columns
        in several places (a million strings each time). The arrays are shared: do not write to them."""
        if name not in self._codes:
            from console.core.replay.classify import factorize

            values = getattr(self, name)
            self._codes[name] = factorize(values, len(values))
        return self._codes[name]

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


#: rows fetched at a time: each chunk's tuples are freed while still in the CPU cache, where a million
#: rows held at once cost ~15% more to make and free (measured on the 1M-request bench log)
CHUNK_ROWS = 50_000


def _raw_columns(db: Engine, query: Any, dtypes: list[Any]) -> list[Any]:
    """The columns of ``query``, through the DBAPI cursor (Row objects cost seconds per million), in chunks.

    ``dtypes[k]`` is a numpy dtype for a numeric column (an array comes back) or None (a list of values).
    """
    sql = str(query.compile(dialect=db.dialect, compile_kwargs={"literal_binds": True}))
    parts: list[list[Any]] = [[] for _ in dtypes]
    raw = db.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            for part, column, dtype in zip(parts, zip(*rows), dtypes):
                part.append(np.asarray(column, dtype=dtype) if dtype is not None else column)
        cursor.close()
    finally:
        raw.close()
    return [(np.concatenate(part) if part else np.zeros(0, dtype=dtype)) if dtype is not None
            else list(itertools.chain.from_iterable(part)) for part, dtype in zip(parts, dtypes)]


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
    Read from the packed columns (``ledger/replay_columns.py``) where they hold every request the
    rows hold for the period, else from the raw rows.
    """
    from console.core.replay.packed_read import read_packed

    with collector_paused():
        packed = read_packed(db, since=since, until=until, task=task, metadata=metadata)
        if packed is not None:
            return packed
        return read_rows(db, since=since, until=until, task=task, metadata=metadata)


def read_rows(db: Engine, *, since: float, until: float, task: str | None, metadata: bool) -> LoggedTraffic:
    """The read from the raw rows. Attempts are read by their own time range (no join, no sort: a
    million-row join costs seconds here) and matched to the requests by id.
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
    f8, i8, i1 = np.float64, np.int64, np.int8
    cols = _raw_columns(db, request_query, [None, f8, i8, None, i1, None, None, None, f8, None, None]
                        + ([None, None] if metadata else []))
    n = len(cols[0])
    if not metadata:  # no rule reads them: not worth a million strings each
        cols[11:13] = [[""] * n, ["{}"] * n]
    acols = _raw_columns(db, attempt_query, [None, None, i8, i8, i8, i8, i1, f8, f8, i8])
    index = dict(zip(cols[0], range(n)))
    owner = np.fromiter(map(index.get, acols[0], itertools.repeat(-1)), dtype=np.int64, count=len(acols[0]))
    mine = np.flatnonzero(owner >= 0)  # attempts of requests after ``until`` are dropped
    models = [acols[1][k] for k in mine.tolist()]
    return assemble(
        request_id=cols[0], ts=cols[1], day=cols[2], task=cols[3],
        task_reason=["explicit task hint" if h else "" for h in cols[4].tolist()], team=cols[5], region=cols[6],
        customer=cols[11], metadata_json=cols[12], first_model=cols[7], cost=cols[8], policy_hash=cols[9],
        prompt=cols[10], att_req=owner[mine], att_model=models, att_in=acols[2][mine], att_cached=acols[3][mine],
        att_out=acols[4][mine], att_reasoning=acols[5][mine], att_ok=acols[6][mine], att_latency=acols[7][mine],
        att_cost=acols[8][mine], att_position=acols[9][mine])


def assemble(*, att_position: np.ndarray, **columns: Any) -> LoggedTraffic:
    """``LoggedTraffic`` from its request and attempt columns, with the per-request figures folded in
    from the attempts: ``prompt_tokens`` (the largest input any attempt reported) and the answer's tokens."""
    n = len(columns["request_id"])
    att_req, att_in, att_ok = columns["att_req"], columns["att_in"], columns["att_ok"]
    prompt_tokens = np.zeros(n, dtype=np.int64)
    np.maximum.at(prompt_tokens, att_req, att_in)
    # the answer's tokens: the successful attempt's, else the last attempt's
    weight = att_ok.astype(np.int64) * (1 << 32) + att_position
    best = np.full(n, -1, dtype=np.int64)
    order = np.argsort(weight, kind="stable")
    best[att_req[order]] = order  # assigned in rising weight: the ok attempt, else the latest, is left
    picked = np.where(best >= 0, best, 0)
    has = best >= 0

    def per_request(values: np.ndarray) -> np.ndarray:
        return np.where(has, values[picked] if len(values) else 0, 0)

    return LoggedTraffic(
        **columns, prompt_tokens=prompt_tokens, in_tokens=per_request(att_in),
        cached_tokens=per_request(columns["att_cached"]), out_tokens=per_request(columns["att_out"]),
        reasoning_tokens=per_request(columns["att_reasoning"]))
