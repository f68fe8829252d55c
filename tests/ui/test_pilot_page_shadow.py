"""The Pilot page grading a route's shadow: the verdict and spend from live traffic, and Live
grading the cases that arrived since, as the pilot fills up."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.ui.engine_bridge import EngineBridge
from console.ui.pages.pilot import page as pilot_page
from console.ui.pages.pilot.page import PilotPage
from tests.core.shadow.policies import collect, write_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture


def _shadow_page(qtbot: QtBot, tmp_path: Path, fault_server: FaultServer,
                 cases: int) -> tuple[Path, str, EngineBridge, PilotPage]:
    """The shadow policy, a log holding `cases` collected requests, and a Pilot page on them (the caller shuts the bridge)."""
    path = write_policy(tmp_path, fault_server.url)
    log = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    if cases:
        collect(path, log, [f"order {n} is late" for n in range(cases)])
    bridge = EngineBridge()
    bridge.log_url = log
    page = PilotPage(bridge, policy_path=path)
    qtbot.addWidget(page)
    return path, log, bridge, page


def test_a_live_shadow_pilot_fills_up(qtbot: QtBot, fault_server: FaultServer, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pilot_page, "LIVE_EVERY_MS", 100)
    path, log, bridge, page = _shadow_page(qtbot, tmp_path, fault_server, cases=3)
    try:
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000) as first:
            page.show_shadow("support")
        assert first.args[0].report.setup.baseline == "production"
        text = page.verdict.text()
        assert "cheap MEETS the bar" in text and "live shadow pilot: 3 cases collected" in text
        assert "shadow spend on route 'support'" in text and "(3 calls)" in text
        assert (page.task.text(), page.baseline.text(), page.candidate.text()) == ("support", "production", "cheap")
        assert page.matrix.rowCount() == 3 and page.matrix.data(page.matrix.index(0, 0)).startswith("shadow:")
        collect(path, log, ["order 3 is late", "order 4 is late"])  # traffic goes on; Live grades the new cases
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000) as second:
            pass
        assert len(second.args[0].report.cases) == 5 and second.args[0].report.resumed_cells == 6
        assert "live shadow pilot: 5 cases collected from traffic so far (2 graded just now)" in page.verdict.text()
        assert "resumed run" not in page.verdict.text()  # every grading resumes the route's run: not news
        page.cancel()
        assert not page.live.isChecked()
    finally:
        page.cancel()
        bridge.shutdown()


def test_a_route_without_a_shadow_says_so(qtbot: QtBot, fault_server: FaultServer, tmp_path: Path) -> None:
    _path, _log, bridge, page = _shadow_page(qtbot, tmp_path, fault_server, cases=0)
    try:
        page.show_shadow("nosuch", live=False)
        assert "no route 'nosuch'" in page.verdict.text() and page.run_button.isEnabled()
    finally:
        bridge.shutdown()


def test_live_is_offered_for_a_shadow_only_and_ticking_it_grades_at_once(
        qtbot: QtBot, fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ticked after a finished shadow pilot, Live did nothing until the operator also pressed Run.
    monkeypatch.setattr(pilot_page, "LIVE_EVERY_MS", 100)
    path, log, bridge, page = _shadow_page(qtbot, tmp_path, fault_server, cases=2)
    try:
        assert not page.live.isEnabled()  # imported history: no case arrives by itself
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000):
            page.show_shadow("support", live=False)
        assert page.live.isEnabled() and not page.live.isChecked()
        assert "2 cases collected" in page.verdict.text()
        collect(path, log, ["order 2 is late"])
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000) as graded:
            page.live.click()  # no Run: ticking Live grades now, then every few seconds
        assert len(graded.args[0].report.cases) == 3 and "3 cases collected" in page.verdict.text()
        collect(path, log, ["order 3 is late"])
        qtbot.waitUntil(lambda: "4 cases collected" in page.verdict.text(), timeout=30000)
        page.source.setCurrentIndex(pilot_page.SOURCE_KINDS.index("imported"))
        assert not page.live.isChecked() and not page.live.isEnabled()  # Live stops with the shadow
        qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=30000)
        page.cancel()
    finally:
        page.cancel()
        bridge.shutdown()
