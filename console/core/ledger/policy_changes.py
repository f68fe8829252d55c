"""Where the routing policy changed: kept on the write path, read by the charts' markers.

Every logged request carries its policy's name and content hash. Finding changes by scanning a
million requests would cost the dashboards their redraw budget, so the write path keeps the
``policy_change`` table instead: one row per (kind, policy name, policy hash) with the time it was
first logged. ``note_policies`` runs inside each batch's transaction (the writer thread, bulk
writes, staging recovery and history import all go through ``rows.insert_batch``): it takes the
batch's distinct policies, skips those the caller already knows to be recorded as early, and
upserts the rest in one statement, keeping the earliest ``first_seen`` (requests finish out of
order, and a recovered staging file can hold requests older than the row). No per-request query.

``changes_between`` answers the charts: the policies first seen within a time range, leaving out
the very first policy of the log (that is where logging began, not a change). A policy that comes
back after another (A, B, then A again) is not a new change: its row keeps A's first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, func, select

from console.core.ledger.tables import KINDS, policy_change_table

#: (kind, policy name, policy hash)
PolicyKey = tuple[str, str, str]


@dataclass(frozen=True)
class PolicyChange:
    """A policy version first logged at ``ts`` (epoch seconds)."""

    ts: float
    policy_name: str
    policy_hash: str
    kind: str

    @property
    def short_hash(self) -> str:
        return self.policy_hash[:8]


def note_policies(conn: Connection, requests: Iterable[dict[str, Any]],
                  known: dict[PolicyKey, float]) -> dict[PolicyKey, float]:
    """Record the policies of a batch's request rows unless ``known`` already holds them as early;
    returns what it wrote (key: first seen).

    The caller adds the returned keys to ``known`` only once its transaction has committed, so a
    rolled-back batch leaves nothing believed recorded that is not."""
    earliest: dict[PolicyKey, float] = {}
    for row in requests:
        if not row["policy_hash"]:
            continue  # imported history without a policy: nothing changed
        key = (row["kind"], row["policy_name"], row["policy_hash"])
        ts = float(row["ts"])
        if ts < earliest.get(key, known.get(key, float("inf"))):
            earliest[key] = ts  # new, or older than the time recorded (requests finish out of order)
    if earliest:
        conn.execute(_upsert(conn.dialect.name), [
            {"kind": k, "policy_name": n, "policy_hash": h, "first_seen": ts} for (k, n, h), ts in earliest.items()])
    return earliest


def _upsert(dialect: str) -> Any:
    """Insert, or move an existing row's ``first_seen`` earlier (never later)."""
    table = policy_change_table()
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt: Any = sqlite_insert(table)
    else:
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        stmt = postgres_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["kind", "policy_name", "policy_hash"],
        set_={"first_seen": stmt.excluded.first_seen},
        where=table.c.first_seen > stmt.excluded.first_seen,
    )


class SeenPolicies:
    """The policies a writer knows are recorded, so a batch under known ones costs no statement.

    ``note`` runs inside the transaction; ``committed`` / ``rolled_back`` after it."""

    def __init__(self) -> None:
        self.known: dict[PolicyKey, float] = {}  # key: the first_seen recorded
        self._pending: dict[PolicyKey, float] = {}

    def note(self, conn: Connection, requests: Iterable[dict[str, Any]]) -> None:
        self._pending.update(note_policies(conn, requests, self.known))

    def committed(self) -> None:
        self.known.update(self._pending)
        self._pending.clear()

    def rolled_back(self) -> None:
        self._pending.clear()


#: The backfill of a log written before the table existed: one GROUP BY over the request table.
BACKFILL_SQL = (
    "INSERT INTO policy_change (kind, policy_name, policy_hash, first_seen) "
    "SELECT kind, policy_name, policy_hash, MIN(ts) FROM request WHERE policy_hash <> '' "
    "GROUP BY kind, policy_name, policy_hash"
)


def changes_between(db: Engine | Connection, since: float | None, until: float | None,
                    kind: str | None = "production") -> list[PolicyChange]:
    """Policies first logged within [since, until] for ``kind`` (None: every kind), oldest first.

    The log's first policy (of that kind) is left out: it is where the log starts, not a change.
    Rollout steps (issue 18) will join these as markers of their own once they are logged."""
    table = policy_change_table()
    kinds = [kind] if kind is not None else list(KINDS)
    first = select(func.min(table.c.first_seen)).where(table.c.kind.in_(kinds)).scalar_subquery()
    stmt = (select(table.c.first_seen, table.c.policy_name, table.c.policy_hash, table.c.kind)
            .where(table.c.kind.in_(kinds), table.c.first_seen > first)
            .order_by(table.c.first_seen, table.c.policy_name))
    if since is not None:
        stmt = stmt.where(table.c.first_seen >= since)
    if until is not None:
        stmt = stmt.where(table.c.first_seen <= until)
    if isinstance(db, Connection):
        rows = db.execute(stmt).all()
    else:
        with db.connect() as conn:
            rows = conn.execute(stmt).all()
    return [PolicyChange(float(ts), name, digest, k) for ts, name, digest, k in rows]
