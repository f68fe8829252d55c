"""The single writer: staged records are durable at once, group commit, errors surface, drain on close.

Both ways a caller can be told "durable" are tested: through the staging file (the default wherever
there is a log) and, with ``staging=False``, by waiting for the commit itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from sqlalchemy import text

from console.core.ledger.chains import requests_behind
from console.core.ledger.filters import Filters
from console.core.ledger.writer import LedgerClosedError, LedgerWriter
from console.core.outcomes import Outcome
from console.core.records import Recorder

from tests.core.ledger.records_factory import make_record


def _count(writer: LedgerWriter, table: str) -> int:
    with writer.db.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() or 0)


@pytest.mark.parametrize("staging", [True, False], ids=["staging", "commit"])
def test_a_recorded_request_is_readable_after_flush_or_its_commit(ledger_url: str, staging: bool) -> None:
    writer = LedgerWriter(ledger_url, staging=staging)
    assert (writer.staging is not None) is staging
    record = make_record("r1", chain=(("gpt-mini", Outcome.RATE_LIMITED, 0.0), ("claude", Outcome.OK, 0.02)))
    future = writer.record(record)
    if staging:
        assert future.done()  # durable on return: it is in the staging file
        writer.flush(10)
    assert future.result(timeout=10) is None
    chains = requests_behind(writer.db, Filters())  # read through another connection
    assert [c.request["request_id"] for c in chains] == ["r1"]
    assert [a["model_alias"] for a in chains[0].attempts] == ["gpt-mini", "claude"]
    assert chains[0].request["fell_back"] == 1 and chains[0].request["customer"] == "acme"
    assert chains[0].as_json()["metadata"] == {"ticket": "T-1", "team": "growth", "region": "eu", "customer": "acme"}
    writer.close()


def test_many_concurrent_records_share_commits(ledger_url: str) -> None:
    writer = LedgerWriter(ledger_url, batch_rows=500)
    recorder: Recorder = writer  # type-checks against the protocol
    assert callable(recorder.record)
    futures = [writer.record(make_record(f"r{i}")) for i in range(3000)]
    for f in futures:
        f.result(timeout=30)
    writer.flush(30)
    assert _count(writer, "request") == 3000
    assert writer.commits < 3000 / 2  # grouped, not a commit each
    assert writer.committed_requests == 3000
    writer.close()


def test_asyncio_callers_await_durability_without_staging(ledger_url: str) -> None:
    writer = LedgerWriter(ledger_url, staging=False)

    async def route_many() -> None:
        async def one(i: int) -> None:
            await asyncio.wrap_future(writer.record(make_record(f"a{i}")))
        await asyncio.gather(*(one(i) for i in range(200)))

    asyncio.run(route_many())  # no flush: each awaited future means committed
    assert _count(writer, "request") == 200
    writer.close()


def test_a_bad_record_fails_its_own_future_only(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    writer = LedgerWriter(sqlite_url, max_delay_s=0.05, staging=False)  # hold the batch open so all three share it
    good1 = writer.record(make_record("same"))
    dup = writer.record(make_record("same"))  # primary key clash
    good2 = writer.record(make_record("other"))
    with caplog.at_level(logging.ERROR, logger="console.core.ledger.writer"):
        good1.result(timeout=10)
        good2.result(timeout=10)
        with pytest.raises(Exception, match="(?i)unique|integrity"):
            dup.result(timeout=10)
    assert any("same" in r.getMessage() for r in caplog.records)
    assert _count(writer, "request") == 2
    writer.close()


def test_close_drains_the_queue_and_refuses_more(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    futures = [writer.record(make_record(f"c{i}")) for i in range(500)]
    writer.close()
    assert all(f.done() and f.exception() is None for f in futures)
    with LedgerWriter(sqlite_url, staging=False) as reopened:
        assert _count(reopened, "request") == 500  # committed by close, not left to a recovery
    with pytest.raises(LedgerClosedError):
        writer.record(make_record("late"))
    writer.close()  # idempotent
    assert not any(t.name == "routedesk-ledger-writer" and t.is_alive() for t in threading.enumerate())


def test_flush_waits_for_everything_before_it(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    for i in range(300):
        writer.record(make_record(f"f{i}"))
    writer.flush(timeout=10)
    assert _count(writer, "request") == 300
    writer.close()
