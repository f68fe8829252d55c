"""Assessment: tasks ranked by volume and spend, each with the model serving it and cheaper candidates.

Runs ``app.replay.assess`` for the policy in front in the editor, off the GUI thread (the bridge's
executor), with progress and cancel as the What-if tab has them. The top "over-served?" task and
every candidate row can be piloted in one click: the Pilot page opens pre-filled.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from console.ui.layout import page_layout

PERIODS = {"last 7 days": 7, "last 30 days": 30, "last 90 days": 90}
HEADERS = ("task", "requests", "spend $", "share of spend", "served by", "flag", "cheaper model",
           "saving $/month", "evidence", "pilot")
BAR = "judge: {model: %s, against: baseline}\nrule: {relative_to_baseline: 0.95}\n"


class AssessmentPage(QWidget):
    """Signals:
        sig_pilot_swap(task, baseline, candidate, bar_text): Pilot this swap was clicked.
        sig_assessed(object): an assessment finished.
    """

    sig_pilot_swap = Signal(str, str, str, str)
    sig_assessed = Signal(object)

    def __init__(self, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.policy_path: Path | None = None
        self._job: Any = None
        self._lock = threading.RLock()
        self._fraction = 0.0
        self._cancelled = False
        self._rows: list[tuple[str, str, str]] = []
        self.result: Any = None
        self.policy_label = QLabel("no policy")
        self.period = QComboBox()
        self.period.addItems(list(PERIODS))
        self.period.setCurrentText("last 30 days")
        self.run_button = QPushButton("Assess")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.headline = QLabel("Rank tasks by volume and spend, and price the cheaper models on real traffic.")
        self.headline.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.currentCellChanged.connect(lambda row, *_: self.pilot_button.setEnabled(
            0 <= row < len(self._rows) and bool(self._rows[row][2])))
        self.pilot_button = QPushButton("Pilot this swap")
        self.pilot_button.setEnabled(False)
        self.pilot_button.clicked.connect(self._on_pilot_clicked)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)
        controls = QHBoxLayout()
        for widget in (self.policy_label, self.period, self.run_button, self.cancel_button):
            controls.addWidget(widget)
        controls.addWidget(self.progress, 1)
        layout = page_layout(QVBoxLayout(self))
        layout.addLayout(controls)
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.pilot_button)

    def follow(self, choice: Any) -> None:
        """The active policy changed (a PolicyChoice): assess that one from the next run on."""
        if choice.usable:
            self.set_policy_path(choice.path)
            self.policy_label.setText(choice.label)

    def set_policy_path(self, path: Path) -> None:
        self.policy_path = Path(path)
        self.policy_label.setText(self.policy_path.name)

    def _progress_cb(self, stage: str, fraction: float) -> bool:  # on the worker thread
        with self._lock:
            self._fraction = fraction
            return not self._cancelled

    def run(self) -> None:
        if self.policy_path is None or self._job is not None:
            return
        from console.core.app.replay import assess
        from console.core.policy.loader import load_policy

        loaded = load_policy(self.policy_path)
        if loaded.policy is None:
            self.headline.setText(f"{self.policy_path.name} has errors; fix them in the policy editor first.")
            return
        policy, url = loaded.policy, getattr(self.bridge, "log_url", None)
        until = time.time()
        since = until - PERIODS[self.period.currentText()] * 86400
        with self._lock:
            self._cancelled, self._fraction = False, 0.0
        self._job = self.bridge.run_blocking(
            lambda: assess(policy, url=url, since=since, until=until, progress=self._progress_cb))
        self._job.sig_finished.connect(self._on_finished)
        self._job.sig_failed.connect(self._on_failed)
        self._job.sig_cancelled.connect(lambda: self._on_failed("cancelled"))
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.headline.setText("Assessing…")
        self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
        self.headline.setText("Cancelling…")

    def _show_progress(self) -> None:
        with self._lock:
            self.progress.setValue(int(self._fraction * 100))

    def _finish(self) -> None:
        self._timer.stop()
        self._job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.headline.setText("Assessment cancelled." if "cancel" in message else f"Assessment failed: {message}")

    def _on_finished(self, result: Any) -> None:
        self._finish()
        self.progress.setValue(100)
        self.show_result(result)
        self.sig_assessed.emit(result)

    def show_result(self, result: Any) -> None:
        self.result = result
        rows: list[tuple[Any, ...]] = []
        self._rows = []
        for t in result.tasks:
            flag = "over-served?" if t.over_served else ""
            head = (t.task, t.requests, f"{t.spend_usd:.4f}", f"{100 * t.spend_share:.1f}%", t.serving, flag)
            if not t.candidates:
                rows.append(head + ("no cheaper model", "", "", ""))
                self._rows.append((t.task, t.serving, ""))
            for n, c in enumerate(t.candidates):
                exp = c.exposure
                evidence = ("no evidence" if exp is None or exp.failure_rate is None else
                            f"fails {100 * exp.failure_rate:.1f}% of {exp.attempts}")
                estimated = " (est. output)" if c.estimated_output else ""
                catalogue = c.source == "catalogue"
                rows.append((head if n == 0 else ("",) * 6) + (
                    f"{c.model} (catalogue)" if catalogue else c.model, f"{c.monthly_saving_usd:.4f}{estimated}",
                    evidence, c.note if catalogue else c.pilot.summary if c.pilot else "no pilot yet"))
                self._rows.append((t.task, t.serving, "" if catalogue else c.model))  # not pilotable until added
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for col, value in enumerate(row):
                self.table.setItem(r, col, QTableWidgetItem(str(value)))
        self.table.resizeColumnsToContents()
        top = next((t for t in result.tasks if t.over_served), None)
        self.headline.setText(
            f"{result.requests} requests, ${result.spend_usd:.4f}. "
            + (f"Over-served? {top.task} on {top.serving}: {top.candidates[0].model} would save "
               f"${top.candidates[0].monthly_saving_usd:.4f}/month." if top and top.candidates else
               "No task looks over-served."))

    def _on_pilot_clicked(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self._rows) and self._rows[row][2]:
            task, baseline, candidate = self._rows[row]
            self.sig_pilot_swap.emit(task, baseline, candidate, BAR % baseline)
