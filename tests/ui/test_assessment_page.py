"""The Assessment page: ranks tasks off the GUI thread, flags the over-served one, pilots a swap in a click."""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.ui.engine_bridge import EngineBridge
from console.ui.pages.assessment.page import MAX_COLUMN_PX, AssessmentPage
from tests.core.replay.logs import over_served_log


def test_assessment_ranks_the_over_served_task_first_and_pilots_its_swap(qtbot: QtBot, tmp_path: Path) -> None:
    url, policy = over_served_log(tmp_path, time.time() - 3600)
    bridge = EngineBridge()
    bridge.log_url = url
    page = AssessmentPage(bridge)
    qtbot.addWidget(page)
    try:
        page.set_policy_path(policy)
        with qtbot.waitSignal(page.sig_assessed, timeout=60000) as assessed:
            page.run()
        result = assessed.args[0]
        assert result.tasks[0].task == "code" and result.tasks[0].over_served
        assert page.table.item(0, 0).text() == "code" and page.table.item(0, 5).text() == "over-served?"
        assert "Over-served? code on big" in page.headline.text()
        page.table.setCurrentCell(0, 0)
        with qtbot.waitSignal(page.sig_pilot_swap) as swap:
            page.pilot_button.click()
        task, baseline, candidate, bar = swap.args
        assert (task, baseline) == ("code", "big") and candidate == result.tasks[0].candidates[0].model
        assert "judge: {model: big" in bar
    finally:
        bridge.shutdown()


def test_a_policy_with_errors_is_refused_with_a_sentence(qtbot: QtBot, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\n")
    bridge = EngineBridge()
    page = AssessmentPage(bridge)
    qtbot.addWidget(page)
    try:
        page.set_policy_path(bad)
        page.run()
        assert "has errors" in page.headline.text() and page.run_button.isEnabled()
    finally:
        bridge.shutdown()


def test_the_page_follows_the_active_policy(qtbot: QtBot, tmp_path: Path) -> None:
    from console.core.active_policy import PolicyChoice

    bridge = EngineBridge()
    page = AssessmentPage(bridge)
    qtbot.addWidget(page)
    try:
        page.follow(PolicyChoice(None, None, "unsaved"))  # nothing usable: keep what it had
        assert page.policy_path is None
        path = tmp_path / "p.yaml"
        page.follow(PolicyChoice(path, object(), "p.yaml (saved)"))
        assert page.policy_path == path and page.policy_label.text() == "p.yaml (saved)"
    finally:
        bridge.shutdown()


def test_a_long_catalogue_note_stays_in_its_column_and_whole_in_its_tooltip(qtbot: QtBot) -> None:
    from console.core.replay.assess import CATALOGUE_NOTE, Assessment, Candidate, TaskAssessment

    bridge = EngineBridge()
    page = AssessmentPage(bridge)
    qtbot.addWidget(page)
    try:
        candidate = Candidate("cheap-model", 12.5, 0, None, None, "", "", source="catalogue", note=CATALOGUE_NOTE)
        task = TaskAssessment("code", 100, 20.0, 0.8, "big", 0.9, True, [candidate])
        page.show_result(Assessment(0.0, 86400.0, 100, 25.0, [task]))
        note = page.table.item(0, 9)
        assert note.text() == CATALOGUE_NOTE == note.toolTip()
        assert page.table.fontMetrics().horizontalAdvance(CATALOGUE_NOTE) > MAX_COLUMN_PX  # it would be wider
        assert all(page.table.columnWidth(c) <= MAX_COLUMN_PX for c in range(page.table.columnCount()))
    finally:
        bridge.shutdown()
