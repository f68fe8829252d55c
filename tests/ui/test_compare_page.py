"""The Side by side page against the fault server: columns stream, one fails in place, save/export."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from console.ui.engine_bridge import EngineBridge
from console.ui.pages.compare.page import ComparePage
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def test_columns_run_side_by_side_and_a_failure_stays_in_its_column(qtbot: QtBot, fault_server: FaultServer,
                                                                     tmp_path: Path) -> None:
    bridge = EngineBridge()
    bridge.log_url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    page = ComparePage(bridge)
    qtbot.addWidget(page)
    try:
        url = fault_server.url
        page.prompt.setPlainText("compare me")
        page.extra_models.setText(f"ok@{url}, 500@{url}, slow-ok:ms=200@{url}")
        with qtbot.waitSignal(page.sig_comparison_finished, timeout=20000) as finished:
            page.run_comparison()
        result = finished.args[0]
        assert [c.outcome.value for c in result.columns] == ["ok", "server_error", "ok"]
        assert page.columns[0].text.toPlainText() == "compare me"
        assert "server_error" in page.columns[1].stats.text() and page.columns[2].text.toPlainText() == "compare me"
        assert page.chart.values["latency"][2] >= 200
        page.columns[2].winner.setChecked(True)
        page.note.setText("fastest good answer")
        with qtbot.waitSignal(page.sig_saved_list_changed, timeout=10000):
            page.save()
        assert page.saved.count() == 1 and "winner slow-ok:ms=200" in page.saved.itemText(0)
        target = tmp_path / "out.md"
        page.export_to(target)
        assert "fastest good answer" in target.read_text()
    finally:
        bridge.shutdown()


def test_stop_one_column(qtbot: QtBot, fault_server: FaultServer, tmp_path: Path) -> None:
    bridge = EngineBridge()
    bridge.log_url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    page = ComparePage(bridge)
    qtbot.addWidget(page)
    try:
        page.prompt.setPlainText("x")
        page.extra_models.setText(f"hang@{fault_server.url}, ok@{fault_server.url}")
        with qtbot.waitSignal(page.sig_comparison_finished, timeout=20000) as finished:
            page.run_comparison()
            qtbot.waitUntil(lambda: page._runner is not None and "ok" in page.columns[1].stats.text(), timeout=10000)
            page.columns[0].stop.click()
        assert [c.outcome.value for c in finished.args[0].columns] == ["cancelled", "ok"]
    finally:
        bridge.shutdown()
