"""Pages that use a policy follow the active-policy model, but never swap their inputs under their results.

Two policies of one file name are opened in two tabs (their tabs must differ); side by side and the
pilot run for real against the fault server, then the editor's front tab changes: each page keeps the
policy its results came from and offers the other one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.core.active_policy import ActivePolicy, PolicyChoice, PolicyFollower
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.ui.test_pilot_page import BAR, POLICY


def test_the_model_announces_changes_once_and_unsubscribes() -> None:
    model, seen = ActivePolicy(), []
    stop = model.subscribe(seen.append)
    first = PolicyChoice(Path("/a/demo.yaml"), {"p": 1}, "demo.yaml — a")
    model.set(first)
    model.set(PolicyChoice(Path("/a/demo.yaml"), {"p": 1}, "demo.yaml — a"))  # equal: not re-announced
    stop()
    model.set(PolicyChoice(Path("/b/demo.yaml"), {"p": 2}, "demo.yaml — b"))
    assert seen == [first]


def test_a_follower_with_results_holds_the_new_policy_as_an_offer() -> None:
    results = [False]
    follower = PolicyFollower(lambda: results[0])
    a, b = PolicyChoice(Path("/a.yaml"), 1, "a"), PolicyChoice(Path("/b.yaml"), 2, "b")
    assert follower.consider(a) and follower.used == a
    results[0] = True
    assert not follower.consider(b) and follower.used == a and follower.offered == b
    assert not follower.consider(a) and follower.offered is None  # back to its own: nothing to offer
    assert not follower.consider(PolicyChoice(None, None, "untitled"))  # unsaved: never adopted
    follower.consider(b)
    assert follower.take_offer() == b and follower.used == b


def _two_policies(tmp_path: Path, url: str) -> tuple[Path, Path]:
    first, second = tmp_path / "team-a" / "demo.yaml", tmp_path / "team-b" / "demo.yaml"
    for path, extra in ((first, ""), (second, "  other: {provider: loopback, model: ok}\n")):
        path.parent.mkdir()
        text = POLICY.format(url=url).replace("tasks:", extra + "tasks:", 1) if extra else POLICY.format(url=url)
        path.write_text(text)
    return first, second


def test_pages_keep_the_policy_their_results_came_from(qtbot: QtBot, fault_server: FaultServer,
                                                        tmp_path: Path) -> None:
    from console.ui.main_window import MainWindow

    first, second = _two_policies(tmp_path, fault_server.url)
    window = MainWindow()
    qtbot.addWidget(window)
    window.bridge.log_url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    try:
        window.open_first_policy(first)
        window.policy_page.open_path(second)
        tabs = window.policy_page.tabs
        names = [tabs.tabText(i) for i in range(tabs.count())]
        assert names[0] != names[1] and "team-a" in names[0] and "team-b" in names[1]
        assert tabs.tabToolTip(0) == str(first) and tabs.tabToolTip(1) == str(second)

        window.navigation.setCurrentRow(4)  # Side by side, built now: it takes the policy in front
        compare = window.pages["Side by side"]
        assert compare._policy_path == second and compare.models.count() == 3
        compare.prompt.setPlainText("compare me")
        for i in range(compare.models.count()):  # ask the loopback models for real
            compare.models.item(i).setCheckState(compare.models.item(i).checkState().Unchecked)
        compare.extra_models.setText(f"ok@{fault_server.url}")
        with qtbot.waitSignal(compare.sig_comparison_finished, timeout=20000):
            compare.run_comparison()

        data = tmp_path / "cases.jsonl"
        data.write_text("".join(json.dumps({"prompt": f"Add 0 to {n}.", "reference": f"#### {n}"}) + "\n"
                                for n in range(2)))
        window.navigation.setCurrentRow(5)
        pilot = window.pages["Pilot"]
        assert pilot._policy_path == second
        pilot.source.setCurrentIndex(1)
        pilot.source_value.setText(str(data))
        pilot.task.setText("chat")
        pilot.baseline.setText("current")
        pilot.candidate.setText("cheaper")
        pilot.bar.setPlainText(BAR)
        with qtbot.waitSignal(pilot.sig_pilot_finished, timeout=60000):
            pilot.start(resume=False)

        from console.ui.pages.policy_editor.commands import SetValue

        editor = window.policy_page.current  # the same file, edited and saved: offered, not swapped in
        editor.stack.push(SetValue(editor.document, ("routes", "chat", "max_output_tokens"), 64))
        editor.show_diff_before_save = False
        assert window.policy_page.save_current()
        assert compare._policy.routes["chat"].max_output_tokens != 64
        assert compare.policy_row.offer.text() == "Use demo.yaml — team-b as saved now"

        tabs.setCurrentIndex(0)  # the editor moves to the other demo.yaml
        for page in (compare, pilot):
            assert page._policy_path == second, "the page swapped its policy under its results"
            assert "team-b" in page.policy_label.text() and str(second) == page.policy_label.toolTip()
            assert not page.policy_row.offer.isHidden() and "team-a" in page.policy_row.offer.text()
        assert compare.models.count() == 3 and compare.result is not None and pilot.outcome is not None

        compare.policy_row.offer.click()  # the operator takes the offer: inputs change, old results go
        assert compare._policy_path == first and compare.models.count() == 2 and compare.result is None
        assert compare.policy_row.offer.isHidden()
        pilot.policy_row.offer.click()
        assert pilot._policy_path == first and pilot.outcome is None and pilot.table_area.showing_hint

        window.navigation.setCurrentRow(3)  # dashboards follow the front policy, and their header says which
        assert "team-a" in window.frames["Dashboards"].subtitle.text() or qtbot.waitUntil(
            lambda: "team-a" in window.frames["Dashboards"].subtitle.text(), timeout=5000) is None
    finally:
        for editor in window.policy_page.editors():
            editor.stack.setClean()
        window.close()


def test_same_named_files_get_distinct_tab_names() -> None:
    from console.ui.pages.policy_editor.tab_names import distinct_names

    names = distinct_names([Path("/x/a/p/demo.yaml"), Path("/x/b/p/demo.yaml"), Path("/x/other.yaml"), None],
                           ["", "", "", "untitled"])
    assert names == ["demo.yaml — a/p", "demo.yaml — b/p", "other.yaml", "untitled"]
