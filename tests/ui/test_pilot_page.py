"""The Pilot page: the GSM8K history judged without calls, the verdict, the lazy matrix, resume,
and the button that opens the route with the candidate first in the policy editor."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.core.ledger.store import open_ledger
from console.core.pilot.history_file import read_history
from console.core.pilot.importer import import_history
from console.ui.engine_bridge import EngineBridge
from console.ui.pages.pilot.matrix_model import CHUNK
from console.ui.pages.pilot.page import PilotPage
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
POLICY = """version: 1
name: pilot-test
providers:
  loopback: {{kind: openai-compatible, base_url: "{url}"}}
models:
  current: {{provider: loopback, model: "slow-ok:ms=150", prices: {{input: 10, output: 30}}}}
  cheaper: {{provider: loopback, model: "slow-ok:ms=150#c", prices: {{input: 0.6, output: 0.6}}}}
tasks: {{chat: {{}}}}
classification: {{default: chat}}
routes:
  chat: {{candidates: [current, cheaper]}}
"""
GSM8K = ROOT / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"


def test_gsm8k_pilot_shows_the_verdict_and_a_lazy_matrix(qtbot: QtBot, qtmodeltester, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    db = open_ledger(url)
    import_history(db, read_history(GSM8K), dataset="gsm8k", task="math")
    db.dispose()
    bridge = EngineBridge()
    bridge.log_url = url
    page = PilotPage(bridge, policy_path=ROOT / "policies" / "demo.yaml")
    qtbot.addWidget(page)
    try:
        page.source_value.setText("gsm8k")
        page.task.setText("math")
        page.baseline.setText("gpt-4-1106-preview")
        page.candidate.setText("mistralai/Mixtral-8x7B-Instruct-v0.1")
        assert page.table_area.showing_hint and page.charts.empty.showing_hint  # says what will appear there
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000) as finished:
            page.start(resume=False)
        outcome = finished.args[0]
        assert not page.table_area.showing_hint and not page.charts.empty.showing_hint
        report, verdicts, summaries = outcome.report, outcome.verdicts, outcome.summaries
        assert not verdicts[0].meets_bar and "does NOT meet the bar" in page.verdict.text()
        assert page.progress.value() == page.progress.maximum() == 2638
        assert page.matrix.rowCount() == CHUNK  # lazy: the rest arrives as the view scrolls
        page.matrix.fetchMore(page.matrix.index(0, 0).parent())
        assert page.matrix.rowCount() == 2 * CHUNK
        qtmodeltester.check(page.matrix)
        assert [round(s.pass_rate, 3) for s in summaries] == [0.889, 0.639]
    finally:
        bridge.shutdown()


def test_cancel_then_resume_and_open_in_editor(qtbot: QtBot, fault_server: FaultServer, tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Add 0 to {n}.", "reference": f"#### {n}"}) + "\n" for n in range(6)))
    policy = tmp_path / "pilot.yaml"
    policy.write_text(POLICY.format(url=fault_server.url))
    bridge = EngineBridge()
    bridge.log_url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    page = PilotPage(bridge, policy_path=policy)
    qtbot.addWidget(page)
    opened: list[object] = []
    page.sig_open_policy_requested.connect(opened.append)
    try:
        page.source.setCurrentIndex(1)
        page.source_value.setText(str(data))
        page.task.setText("chat")
        page.baseline.setText("current")
        page.candidate.setText("cheaper")
        page.bar.setPlainText("assertions: [{kind: max_length, value: 100000}]\nrule: {min_pass_rate: 0.5}\n")
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000):
            page.start(resume=False)
            qtbot.waitUntil(lambda: page.progress.value() >= 1, timeout=20000)
            page.cancel()
        assert page.resume_button.isEnabled()
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=120000) as finished:
            page.resume_button.click()
        report = finished.args[0].report
        assert report.complete and report.resumed_cells >= 1
        page.open_editor.click()
        assert opened and opened[0].routes["chat"].candidates == ["cheaper", "current"]  # type: ignore[attr-defined]
    finally:
        bridge.shutdown()


BAR = "assertions: [{kind: max_length, value: 100000}]\nrule: {min_pass_rate: 0.5}\n"


def _pilot_set_up(tmp_path: Path, url: str, cases: int) -> tuple[Path, Path, Path]:
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Add 0 to {n}.", "reference": f"#### {n}"}) + "\n"
                            for n in range(cases)))
    policy = tmp_path / "pilot.yaml"
    policy.write_text(POLICY.format(url=url))
    bar = tmp_path / "bar.yaml"
    bar.write_text(BAR)
    return data, policy, bar


def _filled_page(qtbot: QtBot, db: str, policy: Path, data: Path) -> tuple[EngineBridge, PilotPage]:
    """The Pilot page on its own window bridge (log at ``db``), with the set-up the CLI gets too."""
    bridge = EngineBridge()
    bridge.log_url = db
    page = PilotPage(bridge, policy_path=policy)
    qtbot.addWidget(page)
    page.source.setCurrentIndex(1)
    page.source_value.setText(str(data))
    page.task.setText("chat")
    page.baseline.setText("current")
    page.candidate.setText("cheaper")
    page.bar.setPlainText(BAR)
    return bridge, page


def _cli_pilot(data: Path, policy: Path, bar: Path, db: str, capsys) -> dict:  # type: ignore[no-untyped-def]
    from console.cli.main import run

    capsys.readouterr()
    code = run(["pilot", "--task", "chat", "--baseline", "current", "--candidate", "cheaper", "--bar", str(bar),
                "--dataset", str(data), "--policy", str(policy), "--db", db, "--json"])
    assert code == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_a_pilot_stopped_in_the_window_resumes_in_the_cli(qtbot: QtBot, fault_server: FaultServer, tmp_path: Path,
                                                         capsys) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    data, policy, bar = _pilot_set_up(tmp_path, fault_server.url, cases=6)
    bridge, page = _filled_page(qtbot, db, policy, data)
    try:
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000) as stopped:
            page.start(resume=False)
            qtbot.waitUntil(lambda: page.progress.value() >= 1, timeout=20000)
            page.cancel()
        assert stopped.args[0] is None  # stopped, not finished
    finally:
        bridge.shutdown()
    done = _cli_pilot(data, policy, bar, db, capsys)
    assert done["run_id"] == page.run_id  # one formula: the same set-up is the same run
    assert done["complete"] and 1 <= done["resumed_cells"] < 12


def test_a_pilot_run_by_the_cli_is_resumed_not_rerun_in_the_window(qtbot: QtBot, fault_server: FaultServer,
                                                                   tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    data, policy, bar = _pilot_set_up(tmp_path, fault_server.url, cases=3)
    done = _cli_pilot(data, policy, bar, db, capsys)
    assert done["complete"] and done["resumed_cells"] == 0
    bridge, page = _filled_page(qtbot, db, policy, data)
    try:
        with qtbot.waitSignal(page.sig_pilot_finished, timeout=30000) as finished:
            page.start(resume=False)
        outcome = finished.args[0]
        assert page.run_id == done["run_id"]
        assert outcome.report.complete and outcome.report.resumed_cells == 6  # every cell was the CLI's: no call
    finally:
        bridge.shutdown()
