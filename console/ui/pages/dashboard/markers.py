"""Vertical markers on the time charts where the routing policy changed.

Each change (``app.log.policy_changes``: a policy version first logged at that time) is a thin dashed
line across the plot with a short label at its top, "name hash", and a tooltip saying which policy
took over and when. Lines and labels take the palette's text colour, re-coloured on a theme switch
like the rest of the chart's text. Rollout steps (issue 18) will be drawn here too once the log
holds them, in a style of their own; for now only policy changes are marked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from console.core.ledger.policy_changes import PolicyChange

#: how opaque the line is against the text colour: visible, but quieter than the data
LINE_ALPHA = 150


def marker_label(change: PolicyChange) -> str:
    return f"policy {change.policy_name} {change.short_hash}"


def marker_tooltip(change: PolicyChange) -> str:
    when = datetime.fromtimestamp(change.ts).strftime("%Y-%m-%d %H:%M:%S")
    return (f"Routing policy changed: {change.policy_name} (hash {change.short_hash}) "
            f"routed its first request at {when}")


class PolicyMarkers:
    """The policy-change lines of one plot, re-coloured with the theme.

    Lines are made once and reused (``_pool``): a kind or range change usually changes which
    policy versions are in view, and making an InfiniteLine with its label costs ~1.5 ms of GUI
    thread time each (nine of them on three charts was the slowest draw of a filter change),
    while moving one and setting its text costs a few hundredths of that."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.changes: list[PolicyChange] = []
        self.lines: list[pg.InfiniteLine] = []  # the lines shown now, one per change
        self._pool: list[pg.InfiniteLine] = []
        self._drawn: list[PolicyChange | None] = []  # what each pooled line shows (None: hidden)
        self._text = QColor("black")
        self._base = QColor("white")

    def show(self, changes: Sequence[PolicyChange]) -> None:
        if list(changes) == self.changes:
            return  # a redraw with the same changes (the usual case) touches nothing
        self.changes = list(changes)
        # A change already drawn keeps its line untouched (a kind or range change mostly adds or
        # drops a few): every Qt call made while the readers hold the GIL waits to get it back.
        holder = {change: n for n, change in enumerate(self._drawn) if change is not None}
        kept = {holder[change] for change in self.changes if change in holder}
        free = (n for n in range(len(self._pool) + len(self.changes)) if n not in kept)
        slots = [holder[change] if change in holder else next(free) for change in self.changes]
        self.lines = [self._line(n) for n in slots]
        for n, line, change in zip(slots, self.lines, self.changes):
            if self._drawn[n] == change:
                continue
            self._drawn[n] = change
            line.setVisible(True)  # first: a hidden label ignores a new text
            line.setValue(change.ts)
            # the label's text is a str.format template: braces in a policy name are escaped
            line.label.setFormat(marker_label(change).replace("{", "{{").replace("}", "}}"))
            tip = marker_tooltip(change)
            line.setToolTip(tip)
            line.label.setToolTip(tip)
        used = set(slots)
        for n, line in enumerate(self._pool):
            if n not in used and self._drawn[n] is not None:
                self._drawn[n] = None
                line.setVisible(False)

    def _line(self, n: int) -> pg.InfiniteLine:
        while len(self._pool) <= n:
            line = pg.InfiniteLine(pos=0.0, angle=90, movable=False, label="",
                                   labelOpts={"position": 0.96, "anchors": [(0, 0), (0, 0)], "fill": None})
            line.setZValue(3)  # over bars, bands and ceilings
            self.plot.addItem(line, ignoreBounds=True)  # never widens the chart's range
            line.setVisible(False)
            self._pool.append(line)
            self._drawn.append(None)
            self._colour_line(line, *self._style())
        return self._pool[n]

    def set_palette(self, palette: QPalette) -> None:
        self._text = palette.color(QPalette.ColorRole.Text)
        self._base = palette.color(QPalette.ColorRole.Base)
        self._colour()

    def _style(self) -> tuple[Any, QColor, Any]:
        tint = QColor(self._text)
        tint.setAlpha(LINE_ALPHA)
        backing = QColor(self._base)
        backing.setAlpha(210)  # the label stays readable over lines and bars behind it
        return pg.mkPen(tint, width=1.2, style=Qt.PenStyle.DashLine), QColor(self._text), pg.mkBrush(backing)

    def _colour(self) -> None:
        style = self._style()
        for line in self._pool:
            self._colour_line(line, *style)

    @staticmethod
    def _colour_line(line: pg.InfiniteLine, pen: Any, text: QColor, fill: Any) -> None:
        line.setPen(pen)
        line.label.setColor(text)
        line.label.fill = fill  # TextItem has no setter for its fill
        line.label.update()

    @property
    def positions(self) -> list[float]:
        return [float(line.value()) for line in self.lines]
