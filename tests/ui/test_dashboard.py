"""The dashboards page over a log of known synthetic traffic: what is drawn equals what was generated,
a planted failure spike raises a drift alert, and clicks reach the requests behind charts and alerts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt

from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import TrafficTotals, generate
from console.core.records import RequestRecord

END = 1_790_000_000.0 + 1234.5  # the log's "now": fixed, so range presets are deterministic
SPIKE = ("support", "gpt-mini")


class Log:
    def __init__(self, url: str, totals: TrafficTotals, records: list[RequestRecord]) -> None:
        self.url, self.totals, self.records = url, totals, records


@pytest.fixture(scope="module")
def traffic_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    path = tmp_path_factory.mktemp("dash") / "log.sqlite3"
    totals = TrafficTotals()
    records = list(generate(3000, days=9, seed=5, end=END, totals=totals, spike=SPIKE, spike_hours=20))
    db = open_ledger(f"sqlite:///{path}")
    write_records(db, records)
    db.dispose()
    yield Log(f"sqlite:///{path}", totals, records)


def open_page(qtbot: Any, bridge: Any, url: str, *, clock: float = END + 60) -> Any:
    from console.ui.pages.dashboard.page import DashboardPage

    page = DashboardPage(bridge, log_url=url, clock=lambda: clock)
    qtbot.addWidget(page)
    page.resize(1300, 900)
    page.show()
    return page


def wait_drawn(qtbot: Any, page: Any, action: Any = None) -> None:
    with qtbot.waitSignal(page.sig_dashboard_drawn, timeout=20000):
        if action is not None:
            action()


def wait_rows(qtbot: Any, page: Any) -> list[Any]:
    """Every row of the requests table, fetching pages until there are no more."""
    model = page.requests.model
    qtbot.waitUntil(lambda: not model.loading, timeout=10000)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.loading, timeout=10000)
    return list(model.chains)


@pytest.fixture
def page(qtbot: Any, bridge: Any, traffic_log: Log) -> Iterator[Any]:
    page = open_page(qtbot, bridge, traffic_log.url)
    with qtbot.waitSignal(page.sig_dashboard_drawn, timeout=20000):
        pass
    yield page
    page.shutdown()


def test_totals_drawn_equal_totals_generated(qtbot: Any, page: Any, traffic_log: Log) -> None:
    expected = traffic_log.totals.kinds["production"]
    assert page.spend.drawn_total() == pytest.approx(expected.cost_usd, abs=1e-9)
    failures = page.failures.series
    assert (failures.trials.sum(), failures.events.sum()) == (expected.attempts, expected.failed_attempts)
    for (task, model), (attempts, failed) in expected.by_task_model.items():
        j = failures.keys.index((task, model))
        assert (failures.trials[:, j].sum(), failures.events[:, j].sum()) == (attempts, failed)
    fallbacks = page.fallbacks.series
    assert (fallbacks.trials.sum(), fallbacks.events.sum()) == (expected.requests, expected.fallbacks)
    assert f"{expected.requests:,} requests" in page.summary.text()
    # Drawn line data is the rate the series holds (read back from the plot item).
    line = page.failures.lines[SPIKE]
    _x, y = line.getData()
    rates = failures.rates()[:, failures.keys.index(SPIKE)] * 100
    np.testing.assert_allclose(y, rates[~np.isnan(rates)])

    wait_drawn(qtbot, page, lambda: page.filters_bar.set_filter("kind", "pilot"))
    pilot = traffic_log.totals.kinds["pilot"]
    assert page.spend.drawn_total() == pytest.approx(pilot.cost_usd, abs=1e-9)
    assert page.failures.series.trials.sum() == pilot.attempts

    with qtbot.waitSignal(page.sig_dashboard_drawn, timeout=20000):
        page.spend.split.setCurrentIndex(page.spend.split.findData("team"))
    assert sorted(page.spend.series.keys) == ["growth", "platform", "research", "support-ops"]
    assert page.spend.drawn_total() == pytest.approx(pilot.cost_usd, abs=1e-9)


def test_planted_spike_raises_a_drift_alert_that_opens_its_chart_and_requests(qtbot: Any, page: Any,
                                                                              traffic_log: Log) -> None:
    qtbot.waitUntil(lambda: page.drift.model.rowCount() > 0, timeout=10000)
    flags = page.drift.model.alerts
    row = next(i for i, f in enumerate(flags) if (f.task, f.model, f.metric) == (*SPIKE, "failure_rate"))
    flag = flags[row]
    assert flag.recent_value > 0.3 > 0.1 > flag.baseline_value and flag.p_value < flag.threshold
    rect = page.drift.view.visualRect(page.drift.model.index(row, 0))
    with qtbot.waitSignal(page.sig_drill_opened, timeout=5000):
        qtbot.mouseClick(page.drift.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.failures.focus == SPIKE
    chains = wait_rows(qtbot, page)
    since, until = flag.recent_window
    planted = {r.request_id for r in traffic_log.records if r.kind == "production" and r.task == SPIKE[0] and any(
        a.model_alias == SPIKE[1] and a.outcome.value != "ok" and since <= a.started_at.timestamp() < until
        for a in r.attempts)}
    assert {c.request["request_id"] for c in chains} == planted
    assert len(planted) > 50


def test_clicking_a_spend_bar_opens_exactly_its_requests(qtbot: Any, page: Any, traffic_log: Log,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("console.ui.pages.dashboard.requests_model.PAGE_SIZE", 10)
    series = page.spend.series
    i = len(series.bucket_starts) - 3  # a whole day
    j = series.keys.index("claude")
    x = float(series.bucket_starts[i]) + series.bucket_seconds / 2
    y = float(series.values[i, :j].sum() + series.values[i, j] / 2)
    with qtbot.waitSignal(page.sig_drill_opened, timeout=5000) as opened:
        qtbot.mouseClick(page.spend.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                         pos=page.spend.widget_pos(x, y))
    drill = opened.args[0]
    assert drill.filters.model == "claude"
    start = float(series.bucket_starts[i])
    chains = wait_rows(qtbot, page)
    expected = {r.request_id for r in traffic_log.records if r.kind == "production" and any(
        a.model_alias == "claude" and start <= a.started_at.timestamp() < start + 86400 for a in r.attempts)}
    assert len(expected) > 30  # several pages: the table had to fetch more
    assert {c.request["request_id"] for c in chains} == expected
    cost = sum(a["cost_usd"] for c in chains for a in c.attempts
               if a["model_alias"] == "claude" and start <= a["ts"] < start + 86400)
    assert cost == pytest.approx(series.values[i, j], abs=1e-9)
    # The chain column shows every attempt; the detail pane the whole chain.
    page.requests.view.selectRow(0)
    assert "#1" in page.requests.detail.toPlainText()


def test_clicking_an_outcome_bar_opens_failed_attempts_with_that_outcome(qtbot: Any, page: Any) -> None:
    chart = page.outcomes
    x, y = chart.bar_centre("timeout")
    with qtbot.waitSignal(page.sig_drill_opened, timeout=5000) as opened:
        qtbot.mouseClick(chart.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=chart.widget_pos(x, y))
    window = opened.args[0].filters
    chains = wait_rows(qtbot, page)
    timeouts = [a for c in chains for a in c.attempts
                if a["outcome"] == "timeout" and window.since <= a["ts"] < window.until]
    assert chains and all(any(a["outcome"] == "timeout" for a in c.attempts) for c in chains)
    assert len(timeouts) == int(chart.groups[0][1][chart.labels.index("timeout")])


def test_hover_shows_exact_values(page: Any) -> None:
    series = page.spend.series
    i, j = 2, 0
    pos = page.spend.scene_pos(float(series.bucket_starts[i]) + 3600, float(series.values[i, 0]) / 2)
    page.spend._on_scene_mouse_moved(pos)
    assert f"{series.keys[j]}: ${series.values[i, j]:,.4f}" in page.spend.hover.text()


def test_live_traffic_appears_without_a_refresh(qtbot: Any, bridge: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    db = open_ledger(url)
    first = TrafficTotals()
    write_records(db, generate(300, days=2, seed=1, end=END - 3600, totals=first))
    page = open_page(qtbot, bridge, url)
    wait_drawn(qtbot, page)
    assert page.spend.drawn_total() == pytest.approx(first.kinds["production"].cost_usd, abs=1e-9)
    more = TrafficTotals()
    write_records(db, generate(50, days=0.01, seed=2, end=END, totals=more))
    db.dispose()
    wait_drawn(qtbot, page, page.data.poll_now)
    total = first.kinds["production"].cost_usd + more.kinds["production"].cost_usd
    assert page.spend.drawn_total() == pytest.approx(total, abs=1e-9)
    drawn = []
    page.sig_dashboard_drawn.connect(drawn.append)
    page.data.poll_now()  # nothing new: nothing is redrawn
    qtbot.wait(300)
    assert drawn == []
    page.shutdown()


def test_empty_log_offers_demo_traffic_in_a_separate_log(qtbot: Any, bridge: Any, tmp_path: Path,
                                                         private_home: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    page = open_page(qtbot, bridge, url, clock=END)
    qtbot.waitUntil(lambda: page.data.db is not None, timeout=10000)
    assert page.stack.currentIndex() == 0 and "empty" in page.empty.message.text()
    with qtbot.waitSignal(page.sig_dashboard_drawn, timeout=30000):
        page.empty.generate_demo(requests=400, end=END)
    assert page.stack.currentIndex() == 1 and page.banner.isVisible()
    assert page.data.url == f"sqlite:///{private_home / 'routedesk-demo-log.sqlite3'}"
    assert page.spend.drawn_total() > 0
    db = open_ledger(url)
    with db.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM request").scalar() == 0  # the real log is untouched
    db.dispose()
    page.shutdown()


def test_custom_range_and_filters_narrow_every_chart(qtbot: Any, page: Any, traffic_log: Log) -> None:
    since, until = END - 3 * 86400, END - 86400
    wait_drawn(qtbot, page, lambda: page.filters_bar.set_custom_range(since, until))
    assert page.query.bucket == "hour"
    wait_drawn(qtbot, page, lambda: page.filters_bar.set_filter("team", "growth"))
    expected = sum(a.cost_usd for r in traffic_log.records if r.kind == "production" and r.metadata["team"] == "growth"
                   for a in r.attempts if since <= a.started_at.timestamp() < until)
    assert page.spend.drawn_total() == pytest.approx(expected, abs=1e-9)
    chains = wait_rows(qtbot, page)
    assert chains and all(c.request["team"] == "growth" for c in chains)


def test_a_legend_that_wraps_resizes_only_its_own_plot(qtbot: Any, page: Any) -> None:
    """A redraw that gives one chart's legend more lines takes them from that chart's plot: the
    grid's rows, and so every other chart, keep their size (a resized plot is repainted)."""
    from PySide6.QtGui import QColor

    def sizes() -> dict[str, tuple[int, int]]:
        return {c.title.text(): (c.plot_widget.width(), c.plot_widget.height()) for c in page.charts}

    def settle() -> None:
        for _ in range(5):
            qtbot.wait(20)

    settle()
    before, panel = sizes(), page.failures.height()
    names = [f"task-{n} · a-rather-long-model-name-{n}" for n in range(24)]
    page.failures.set_legend([(name, QColor("red")) for name in names])  # many lines at any width
    # laid out at once, before the chart settles its range and paints (not by a queued layout)
    assert page.failures.plot_widget.height() < before[page.failures.title.text()][1]
    settle()
    after = sizes()
    title = page.failures.title.text()
    assert page.failures.legend.height() > 3 * page.failures.fontMetrics().lineSpacing()
    assert page.failures.height() == panel
    assert after[title][1] < before[title][1]
    assert {k: v for k, v in after.items() if k != title} == {k: v for k, v in before.items() if k != title}


