"""Reading the routing log: what ``routedesk log``, ``routedesk report`` and the dashboards open.

Front ends open the log here and read it with the ledger's query modules (``ledger.queries``,
``ledger.series``, ``ledger.filters``, ``ledger.drift``, ``ledger.chains``), which only read. They
never reach the ledger's write side (the writer, bulk inserts, the store's set-up): writing goes
through the Workspace, history import and demo traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["LogError", "open_log"]


class LogError(Exception):
    """The log cannot be opened: a bad URL, a server that is down, a log from a newer Routedesk."""


def open_log(url: str | None = None) -> "Engine":
    """The routing log at ``url`` (None: the default file in the data directory), opened to read.

    Raises LogError with a sentence (never a traceback) when it cannot be used; dispose() it after.
    """
    from console.core.ledger.migrations import LedgerVersionError
    from console.core.ledger.store import LedgerOpenError, open_ledger

    try:
        return open_ledger(url)
    except (LedgerOpenError, LedgerVersionError) as err:
        raise LogError(str(err)) from None
