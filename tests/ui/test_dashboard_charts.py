"""Dashboard parts on their own: the pyqtgraph/PySide6 pair the charts rely on, the None refcount
guard, item models under qtmodeltester, and PNG/CSV export."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from console.core.ledger.bulk import write_records
from console.core.ledger.drift import detect_drift
from console.core.ledger.filters import Filters
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import generate

END = 1_790_000_000.0


def test_pyqtgraph_and_pyside6_are_the_pinned_pair() -> None:
    # The downsampling findings below were measured on exactly this pair; move them together.
    assert (version("pyqtgraph"), version("PySide6")) == ("0.14.0", "6.11.3")


def test_million_point_lines_get_peak_downsampling_and_clip_to_view(qtbot: Any) -> None:
    import pyqtgraph as pg

    from console.ui.pages.dashboard.chart_panel import fast_line

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    x = np.arange(1_000_000, dtype=float)
    item = fast_line(widget.getPlotItem(), x, np.sin(x / 1000))
    assert item.opts["autoDownsample"] is True and item.opts["downsampleMethod"] == "peak"
    assert item.opts["clipToView"] is True
    # The keyword form fails on this pair; if this starts passing, the pin can move.
    with pytest.raises(AttributeError):
        widget.plot(x[:10], x[:10], autoDownsample=True, downsampleMethod="peak", clipToView=True)


def test_a_repainting_window_survives_thousands_of_paints() -> None:
    # PySide6 6.12.0 on CPython 3.11 leaks one reference to None per Python override call that returns
    # None (paintEvent, data, fetchMore...): after ~5,000 paints the process dies with "none_dealloc".
    # That is why PySide6 is pinned to 6.11.3; this fails if an upgrade brings the leak back.
    script = textwrap.dedent("""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication, QWidget
        app = QApplication([])
        class Painted(QWidget):
            def paintEvent(self, event):
                pass
        widget = Painted()
        widget.show()
        before = sys.getrefcount(None)
        for _ in range(8000):
            widget.repaint()
        print("alive", sys.getrefcount(None) - before)
    """)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    alive, leaked = done.stdout.split()
    assert alive == "alive" and abs(int(leaked)) < 100


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('charts') / 'log.sqlite3'}"
    db = open_ledger(url)
    write_records(db, generate(1500, days=8, seed=3, end=END, spike=("support", "gpt-mini")))
    db.dispose()
    return url


def test_item_models_pass_qtmodeltester(qtbot: Any, qtmodeltester: Any, small_log: str) -> None:
    from console.ui.pages.dashboard.drift_list import DriftModel
    from console.ui.pages.dashboard.query import Drill
    from console.ui.pages.dashboard.requests_model import RequestsModel
    from console.ui.pages.dashboard.requests_panel import RequestsPanel

    db = open_ledger(small_log)

    def run_now(func: Any, on_done: Any, on_failed: Any, *args: Any) -> None:
        on_done(func(*args))  # synchronous stand-in for the bridge, so the tester sees real pages

    drift = DriftModel()
    drift.set_flags(detect_drift(db, now=END))
    assert drift.rowCount() > 0
    qtmodeltester.check(drift, force_py=True)
    requests = RequestsModel(run_now)
    requests.show_requests(db, Drill("all", Filters(since=END - 2 * 86400, until=END)))
    assert requests.rowCount() == 200 and requests.canFetchMore()
    qtmodeltester.check(requests, force_py=True)  # the tester fetches more pages too
    while requests.canFetchMore():
        requests.fetchMore()
    ids = [c.request["request_id"] for c in requests.chains]
    assert len(ids) == len(set(ids)) > 300
    panel = RequestsPanel(run_now)
    qtbot.addWidget(panel)
    panel.show_drill(db, Drill("failed", Filters(since=END - 2 * 86400, until=END), failed_only=True))
    panel.view.sortByColumn(6, panel.view.horizontalHeader().sortIndicatorOrder())
    qtmodeltester.check(panel.proxy, force_py=True)
    panel.search.setText("gpt-mini")
    assert 0 < panel.proxy.rowCount() <= panel.model.rowCount()
    db.dispose()


def test_a_sorted_requests_table_makes_each_rows_text_once(qtbot: Any, small_log: str, monkeypatch: Any) -> None:
    """The proxy's sort asks for cells again and again as a page lands; each row's attempt-chain
    text (and date) is made once, not on every ask, and still reads what the chain holds."""
    from console.ui.pages.dashboard import requests_model
    from console.ui.pages.dashboard.query import Drill
    from console.ui.pages.dashboard.requests_model import SORT_ROLE
    from console.ui.pages.dashboard.requests_panel import RequestsPanel

    db = open_ledger(small_log)
    made: list[int] = []
    real = requests_model.chain_text
    monkeypatch.setattr(requests_model, "chain_text", lambda chain: (made.append(1), real(chain))[1])
    panel = RequestsPanel(lambda func, on_done, on_failed, *args: on_done(func(*args)))
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    panel.show_drill(db, Drill("all", Filters(since=END - 2 * 86400, until=END)))
    for column in (5, 0, 6):  # by chain text, time and cost: each sort asks every row many times
        panel.view.sortByColumn(column, panel.view.horizontalHeader().sortIndicatorOrder())
    qtbot.wait(20)
    model = panel.model
    assert model.rowCount() == 200 and len(made) == 200
    for row in (0, 117, 199):
        chain = model.chains[row]
        assert model.data(model.index(row, 5)) == real(chain) == model.data(model.index(row, 5), SORT_ROLE)
        assert model.data(model.index(row, 0), SORT_ROLE) == chain.request["ts"]
    db.dispose()


def test_charts_export_png_and_csv(qtbot: Any, tmp_path: Path, small_log: str) -> None:
    from PySide6.QtGui import QImage

    from console.core.ledger.series import attempt_sums
    from console.ui.pages.dashboard.spend_chart import SpendChart

    db = open_ledger(small_log)
    filters = Filters(since=END - 8 * 86400, until=END)
    series = attempt_sums(db, filters).spend()
    db.dispose()
    chart = SpendChart()
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.show()
    chart.show_spend(series, "model", filters, END)
    chart.export_png(tmp_path / "spend.png")
    image = QImage(str(tmp_path / "spend.png"))
    assert not image.isNull() and image.width() >= 800
    chart.export_csv(tmp_path / "spend.csv")
    with (tmp_path / "spend.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["bucket", *series.keys] and len(rows) == len(series.bucket_starts) + 1
    assert sum(float(v) for row in rows[1:] for v in row[1:]) == pytest.approx(series.total, abs=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spend.csv", "spend.png"]  # no temp files left


def test_grid_axes_paint_exactly_the_pixels_pyqtgraph_paints(qtbot: Any) -> None:
    import pyqtgraph as pg

    from console.ui.plots import GridAxis, GridDateAxis

    rng = np.random.default_rng(7)
    x = END - 86400 * np.arange(200, 0, -1, dtype=float)
    y = rng.random(200) * 37.3
    images = []
    for axes in ({"bottom": pg.DateAxisItem()}, {"left": GridAxis("left"), "bottom": GridDateAxis()}):
        widget = pg.PlotWidget(axisItems=axes)
        qtbot.addWidget(widget)
        widget.resize(640, 260)
        widget.showGrid(x=True, y=True, alpha=0.25)
        widget.getPlotItem().getAxis("left").setPen(pg.mkPen("#334455"))
        widget.plot(x, y, pen=pg.mkPen("#4e79a7", width=2))
        widget.show()
        qtbot.waitExposed(widget)
        images.append(widget.grab().toImage())
    assert all(ax._filled for ax in (axes["left"], axes["bottom"]))  # the fast path drew them
    assert images[0] == images[1]


def test_charts_redraw_by_updating_their_items_not_rebuilding_them(qtbot: Any) -> None:
    from console.core.ledger.series import RateSeries, StackedSeries
    from console.ui.pages.dashboard.rate_chart import RateChart
    from console.ui.pages.dashboard.spend_chart import SpendChart

    starts = END - 86400 * np.arange(10, 0, -1, dtype=float)
    spend = SpendChart()
    qtbot.addWidget(spend)

    def stacked(keys: list[str]) -> StackedSeries:
        return StackedSeries(starts, keys, np.ones((10, len(keys))), 86400)

    spend.show_spend(stacked(["a", "b", "c"]), "model", Filters(since=starts[0], until=END), END)
    bars, labels = list(spend.bars), spend.legend.names
    spend.show_spend(stacked(["a", "b", "c"]), "model", Filters(since=starts[0], until=END), END)
    assert spend.bars == bars and spend.legend.names == labels  # same items, no rebuild
    spend.show_spend(stacked(["a", "b"]), "model", Filters(since=starts[0], until=END), END)
    assert spend.legend.names == ["a", "b"] and not bars[2].isVisible()
    assert spend.drawn_total() == pytest.approx(20.0)
    spend.show_spend(stacked(["x", "y", "z"]), "model", Filters(since=starts[0], until=END), END)
    assert spend.bars == bars and all(bar.isVisible() for bar in bars)
    assert spend.legend.names == ["x", "y", "z"]

    rates = RateChart("Failure rate", "failure")
    qtbot.addWidget(rates)
    trials = np.full((10, 2), 50)
    events = np.arange(20).reshape(10, 2) % 7
    series = RateSeries(starts, [("support", "gpt-mini"), ("code", "claude")], trials, events, 86400)
    rates.show_rates(series, Filters())
    labels = rates.legend.names
    rates.show_rates(series, Filters())
    assert rates.legend.names == labels
    line, band = rates._pool[0]
    assert band.isVisible() and band.path().elementCount() == 2 * 10  # along the low edge and back along the high
    assert rates.lines[series.keys[rates.shown[0]]] is line  # the top pair's line is the first pooled one


def test_chart_csv_neutralises_formula_names(qtbot: Any, tmp_path: Path) -> None:
    # Model names come from imported files: one shaped as a formula must not run in a spreadsheet
    # (OWASP CSV injection; console/core/csv_cells.py).
    from datetime import datetime, timezone

    from console.core.ledger.series import attempt_sums
    from console.core.outcomes import Outcome
    from console.core.records import AttemptRecord, RequestRecord
    from console.ui.pages.dashboard.spend_chart import SpendChart

    url = f"sqlite:///{tmp_path / 'formula.sqlite3'}"
    db = open_ledger(url)
    when = datetime.fromtimestamp(END - 3600, tz=timezone.utc)
    records = [
        RequestRecord(request_id=f"f{i}", started_at=when, policy_name="p", policy_hash="h", task="support",
                      task_reason="rule", outcome=Outcome.OK, answered_by=name,
                      attempts=[AttemptRecord(0, name, "imported", name, Outcome.OK, started_at=when, cost_usd=0.5)])
        for i, name in enumerate(["=HYPERLINK(\"http://evil.example\")", "@SUM(1)", "gpt-mini"])
    ]
    write_records(db, records)
    filters = Filters(since=END - 86400, until=END)
    series = attempt_sums(db, filters).spend()
    db.dispose()
    chart = SpendChart()
    qtbot.addWidget(chart)
    chart.show_spend(series, "model", filters, END)
    chart.export_csv(tmp_path / "spend.csv")
    with (tmp_path / "spend.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert sorted(header[1:]) == sorted(["'=HYPERLINK(\"http://evil.example\")", "'@SUM(1)", "gpt-mini"])
