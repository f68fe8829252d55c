"""Vertical markers on the time charts where the routing policy changed.

Each change (``app.log.policy_changes``: a policy version first logged at that time) is a thin dashed
line across the plot with a short label at its top, "name hash", and a tooltip saying which policy
took over and when. Lines and labels take the palette's text colour, re-coloured on a theme switch
like the rest of the chart's text. Rollout steps (issue 18) will be drawn here too once the log
holds them, in a style of their own; for now only policy changes are marked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

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
    """The policy-change lines of one plot, made once per change set and re-coloured with the theme."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.changes: list[PolicyChange] = []
        self.lines: list[pg.InfiniteLine] = []
        self._text = QColor("black")
        self._base = QColor("white")

    def show(self, changes: Sequence[PolicyChange]) -> None:
        if list(changes) == self.changes:
            return  # a redraw with the same changes (the usual case) touches nothing
        for line in self.lines:
            self.plot.removeItem(line)
        self.changes, self.lines = list(changes), []
        for change in self.changes:
            line = pg.InfiniteLine(pos=change.ts, angle=90, movable=False, label=marker_label(change),
                                   labelOpts={"position": 0.96, "anchors": [(0, 0), (0, 0)], "fill": None})
            line.setToolTip(marker_tooltip(change))
            line.label.setToolTip(marker_tooltip(change))
            line.setZValue(3)  # over bars, bands and ceilings
            self.plot.addItem(line, ignoreBounds=True)  # never widens the chart's range
            self.lines.append(line)
        self._colour()

    def set_palette(self, palette: QPalette) -> None:
        self._text = palette.color(QPalette.ColorRole.Text)
        self._base = palette.color(QPalette.ColorRole.Base)
        self._colour()

    def _colour(self) -> None:
        tint = QColor(self._text)
        tint.setAlpha(LINE_ALPHA)
        pen = pg.mkPen(tint, width=1.2, style=Qt.PenStyle.DashLine)
        backing = QColor(self._base)
        backing.setAlpha(210)  # the label stays readable over lines and bars behind it
        for line in self.lines:
            line.setPen(pen)
            line.label.setColor(self._text)
            line.label.fill = pg.mkBrush(backing)  # TextItem has no setter for its fill
            line.label.update()

    @property
    def positions(self) -> list[float]:
        return [float(line.value()) for line in self.lines]
