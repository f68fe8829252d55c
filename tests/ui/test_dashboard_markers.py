"""Policy-change markers on the dashboards' time charts: drawn where a new policy hash was first
logged, absent when the policy never changed, and produced by a policy saved in the window."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from sqlalchemy import text

from console.core.app import write_demo_traffic
from console.core.ledger.bulk import write_records
from console.core.ledger.store import open_ledger
from console.core.ledger.traffic import POLICY_NAME, generate
from console.ui.pages.dashboard.markers import marker_label, marker_tooltip
from console.ui.pages.dashboard.query import DashboardQuery
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.ui.test_dashboard import END, open_page, wait_drawn

SECOND_HASH = "5ec0ndba5e0f7e57"
TIME_CHARTS = ("spend", "failures", "fallbacks")


def _demo_log(tmp_path: Path, *, changed: bool) -> tuple[str, float | None]:
    """Demo traffic over four days; with ``changed``, the last day routed under a second policy hash.
    Returns the URL and the first production request's time under that hash."""
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    write_demo_traffic(url, 800, days=4, seed=3, end=END - 86400)
    if not changed:
        return url, None
    later = [replace(r, policy_hash=SECOND_HASH) for r in generate(200, days=1, seed=4, end=END)]
    db = open_ledger(url)
    write_records(db, later)
    db.dispose()
    return url, min(r.started_at.timestamp() for r in later if (r.kind or "production") == "production")


# The offscreen platform cannot raise the tooltip's window; showing it is what is tested.
@pytest.mark.qt_log_ignore("This plugin does not support raise",
                           "This plugin does not support propagateSizeHints")
def test_a_policy_change_is_marked_at_its_first_request_on_every_time_chart(qtbot: Any, bridge: Any,
                                                                             tmp_path: Path) -> None:
    url, changed_at = _demo_log(tmp_path, changed=True)
    page = open_page(qtbot, bridge, url)
    wait_drawn(qtbot, page)
    qtbot.waitUntil(lambda: bool(page.spend.markers.lines), timeout=10000)
    for name in TIME_CHARTS:
        chart = getattr(page, name)
        assert chart.markers.positions == [changed_at], name
        line = chart.markers.lines[0]
        assert line.isVisible() and line.scene() is chart.plot.scene()
        # drawn where the time axis puts that moment (the same mapping the bars and lines use)
        # (once the view has applied its latest range: other sections may still be moving it)
        chart.settle()
        qtbot.waitUntil(lambda c=chart, ln=line: abs(ln.mapToScene(0, 0).x() - c.scene_pos(changed_at, 0).x()) < 1.0,
                        timeout=5000)
        assert line.label.toPlainText() == marker_label(chart.markers.changes[0])
        assert line.label.toPlainText() == f"policy {POLICY_NAME} {SECOND_HASH[:8]}"
        assert POLICY_NAME in line.toolTip() and SECOND_HASH[:8] in line.toolTip()
    # hovering the line shows that tooltip (the scene's own help event, as a mouse rest sends it)
    spend = page.spend
    at = spend.widget_pos(changed_at, spend.plot.vb.viewRange()[1][1] * 0.5)
    viewport = spend.plot_widget.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(at)))
    qtbot.waitUntil(lambda: QToolTip.isVisible(), timeout=5000)
    assert SECOND_HASH[:8] in QToolTip.text() and "policy changed" in QToolTip.text()
    QToolTip.hideText()
    # a range that ends before the change shows none
    before = DashboardQuery(filters=page.query.filters.with_range(END - 5 * 86400, changed_at - 1),
                            relative_seconds=None)
    wait_drawn(qtbot, page, lambda: page.apply_query(before))
    qtbot.waitUntil(lambda: not page.spend.markers.lines, timeout=10000)
    page.shutdown()


def test_no_marker_without_a_policy_change(qtbot: Any, bridge: Any, tmp_path: Path) -> None:
    url, _ = _demo_log(tmp_path, changed=False)
    page = open_page(qtbot, bridge, url)
    wait_drawn(qtbot, page)
    assert page.spend.series is not None and page.spend.drawn_total() > 0  # the charts did draw
    for name in TIME_CHARTS:
        assert getattr(page, name).markers.lines == [], name
    page.shutdown()