def test_sections_are_read_two_at_a_time_and_all_arrive(qtbot: Any, page: Any, monkeypatch: Any) -> None:
    """Two readers at once (their SQLite work runs on a second core), never more; every section lands."""
    import threading

    from console.ui.pages.dashboard import data_worker, loaders

    lock = threading.Lock()
    running, most, started = [0], [0], []

    def counted(name: str, read: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
                started.append(name)
            try:
                time.sleep(0.05)  # long enough for a third reader to start, were one allowed
                return read(*args)
            finally:
                with lock:
                    running[0] -= 1
        return wrapper

    for name in data_worker.SECTIONS:
        monkeypatch.setattr(loaders, f"load_{name}", counted(name, getattr(loaders, f"load_{name}")))
    arrived: list[str] = []
    failed: list[str] = []
    page.data.sig_section_loaded.connect(lambda name, _result: arrived.append(name))
    page.data.sig_section_failed.connect(lambda name, message: failed.append(f"{name}: {message}"))
    wait_drawn(qtbot, page, lambda: page.filters_bar.set_filter("task", "support"))
    assert failed == []
    assert most[0] == data_worker.READERS == 2
    assert started == list(data_worker.SECTIONS)  # begun in their order
    assert sorted(arrived) == sorted(data_worker.SECTIONS)


def test_a_long_note_never_crowds_the_title_or_the_export_buttons(qtbot: Any, page: Any) -> None:
    chart = page.failures
    chart.note.setText("overall 5.7% of 4,316,000 · 6 of 110 pairs (most failures) · " * 3)
    qtbot.wait(50)
    title, note = chart.title.geometry(), chart.note.geometry()
    png, csv = chart.png_button.geometry(), chart.csv_button.geometry()
    assert title.right() < png.left() < csv.left()
    assert title.width() >= chart.title.sizeHint().width()  # the title is never squeezed
    assert note.top() >= max(title.bottom(), png.bottom())  # the note has a line of its own below them
    assert note.right() <= chart.contentsRect().right()  # cut at the panel's edge, never widening it


def test_the_value_axis_keeps_its_width_when_labels_get_narrower(qtbot: Any, page: Any) -> None:
    """A narrower set of tick labels would shrink the axis after the first paint and re-lay the
    plot out (a second paint); the axis keeps the widest width it has needed, and still widens."""
    from console.core.ledger.series import StackedSeries

    chart = page.spend
    axis = chart.plot.getAxis("left")

    def draw(top: float) -> int:
        series = StackedSeries(np.array([END - 86400.0]), ["m"], np.array([[top]]), 86400)
        chart.show_spend(series, "model", page.query.filters, END + 60)
        chart.plot_widget.repaint()  # the axis learns its labels' width while painting
        qtbot.wait(20)
        return int(axis.width())

    narrow = draw(40.0)  # "$40"-like labels
    wide = draw(0.00123)  # "$0.0012"-like labels widen the axis
    assert wide > narrow + 10
    assert draw(40.0) == wide  # and narrower labels again leave it as wide
