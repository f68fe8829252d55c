"""Reading the routing log: what ``routedesk log``, ``routedesk report`` and the dashboards open.

Front ends open the log here and read it with the ledger's query modules (``ledger.queries``,
``ledger.series``, ``ledger.filters``, ``ledger.drift``, ``ledger.chains``), which only read. They
never reach the ledger's write side (the writer, bulk inserts, the store's set-up): writing goes
through the Workspace, history import and demo traffic (``open_log_for_writing``).

``open_log`` opens the log read-only (``ledger.store.open_ledger_readonly``): reading never creates,
upgrades or recovers anything. ``watch_log_health`` gives front ends the log's alarm (a full disk,
a damaged or unwritable log). ``policy_changes`` gives the charts where the routing policy changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from console.core.ledger.health import LedgerHealth
    from console.core.ledger.policy_changes import PolicyChange
    from console.core.workspace import Workspace

__all__ = ["LogError", "open_log", "open_log_for_writing", "policy_changes", "read_error_message", "watch_log_health"]


class LogError(Exception):
    """The log cannot be used: a bad URL, a server that is down, a damaged file, another version's log."""


def open_log(url: str | None = None, *, create_if_missing: bool = False) -> "Engine":
    """The routing log at ``url`` (None: the default file in the data directory), opened to read.

    Nothing is created, upgraded or recovered: a log that does not exist yet reads as an empty one
    (in memory), or with ``create_if_missing`` is created empty (a view that keeps polling it, the
    dashboard, then sees what is written later). Raises LogError with a sentence (never a
    traceback) when it cannot be used, naming a damaged file and how to move it aside; dispose() it after.
    """
    from console.core.ledger.migrations import LedgerVersionError
    from console.core.ledger.store import LedgerMissingError, LedgerOpenError, open_ledger, open_ledger_readonly

    try:
        try:
            return open_ledger_readonly(url, empty_if_missing=not create_if_missing)
        except LedgerMissingError:
            return open_ledger(url)  # a new, empty log: nothing to upgrade or recover
    except (LedgerOpenError, LedgerVersionError) as err:
        raise LogError(str(err)) from None


def open_log_for_writing(url: str | None = None) -> "Engine":
    """The routing log at ``url`` opened to write (created or upgraded): history import, demo traffic."""
    from console.core.ledger.migrations import LedgerVersionError
    from console.core.ledger.store import LedgerOpenError, open_ledger

    try:
        return open_ledger(url)
    except (LedgerOpenError, LedgerVersionError) as err:
        raise LogError(str(err)) from None


def read_error_message(url: str | None, error: BaseException) -> str:
    """A sentence for a log that failed while being read: a damaged file named, with how to move it aside."""
    from console.core.ledger.store import damaged_message, is_damage
    from console.core.paths import default_log_url

    if is_damage(error):
        return damaged_message(url or default_log_url(), error)
    return f"cannot read the routing log: {getattr(error, 'orig', error)}"


def watch_log_health(workspace: "Workspace", listener: "Callable[[LedgerHealth], None]", *,
                     open_now: bool = False) -> "LedgerHealth | None":
    """Call ``listener`` whenever the log's health changes (see ``Workspace.watch_log_health``); the
    health now, or None when nothing is logged (or the log is not open yet). ``open_now`` opens the
    log first, as commands that route do, so a bad log is said before the first request. LogError
    when the log's URL is a mistake (not a URL, no driver for it): that is said once, not alarmed
    forever."""
    from console.core.ledger.store import LedgerURLError

    try:
        if open_now:
            workspace.recorder  # noqa: B018 - opening the log is the point
        return workspace.watch_log_health(listener)
    except LedgerURLError as err:
        raise LogError(str(err)) from None


def policy_changes(db: "Engine", since: float | None, until: float | None,
                   kind: str | None = "production") -> "list[PolicyChange]":
    """Where the routing policy changed within [since, until]: each policy version (name and
    content hash) first logged there, oldest first, as plain rows (``ledger.policy_changes``).

    A saved policy shows up with the first request routed under it. Rollout steps (issue 18) are
    to be returned beside these once they are logged; until then only policy changes are marked."""
    from console.core.ledger.policy_changes import changes_between

    return changes_between(db, since, until, kind)
