"""The period's traffic from the log's packed replay columns (``ledger/replay_columns.py``).

A few hundred blobs instead of two million rows: the codes of each batch are moved onto one list of
strings, the requests of the period are picked and put in time order (ties in the order they were
logged, as the raw read has them), and attempts follow their request by index, never by id.
The raw rows stay the truth: where the number of requests packed for the period differs from the
number logged, this returns None and the caller reads the rows.
"""

from __future__ import annotations

import itertools

import numpy as np
from sqlalchemy import Engine, func, select

from console.core.ledger.replay_columns import ATTEMPT_DTYPE, REQUEST_DTYPE, REQUEST_TEXT, Batch, batches_between
from console.core.ledger.tables import request_table
from console.core.replay.classify import factorize_codes
from console.core.replay.traffic import LoggedTraffic, assemble

HINTED = np.array(["", "explicit task hint"], dtype=object)


def _common_names(batches: list[Batch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(every batch's strings as one array, each batch's first code in ``remap``, remap: local → common code)."""
    names: list[str] = []
    at: dict[str, int] = {}
    remap: list[int] = []
    for batch in batches:
        for name in batch.names:
            code = at.get(name)
            if code is None:
                code = at[name] = len(names)
                names.append(name)
            remap.append(code)
    base = np.cumsum([0] + [len(b.names) for b in batches[:-1]], dtype=np.int64)
    return np.array(names, dtype=object), base, np.array(remap, dtype=np.int64)


def read_packed(db: Engine, *, since: float, until: float, task: str | None,
                metadata: bool) -> LoggedTraffic | None:
    """Like ``traffic.read_rows``; None where the packed columns do not hold exactly the logged requests."""
    req = request_table()
    with db.connect() as conn:
        logged = conn.execute(select(func.count()).select_from(req).where(
            req.c.kind == "production", req.c.ts >= float(since), req.c.ts < float(until))).scalar() or 0
        batches = batches_between(conn, since, until) if logged else []
    if not batches:
        return None
    # the blobs joined and read as one: concatenating packed record arrays copies record by record
    requests = np.frombuffer(b"".join(b.requests.data for b in batches), dtype=REQUEST_DTYPE)
    attempts = np.frombuffer(b"".join(b.attempts.data for b in batches), dtype=ATTEMPT_DTYPE)
    names, name_base, remap = _common_names(batches)
    sizes = [len(b) for b in batches]
    batch_of_request = np.repeat(np.arange(len(batches)), sizes)
    batch_of_attempt = np.repeat(np.arange(len(batches)), [len(b.attempts) for b in batches])

    def text(codes: np.ndarray, batch_of: np.ndarray) -> np.ndarray:
        common: np.ndarray = remap[name_base[batch_of] + codes]
        return common

    ts = requests["ts"]
    chosen = (ts >= float(since)) & (ts < float(until))
    if int(chosen.sum()) != logged:
        return None
    if task:
        chosen &= names[text(requests["task"], batch_of_request)] == task
    picked = np.flatnonzero(chosen)
    order = picked[np.argsort(ts[picked], kind="stable")]
    n = len(order)
    ids = np.array(list(itertools.chain.from_iterable(b.ids for b in batches)), dtype=object)
    request_id = ids[order].tolist()
    mine_batch = batch_of_request[order]

    def mine(field: str) -> np.ndarray:  # one field at a time: gathering whole packed records is several times slower
        return requests[field][order]

    codes = {f: text(mine(f), mine_batch) for f in REQUEST_TEXT if metadata or f not in ("customer", "metadata_json")}
    columns = {f: names[c].tolist() for f, c in codes.items()}
    if not metadata:  # no rule reads them
        columns["customer"], columns["metadata_json"] = [""] * n, ["{}"] * n
    position = np.full(len(requests), -1, dtype=np.int64)
    position[order] = np.arange(n)
    request_base = np.cumsum([0] + sizes[:-1], dtype=np.int64)
    owner = position[request_base[batch_of_attempt] + attempts["request"]]
    kept = np.flatnonzero(owner >= 0)
    kept = kept[np.argsort(attempts["ts"][kept], kind="stable")]  # attempt time order, as the raw read has them

    def att(field: str, dtype: type) -> np.ndarray:
        return attempts[field][kept].astype(dtype, copy=False)

    prompt: list[str | None] = [None] * n
    if requests["has_prompt"][order].any():
        prompt = _prompts(db, request_id, since=since, until=until)
    hinted = mine("hinted").astype(np.int64)
    model_codes = text(attempts["model"][kept], batch_of_attempt[kept])
    traffic = assemble(
        request_id=request_id, ts=mine("ts"), day=mine("day"), task=columns["task"],
        task_reason=HINTED[hinted].tolist(), team=columns["team"], region=columns["region"],
        customer=columns["customer"], metadata_json=columns["metadata_json"], first_model=columns["first_model"],
        cost=mine("cost"), policy_hash=columns["policy_hash"], prompt=prompt, att_req=owner[kept],
        att_model=names[model_codes].tolist(),
        att_in=att("input", np.int64), att_cached=att("cached", np.int64), att_out=att("output", np.int64),
        att_reasoning=att("reasoning", np.int64), att_ok=att("ok", np.int8), att_latency=att("latency", np.float64),
        att_cost=att("cost", np.float64), att_position=att("position", np.int64))
    # the replay groups by these columns: factorized from the codes at hand, not from a million strings again
    listed = names.tolist()
    for field in ("task", "team", "region"):
        traffic._codes[field] = factorize_codes(codes[field], listed)
    traffic._codes["att_model"] = factorize_codes(model_codes, listed)
    traffic._codes["task_reason"] = factorize_codes(hinted, HINTED.tolist())
    return traffic


def _prompts(db: Engine, request_id: list[str], *, since: float, until: float) -> list[str | None]:
    """The stored prompts of the period's requests (only rows that have one are read)."""
    req = request_table()
    with db.connect() as conn:
        stored = dict(conn.execute(select(req.c.request_id, req.c.prompt_text).where(
            req.c.kind == "production", req.c.ts >= float(since), req.c.ts < float(until),
            req.c.prompt_text.isnot(None))).all())
    return [stored.get(rid) for rid in request_id]
