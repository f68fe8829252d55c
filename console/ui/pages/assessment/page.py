"""Assessment: tasks ranked by volume and spend, each with the model serving it and cheaper candidates.

Runs ``app.replay.assess`` for the policy in front in the editor, off the GUI thread, with progress
and cancel (``ui/progress_job.py``, shared with the What-if tab). The top "over-served?" task and
every candidate row can be piloted in one click: the Pilot page opens pre-filled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget

from console.ui.layout import page_layout
from console.ui.progress_job import ProgressJob
from console.ui.replay_period import PeriodBox
from console.ui.result_table import result_table

MAX_COLUMN_PX = 320
HEADERS = ("task", "requests", "spend $", "share of spend", "served by", "flag", "cheaper model",
           "saving $/month", "evidence", "pilot")


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
        self._policy: Any = None  # the active policy as the editor read it, when it came from there
        self._rows: list[tuple[str, str, str]] = []
        self.result: Any = None
        self.policy_label = QLabel("no policy")
        self.period = PeriodBox()
        self.job = ProgressJob(bridge, run_label="Assess", running="Assessing…", noun="Assessment", parent=self)
        self.run_button, self.cancel_button, self.progress = (self.job.run_button, self.job.cancel_button,
                                                              self.job.progress_bar)
        self.run_button.clicked.connect(self.run)
        self.job.sig_job_finished.connect(self._on_finished)
        self.headline = QLabel("Rank tasks by volume and spend, and price the cheaper models on real traffic.")
        self.headline.setWordWrap(True)
        self.pilot_button = QPushButton("Pilot this swap")
        self.pilot_button.setEnabled(False)
        self.pilot_button.clicked.connect(self._on_pilot_clicked)
        self.table = result_table(HEADERS)
        self.table.currentCellChanged.connect(lambda row, *_: self.pilot_button.setEnabled(
            0 <= row < len(self._rows) and bool(self._rows[row][2])))
        self.job.sig_status_changed.connect(self.headline.setText)
        layout = page_layout(QVBoxLayout(self))
        layout.addLayout(self.job.controls(self.policy_label, self.period))
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.pilot_button)

    def follow(self, choice: Any) -> None:
        """The active policy changed (a PolicyChoice): assess that one from the next run on."""
        if choice.usable:
            self.set_policy_path(choice.path)
            self._policy = choice.policy  # read from that file already: run() need not parse it again
            self.policy_label.setText(choice.label)

    def set_policy_path(self, path: Path) -> None:
        self.policy_path = Path(path)
        self._policy = None  # read from the file when the run starts
        self.policy_label.setText(self.policy_path.name)

    def run(self) -> None:
        if self.policy_path is None or self.job.busy:
            return
        from console.core.app.replay import assess

        policy = self._policy
        if policy is None:
            from console.core.policy.loader import load_policy

            policy = load_policy(self.policy_path).policy
        if policy is None:
            self.headline.setText(f"{self.policy_path.name} has errors; fix them in the policy editor first.")
            return
        url = getattr(self.bridge, "log_url", None)
        since, until = self.period.time_range()
        self.job.start(lambda progress: assess(policy, url=url, since=since, until=until, progress=progress))

    def cancel(self) -> None:
        self.job.cancel()

    def _on_finished(self, result: Any) -> None:
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
                item = QTableWidgetItem(str(value))
                item.setToolTip(str(value))  # a long note is cut to the column; the whole sentence is here
                self.table.setItem(r, col, item)
        self.table.resizeColumnsToContents()
        for col in range(self.table.columnCount()):  # the catalogue's note would push "pilot" off the page
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), MAX_COLUMN_PX))
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
            from console.core.app.replay import swap_bar_yaml

            self.sig_pilot_swap.emit(task, baseline, candidate, swap_bar_yaml(baseline))