def _policy_yaml(server: FaultServer) -> str:
    return f"""version: 1
name: marked
providers:
  up:
    kind: openai-compatible
    base_url: {server.url}
models:
  answerer:
    provider: up
    model: ok#marker
    prices: {{input: 1.0, output: 2.0}}
tasks:
  chat: {{}}
classification:
  default: chat
routes:
  chat:
    candidates: [answerer]
"""


def _send(qtbot: Any, tab: Any) -> None:
    try_it = tab.try_it
    try_it.prompt.setPlainText("hello")
    try_it.explain_now()
    try_it.send.click()
    job = try_it._job
    assert job is not None
    with qtbot.waitSignal(job.sig_finished, timeout=30000):
        pass


def test_a_policy_saved_in_the_window_is_marked_by_its_next_request(qtbot: Any, bridge: Any, tmp_path: Path,
                                                                    fault_server: FaultServer) -> None:
    from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, open_document

    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    bridge.log_url = url
    policy_file = tmp_path / "marked.yaml"
    policy_file.write_text(_policy_yaml(fault_server))
    tab = PolicyEditorTab(open_document(policy_file), bridge)
    tab.show_diff_before_save = False
    tab.ask = lambda title, text: True
    qtbot.addWidget(tab)
    _send(qtbot, tab)  # routed under the policy as opened
    model = tab.models.model
    column = [c.title for c in model.columns].index("Input $/M")
    assert model.setData(model.index(model.row_of("answerer"), column), "1.5")
    assert tab.save()
    _send(qtbot, tab)  # the next request, under the saved policy's new hash
    bridge.workspace.flush_log()

    db = open_ledger(url)
    with db.connect() as conn:
        logged = conn.execute(text("SELECT ts, policy_hash FROM request ORDER BY ts")).all()
    db.dispose()
    assert len(logged) == 2 and logged[0][1] != logged[1][1]
    page = open_page(qtbot, bridge, url, clock=time.time() + 60)
    wait_drawn(qtbot, page)
    qtbot.waitUntil(lambda: bool(page.spend.markers.lines), timeout=10000)
    assert page.spend.markers.positions == [pytest.approx(logged[1][0])]
    assert page.spend.markers.changes[0].policy_hash == logged[1][1]
    assert page.spend.markers.changes[0].policy_name == "marked"
    page.shutdown()


def test_markers_follow_each_change_set_reusing_their_lines(qtbot: Any) -> None:
    """Kind and range changes swap the set of changes shown: the same line items are moved and
    relabelled (making them was the slowest draw of a filter change), and none is left behind."""
    import pyqtgraph as pg

    from console.core.ledger.policy_changes import PolicyChange
    from console.ui.pages.dashboard.markers import PolicyMarkers

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    markers = PolicyMarkers(widget.getPlotItem())
    three = [PolicyChange(END - n * 86400, "p{x}", f"hash{n}aaaaaaaa", "production") for n in (3, 2, 1)]
    one = [PolicyChange(END - 5000, "other", "bbbbbbbbcccc", "pilot")]

    def shown() -> list[tuple[float, str, str]]:
        return [(line.value(), line.label.toPlainText(), line.toolTip())
                for line in widget.getPlotItem().items if isinstance(line, pg.InfiniteLine) and line.isVisible()]

    markers.show(three)
    items = [item for item in widget.getPlotItem().items if isinstance(item, pg.InfiniteLine)]
    assert len(items) == 3
    for change in (one, three, [], one):
        markers.show(change)
        assert sorted(shown()) == sorted((c.ts, marker_label(c), line.toolTip())
                                         for c, line in zip(change, markers.lines))
        assert markers.positions == [c.ts for c in change]
        assert all(c.short_hash in line.toolTip() for c, line in zip(change, markers.lines))
    # a change still in view keeps its line as it was: only the new one is moved and relabelled
    markers.show(three)
    kept = markers.lines[1:]
    markers.show(three[1:] + one)
    assert markers.lines[:2] == kept and markers.lines[2] not in kept
    assert markers.positions == [c.ts for c in three[1:] + one]
    assert sorted(shown()) == sorted((c.ts, marker_label(c), marker_tooltip(c)) for c in three[1:] + one)
    # the braces of a policy name are text, not a format field
    markers.show(three)
    assert markers.lines[0].label.toPlainText() == "policy p{x} hash3aaa"
    assert [item for item in widget.getPlotItem().items if isinstance(item, pg.InfiniteLine)] == items
