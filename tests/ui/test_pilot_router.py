"""The Pilot page's router section: trained from a finished pilot, a draggable operating point, and
"Use in policy" writing the route's ``router:`` entry into a draft."""

from __future__ import annotations

import os
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.core.ledger.store import open_ledger
from console.core.pilot.history_file import read_history
from console.core.pilot.importer import import_history
from console.core.policy.schema import Policy
from console.core.request import Request
from console.core.routing.plan import plan_route
from console.ui.engine_bridge import EngineBridge
from console.ui.pages.pilot.page import PilotPage

ROOT = Path(__file__).resolve().parents[2]
GSM8K = ROOT / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"
POLICY = """version: 1
name: router-pilot
providers:
  hosted: {kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
models:
  gpt4: {provider: hosted, model: gpt-4-1106-preview, prices: {input: 10, output: 30}}
  mixtral: {provider: hosted, model: mistralai/Mixtral-8x7B-Instruct-v0.1, prices: {input: 0.6, output: 0.6}}
tasks: {math: {}}
classification: {default: math}
routes:
  math: {candidates: [gpt4, mixtral]}
"""


def test_train_a_router_from_a_finished_pilot_and_use_it_in_the_policy(qtbot: QtBot, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    db = open_ledger(url)
    import_history(db, read_history(GSM8K), dataset="gsm8k", task="math")
    db.dispose()
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY)
    bridge = EngineBridge()
    bridge.log_url = url
    page = PilotPage(bridge, policy_path=policy_file)
    qtbot.addWidget(page)
    page.resize(1440, 900)
    page.show()
    opened: list[Policy] = []
    page.sig_open_policy_requested.connect(opened.append)
    try:
        assert not page.router.train_button.isEnabled() and page.router.area.showing_hint
        page.source_value.setText("gsm8k")
        page.task.setText("math")
        page.baseline.setText("gpt-4-1106-preview")
        page.candidate.setText("mistralai/Mixtral-8x7B-Instruct-v0.1")
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=60000):
            page.start(resume=False)
        assert page.router.train_button.isEnabled()
        page.router.train_button.click()
        assert page.right.currentWidget() is page.router
        qtbot.waitUntil(lambda: page.router.trained is not None, timeout=120000)
        section = page.router
        report = section.trained.report
        assert not section.area.showing_hint and section.use_button.isEnabled()
        assert section.trained.path.is_file() and section.trained.path.parent.name == "routers"
        assert "chosen on held-out folds" in section.summary.text() and "random router" in section.summary.text()
        # squeezed (a first run's guide above the page at 900 px): the section scrolls, the chart keeps its room
        page.resize(1440, 560)
        qtbot.waitUntil(lambda: section.body_scroll.verticalScrollBar().maximum() > 0, timeout=5000)
        assert section.chart.plot.height() >= 200
        page.resize(1440, 900)
        if os.environ.get("ROUTEDESK_SHOTS"):
            page.grab().save(str(Path(os.environ["ROUTEDESK_SHOTS"]) / "pilot-router.png"))
        # dragging the line moves the point to the curve's nearest point, and the target with it
        start = section.chart.point
        assert start.cost_per_1k == report.calibrated.cost_per_1k
        cheap = min(report.curve.points, key=lambda p: abs(p.cost_per_1k - 1.0))
        with qtbot.waitSignal(section.chart.sig_operating_point_moved) as moved:
            section.chart.handle.setValue(cheap.cost_per_1k + 0.001)
        assert section.chart.point == cheap and moved.args[0] == cheap.lam
        target = cheap.pass_rate / report.curve.strongest_pass_rate
        assert abs(moved.args[1] - target) < 1e-9 and "Operating point" in section.chart.point_label.text()
        # a policy with no route for the pilot's task: the click says so and what to do, the summary stays
        other = tmp_path / "other.yaml"
        other.write_text(POLICY.replace("name: router-pilot", "name: other").replace("math: {candidates: [gpt4, mixtral]}",
                                                                                   "chat: {candidates: [gpt4]}")
                         .replace("tasks: {math: {}}", "tasks: {chat: {}}").replace("default: math", "default: chat"))
        summary = section.summary.text()
        page.set_policy_path(other)
        section.use_button.click()
        assert opened == [] and section.summary.text() == summary
        assert not section.problem.isHidden() and "no route for task 'math'" in section.problem.text()
        assert f"stays saved as {section.trained.path.name}" in section.problem.text()
        page.set_policy_path(policy_file)
        section.use_button.click()
        assert section.problem.isHidden()
        [draft] = opened
        entry = draft.routes["math"].router
        assert entry is not None and entry.file == section.trained.path.name
        assert abs(entry.target - target) < 1e-3
        # the draft routes by it: the router's note is in the plan, nothing warned
        plan = plan_route(Request.from_prompt("Janet has 3 apples and buys 2 more. How many now?"), draft)
        assert plan.router_note and not plan.warnings
        assert {c.pass_probability is not None for c in plan.candidates} == {True}
        # another pilot on the page: nothing of this router's stays (its problem line, the chart's room)
        section.show_problem("the policy has no route for task 'math'")
        section.set_pilot("pilot-another", True)
        assert section.problem.isHidden() and section.area.showing_hint
        assert section.progress.value() == 0  # not the last training's 100 %
    finally:
        bridge.shutdown()


def test_the_chart_keeps_its_point_and_takes_the_new_colours_on_a_theme_switch(qtbot: QtBot) -> None:
    from PySide6.QtGui import QColor, QPalette

    from console.core.learned_router.evaluation import evaluate
    from console.core.learned_router.training import train
    from console.ui.pages.pilot.router_chart import RouterCurveChart
    from tests.support import graded_history

    history = graded_history.history(120)
    router, _ = train(history, seed=0)
    chart = RouterCurveChart()
    qtbot.addWidget(chart)
    chart.show_report(evaluate(router, history, target=0.9))
    last = chart.report.curve.points[-1]
    chart.handle.setValue(last.cost_per_1k)
    picked = chart.point
    assert (picked.cost_per_1k, picked.pass_rate) == (last.cost_per_1k, last.pass_rate)
    palette = chart.palette()
    palette.setColor(QPalette.ColorRole.Text, QColor("#fafafa"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#101010"))
    chart.setPalette(palette)
    assert chart.point == picked and chart.handle.value() == last.cost_per_1k
    assert chart.legend.opts["labelTextColor"].name() == "#fafafa"


def test_only_the_live_chart_invites_a_drag(qtbot: QtBot) -> None:
    """The window's chart says its line can be dragged; the picture ``router eval --chart`` saves does not."""
    from console.core.learned_router.evaluation import evaluate
    from console.core.learned_router.training import train
    from console.ui.pages.pilot.router_chart import RouterCurveChart
    from tests.support import graded_history

    history = graded_history.history(120)
    router, _ = train(history, seed=0)
    report = evaluate(router, history, target=0.9)
    live, still = RouterCurveChart(), RouterCurveChart(movable=False)
    for chart in (live, still):
        qtbot.addWidget(chart)
        chart.show_report(report)
    assert live.point_label.text().endswith("Drag the line to move it.")
    assert still.point_label.text().startswith("Operating point: pass rate") and "Drag" not in still.point_label.text()
