"""What Try it shows once a prompt is sent: a status line, the answer alone, notes apart, the attempt chain.

The answer box holds only the model's answer. What happened along the way - an attempt that failed
and made the answer restart, the final cost and latency, an error - goes to the notes under it,
and every attempt of the chain (failed ones with their outcome and reason) to a table, as the
dashboards' drill-down shows a logged request.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from console.ui.result_table import result_table

from console.core.outcomes import Outcome

ATTEMPT_COLUMNS = ["#", "Model", "Outcome", "Reason", "Latency ms", "Cost $"]
FAILED_TINT = QColor(230, 80, 80, 60)


def attempt_rows(result: Any) -> list[tuple[str, str, str, str, str, str]]:
    """One row per attempt of a RouteResult (the classifier's call first, when there was one)."""
    attempts = ([result.classifier] if result.classifier is not None else []) + list(result.attempts)
    rows = []
    for attempt in attempts:
        where = "classifier" if attempt.role == "classify" else str(attempt.position + 1)
        status = f"HTTP {attempt.http_status}: " if attempt.http_status else ""
        reason = status + (attempt.error_message or attempt.error_class or "")
        if attempt.outcome is Outcome.OK:
            reason = reason or "answered"
        rows.append((where, f"{attempt.model_alias} ({attempt.provider})", attempt.outcome.value, reason,
                     f"{attempt.latency_ms:,.0f}", f"{attempt.cost_usd:.6f}"))
    return rows


class AttemptOutcomeView(QWidget):
    """Status, answer, notes and attempt chain of the prompt last sent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel("Not sent yet. Ctrl+Enter sends the prompt for real.")
        self.status.setObjectName("try-status")
        self.status.setWordWrap(True)
        self.answer = QPlainTextEdit()
        self.answer.setObjectName("try-answer")
        self.answer.setReadOnly(True)
        self.answer.setPlaceholderText("The answer streams here when you send.")
        self.notes = QLabel()
        self.notes.setObjectName("try-notes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.hide()
        self.attempts = result_table(ATTEMPT_COLUMNS, "try-attempts")
        self.attempts.setWordWrap(True)
        header = self.attempts.horizontalHeader()
        for column in range(len(ATTEMPT_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        answer_page = QWidget()
        answer_layout = QVBoxLayout(answer_page)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        answer_layout.addWidget(self.answer, 1)
        answer_layout.addWidget(self.notes)
        self.tabs = QTabWidget()
        self.tabs.addTab(answer_page, "Answer")
        self.tabs.addTab(self.attempts, "Attempt chain")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self._notes: list[str] = []

    # --- while running --------------------------------------------------------------------
    def begin(self) -> None:
        self.answer.clear()
        self._notes = []
        self.notes.hide()
        self.attempts.setRowCount(0)
        self.tabs.setTabText(1, "Attempt chain")
        self.tabs.setCurrentIndex(0)
        self.set_status("Sending… waiting for the first attempt to start (reading a key may wait for the "
                        "keyring to be unlocked).")

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def add_note(self, text: str) -> None:
        self._notes.append(text)
        self.notes.setText("<br>".join(f"• {note}" for note in self._notes))
        self.notes.show()

    def append_answer(self, text: str) -> None:
        self.answer.moveCursor(self.answer.textCursor().MoveOperation.End)
        self.answer.insertPlainText(text)

    def restart_answer(self) -> None:
        """Text streamed so far is void (its attempt failed): the next candidate starts afresh."""
        self.answer.clear()

    # --- at the end -----------------------------------------------------------------------
    def show_result(self, result: Any) -> None:
        rows = attempt_rows(result)
        self.attempts.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            failed = cells[2] != Outcome.OK.value
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if column == 3:
                    item.setToolTip(value)
                if failed:
                    item.setBackground(FAILED_TINT)
                self.attempts.setItem(row, column, item)
        self.attempts.resizeRowsToContents()  # reasons wrap: a failure's why is read, not cut off
        failures = sum(1 for cells in rows if cells[2] != Outcome.OK.value)
        self.tabs.setTabText(1, f"Attempt chain ({len(rows)}, {failures} failed)" if failures else
                             f"Attempt chain ({len(rows)})")
        if result.ok:
            self.set_status(f"Answered by {result.answered_by} in {result.latency_ms:,.0f} ms, "
                            f"${result.total_cost_usd:.6f}" + (f" after {failures} failed attempt(s)." if failures else "."))
        else:
            self.set_status(f"Not answered: {result.outcome.value}.")
            self.add_note(f"{result.outcome.value}: {result.error or 'no reason given'}")
            self.tabs.setCurrentIndex(1)

    def show_failure(self, message: str) -> None:
        self.set_status("Failed before an answer.")
        self.add_note(message)

    def show_stopped(self) -> None:
        self.set_status("Stopped.")
        self.add_note("You stopped the request; it is in the routing log as cancelled.")
