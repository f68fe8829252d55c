"""Charts an operator can read precisely: stable colours, ticks written for people, limits that
do not crush the data, buckets that fit the range, whole labels, drag to zoom, theme switches."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import QApplication

from console.core.ledger.filters import Filters
from console.core.ledger.series import StackedSeries
from console.core.policy.schema import Budget
from console.ui.units import count_ticks, money, money_ticks, percent_ticks

END = 1_790_000_000.0
DAY = 86400


def _stacked(keys: list[str], per_day: float = 1.0, days: int = 10, seconds: int = DAY) -> StackedSeries:
    starts = END - seconds * np.arange(days, 0, -1, dtype=float)
    return StackedSeries(starts, keys, np.full((days, len(keys)), per_day / max(len(keys), 1)), seconds)


def _brush(bar: Any) -> str:
    return bar.opts["brush"].name()


def test_a_series_keeps_its_colour_whatever_else_is_shown(qtbot: Any) -> None:
    from console.ui.pages.dashboard.spend_chart import SpendChart

    chart = SpendChart()
    qtbot.addWidget(chart)
    f = Filters(since=END - 10 * DAY, until=END)
    chart.show_spend(_stacked(["claude", "gpt-mini", "llama-local"]), "model", f, END)
    first = {key: _brush(bar) for key, bar in zip(chart.series.keys, chart.bars)}  # type: ignore[union-attr]
    assert len(set(first.values())) == 3  # distinct while shown together
    for keys in (["llama-local"], ["gpt-mini", "llama-local", "zeta"], ["claude", "llama-local"]):
        chart.show_spend(_stacked(keys), "model", f, END)
        for key, bar in zip(keys, chart.bars):
            if key in first:
                assert _brush(bar) == first[key], f"{key} changed colour when the shown series changed"
    # Another chart, series arriving in another order: the same colours (from the name, not the order).
    other = SpendChart()
    qtbot.addWidget(other)
    other.show_spend(_stacked(["llama-local", "gpt-mini", "claude"]), "model", f, END)
    assert {k: _brush(b) for k, b in zip(other.series.keys, other.bars)} == first  # type: ignore[union-attr]
    assert [name for name, _c in chart.legend.entries] == ["claude", "llama-local"]


def test_ticks_are_written_for_people_without_si_prefixes(qtbot: Any) -> None:
    assert money_ticks([0, 0.0005, 0.001], 0.0005) == ["$0", "$0.0005", "$0.0010"]
    assert money_ticks([0, 5000, 10000], 5000) == ["$0", "$5k", "$10k"]
    assert count_ticks([0, 1000, 1500], 500) == ["0", "1,000", "1,500"]
    assert count_ticks([0, 250_000, 500_000], 250_000) == ["0", "250k", "500k"]
    assert percent_ticks([0, 2.5, 5], 2.5) == ["0.0%", "2.5%", "5.0%"]
    assert (money(0.0012), money(0.35), money(1234), money(0)) == ("$0.0012", "$0.35", "$1.2k", "$0")

    from console.ui.pages.compare.chart import CostLatencyChart
    from console.ui.pages.dashboard.spend_chart import SpendChart

    spend = SpendChart()
    qtbot.addWidget(spend)
    spend.resize(600, 300)
    spend.show()
    spend.show_spend(_stacked(["a", "b"], per_day=0.0031), "model", Filters(since=END - 10 * DAY, until=END), END)
    compare = CostLatencyChart()
    qtbot.addWidget(compare)
    compare.resize(700, 300)
    compare.show()
    compare.show_columns(["a", "b"], [0.000012, 0.000034], [0.8, 1.2], [None, None], [True, True])
    for axis in (spend.plot.getAxis("left"), compare.cost_plot.getPlotItem().getAxis("left"),
                 compare.latency_plot.getPlotItem().getAxis("left")):
        spend.grab()
        compare.grab()  # paint: the axes pick their ticks
        specs = axis.tickValues(*axis.range, axis.size().height())
        values = [v for _spacing, vs in specs for v in vs]
        spacing = specs[-1][0]
        strings = axis.tickStrings(values, 1.0, spacing)
        assert strings and not any("e-" in s or "(x" in s for s in strings)
        assert "(x" not in axis.labelString() and "x1e" not in axis.labelString()
    money_axis = spend.plot.getAxis("left")
    specs = money_axis.tickValues(*money_axis.range, money_axis.size().height())
    strings = money_axis.tickStrings([v for _s, vs in specs for v in vs], 1.0, specs[-1][0])
    assert all(s.startswith("$") for s in strings) and len(set(strings)) == len(strings)


def test_a_budget_far_above_the_bars_is_noted_not_drawn_to_scale(qtbot: Any) -> None:
    from console.ui.pages.dashboard.spend_chart import SpendChart

    chart = SpendChart()
    qtbot.addWidget(chart)
    f = Filters(since=END - 10 * DAY, until=END)
    chart.show_spend(_stacked(["claude"], per_day=1.0), "model", f, END,
                     [Budget(name="daily", period="day", limit_usd=50.0)])
    top = chart.plot.vb.viewRange()[1][1]
    assert top < 2.0, "the $50 ceiling stretched the axis and flattened the $1 bars"
    assert chart.off_scale.isVisible() and "$50.00 per day" in chart.off_scale.textItem.toPlainText()
    assert not chart._ceiling_lines
    # A ceiling near the bars is a line on the chart, within the range.
    chart.show_spend(_stacked(["claude"], per_day=1.0), "model", f, END,
                     [Budget(name="daily", period="day", limit_usd=1.5)])
    assert not chart.off_scale.isVisible() and len(chart._ceiling_lines) == 1
    assert chart.plot.vb.viewRange()[1][1] >= 1.5


def test_only_live_production_traffic_gets_a_projection(qtbot: Any) -> None:
    from console.ui.pages.dashboard.spend_chart import SpendChart

    chart = SpendChart()
    qtbot.addWidget(chart)
    now = END - DAY / 2  # half-way through the last bucket
    for kind, projected in (("production", True), ("imported", False), ("pilot", False)):
        chart.show_spend(_stacked(["claude"]), "model", Filters(since=END - 10 * DAY, until=now, kind=kind), now)
        assert (chart.projection is not None) is projected, kind


def test_buckets_fit_the_range() -> None:
    from console.ui.pages.dashboard.query import DashboardQuery

    now = END
    for seconds, bucket in ((3600, "5min"), (8 * 3600, "15min"), (DAY, "hour"), (30 * DAY, "day")):
        query = DashboardQuery(relative_seconds=seconds).moved_to(now)
        assert query.bucket == bucket
    from console.ui.pages.dashboard.spend_chart import bucket_words

    assert bucket_words(300) == "5-minute" and bucket_words(3600) == "hour"


def test_category_labels_wrap_instead_of_being_cut(qtbot: Any) -> None:
    from console.ui.pages.dashboard.breakdowns import outcome_chart

    chart = outcome_chart()
    qtbot.addWidget(chart)
    chart.resize(420, 300)
    labels = ["invalid_output", "rate_limited", "provider_error", "context_length_exceeded", "timeout"]
    chart.show_bars(labels, [("attempts", [5, 4, 3, 2, 1])], [None] * 5)
    ticks = chart.plot.getAxis("bottom")._tickLevels[0]
    assert [text.replace("\n", "") for _x, text in ticks] == labels
    assert not any("…" in text for _x, text in ticks)
    assert any("\n" in text for _x, text in ticks)  # at least one had to wrap in 420 px


def _drag(widget: Any, start: QPointF, end: QPointF) -> None:
    viewport = widget.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseButtonPress, start, start, left, left,
                                                 Qt.KeyboardModifier.NoModifier))
    steps = 6
    for n in range(1, steps + 1):
        point = start + (end - start) * (n / steps)
        QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseMove, point, point, none, left,
                                                     Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseButtonRelease, end, end, left, none,
                                                 Qt.KeyboardModifier.NoModifier))


def test_drag_zooms_in_and_a_live_refresh_keeps_the_zoom(qtbot: Any) -> None:
    from console.ui.pages.dashboard.spend_chart import SpendChart

    chart = SpendChart()
    qtbot.addWidget(chart)
    chart.resize(700, 320)
    chart.show()
    qtbot.waitExposed(chart)
    f = Filters(since=END - 10 * DAY, until=END)
    chart.show_spend(_stacked(["claude", "gpt"]), "model", f, END)
    whole = chart.plot.vb.viewRange()[0]
    a = chart.widget_pos(END - 8 * DAY, 0.9)
    b = chart.widget_pos(END - 5 * DAY, 0.1)
    _drag(chart.plot_widget, QPointF(a), QPointF(b))
    zoomed = chart.plot.vb.viewRange()[0]
    assert chart.zoomed and zoomed[1] - zoomed[0] < (whole[1] - whole[0]) * 0.5
    chart.show_spend(_stacked(["claude", "gpt"]), "model", f, END)  # new traffic arrives
    assert chart.plot.vb.viewRange()[0] == pytest.approx(zoomed)
    chart.reset_zoom()
    assert chart.plot.vb.viewRange()[0][1] - chart.plot.vb.viewRange()[0][0] > (zoomed[1] - zoomed[0]) * 2


@pytest.fixture
def restore_theme() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet, style = app.palette(), app.styleSheet(), app.style().name()
    yield app
    app.setStyle(style)
    app.setPalette(palette)
    app.setStyleSheet(sheet)


def test_switching_theme_while_running_keeps_chart_text_readable(qtbot: Any, restore_theme: QApplication) -> None:
    from console.ui.pages.dashboard.spend_chart import SpendChart
    from console.ui.pages.pilot.charts import PilotCharts
    from console.ui.theme import apply_theme

    apply_theme(restore_theme, dark=False)
    spend = SpendChart()
    pilot = PilotCharts()
    for widget in (spend, pilot):
        qtbot.addWidget(widget)
        widget.show()
    spend.show_spend(_stacked(["claude"]), "model", Filters(since=END - 10 * DAY, until=END), END)
    summary = SimpleNamespace(model="openai/gpt-mini", pass_rate=0.8, ci_low=0.7, ci_high=0.9, cost_per_1k_usd=0.42)
    pilot.show_summaries([summary])
    for dark in (True, False, True):
        apply_theme(restore_theme, dark=dark)
        qtbot.wait(10)
        text = restore_theme.palette().color(QPalette.ColorRole.Text)
        base = restore_theme.palette().color(QPalette.ColorRole.Base)
        assert abs(text.lightness() - base.lightness()) > 100  # the theme itself is readable
        plots = [spend.plot_widget, pilot.pass_plot, pilot.cost_plot]
        for plot in plots:
            for side in ("left", "bottom"):
                assert plot.getPlotItem().getAxis(side).textPen().color() == text, (dark, side)
            assert plot.backgroundBrush().color() == base
        labels = [item for item in pilot.pass_plot.getPlotItem().vb.addedItems if hasattr(item, "follows_palette")]
        assert labels and all(label.color == text for label in labels)
