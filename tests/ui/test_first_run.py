"""First run: the shipped example is copied to the user's data directory and the copy is what gets edited."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from console.core.paths import data_dir, example_copy, examples_dir, is_example_copy
from console.core.resources import example_policy_path
from console.ui.pages.policy_editor.commands import SetValue
from console.ui.pages.policy_editor.page import PolicyEditorPage
from tests.support.fault_server import fault_server  # noqa: F401 - fixture


def test_opening_the_shipped_demo_edits_a_copy_in_the_data_directory(qtbot, private_home: Path) -> None:
    shipped = example_policy_path("demo.yaml")
    assert shipped is not None
    shipped_text = shipped.read_bytes()
    page = PolicyEditorPage()
    qtbot.addWidget(page)

    editor = page.open_path(shipped)  # what the first run (or a recent-files entry) asks for
    assert editor is not None
    path = editor.document.path
    assert path is not None and path.parent == examples_dir() and path.read_bytes() == shipped_text
    assert str(path).startswith(str(private_home))
    assert editor.is_example and editor.title() == "demo.yaml (example)"
    assert editor.example_note.isVisibleTo(editor) and "your own copy" in editor.example_note.text()

    editor.show_diff_before_save = False
    editor.ask = lambda title, text: True
    editor.stack.push(SetValue(editor.document, ("description",), "edited by the operator"))
    assert editor.save()
    assert shipped.read_bytes() == shipped_text  # the installation's file is untouched
    assert "edited by the operator" in path.read_text(encoding="utf-8")

    page.close_tab(page.tabs.indexOf(editor))
    again = page.open_path(shipped)
    assert again is not None and again.document.path == path
    assert again.document.get(("description",)) == "edited by the operator"  # the copy is never overwritten


def test_save_as_elsewhere_is_no_longer_marked_an_example(qtbot, tmp_path: Path) -> None:
    page = PolicyEditorPage()
    qtbot.addWidget(page)
    editor = page.open_path(example_copy() or Path("missing"))
    assert editor is not None and editor.is_example
    editor.show_diff_before_save = False
    editor.ask = lambda title, text: True
    mine = tmp_path / "mine.yaml"
    assert editor.save(mine)
    assert not editor.is_example and editor.title() == "mine.yaml"
    assert not editor.example_note.isVisibleTo(editor)


def test_example_copy_lives_in_the_data_directory_and_only_there(private_home: Path) -> None:
    copy = example_copy("demo.yaml")
    assert copy is not None and copy.parent == data_dir() / "examples"
    assert is_example_copy(copy)
    assert not is_example_copy(example_policy_path("demo.yaml"))
    assert not is_example_copy(None)
    assert example_copy("no-such-example.yaml") is None


def test_dashboard_empty_state_names_the_log_file_not_the_default_log(qtbot, private_home: Path) -> None:
    from console.ui.pages.dashboard.empty_state import EmptyState, log_location

    empty = EmptyState(run=None)
    qtbot.addWidget(empty)
    text = empty.message.text()
    assert "default log" not in text
    assert str(private_home / "routedesk-log.sqlite3") in text
    assert log_location("postgresql://ops:s3cret@db.example/routes") == "postgresql://ops:***@db.example/routes"
    empty.set_log("sqlite:////srv/logs/team.sqlite3", error="unable to open database file")
    assert "/srv/logs/team.sqlite3" in empty.message.text() and "unable to open" in empty.message.text()


def test_empty_charts_say_what_will_appear_until_they_have_data(qtbot) -> None:
    from types import SimpleNamespace

    from console.ui.pages.compare.chart import CostLatencyChart
    from console.ui.pages.pilot.charts import PilotCharts

    compare = CostLatencyChart()
    qtbot.addWidget(compare)
    assert compare.empty.showing_hint and "Run side by side" in compare.empty.hint.text()
    compare.show_columns(["a", "b"], [0.001, 0.002], [120.0, 340.0], [40.0, None], [True, False])
    assert not compare.empty.showing_hint

    pilot = PilotCharts()
    qtbot.addWidget(pilot)
    assert pilot.empty.showing_hint and "Run pilot" in pilot.empty.hint.text()
    summary = SimpleNamespace(model="candidate", pass_rate=0.9, ci_low=0.8, ci_high=0.95, cost_per_1k_usd=0.4)
    pilot.show_summaries([summary])
    assert not pilot.empty.showing_hint
    pilot.show_summaries([])
    assert pilot.empty.showing_hint


def test_side_by_side_says_what_will_appear_until_a_comparison_runs(qtbot, fault_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from console.ui.engine_bridge import EngineBridge
    from console.ui.pages.compare.page import ComparePage

    bridge = EngineBridge()
    bridge.log_url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    page = ComparePage(bridge)
    qtbot.addWidget(page)
    try:
        assert page.columns_area.showing_hint and "Run side by side" in page.columns_area.hint.text()
        assert page.chart.empty.showing_hint
        page.prompt.setPlainText("hello")
        page.extra_models.setText(f"ok@{fault_server.url}")
        with qtbot.waitSignal(page.sig_comparison_finished, timeout=20000):
            page.run_comparison()
        assert not page.columns_area.showing_hint and not page.chart.empty.showing_hint
    finally:
        bridge.shutdown()


def test_an_unusable_data_directory_opens_the_example_unsaved_without_a_modal_box(qtbot, tmp_path: Path,
                                                                                   monkeypatch) -> None:
    # The window opens the demo at start-up (and `routedesk self-check` does too): a modal box here
    # would wait forever for a click, so the notice must not block and the example still opens.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    monkeypatch.setenv("ROUTEDESK_HOME", str(blocker))
    shipped = example_policy_path("demo.yaml")
    assert shipped is not None
    shipped_text = shipped.read_bytes()
    page = PolicyEditorPage()
    qtbot.addWidget(page)

    editor = page.open_path(shipped)  # returns at once: nothing waits for a click

    assert editor is not None and editor.document.path is None  # unsaved: Save asks where
    assert editor.document.get(("name",)) is not None
    notices = [box for box in page.findChildren(QMessageBox) if box.isVisible()]
    assert notices and not notices[0].isModal() and str(blocker) in notices[0].text()
    assert shipped.read_bytes() == shipped_text
