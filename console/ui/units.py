"""Numbers written for people on chart axes, legends and hovers: $0.0012, $1.2k, 1.2k, 45%, 850 ms.

pyqtgraph's own ticks add an SI prefix to the axis title ("USD (x0.001)", "US $ (x1e-06)"), which
makes the reader multiply in their head; charts turn that off (``plots.format_axis``) and write
every tick with these instead. Tick formatters take the tick spacing so neighbouring ticks never
round to the same text ($0.0005 and $0.0010, not $0.00 twice).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

TickFormat = Callable[[Sequence[float], float], list[str]]

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _decimals(spacing: float) -> int:
    """Digits after the point that tell ticks ``spacing`` apart (0 for whole steps)."""
    if spacing <= 0 or not math.isfinite(spacing):
        return 2
    for digits in range(0, 10):
        if abs(round(spacing, digits) - spacing) <= spacing * 1e-6:
            return digits
    return 10


def _trim(text: str) -> str:
    """1.50 -> 1.5, 2.0 -> 2; whole numbers keep their zeros (10 stays 10)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def compact(value: float, decimals: int = 1) -> str:
    """1234 -> 1.2k, 2_500_000 -> 2.5M, 950 -> 950; trailing zeros dropped (1.0k -> 1k)."""
    if not math.isfinite(value):
        return "—"
    size = abs(value)
    for threshold, suffix in _SUFFIXES:
        if size >= threshold:
            return f"{_trim(f'{value / threshold:.{decimals}f}')}{suffix}"
    if size == 0 or size >= 1:
        return f"{value:,.{min(decimals, 2) if size % 1 else 0}f}"
    return _trim(f"{value:.{max(decimals, 1 - math.floor(math.log10(size)))}f}")


def money(value: float) -> str:
    """One dollar figure: $0 · $0.0012 · $0.35 · $12.50 · $1.2k · $3.4M."""
    if not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size == 0:
        return "$0"
    if size >= 1000:
        return f"{sign}${compact(size)}"
    if size >= 1:
        return f"{sign}${size:,.2f}"
    # two significant digits below a dollar: $0.35, $0.012, $0.0012
    return f"{sign}${size:.{1 - math.floor(math.log10(size))}f}"


def money_ticks(values: Sequence[float], spacing: float) -> list[str]:
    """Dollar ticks, as many decimals as the spacing needs and no more."""
    if spacing >= 1000 or any(abs(v) >= 10_000 for v in values):
        return ["$0" if v == 0 else f"{'-' if v < 0 else ''}${compact(abs(v), max(0, _decimals(spacing / 1000)))}"
                for v in values]
    digits = _decimals(spacing)
    return ["$0" if v == 0 else f"{'-' if v < 0 else ''}${abs(v):,.{digits}f}" for v in values]


def count_ticks(values: Sequence[float], spacing: float) -> list[str]:
    """Counts: 0, 500, 1k, 1.5k, 2M."""
    if spacing >= 1000 or any(abs(v) >= 10_000 for v in values):
        digits = max(0, _decimals(spacing / _scale(max(abs(v) for v in values) if values else 1)))
        return [compact(v, digits) for v in values]
    return [f"{v:,.{_decimals(spacing)}f}" for v in values]


def _scale(largest: float) -> float:
    for threshold, _suffix in _SUFFIXES:
        if largest >= threshold:
            return threshold
    return 1.0


def percent_ticks(values: Sequence[float], spacing: float) -> list[str]:
    """Values already in percent: 0%, 2.5%, 10%."""
    return [f"{v:.{_decimals(spacing)}f}%" for v in values]


def millis_ticks(values: Sequence[float], spacing: float) -> list[str]:
    """Milliseconds: 250 ms, 1.5 s once the ticks pass a second."""
    if any(abs(v) >= 1000 for v in values):
        return [f"{v / 1000:.{_decimals(spacing / 1000)}f} s" for v in values]
    return [f"{v:,.0f} ms" for v in values]
