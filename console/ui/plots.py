"""Small pyqtgraph helpers shared by the window's pages."""

from __future__ import annotations

import pyqtgraph as pg


def still_plot(title: str, unit: str) -> pg.PlotWidget:
    """A chart for a handful of bars or points: no pan/zoom or context menu, light grid, themed background."""
    plot = pg.PlotWidget(title=title)
    plot.setBackground(None)
    plot.setLabel("left", unit)
    plot.showGrid(y=True, alpha=0.25)
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    return plot
