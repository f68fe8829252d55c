"""The share each rollout sends to its candidate now, as the Engine reads it on every request.

The truth is the log's ``rollout_state`` table (``state.py``); reading it per request would put a
database round trip in every request's path. So each process keeps this small map, replaced whole
(a dict swap is atomic under the GIL) whenever the monitor reads the log (every tick) and right
after this process changes a rollout. A rollout the map does not know yet gets share 0: every
request stays on the route as it was until the state is read.
"""

from __future__ import annotations

from typing import Iterable, Mapping


class RolloutShares:
    """Percent of traffic on the candidate, by (policy name, route)."""

    def __init__(self, shares: Mapping[tuple[str, str], float] | None = None) -> None:
        self._shares: dict[tuple[str, str], float] = dict(shares or {})

    def share(self, policy_name: str, route: str) -> float:
        return self._shares.get((policy_name, route), 0.0)

    def replace(self, shares: Iterable[tuple[tuple[str, str], float]]) -> None:
        self._shares = dict(shares)

    def set(self, policy_name: str, route: str, share: float) -> None:
        updated = dict(self._shares)
        updated[(policy_name, route)] = share
        self._shares = updated

    def snapshot(self) -> dict[tuple[str, str], float]:
        return dict(self._shares)
