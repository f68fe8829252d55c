"""Whether the routing log is taking requests, and what is kept meanwhile: the log's alarm.

The writer (``writer.py``) publishes a ``LedgerHealth`` whenever it changes. ``ok`` is the normal
state. ``disk_full`` (SQLITE_FULL, ENOSPC, PostgreSQL's 53100) and ``unavailable`` (a damaged or
unwritable log) are not retried inside requests: answers keep coming, the requests are kept in
memory (up to a bound, then counted), and they are written once the log takes writes again.
Front ends show ``summary()``: ``serve`` on stderr, the window in its status bar.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

OK = "ok"
DISK_FULL = "disk_full"
UNAVAILABLE = "unavailable"

_FULL_CODE = getattr(sqlite3, "SQLITE_FULL", 13)
_PG_DISK_FULL = "53100"  # PostgreSQL's disk_full SQLSTATE


@dataclass(frozen=True)
class LedgerHealth:
    """A snapshot of the log's state.

    Attributes:
        state: ``ok``, ``disk_full`` or ``unavailable``.
        detail: why, in words (the database's own message, the damaged file and how to move it aside).
        kept: requests held in memory, to be written when the log takes writes again.
        not_kept: requests past the memory bound: answered, counted, and not in the log unless a
            staging file still holds them (then the next start writes them).
        written_late: requests that were kept and have since been written.
    """

    state: str = OK
    detail: str = ""
    kept: int = 0
    not_kept: int = 0
    written_late: int = 0

    @property
    def ok(self) -> bool:
        return self.state == OK

    def summary(self) -> str:
        if self.ok:
            late = f" ({self.written_late} request(s) kept meanwhile were written)" if self.written_late else ""
            lost = f"; {self.not_kept} request(s) past the memory bound are not in it" if self.not_kept else ""
            return f"routing log: writing normally{late}{lost}"
        what = "the disk holding the routing log is full" if self.state == DISK_FULL else "the routing log cannot be written"
        lost = f"; {self.not_kept} more past the memory bound are answered but NOT kept" if self.not_kept else ""
        return (f"ALARM: {what}: {self.detail}. Requests are still answered; {self.kept} kept in memory "
                f"to be written when it can{lost}")


def is_disk_full(error: BaseException) -> bool:
    """A full disk or quota, as SQLite, PostgreSQL or the OS reports it (wrapped or not)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF == _FULL_CODE) or "database or disk is full" in str(current):
                return True
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL or getattr(current, "pgcode", None) == _PG_DISK_FULL:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False
