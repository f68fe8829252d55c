"""The frame every dashboard chart lives in: title, pyqtgraph plot, exact values on hover, a click
that asks for the requests behind a point, and PNG/CSV export.

Subclasses draw arrays and answer three questions in data coordinates: what is under (x, y)
(``describe``), which requests are behind it (``drill_at``), and the chart's data as a table
(``csv_table``). Lines are drawn with peak auto-downsampling and clip-to-view set through the
item's own setters: with pyqtgraph 0.14 + PySide6 6.12, passing them to ``PlotWidget.plot()`` as
keyword arguments raises AttributeError (tests/ui/test_dashboard_charts.py pins this).

Each series keeps its colour wherever it appears (``SeriesColours``: from a hash of its name, not
its place in today's data), the legend is a strip above the plot rather than a box over the data,
and a drag on the plot zooms into that rectangle (double-click: back to the whole range).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from console.core.csv_cells import write_rows
from console.ui.legend_strip import LegendStrip
from console.ui.pages.dashboard.markers import PolicyMarkers
from console.ui.pages.dashboard.query import Drill
from console.ui.plots import SERIES_COLOURS, GridAxis, GridDateAxis, SeriesColours, apply_palette, colour  # noqa: F401

#: the plot's share of a panel's asked-for height (pyqtgraph's own hint for a new plot)
PLOT_HEIGHT = 480


def fast_line(plot: pg.PlotItem, x: np.ndarray, y: np.ndarray, **style: Any) -> pg.PlotDataItem:
    """A line that pans smoothly at a million points (downsampling set through the item's setters)."""
    item = plot.plot(x, y, **style)
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    return item


def write_atomic(path: Path, write: Any) -> None:
    """Call ``write(temp_path)`` then move the result over ``path`` in one step."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(temp))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class ChartPanel(QFrame):
    """A titled chart with hover read-out, drill-down clicks and export.

    Signals:
        sig_drill_requested(object): a ``Drill`` for the requests behind the clicked point or bar.
    """

    sig_drill_requested = Signal(object)

    def __init__(self, title: str, *, time_axis: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chart-panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setObjectName("section-title")
        # The note (totals, how many pairs are drawn) has a line of its own under the title: beside it,
        # a long note ran into the title and the PNG/CSV buttons. One line always, so the panel's
        # height never follows it; a note longer than the panel is cut at its right edge.
        self.note = QLabel(" ")
        self.note.setObjectName("hint")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the grid
        self.hover = QLabel(" ")
        self.hover.setObjectName("hint")
        self.hover.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hover.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bottom = GridDateAxis() if time_axis else GridAxis("bottom")
        self.plot_widget = pg.PlotWidget(axisItems={"left": GridAxis("left"), "bottom": bottom})
        self.plot_widget.setMinimumHeight(170)
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        # The value axis learns its tick labels' width while painting; a narrower set (a filter
        # change from "$1,200" to "$40") shrank it and re-laid the plot out, so the chart was
        # painted a second time. It now keeps the widest width it has needed; wider labels still
        # widen it.
        self.plot.getAxis("left").setStyle(autoReduceTextSpace=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        # Drag draws a rectangle and zooms into it (Grafana's drag-to-zoom); the wheel does not
        # zoom, so scrolling the page over a chart scrolls the page. Double-click: whole range.
        self.plot.vb.setMouseMode(pg.ViewBox.RectMode)
        self.plot.vb.setMouseEnabled(x=time_axis, y=time_axis)
        self.plot.vb.wheelEvent = lambda event, *_a: event.ignore()  # type: ignore[method-assign]
        self.zoomed = False
        self.plot.vb.sigRangeChangedManually.connect(self._on_vb_range_changed_manually)
        self.colours = SeriesColours()
        # where the routing policy changed (time charts only; ``show_markers``)
        self.markers: PolicyMarkers | None = PolicyMarkers(self.plot) if time_axis else None
        self.legend = LegendStrip()
        self.png_button = self._tool_button("PNG", "Save this chart as a PNG image", self._on_png_button_clicked)
        self.csv_button = self._tool_button("CSV", "Save this chart's data as CSV", self._on_csv_button_clicked)
        self.header = QHBoxLayout()
        self.header.addWidget(self.title)
        self.header.addStretch(1)
        self.header.addWidget(self.png_button)
        self.header.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(self.header)
        layout.addWidget(self.note)
        layout.addWidget(self.legend)  # above the plot: in view whenever the chart's top is
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.hover)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # sizeHint's height
        scene = self.plot_widget.scene()
        scene.sigMouseMoved.connect(self._on_scene_mouse_moved)
        scene.sigMouseClicked.connect(self._on_scene_mouse_clicked)
        self._apply_palette()

    # --- size ---------------------------------------------------------------------------------
    # A panel is as tall as it asks to be, whatever its legend holds. A word-wrapped legend gains or
    # loses a line as series come and go; with the panel's height following it (height-for-width),
    # that line grew the grid's rows, so every chart of the page was resized and repainted, twice,
    # on a filter change that redrew one of them. The line now comes out of this chart's own plot.
    def sizeHint(self) -> QSize:
        # Made of parts whose hints do not follow the data: a plot's own hint follows its current
        # size, so a panel's hint built on it would carry a legend line from one redraw to the next.
        layout = self.layout()
        margins = layout.contentsMargins()
        height = (margins.top() + margins.bottom() + 2 * self.frameWidth() + 4 * layout.spacing()
                  + self.header.sizeHint().height() + self.note.sizeHint().height()
                  + self.fontMetrics().lineSpacing() + PLOT_HEIGHT + self.hover.sizeHint().height())
        return QSize(super().sizeHint().width(), height)

    def hasHeightForWidth(self) -> bool:
        return False  # see above: the legend wraps inside the panel's height, never grows it

    def _tool_button(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # --- what subclasses answer --------------------------------------------------------------
    def describe(self, x: float, y: float) -> str | None:
        """Exact values under data point (x, y), or None."""
        return None

    def drill_at(self, x: float, y: float) -> Drill | None:
        """The requests behind data point (x, y), or None."""
        return None

    def csv_table(self) -> tuple[Sequence[str], list[Sequence[Any]]]:
        return [], []

    # --- mouse -------------------------------------------------------------------------------
    def scene_pos(self, x: float, y: float) -> QPointF:
        """Where data point (x, y) is in the scene (tests click there)."""
        return self.plot.vb.mapViewToScene(QPointF(x, y))

    def widget_pos(self, x: float, y: float) -> Any:
        return self.plot_widget.mapFromScene(self.scene_pos(x, y))

    def _data_point(self, scene_pos: QPointF) -> tuple[float, float] | None:
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.vb.mapSceneToView(scene_pos)
        return point.x(), point.y()

    def _on_scene_mouse_moved(self, scene_pos: QPointF) -> None:
        point = self._data_point(scene_pos)
        text = self.describe(*point) if point else None
        self.hover.setText(text or " ")

    def _on_scene_mouse_clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if event.double():
            self.reset_zoom()
            return
        point = self._data_point(event.scenePos())
        drill = self.drill_at(*point) if point else None
        if drill is not None:
            self.sig_drill_requested.emit(drill)

    # --- export ------------------------------------------------------------------------------
    def export_png(self, path: Path) -> None:
        exporter = ImageExporter(self.plot)
        exporter.parameters()["width"] = max(800, int(self.plot.sceneBoundingRect().width()) * 2)
        write_atomic(Path(path), lambda temp: exporter.export(str(temp)))

    def export_csv(self, path: Path) -> None:
        header, rows = self.csv_table()

        def write(temp: Path) -> None:
            with temp.open("w", newline="", encoding="utf-8") as handle:
                # model and task names come from imported files: formulas are neutralised
                write_rows(handle, header, rows)

        write_atomic(Path(path), write)

    def _slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.text().lower().replace("<b>", "")
                       .replace("</b>", "")).strip("-")

    def _on_png_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart as PNG", f"{self._slug()}.png", "PNG image (*.png)")
        if path:
            self.export_png(Path(path))

    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart data as CSV", f"{self._slug()}.csv", "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))

    # --- theme -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        self.plot_widget.setPalette(self.palette())
        apply_palette(self.plot_widget)
        if self.markers is not None:
            self.markers.set_palette(self.palette())
        self.on_palette_changed()

    def on_palette_changed(self) -> None:
        """Subclasses re-colour what they drew in the palette's colours (projection outlines, notes)."""

    def show_markers(self, changes: Sequence[Any]) -> None:
        """Mark where the routing policy changed (``PolicyChange`` rows, from the data worker)."""
        if self.markers is not None:
            self.markers.show(changes)

    def set_legend(self, entries: Sequence[tuple[str, QColor]], glyph: str = "■") -> None:
        """Show ``entries`` (name, colour) in the legend strip above the plot.

        A legend with another number of lines gives the plot another height: the panel is laid
        out now, so the plot's new size is known before its range is settled and it is painted
        once, rather than painted, resized by the queued layout, and painted again."""
        if self.legend.show_entries(entries, glyph):
            layout = self.layout()
            if layout is not None and self.isVisible():
                layout.activate()

    # --- zoom --------------------------------------------------------------------------------
    def _on_vb_range_changed_manually(self, _mask: Any) -> None:
        self.zoomed = True

    def reset_zoom(self) -> None:
        """Back to what the last redraw showed."""
        self.zoomed = False
        self.redraw_range()

    def show_range(self, x: tuple[float, float] | None, y: tuple[float, float]) -> None:
        """The range a redraw wants (x None: fit the data); kept while the operator is zoomed in."""
        self._full_range = (x, y)
        if not self.zoomed:
            self.redraw_range()

    def redraw_range(self) -> None:
        x, y = getattr(self, "_full_range", (None, (0.0, 1.0)))
        if x is None:
            self.plot.enableAutoRange(axis="x")
        else:
            self.plot.setXRange(*x, padding=0)
        self.plot.setYRange(*y, padding=0)
        self.settle()

    def settle(self) -> None:
        """Apply the range and auto-range now rather than in the next paint.

        pyqtgraph defers them to the scene's pre-paint step; changes made there land after the
        paint has picked its region, so the chart is painted a second time."""
        self.plot.vb.prepareForPaint()


def bucket_label(start: float, seconds: int) -> str:
    from datetime import datetime

    moment = datetime.fromtimestamp(start)
    if seconds < 3600:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.strftime("%Y-%m-%d %H:00") if seconds < 86400 else moment.strftime("%Y-%m-%d")


def nearest_index(values: np.ndarray, x: float) -> int | None:
    if len(values) == 0:
        return None
    return int(np.argmin(np.abs(values - x)))
