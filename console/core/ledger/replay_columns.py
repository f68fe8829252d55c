"""What a what-if replay reads of each production request, packed column-wise: the ``replay_batch`` table.

A replay needs a dozen fields of every request and its route attempts. Read as rows, a million
requests cost seconds of sqlite3 row objects before any work starts (bench_replay). The writer
therefore also appends each batch's production requests here, in the same transaction as the raw
rows: numbers as packed little-endian arrays (``REQUEST_DTYPE``, ``ATTEMPT_DTYPE``), text as codes
into the batch's own list of strings, request ids as a JSON list. Attempts point at their request
by its index in the batch, so no string join is needed. A million requests read back in a few
hundred blobs.

Small writer batches (one request at a time on a quiet gateway) are merged once a run of them
trails the table, so it stays a few rows per thousand requests. The raw rows
stay the truth: a reader compares counts and falls back to them where the two disagree.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlmodel import Field, SQLModel

#: batches smaller than this are merged (a quiet gateway writes one request a transaction) ...
BATCH_REQUESTS = 1024
#: ... once this many of them trail the table: a merge every few dozen writes, not a rewrite on each
MERGE_RUN = 32

HINT_PREFIX = "explicit task hint"  # how routing.classify starts the reason of a hinted task

#: one request; text fields are codes into the batch's ``names``
REQUEST_DTYPE = np.dtype([
    ("ts", "<f8"), ("day", "<i8"), ("cost", "<f8"), ("task", "<i4"), ("team", "<i4"), ("region", "<i4"),
    ("customer", "<i4"), ("metadata_json", "<i4"), ("first_model", "<i4"), ("policy_hash", "<i4"),
    ("hinted", "i1"), ("has_prompt", "i1")])
#: one route attempt; ``request`` is its request's index in the batch
ATTEMPT_DTYPE = np.dtype([
    ("request", "<i4"), ("ts", "<f8"), ("model", "<i4"), ("input", "<i8"), ("cached", "<i8"), ("output", "<i8"),
    ("reasoning", "<i8"), ("ok", "i1"), ("latency", "<f8"), ("cost", "<f8"), ("position", "<i4")])
REQUEST_TEXT = ("task", "team", "region", "customer", "metadata_json", "first_model", "policy_hash")


class ReplayBatchRow(SQLModel, table=True):
    __tablename__ = "replay_batch"

    id: int | None = Field(default=None, primary_key=True)
    ts_min: float
    ts_max: float = Field(index=True)
    requests: int
    names_json: str  # the batch's strings; codes index this list
    ids_json: str  # request ids in batch order
    request_cols: bytes  # REQUEST_DTYPE records
    attempt_cols: bytes  # ATTEMPT_DTYPE records


def replay_batch_table() -> Table:
    return ReplayBatchRow.__table__  # type: ignore[attr-defined, no-any-return]


def replay_column_tables() -> list[Table]:
    return [replay_batch_table()]


@dataclass
class Batch:
    """One batch decoded: ``names[code]`` is a text field's value."""

    names: list[str]
    ids: list[str]
    requests: np.ndarray  # REQUEST_DTYPE
    attempts: np.ndarray  # ATTEMPT_DTYPE

    def __len__(self) -> int:
        return len(self.ids)

    def encoded(self) -> dict[str, Any]:
        ts = self.requests["ts"]
        return {"ts_min": float(ts.min()), "ts_max": float(ts.max()), "requests": len(self.ids),
                "names_json": json.dumps(self.names), "ids_json": json.dumps(self.ids),
                "request_cols": self.requests.tobytes(), "attempt_cols": self.attempts.tobytes()}

    @classmethod
    def decoded(cls, names_json: str, ids_json: str, request_cols: bytes, attempt_cols: bytes) -> "Batch":
        return cls(json.loads(names_json), json.loads(ids_json), np.frombuffer(request_cols, dtype=REQUEST_DTYPE),
                   np.frombuffer(attempt_cols, dtype=ATTEMPT_DTYPE))

    @staticmethod
    def concatenated(batches: "Sequence[Batch]") -> "Batch":
        """The batches one after the other, their codes and request indexes moved onto one list."""
        names: list[str] = []
        at: dict[str, int] = {}
        requests: list[np.ndarray] = []
        attempts: list[np.ndarray] = []
        ids: list[str] = []
        for batch in batches:
            for name in batch.names:
                if name not in at:
                    at[name] = len(names)
                    names.append(name)
            remap = np.array([at[name] for name in batch.names], dtype=np.int32)
            moved = batch.requests.copy()
            for field in REQUEST_TEXT:
                moved[field] = remap[moved[field]] if len(moved) else moved[field]
            chain = batch.attempts.copy()
            chain["model"] = remap[chain["model"]] if len(chain) else chain["model"]
            chain["request"] += len(ids)
            requests.append(moved)
            attempts.append(chain)
            ids.extend(batch.ids)
        return Batch(names, ids, np.concatenate(requests), np.concatenate(attempts))


