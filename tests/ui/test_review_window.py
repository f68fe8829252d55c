"""The window's side of the quarterly review: the reminder of when it is due (per policy), File ›
Quarterly review…, and the dialog that writes the file off the GUI thread's back."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.core.active_policy import NO_POLICY, PolicyChoice
from console.core.policy.loader import load_policy_or_raise
from console.core.review.demo import write_review_demo
from console.core.review.schedule import mark_reviewed, next_review_due
from console.ui.review.dialog import ReviewDialog, period_choices
from console.ui.review.reminder import ReviewReminder, due_text

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 6)


def _choice(path: Path) -> PolicyChoice:
    return PolicyChoice(path, load_policy_or_raise(path), path.name)


def test_the_reminder_offers_the_review_once_it_is_near(qtbot: QtBot, policy_file: Path) -> None:
    reminder = ReviewReminder(today=lambda: TODAY)
    qtbot.addWidget(reminder)
    choice = _choice(policy_file)
    mark_reviewed("ui-sample", on=TODAY - datetime.timedelta(days=85))  # due in 6 days
    reminder.follow(choice)
    assert not reminder.isHidden()
    assert reminder.text() == "Review due: 2026-12-12 (in 6 days) · generate…" and "bold" in reminder.styleSheet()
    with qtbot.waitSignal(reminder.sig_review_requested, timeout=1000):
        reminder.click()
    mark_reviewed("ui-sample", on=TODAY)
    reminder.follow(choice)
    assert reminder.text() == "Review next: 2027-03-07 (in 91 days)" and reminder.styleSheet() == ""
    mark_reviewed("ui-sample", on=TODAY - datetime.timedelta(days=120))
    assert due_text("ui-sample", today=TODAY) == "2026-11-07 (overdue by 29 days)"
    reminder.follow(NO_POLICY)
    assert reminder.isHidden()


def _set_file_date(path: Path, day: datetime.date) -> None:
    stamp = datetime.datetime.combine(day, datetime.time(12)).timestamp()
    os.utime(path, (stamp, stamp))


def test_a_policy_never_saved_or_reviewed_here_is_due_a_quarter_after_its_file_changed(
        qtbot: QtBot, policy_file: Path) -> None:
    # A first run opens a freshly copied example: it must not greet the operator with "due today".
    reminder = ReviewReminder(today=lambda: TODAY)
    qtbot.addWidget(reminder)
    _set_file_date(policy_file, TODAY - datetime.timedelta(days=1))
    reminder.follow(_choice(policy_file))
    assert reminder.text() == "Review next: 2027-03-06 (in 90 days)" and reminder.styleSheet() == ""
    _set_file_date(policy_file, TODAY - datetime.timedelta(days=100))  # in use, unreviewed, for a quarter and more
    reminder.follow(_choice(policy_file))
    assert reminder.text() == "Review due: 2026-11-27 (overdue by 9 days) · generate…" and "bold" in reminder.styleSheet()
    assert due_text("ui-sample", today=TODAY, path=policy_file) == "2026-11-27 (overdue by 9 days)"
    assert due_text("ui-sample", today=TODAY, path=policy_file.with_name("gone.yaml")) == "2026-12-06 (today)"
    mark_reviewed("ui-sample", on=TODAY)  # a review, once made, decides whatever the file's date
    reminder.follow(_choice(policy_file))
    assert reminder.text() == "Review next: 2027-03-07 (in 91 days)"


def test_period_choices_name_this_quarter_and_the_one_before() -> None:
    labels = [label for label, _args in period_choices(datetime.date(2027, 2, 1))]
    assert labels == ["The last 90 days", "2027Q1 (this quarter)", "2026Q4 (the quarter before)"]


def test_the_dialog_writes_the_review_and_moves_the_due_date(qtbot: QtBot, bridge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    demo = write_review_demo(tmp_path / "demo", (ROOT / "policies" / "demo-traffic.yaml").read_text(), requests=3000)
    target = tmp_path / "review.html"
    dialog = ReviewDialog(bridge, _choice(demo.policy_file), log_url=demo.url, ask_path=lambda: str(target))
    qtbot.addWidget(dialog)
    assert dialog.generate.isEnabled()
    with qtbot.waitSignal(dialog.sig_review_written, timeout=60_000):
        dialog.generate.click()
    assert target.is_file() and "<h2>7. Recommendations</h2>" in target.read_text()
    assert dialog.status.text().startswith(f"Wrote {target}")
    assert next_review_due("demo") == datetime.date.today() + datetime.timedelta(days=91)
    # the form's own line moves with it (it said when the review was due before this one)
    assert dialog.next_review.text() == due_text("demo")
    assert dialog.next_review.text().endswith("(in 91 days)")


def test_the_dialog_opens_the_review_it_wrote(qtbot: QtBot, bridge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    demo = write_review_demo(tmp_path / "demo", (ROOT / "policies" / "demo-traffic.yaml").read_text(), requests=300)
    target, opened = tmp_path / "review.html", []
    dialog = ReviewDialog(bridge, _choice(demo.policy_file), log_url=demo.url, ask_path=lambda: str(target),
                          open_file=opened.append)
    qtbot.addWidget(dialog)
    assert dialog.open_button.isHidden()  # nothing written yet: nothing to open
    with qtbot.waitSignal(dialog.sig_review_written, timeout=60_000):
        dialog.generate.click()
    assert not dialog.open_button.isHidden()
    dialog.open_button.click()
    assert opened == [target] and target.is_file()


def test_a_review_not_written_leaves_the_schedule_as_it_was(qtbot: QtBot, bridge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The schedule moved a quarter on while the log was read: a dialog closed meanwhile, or a file that
    # could not be written, left no review and yet "Review next: in 91 days".
    from PySide6.QtCore import Qt

    demo = write_review_demo(tmp_path / "demo", (ROOT / "policies" / "demo-traffic.yaml").read_text(), requests=300)
    before = next_review_due("demo")
    unwritable = tmp_path / "no-such-folder" / "review.pdf"
    dialog = ReviewDialog(bridge, _choice(demo.policy_file), log_url=demo.url, ask_path=lambda: str(unwritable))
    qtbot.addWidget(dialog)
    dialog.generate.click()
    qtbot.waitUntil(lambda: "could not be written" in dialog.status.text(), timeout=60_000)
    assert "no such folder" in dialog.status.text() and dialog.generate.isEnabled()
    assert next_review_due("demo") == before and dialog.open_button.isHidden()

    target = tmp_path / "review.html"
    closing = ReviewDialog(bridge, _choice(demo.policy_file), log_url=demo.url, ask_path=lambda: str(target))
    closing.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # as the window opens it
    closing.show()
    closing.generate.click()
    job = closing.job
    closing.reject()  # Close while the log is read
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    qtbot.wait(300)  # were the review still to arrive, it would be drawn now (on a deleted dialog)
    assert not target.exists() and next_review_due("demo") == before


def test_no_policy_in_front_means_nothing_to_generate(qtbot: QtBot, bridge) -> None:  # type: ignore[no-untyped-def]
    dialog = ReviewDialog(bridge, NO_POLICY)
    qtbot.addWidget(dialog)
    assert not dialog.generate.isEnabled()


def test_file_menu_opens_the_review_dialog_for_the_policy_in_front(qtbot: QtBot, policy_file: Path) -> None:
    from console.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    try:
        window.open_first_policy(policy_file)
        qtbot.waitUntil(lambda: window.active_policy.current.policy is not None, timeout=5000)
        assert window.window_actions["review"].text() == "Quarterly review…"
        assert not window.review_reminder.isHidden() and "ui-sample" in window.review_reminder.toolTip()
        dialog = window.show_review_dialog()
        assert dialog.choice.policy.name == "ui-sample" and dialog.generate.isEnabled()
        dialog.close()
    finally:
        window.close()
