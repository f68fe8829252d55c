"""What a console query is about: the ``Filters`` dataclass, durations, and their WHERE clauses.

Time ranges are half-open ``[since, until)`` in UTC epoch seconds. ``kind`` defaults to
production so comparison and pilot runs never leak into production spend; ``kind=None`` means all
(written as ``kind IN KINDS`` so the kind-led indexes still apply).
``split_range`` cuts a range into whole days (daily rollups), whole hours (hourly rollups) and
ragged edges (raw rows), so a query reads the coarsest rows that still answer it exactly.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, true

from console.core.ledger.tables import KINDS

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class DurationError(ValueError):
    """A duration such as '30m', '1h', '7d' could not be read."""


def parse_duration(text: str) -> float:
    """Seconds in '90s', '30m', '1h', '7d', '2w'."""
    match = _DURATION.match(text or "")
    if not match:
        raise DurationError(f"not a duration: {text!r} (use a number and a unit: 30m, 1h, 7d, 30d, 2w)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise DurationError(f"duration must be more than zero: {text!r}")
    return seconds


@dataclass(frozen=True)
class Filters:
    """Which rows a console query reads; every field None means 'any'."""

    since: float | None = None
    until: float | None = None
    policy: str | None = None
    task: str | None = None
    model: str | None = None
    team: str | None = None
    kind: str | None = "production"
    provider: str | None = None  # attempt-level queries only (requests have no single provider)

    @classmethod
    def last(cls, duration: str | float, *, now: float | None = None, **kwargs: Any) -> "Filters":
        """The window that ends now and lasts ``duration`` ('7d' or seconds)."""
        seconds = parse_duration(duration) if isinstance(duration, str) else float(duration)
        end = time.time() if now is None else now
        return cls(since=end - seconds, until=end, **kwargs)

    def with_range(self, since: float | None, until: float | None) -> "Filters":
        return replace(self, since=since, until=until)


def raw_where(table: Table, filters: Filters, *, model_column: str = "model_alias") -> ColumnElement[bool]:
    """Conditions on a raw table (``request`` or ``attempt``), time by ``ts``."""
    clauses: list[ColumnElement[bool]] = [_kind(table, filters)]
    if filters.since is not None:
        clauses.append(table.c.ts >= filters.since)
    if filters.until is not None:
        clauses.append(table.c.ts < filters.until)
    clauses.extend(_common(table, filters, model_column))
    return and_(true(), *clauses)


def rollup_where(table: Table, filters: Filters, hour_from: int | None, hour_to: int | None,
                 *, model_column: str = "model_alias", time_column: str = "hour") -> ColumnElement[bool]:
    """Conditions on a rollup table over whole hours (or days: ``time_column="day"``) ``[from, to)``."""
    clauses: list[ColumnElement[bool]] = [_kind(table, filters)]
    if hour_from is not None:
        clauses.append(table.c[time_column] >= hour_from)
    if hour_to is not None:
        clauses.append(table.c[time_column] < hour_to)
    clauses.extend(_common(table, filters, model_column))
    return and_(true(), *clauses)


def _kind(table: Table, filters: Filters) -> ColumnElement[bool]:
    """The kind, or every kind: the time indexes lead with kind, so "all" is spelled out as the
    list of kinds (the write path accepts no other) rather than left out, which would scan."""
    if filters.kind is not None:
        return table.c.kind == filters.kind
    return table.c.kind.in_(KINDS)


def _common(table: Table, filters: Filters, model_column: str) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.policy is not None:
        clauses.append(table.c.policy_name == filters.policy)
    if filters.task is not None:
        clauses.append(table.c.task == filters.task)
    if filters.team is not None:
        clauses.append(table.c.team == filters.team)
    if filters.provider is not None and "provider" in table.c:
        clauses.append(table.c.provider == filters.provider)
    if filters.model is not None and model_column in table.c:
        clauses.append(table.c[model_column] == filters.model)
    return clauses


@dataclass(frozen=True)
class HourSplit:
    """A time range cut into whole hours (read from rollups) and ragged edges (read raw)."""

    hour_from: int | None
    hour_to: int | None
    edges: tuple[tuple[float | None, float | None], ...]


def split_hours(since: float | None, until: float | None) -> HourSplit:
    hour_from = None if since is None else math.ceil(since / 3600)
    hour_to = None if until is None else math.floor(until / 3600)
    if hour_from is not None and hour_to is not None and hour_from >= hour_to:
        return HourSplit(0, 0, ((since, until),))  # shorter than an hour boundary pair: all raw
    edges: list[tuple[float | None, float | None]] = []
    if since is not None and hour_from is not None and since < hour_from * 3600:
        edges.append((since, hour_from * 3600.0))
    if until is not None and hour_to is not None and until > hour_to * 3600:
        edges.append((hour_to * 3600.0, until))
    return HourSplit(hour_from, hour_to, tuple(edges))


Span = tuple[int | None, int | None]  # whole hours or days [from, to); None: open
Edge = tuple[float | None, float | None]  # epoch seconds [since, until)


@dataclass(frozen=True)
class RangeSplit:
    """A time range cut into whole days, whole hours and raw edges that together cover it once."""

    days: Span | None  # None: no whole day is read from the daily rollups
    hours: tuple[Span, ...]
    edges: tuple[Edge, ...]


def split_range(since: float | None, until: float | None, *, days: bool = True, hours: bool = True) -> RangeSplit:
    """Whole days where ``days``, whole hours of what is left where ``hours``, raw for the rest."""
    day_from = None if since is None else math.ceil(since / 86400)
    day_to = None if until is None else math.floor(until / 86400)
    if not days or (day_from is not None and day_to is not None and day_from >= day_to):
        spans, edges = _hour_pieces(since, until, hours)
        return RangeSplit(None, spans, edges)
    pieces: list[tuple[tuple[Span, ...], tuple[Edge, ...]]] = []
    if since is not None and day_from is not None and since < day_from * 86400:
        pieces.append(_hour_pieces(since, day_from * 86400.0, hours))
    if until is not None and day_to is not None and until > day_to * 86400:
        pieces.append(_hour_pieces(day_to * 86400.0, until, hours))
    return RangeSplit((day_from, day_to), tuple(s for p in pieces for s in p[0]),
                      tuple(e for p in pieces for e in p[1]))


def _hour_pieces(since: float | None, until: float | None, hours: bool) -> tuple[tuple[Span, ...], tuple[Edge, ...]]:
    if not hours:
        return (), ((since, until),)
    split = split_hours(since, until)
    if split.hour_from == 0 and split.hour_to == 0:
        return (), split.edges
    return ((split.hour_from, split.hour_to),), split.edges
