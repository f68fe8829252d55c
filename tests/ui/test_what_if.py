"""The policy editor's What-if tab: replays the draft off the GUI thread, shows the changes, cancels."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.core.app import write_demo_traffic
from console.core.policy.loader import load_policy_or_raise
from console.ui.engine_bridge import EngineBridge
from console.ui.pages.policy_editor.what_if import WhatIfPanel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def demo_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    write_demo_traffic(url, 3000, days=10, end=time.time() - 60, seed=4)
    return url


def _draft():  # type: ignore[no-untyped-def]
    policy = load_policy_or_raise(ROOT / "policies" / "demo-traffic.yaml").model_copy(deep=True)
    policy.routes["code"].candidates = ["gpt-mini", "claude"]
    return policy


def test_what_if_replays_the_draft_and_offers_to_pilot_the_untested_swap(qtbot: QtBot, demo_url: str) -> None:
    bridge = EngineBridge()
    bridge.log_url = demo_url
    panel = WhatIfPanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(900, 900)
    panel.show()
    qtbot.waitExposed(panel)
    try:
        panel.set_policy(_draft())
        with qtbot.waitSignal(panel.sig_replayed, timeout=60000) as replayed:
            panel.run()
            assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
        report = replayed.args[0]
        assert report.changed_requests > 0 and "change route" in panel.headline.text()
        assert panel.changes.rowCount() == len(report.changes) == 1
        assert [panel.changes.item(0, c).text() for c in range(3)] == ["code", "claude", "gpt-mini"]
        assert panel.changes.item(0, 8).text() == "untested swap"
        assert panel.untested.count() == 1 and panel.progress.value() == 100
        # the daily chart: dates on x (a point at each day's UTC noon), the legend above the plot, not on it
        from console.ui.plots import GridDateAxis

        plot = panel.chart.getPlotItem()
        assert isinstance(plot.getAxis("bottom"), GridDateAxis) and plot.legend is None
        lines = {item.name(): item for item in plot.listDataItems()}
        days = [datetime.strptime(d, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() for d in report.spend_by_day]
        assert list(lines["actual"].xData) == [d + 43200 for d in days]
        assert list(lines["projected"].yData) == [s.projected_usd for s in report.spend_by_day.values()]
        assert panel.legend.names == ["actual", "projected"] and panel.legend.isVisibleTo(panel)
        legend_bottom = panel.legend.mapTo(panel, panel.legend.rect().bottomLeft()).y()
        assert legend_bottom <= panel.chart.mapTo(panel, panel.chart.rect().topLeft()).y()
        panel.untested.setCurrentRow(0)
        with qtbot.waitSignal(panel.sig_pilot_swap) as swap:
            panel.pilot_button.click()
        task, baseline, candidate, bar = swap.args
        assert (task, baseline, candidate) == ("code", "claude", "gpt-mini") and "relative_to_baseline" in bar
    finally:
        bridge.shutdown()


def test_cancel_stops_the_replay_and_the_panel_can_run_again(qtbot: QtBot, demo_url: str) -> None:
    bridge = EngineBridge()
    bridge.log_url = demo_url
    panel = WhatIfPanel(bridge)
    qtbot.addWidget(panel)
    try:
        panel.set_policy(_draft())
        panel.run()
        progress = panel.job.progress
        assert progress is not None
        with progress.lock:  # the worker cannot pass a stage while this is held
            assert progress.stage in ("", "read", "classify", "plan")
            panel.cancel()
        qtbot.waitUntil(lambda: panel.headline.text() == "Replay cancelled.", timeout=60000)
        assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled() and panel.report is None
    finally:
        bridge.shutdown()


def test_pilot_this_swap_opens_the_pilot_page_pre_filled(qtbot: QtBot) -> None:
    from console.ui.main_window import PAGES, MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_first_policy(ROOT / "policies" / "demo-traffic.yaml")
    editor = window.policy_page.current
    assert editor is not None
    editor.what_if.sig_pilot_swap.emit("code", "claude", "gpt-mini", "rule: {relative_to_baseline: 0.95}\n")
    pilot_row = [title for title, _ in PAGES].index("Pilot")
    assert window.navigation.currentRow() == pilot_row
    page = window.pages["Pilot"]
    assert (page.task.text(), page.baseline.text(), page.candidate.text()) == ("code", "claude", "gpt-mini")
    assert page.source.currentText() == "Routing log" and "relative_to_baseline" in page.bar.toPlainText()
    window.close()
