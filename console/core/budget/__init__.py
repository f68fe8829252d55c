"""Budgets in one place: what a budget covers, its current period, what it has spent, where it is heading.

* ``period``: the UTC day or month a moment falls in (start, end, key).
* ``scope``: whether a call counts against a budget (the in-memory match and the log query's filters).
* ``tracker``: the running spend per budget that the planner reads, fed by every engine of a workspace.
* ``burn``: spend so far this period read from the log, and the projection to the period's end.

The planner, the Engine's tracker, the workspace's seed from the log and the dashboards all call
these, so a budget means the same thing wherever it is shown or enforced. ``period`` and ``scope``
are pure; ``burn`` reads the log (import it only where a log is read).
"""
