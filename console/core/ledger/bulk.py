"""Writing many records at once (demo traffic, imports, the benchmark): big batches, one
transaction each, through the same ``insert_batch`` the writer thread uses (rollups and policy
changes included)."""

from __future__ import annotations

from itertools import islice
from typing import Iterable

from sqlalchemy import Engine

from console.core.ledger.policy_changes import SeenPolicies
from console.core.ledger.rows import insert_batch
from console.core.records import RequestRecord


def write_records(db: Engine, records: Iterable[RequestRecord], *, batch_requests: int = 5000) -> int:
    """Insert every record; returns the number of attempts written."""
    written = 0
    iterator = iter(records)
    policies = SeenPolicies()  # one policy over many batches: noted once
    while batch := list(islice(iterator, batch_requests)):
        with db.begin() as conn:
            written += insert_batch(conn, batch, policies)
        policies.committed()
    return written