def pack(requests: Sequence[dict[str, Any]], attempts: Iterable[dict[str, Any]]) -> Batch | None:
    """The production requests among row dicts (``rows.request_rows``' keys) and their route attempts."""
    names: list[str] = []
    at: dict[str, int] = {}

    def code(value: Any) -> int:
        text = "" if value is None else str(value)
        k = at.get(text)
        if k is None:
            k = at[text] = len(names)
            names.append(text)
        return k

    production = [r for r in requests if r.get("kind", "production") == "production"]
    if not production:
        return None
    index = {r["request_id"]: i for i, r in enumerate(production)}
    packed = np.zeros(len(production), dtype=REQUEST_DTYPE)
    for i, r in enumerate(production):
        packed[i] = (r["ts"], r["day"], r.get("total_cost_usd") or 0.0, *(code(r.get(f, "")) for f in REQUEST_TEXT),
                     int(str(r.get("task_reason") or "").startswith(HINT_PREFIX)), int(r.get("prompt_text") is not None))
    chain = [(index[a["request_id"]], a) for a in attempts
             if a.get("role", "route") == "route" and a["request_id"] in index]
    att = np.zeros(len(chain), dtype=ATTEMPT_DTYPE)
    for k, (i, a) in enumerate(chain):
        att[k] = (i, a["ts"], code(a["model_alias"]), a.get("input_tokens") or 0, a.get("cached_tokens") or 0,
                  a.get("output_tokens") or 0, a.get("reasoning_tokens") or 0, int(a.get("ok") or 0),
                  a.get("latency_ms") or 0.0, a.get("cost_usd") or 0.0, a.get("position") or 0)
    return Batch(names, [str(r["request_id"]) for r in production], packed, att)


_STATEMENTS: dict[str, Any] = {}


def append(conn: Connection, requests: Sequence[dict[str, Any]], attempts: Iterable[dict[str, Any]]) -> None:
    """Add a writer batch's production requests, in the caller's transaction (with the raw rows).

    Each batch is inserted as it is (rewriting a growing batch on every write cost a quiet gateway
    several milliseconds a request); once ``MERGE_RUN`` small ones trail the table they become one.
    """
    batch = pack(requests, attempts)
    if batch is None:
        return
    if not _STATEMENTS:  # built once: making a statement costs more than running it (per writer transaction)
        c = replay_batch_table().c
        _STATEMENTS["insert"] = insert(replay_batch_table())
        _STATEMENTS["newest"] = select(c.id, c.requests).order_by(c.id.desc()).limit(MERGE_RUN)
    inserted = conn.execute(_STATEMENTS["insert"], batch.encoded()).inserted_primary_key
    new_id = int(inserted[0]) if inserted is not None else 0
    if len(batch) >= BATCH_REQUESTS or new_id % MERGE_RUN:
        return  # the trailing run is looked at every MERGE_RUN ids, not on every write
    newest = conn.execute(_STATEMENTS["newest"]).all()
    run = list(itertools.takewhile(lambda row: row.requests < BATCH_REQUESTS, newest))
    if len(run) == MERGE_RUN:
        _merge(conn, sorted(row.id for row in run))


def _merge(conn: Connection, ids: list[int]) -> None:
    """Batches ``ids`` (consecutive, oldest first) become one, under the oldest one's id."""
    table = replay_batch_table()
    c = table.c
    # FOR UPDATE (PostgreSQL): two writers must not merge the same batches at once
    rows = conn.execute(select(c.id, c.names_json, c.ids_json, c.request_cols, c.attempt_cols)
                        .where(c.id.in_(ids)).order_by(c.id).with_for_update()).all()
    if len(rows) < 2:
        return
    merged = Batch.concatenated([Batch.decoded(*row[1:]) for row in rows])
    conn.execute(update(table).where(c.id == rows[0].id).values(**merged.encoded()))
    conn.execute(delete(table).where(c.id.in_([row.id for row in rows[1:]])))


def batches_between(conn: Connection, since: float, until: float) -> list[Batch]:
    """Every batch that may hold a request with ``since <= ts < until``, oldest first."""
    c = replay_batch_table().c
    rows = conn.execute(select(c.names_json, c.ids_json, c.request_cols, c.attempt_cols)
                        .where(c.ts_max >= float(since), c.ts_min < float(until)).order_by(c.id))
    return [Batch.decoded(*row) for row in rows]


def backfill(conn: Connection) -> None:
    """Pack every production request already in the log (the schema step that adds the table)."""
    from console.core.ledger.tables import attempt_table, request_table

    req, att = request_table(), attempt_table()
    request_columns = [req.c.request_id, req.c.ts, req.c.day, req.c.kind, req.c.total_cost_usd, req.c.task_reason,
                       req.c.prompt_text.isnot(None).label("has_prompt"), *(req.c[f] for f in REQUEST_TEXT)]
    attempt_columns = [att.c.request_id, att.c.ts, att.c.model_alias, att.c.input_tokens, att.c.cached_tokens,
                       att.c.output_tokens, att.c.reasoning_tokens, att.c.ok, att.c.latency_ms, att.c.cost_usd,
                       att.c.position, att.c.role]
    # time order, as a replay reads them (ties in the log's own order); streamed, not a million rows held
    requests = conn.execute(select(*request_columns).where(req.c.kind == "production").order_by(req.c.ts)
                            .execution_options(yield_per=BATCH_REQUESTS))
    table = replay_batch_table()
    for rows in requests.partitions():
        chunk = [dict(r._mapping) for r in rows]
        for row in chunk:
            row["prompt_text"] = "" if row.pop("has_prompt") else None
        ids = [row["request_id"] for row in chunk]
        attempts = [dict(a._mapping) for a in conn.execute(
            select(*attempt_columns).where(att.c.request_id.in_(ids)).order_by(att.c.ts))]
        batch = pack(chunk, attempts)
        if batch is not None:
            conn.execute(insert(table).values(**batch.encoded()))
