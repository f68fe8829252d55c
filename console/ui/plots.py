"""Small pyqtgraph helpers shared by the window's pages.

``GridAxis`` and ``GridDateAxis`` are pyqtgraph's axes with one drawing change: thin tick and grid
lines are filled as one-pixel rectangles. Qt's raster engine draws an aliased, translucent
cosmetic line pixel by pixel (~0.2 ms for one line across a chart, measured on PySide6 6.11.3),
so a grid of twenty faint lines cost a dashboard chart ~3-5 ms on every repaint; the same pixels
as rectangles cost ~0.05 ms. The pixels are identical on screen (tests/ui/test_dashboard_charts.py
checks); exports and scaled painters keep pyqtgraph's own lines.

``format_axis`` writes an axis's ticks with ``console.ui.units`` and turns pyqtgraph's SI prefix
off (it puts "(x0.001)" in the axis title), and ``follow_palette`` keeps a plot's background, axes
and text in the widget's palette when the theme changes while the window runs.
"""

from __future__ import annotations

import zlib
from typing import Any, Sequence

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QLineF, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QWidget

from console.ui.units import TickFormat


#: Tableau 10: distinct hues that stay legible on light and dark backgrounds.
SERIES_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                  "#9c755f", "#bab0ac"]


def colour(index: int) -> QColor:
    return QColor(SERIES_COLOURS[index % len(SERIES_COLOURS)])


def home_slot(name: str) -> int:
    """Where ``name``'s colour starts in ``SERIES_COLOURS``: crc32, the same in every process and run."""
    return zlib.crc32(name.encode("utf-8")) % len(SERIES_COLOURS)


class SeriesColours:
    """A colour per series name that never changes once given, whatever else is on the chart.

    A name gets its hash's slot; when another name already holds it, the next free one. What a
    name was given is remembered, so switching the time range (which changes which series are
    present and in what order) never recolours a series."""

    def __init__(self) -> None:
        self.given: dict[str, int] = {}

    def reserve(self, names: Sequence[str]) -> None:
        """Give colours to the new names among ``names``, in sorted order, so two charts handed the
        same names in a different order colour them alike even where two names share a hash slot."""
        for name in sorted(set(names) - self.given.keys()):
            self(name)

    def __call__(self, name: str) -> QColor:
        slot = self.given.get(name)
        if slot is None:
            taken = set(self.given.values())
            slot = home_slot(name)
            if len(taken) < len(SERIES_COLOURS):
                while slot in taken:
                    slot = (slot + 1) % len(SERIES_COLOURS)
            self.given[name] = slot
        return colour(slot)


def set_category_ticks(axis: pg.AxisItem, labels: Sequence[str], width: int) -> list[tuple[int, str]]:
    """Whole category labels on a bottom axis, wrapped to ``width`` characters, and the axis made
    tall enough for the most lines (pyqtgraph sizes it for one line of text)."""
    ticks = [(i, wrap_label(label, width)) for i, label in enumerate(labels)]
    lines = max((text.count("\n") + 1 for _i, text in ticks), default=1)
    font = axis.style.get("tickFont") or axis.font()
    axis.setTicks([ticks])
    axis.setHeight(int(14 + lines * QFontMetrics(font).lineSpacing() + (axis.label.boundingRect().height()
                                                                         if axis.label.isVisible() else 0)))
    return ticks


def still_plot(title: str, unit: str, ticks: TickFormat | None = None, *, dates: bool = False) -> pg.PlotWidget:
    """A chart for a handful of bars or points: no pan/zoom or context menu, light grid, themed background.

    ``dates``: x is epoch seconds, written as dates and times (``GridDateAxis``, as the dashboards have it).
    """
    plot = pg.PlotWidget(title=title, axisItems={"bottom": GridDateAxis()} if dates else None)
    plot.setLabel("left", unit)
    plot.showGrid(y=True, alpha=0.25)
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    if ticks is not None:
        format_axis(plot.getPlotItem().getAxis("left"), ticks)
    follow_palette(plot)
    return plot


def side_by_side(*plots: QWidget) -> QWidget:
    """``plots`` in one row, edge to edge (no margins of their own), as one widget."""
    row_widget = QWidget()
    row = QHBoxLayout(row_widget)
    row.setContentsMargins(0, 0, 0, 0)
    for plot in plots:
        row.addWidget(plot)
    return row_widget


def format_axis(axis: pg.AxisItem, ticks: TickFormat) -> None:
    """Write ``axis``'s ticks with ``ticks(values, spacing)``; no SI prefix in its title."""
    axis.enableAutoSIPrefix(False)

    def tick_strings(values: Sequence[float], _scale: float, spacing: float) -> list[str]:
        return ticks(values, spacing)

    axis.tickStrings = tick_strings  # type: ignore[method-assign]
    axis.picture = None
    axis.update()


