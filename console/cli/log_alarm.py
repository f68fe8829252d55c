"""The routing log's alarm on stderr, for commands that route (``route``, ``serve``).

When the log cannot be written (a full disk, a damaged or unwritable file) requests are still
answered and kept in memory (``console.core.ledger.health``); the person running the command must
see that at once, and again when it clears.
"""

from __future__ import annotations

import sys

from console.core.workspace import Workspace


def _show(health: object) -> None:
    print(getattr(health, "summary")(), file=sys.stderr, flush=True)


def show_log_alarms(workspace: Workspace) -> bool:
    """Print the log's health on stderr now if it is not ok, and at every change from here on.

    False (after printing the error) when the log's URL is a mistake (not a URL, no driver).
    """
    from console.core.app import LogError, watch_log_health

    try:
        health = watch_log_health(workspace, _show, open_now=True)
    except LogError as err:
        print(f"error: --db: {err}", file=sys.stderr)
        return False
    if health is not None and not health.ok:
        _show(health)
    return True
