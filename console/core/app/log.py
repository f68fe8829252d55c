"""Reading the routing log: what ``routedesk log``, ``routedesk report`` and the dashboards open.

Front ends open the log here and read it with the ledger's query modules (``ledger.queries``,
``ledger.series``, ``ledger.filters``, ``ledger.drift``, ``ledger.chains``), which only read. They
never reach the ledger's write side (the writer, bulk inserts, the store's set-up): writing goes
through the Workspace, history import and demo traffic (``open_log_for_writing``).

Opening to read never migrates or recovers anything (``ledger.store.open_ledger_readonly``); the
one thing it may do is create an empty log where there is none yet, so a first run shows empty
charts rather than an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["LogError", "open_log", "open_log_for_writing"]


class LogError(Exception):
    """The log cannot be used: a bad URL, a server that is down, a damaged file, another version's log."""


def open_log(url: str | None = None) -> "Engine":
    """The routing log at ``url`` (None: the default file in the data directory), opened to read.

    Raises LogError with a sentence (never a traceback) when it cannot be read; dispose() it after.
    """
    from console.core.ledger.migrations import LedgerVersionError
    from console.core.ledger.store import LedgerDamagedError, LedgerOpenError, open_ledger_readonly

    try:
        return open_ledger_readonly(url)
    except LedgerDamagedError as err:
        raise LogError(str(err)) from None
    except LedgerOpenError:
        pass  # no log there yet (or a server the writer's path reports better): try it as a new log
    except LedgerVersionError as err:  # a newer Routedesk's, or an older one a writing command upgrades
        raise LogError(str(err)) from None
    return open_log_for_writing(url)


def open_log_for_writing(url: str | None = None) -> "Engine":
    """The routing log at ``url``, created or upgraded as needed; raise LogError with a sentence."""
    from console.core.ledger.migrations import LedgerVersionError
    from console.core.ledger.store import LedgerOpenError, open_ledger

    try:
        return open_ledger(url)
    except (LedgerOpenError, LedgerVersionError) as err:
        raise LogError(str(err)) from None
