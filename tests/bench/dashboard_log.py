"""The benchmark's 1M-attempt routing log, built once and cached in the temp directory.

The log ends at a fixed moment (``LOG_END``) so a cached file stays valid between runs; its
generation settings and the log's schema version are in the file name, so changing either builds
a new one (a log cached by an older schema is left alone, never read). Two policy saves near the
end give the charts policy-change markers to read and draw.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.ledger.tables import SCHEMA_VERSION
from console.core.ledger.traffic import generate
from console.core.records import RequestRecord

ATTEMPTS_PER_REQUEST = 1.06  # what the demo traffic mix averages
LOG_END = 1_790_000_000.0  # a fixed "now" (Sept 2026) so the cached log does not go stale
SPIKE = ("support", "gpt-mini")


def _policy_saved(record: RequestRecord) -> RequestRecord:
    """Policies saved 20 and 5 days before the end: the charts draw their change markers."""
    ago = LOG_END - record.started_at.timestamp()
    return replace(record, policy_hash=f"{record.policy_hash}-v3") if ago < 5 * 86400 else (
        replace(record, policy_hash=f"{record.policy_hash}-v2") if ago < 20 * 86400 else record)


def cached_log(attempts: int = 1_000_000, days: float = 365.0, *, seed: int = 1) -> tuple[str, float]:
    """(SQLite URL, log end) of a cached synthetic log, built on first use (a minute or so)."""
    folder = Path(tempfile.gettempdir()) / "routedesk-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"dashboard-{attempts}-{days:g}d-s{seed}-schema{SCHEMA_VERSION}.sqlite3"
    url = f"sqlite:///{path}"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for stale in folder.glob(partial.name + "*"):
            stale.unlink()
        t0 = time.perf_counter()
        db = open_ledger(f"sqlite:///{partial}")
        records = generate(int(attempts / ATTEMPTS_PER_REQUEST), days=days, seed=seed, end=LOG_END, spike=SPIKE)
        write_records(db, map(_policy_saved, records), batch_requests=20_000)
        with db.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - t0:.0f} s")
    return url, LOG_END
