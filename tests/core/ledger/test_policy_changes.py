"""Policy changes are recorded on every write path (writer, bulk, staging recovery, upgrade) and read back
by time range, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, event, text

from console.core.app.log import policy_changes
from console.core.ledger.bulk import write_records
from console.core.ledger.policy_changes import PolicyChange, changes_between
from console.core.ledger.record_json import encode
from console.core.ledger.staging import Staging, staging_dir_for
from console.core.ledger.staging_recovery import recover_staged
from console.core.ledger.store import open_ledger
from console.core.ledger.tables import SCHEMA_VERSION
from console.core.ledger.traffic import POLICY_HASH, POLICY_NAME, generate
from console.core.ledger.writer import LedgerWriter
from console.core.records import RequestRecord

from tests.core.ledger.records_factory import make_record

T0 = 1_760_000_000.0


def _record(rid: str, ts: float, digest: str, *, kind: str = "production", name: str = "p") -> RequestRecord:
    return replace(make_record(rid, ts=ts, kind=kind), policy_name=name, policy_hash=digest)


def _policy_statements(db: Engine) -> list[str]:
    """Every statement sent that touches policy_change (filled as the test runs)."""
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "policy_change" in statement:
            seen.append(statement)

    event.listen(db, "before_cursor_execute", capture)
    return seen


def test_the_writer_notes_a_new_policy_once_and_never_queries_per_request(ledger_url: str) -> None:
    with LedgerWriter(ledger_url, max_delay_s=0) as writer:
        assert writer.db is not None
        sent = _policy_statements(writer.db)
        for i in range(5):  # five batches under one policy: one statement, in the first batch
            writer.record(_record(f"a{i}", T0 + i, "h1"))
            writer.flush(30)
        assert len(sent) == 1
        for i in range(5):  # a new hash: one more; then batches under it cost nothing
            writer.record(_record(f"b{i}", T0 + 100 + i, "h2"))
            writer.flush(30)
        assert len(sent) == 2
        writer.record(_record("c0", T0 + 200, "h1"))  # back to the first: not a new change
        writer.flush(30)
        assert len(sent) == 2
        changes = changes_between(writer.db, None, None)
    assert changes == [PolicyChange(T0 + 100, "p", "h2", "production")]


def test_bulk_writes_keep_the_earliest_time_and_the_range_filters(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    records = [_record(f"r{i}", T0 + i * 10, "h1") for i in range(30)]
    records += [_record(f"s{i}", T0 + 1000 - i * 10, "h2") for i in range(30)]  # newest first
    records += [_record(f"t{i}", T0 + 5000 + i, "h3", name="other") for i in range(3)]
    records += [_record(f"u{i}", T0 + 7000, "h9", kind="pilot") for i in range(2)]  # another kind
    write_records(db, records, batch_requests=7)
    assert changes_between(db, None, None) == [PolicyChange(T0 + 710, "p", "h2", "production"),
                                               PolicyChange(T0 + 5000, "other", "h3", "production")]
    assert [c.policy_hash for c in changes_between(db, T0 + 800, T0 + 6000)] == ["h3"]
    assert changes_between(db, T0 + 5001, None) == []
    assert changes_between(db, None, None, kind="pilot") == []  # the pilot's only policy: no change
    assert [c.policy_hash for c in policy_changes(db, None, None, kind=None)] == ["h2", "h3", "h9"]
    db.dispose()


def test_recovered_staged_requests_note_their_policy_and_move_it_earlier(sqlite_url: str) -> None:
    db = open_ledger(sqlite_url)
    write_records(db, [_record("a", T0, "h1"), _record("b", T0 + 500, "h2")])
    directory = staging_dir_for(sqlite_url)
    assert directory is not None
    staging = Staging(directory)  # as a writer that died leaves it
    for record in (_record("late", T0 + 300, "h2"), _record("new", T0 + 900, "h3")):
        staging.stage(record.request_id, encode(record))
    staging.close()
    assert recover_staged(db, directory).recovered == 2
    assert [(c.ts, c.policy_hash) for c in changes_between(db, None, None)] == [(T0 + 300, "h2"), (T0 + 900, "h3")]
    db.dispose()


def test_an_existing_log_is_backfilled_once_on_upgrade(ledger_url: str) -> None:
    db = open_ledger(ledger_url)
    records = list(generate(400, days=3, seed=5, end=T0))
    changed = [replace(r, policy_hash="second") for r in generate(50, days=0.5, seed=6, end=T0 + 86400)]
    write_records(db, records + changed)
    with db.begin() as conn:  # what a version 5 log looks like
        conn.execute(text("DROP TABLE policy_change"))
        conn.execute(text("UPDATE schema_meta SET value = '5' WHERE key = 'version'"))
    db.dispose()

    db = open_ledger(ledger_url)
    with db.connect() as conn:
        assert conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).scalar() == str(SCHEMA_VERSION)
        rows = conn.execute(text("SELECT kind, policy_name, policy_hash, first_seen FROM policy_change")).all()
    expected: dict[tuple[str, str, str], float] = {}
    for r in records + changed:
        key = (r.kind or "production", r.policy_name, r.policy_hash)
        expected[key] = min(expected.get(key, float("inf")), r.started_at.timestamp())
    assert {(k, n, h): ts for k, n, h, ts in rows} == expected
    first_changed = min(r.started_at.timestamp() for r in changed if r.kind == "production")
    assert changes_between(db, None, None) == [PolicyChange(first_changed, POLICY_NAME, "second", "production")]
    assert POLICY_HASH != "second"
    db.dispose()


def test_a_rolled_back_batch_leaves_its_new_policy_unknown_to_the_writer(ledger_url: str) -> None:
    """A batch that noted a new policy and then failed must not make the writer believe it is recorded."""
    with LedgerWriter(ledger_url, max_delay_s=0.5) as writer:
        assert writer.db is not None
        writer.record(_record("a", T0, "h1"))
        writer.flush(30)
        writer.record(_record("a", T0 + 100, "h2"))  # a duplicate id: this one cannot be logged
        writer.record(_record("b", T0 + 101, "h1"))  # same batch; retried alone, it commits
        writer.flush(30)
        with writer.db.connect() as conn:
            assert conn.execute(text("SELECT request_id, policy_hash FROM request ORDER BY request_id")).all() == [
                ("a", "h1"), ("b", "h1")]
        writer.record(_record("c", T0 + 300, "h2"))  # the first h2 request that is logged
        writer.flush(30)
        assert changes_between(writer.db, None, None) == [PolicyChange(T0 + 300, "p", "h2", "production")]