def text_colour(widget: QWidget) -> Any:
    return widget.palette().color(QPalette.ColorRole.Text)


def apply_palette(plot: pg.PlotWidget) -> None:
    """Background, axes, title and labels in ``plot``'s palette colours."""
    palette = plot.palette()
    text = palette.color(QPalette.ColorRole.Text)
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    item = plot.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
        axis.label.setDefaultTextColor(text)
    item.titleLabel.setText(item.titleLabel.text, color=text)
    for child in item.vb.addedItems:
        if isinstance(child, pg.TextItem) and getattr(child, "follows_palette", False):
            child.setColor(text)
        elif isinstance(child, pg.ErrorBarItem):
            child.setData(pen=pg.mkPen(text, width=2))


class _PaletteFollower(QObject):
    """Re-colours a plot whenever its palette changes (a theme switch while the window runs)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange and isinstance(watched, pg.PlotWidget):
            apply_palette(watched)
        return False


def follow_palette(plot: pg.PlotWidget) -> None:
    apply_palette(plot)
    follower = _PaletteFollower(plot)
    plot.installEventFilter(follower)


def palette_text(text: str, anchor: tuple[float, float]) -> pg.TextItem:
    """A TextItem that ``apply_palette`` re-colours with the theme (never dark on dark)."""
    item = pg.TextItem(text, anchor=anchor)
    item.follows_palette = True  # type: ignore[attr-defined]
    return item


def _fillable(pen: QPen, line: QLineF) -> bool:
    """A line whose aliased pixels are exactly those of a one-pixel rectangle around it."""
    straight = line.x1() == line.x2() or line.y1() == line.y2()
    return (straight and pen.style() == Qt.PenStyle.SolidLine and pen.capStyle() == Qt.PenCapStyle.SquareCap
            and pen.brush().style() == Qt.BrushStyle.SolidPattern and pen.isCosmetic() and pen.widthF() <= 1.0)


def _line_rect(line: QLineF) -> QRectF:
    left, right = sorted((line.x1(), line.x2()))
    top, bottom = sorted((line.y1(), line.y2()))
    return QRectF(left - 0.5, top - 0.5, right - left + 1.0, bottom - top + 1.0)


class _FilledTicks:
    """Mixed into an AxisItem: ticks and grid lines as filled rectangles where that is pixel-exact."""

    _filled: bool | None = None  # how the cached picture was drawn

    def paint(self, p: QPainter, opt: Any, widget: Any) -> None:
        filled = (not self._exportOpts and not p.transform().isScaling()  # type: ignore[attr-defined]
                  and (widget is None or widget.devicePixelRatioF() == 1.0))
        if filled != self._filled:
            self._filled = filled
            self.picture = None
        super().paint(p, opt, widget)  # type: ignore[misc]

    def drawPicture(self, p: QPainter, axisSpec: Any, tickSpecs: Any, textSpecs: Any) -> None:
        if not self._filled:
            super().drawPicture(p, axisSpec, tickSpecs, textSpecs)  # type: ignore[misc]
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        pen, p1, p2 = axisSpec
        p.setPen(pen)
        p.drawLine(p1, p2)
        for pen, p1, p2 in tickSpecs:
            line = QLineF(p1, p2)
            if _fillable(pen, line):
                p.fillRect(_line_rect(line), pen.color())
            else:
                p.setPen(pen)
                p.drawLine(line)
        if self.style["tickFont"] is not None:  # type: ignore[attr-defined]
            p.setFont(self.style["tickFont"])  # type: ignore[attr-defined]
        p.setPen(self.textPen())  # type: ignore[attr-defined]
        p.setClipRect(self.boundingRect().toAlignedRect())  # type: ignore[attr-defined]
        for rect, flags, text in textSpecs:
            p.drawText(rect, int(flags), text)


class GridAxis(_FilledTicks, pg.AxisItem):
    """pyqtgraph's AxisItem, its grid drawn fast (see the module docstring)."""


class GridDateAxis(_FilledTicks, pg.DateAxisItem):
    """pyqtgraph's DateAxisItem, its grid drawn fast (see the module docstring)."""


_BREAKS = "_-/. "


def wrap_label(label: str, width: int) -> str:
    """``label`` on as many lines of at most ~``width`` characters as it needs, broken after
    ``_ - / .`` or a space where one is near, every character kept ("invalid_\noutput")."""
    lines: list[str] = []
    rest = label
    while len(rest) > width:
        cut = max((rest.rfind(c, 0, width) for c in _BREAKS), default=-1)
        cut = cut + 1 if cut >= width // 3 else width
        lines.append(rest[:cut].rstrip(" "))
        rest = rest[cut:].lstrip(" ")
    lines.append(rest)
    return "\n".join(lines)
