"""**Quarterly review…**: pick the period and a file, and the review of the policy in front is written.

The figures are read on the engine's executor (``bridge.run_blocking``: seconds for a quarter of a
busy log), then drawn and written on the GUI thread, because the charts are widgets. The review
is of the saved policy in front (``ActivePolicy``), like every page that follows it. The next
review moves a quarter on only once the file is written: a dialog closed while it reads the log,
or a file that cannot be written, leaves the schedule as it was.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QVBoxLayout,
)

from console.ui.review.reminder import due_text


def period_choices(today: datetime.date) -> list[tuple[str, dict[str, str]]]:
    """(label, parse_period arguments): the last 90 days, this quarter so far, the quarter before."""
    quarter = (today.month - 1) // 3 + 1
    last_year, last_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return [("The last 90 days", {"since": "90d"}),
            (f"{today.year}Q{quarter} (this quarter)", {"quarter_text": f"{today.year}Q{quarter}"}),
            (f"{last_year}Q{last_quarter} (the quarter before)", {"quarter_text": f"{last_year}Q{last_quarter}"})]


class ReviewDialog(QDialog):
    """Generates the review of one policy to a PDF or HTML file.

    Signals:
        sig_review_written(str): the file written.
    """

    sig_review_written = Signal(str)

    def __init__(self, bridge: Any, choice: Any, parent: Any = None, *, log_url: str | None = None,
                 ask_path: Callable[[], str] | None = None, open_file: Callable[[Path], Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quarterly review")
        self.bridge, self.choice, self.log_url = bridge, choice, log_url
        self.ask_path = ask_path or self._ask_path
        self.open_file = open_file or (lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        self.written: Path | None = None
        self.period = QComboBox()
        for label, arguments in period_choices(datetime.date.today()):
            self.period.addItem(label, arguments)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form = QFormLayout()
        policy = choice.policy
        named = f"{policy.name} ({choice.label})" if policy is not None and policy.name != choice.label else choice.label
        form.addRow("Policy", QLabel(named if policy is not None else "none: open and save a policy first"))
        form.addRow("Period", self.period)
        if policy is not None:
            self.next_review = QLabel(due_text(policy.name, path=choice.path))
            form.addRow("Next review", self.next_review)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.generate = self.buttons.addButton("Generate…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.generate.setEnabled(policy is not None)
        self.generate.clicked.connect(self._on_generate_clicked)
        self.open_button = self.buttons.addButton("Open the review", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setToolTip("Open the file just written in the system's viewer")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.open_button.hide()  # there is nothing to open until a review is written
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A report for the team's meeting: spend, reliability, latency, policy changes, "
                                "pilots, prices and what to do next, from the routing log."))
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.job: Any = None

    def _ask_path(self) -> str:
        name, _ = QFileDialog.getSaveFileName(self, "Save the review as", "review.pdf",
                                              "PDF (*.pdf);;Web page, opens with no network (*.html)")
        return name

    def _on_generate_clicked(self) -> None:
        from console.core.app.review import PeriodError, parse_period, quarterly_review

        name = self.ask_path()
        if not name:
            return
        target = Path(name)
        if target.suffix.lower() not in (".pdf", ".html", ".htm"):
            target = target.with_suffix(".pdf")
        try:
            period = parse_period(**self.period.currentData())
        except PeriodError as error:
            self.status.setText(str(error))
            return
        self.generate.setEnabled(False)
        self.status.setText("Reading the log…")
        policy, url = self.choice.policy, self.log_url
        self._target = target
        self.job = self.bridge.run_blocking(lambda: quarterly_review(policy, period, url=url, mark=False))
        # bound methods: Qt drops them with the dialog, so a dialog closed meanwhile is not called
        self.job.sig_finished.connect(self._on_job_finished)
        self.job.sig_failed.connect(self._on_job_failed)

    def reject(self) -> None:
        """Close: a review still being read is dropped (nothing written, the schedule unchanged)."""
        if self.job is not None and not self.job.done:
            self.job.cancel()
        super().reject()

    def _on_job_finished(self, review: Any) -> None:
        self._write(review, self._target)

    def _write(self, review: Any, target: Path) -> None:
        from console.core.review.schedule import QUARTER, mark_reviewed
        from console.ui.review.render import RenderError, render_review

        self.status.setText("Drawing the charts…")
        reviewed_on = datetime.date.fromtimestamp(review.generated_at)
        try:
            pages = render_review(review, target, next_due=(reviewed_on + QUARTER).isoformat())
        except RenderError as error:
            self._on_job_failed(str(error))
            return
        try:
            mark_reviewed(review.policy_name, on=reviewed_on)
            schedule = f" Next review: {due_text(review.policy_name)}."
        except OSError as error:
            schedule = f" The next review date could not be saved: {error}."
        self.generate.setEnabled(True)
        self.status.setText(f"Wrote {target}" + (f" ({pages} pages)." if target.suffix.lower() == ".pdf" else ".")
                            + schedule)
        if hasattr(self, "next_review"):  # the row above said when it was due before this review
            self.next_review.setText(due_text(review.policy_name, path=self.choice.path))
        self.written = target
        self.open_button.show()
        self.sig_review_written.emit(str(target))

    def _on_open_button_clicked(self) -> None:
        if self.written is not None:
            self.open_file(self.written)

    def _on_job_failed(self, message: str) -> None:
        self.generate.setEnabled(True)
        self.status.setText(f"The review could not be written: {message}")
