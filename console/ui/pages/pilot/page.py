"""The Pilot page: choose the cases, write the bar, run baseline and candidate, read the verdict.

The bar is edited as YAML and checked as you type; it is stored with the run before the first
case is called. Runs go to the engine thread; progress comes back as job events (at most ~200 per
run). Cancel stops the run with every finished cell kept; Resume continues the same run id.
"Open in policy editor" emits the policy with the candidate first in the task's route.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, AsyncIterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton,
    QSplitter, QTableView, QVBoxLayout, QWidget,
)

from console.ui.pages.pilot.charts import PilotCharts
from console.ui.pages.pilot.matrix_model import PilotMatrixModel

DEFAULT_BAR = """name: numeric answer
assertions:
  - kind: numeric          # the final number matches the reference's
rule:
  relative_to_baseline: 0.95   # candidate passes >= 95% of the cases the baseline passes
"""
SOURCES = ("Imported history", "Dataset file", "Routing log")


class PilotPage(QWidget):
    """Signals:
        sig_pilot_finished(object): (report, verdicts, summaries) of a finished or stopped run.
        sig_open_policy_requested(object): a Policy (candidate placed first) for the policy editor.
    """

    sig_pilot_finished = Signal(object)
    sig_open_policy_requested = Signal(object)

    def __init__(self, bridge: Any, *, policy_path: Path | None = None, log_url: str | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._log_url = log_url
        self._policy: Any = None
        self._policy_path: Path | None = None
        self._workspace: Any = None  # engine thread only
        self._session: Any = None  # engine thread only
        self._job: Any = None
        self.run_id: str | None = None
        self.outcome: Any = None
        bridge.add_closer(self._aclose)
        self._build()
        if policy_path is not None:
            self.set_policy_path(policy_path)

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.policy_label = QLabel("no policy")
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.source_value = QLineEdit()
        self.source_value.setPlaceholderText("history name / dataset path / how far back (30d)")
        browse = QPushButton("File…")
        browse.clicked.connect(self._on_browse_clicked)
        self.task = QLineEdit()
        self.baseline = QLineEdit()
        self.candidate = QLineEdit()
        self.limit = QLineEdit()
        self.limit.setPlaceholderText("all cases")
        self.bar = QPlainTextEdit(DEFAULT_BAR)
        self.bar.setMaximumHeight(110)
        self.bar.textChanged.connect(self._on_bar_text_changed)
        self.bar_state = QLabel("")
        load_bar = QPushButton("Load bar…")
        load_bar.clicked.connect(self._on_load_bar_clicked)
        save_bar = QPushButton("Save bar…")
        save_bar.clicked.connect(self._on_save_bar_clicked)
        self.run_button = QPushButton("Run pilot")
        self.run_button.clicked.connect(lambda: self.start(resume=False))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m cells")
        self.open_editor = QPushButton("Open route in policy editor (candidate first)")
        self.open_editor.setEnabled(False)
        self.open_editor.clicked.connect(self.open_in_policy_editor)

        form = QFormLayout()
        form.addRow("Policy", self.policy_label)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source)
        source_row.addWidget(self.source_value, 1)
        source_row.addWidget(browse)
        form.addRow("Cases from", source_row)
        models_row = QHBoxLayout()
        for label, widget in (("task", self.task), ("baseline", self.baseline), ("candidate", self.candidate),
                              ("limit", self.limit)):
            models_row.addWidget(QLabel(label))
            models_row.addWidget(widget, 1 if label != "limit" else 0)
        form.addRow("Pilot", models_row)
        bar_row = QVBoxLayout()
        bar_row.addWidget(self.bar)
        bar_buttons = QHBoxLayout()
        bar_buttons.addWidget(self.bar_state, 1)
        bar_buttons.addWidget(load_bar)
        bar_buttons.addWidget(save_bar)
        bar_row.addLayout(bar_buttons)
        form.addRow("Quality bar", bar_row)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.resume_button)
        run_row.addWidget(self.progress, 1)
        form.addRow("", run_row)

        self.verdict = QLabel("Set the bar, then run.")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.matrix = PilotMatrixModel(self)
        self.table = QTableView()
        self.table.setModel(self.matrix)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.charts = PilotCharts()
        self.charts.setMinimumHeight(200)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table)
        lower.addWidget(self.charts)
        lower.setSizes([640, 640])
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict, 1)
        verdict_row.addWidget(self.open_editor, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(verdict_row)
        layout.addWidget(lower, 1)
        self._on_bar_text_changed()

    # --- inputs -----------------------------------------------------------------------------
    def set_policy_path(self, path: Path) -> None:
        from console.core.policy.loader import load_policy

        loaded = load_policy(path)
        if loaded.policy is None:
            self.policy_label.setText(f"{path.name}: has errors")
            return
        self._policy, self._policy_path = loaded.policy, Path(path)
        self.policy_label.setText(f"{loaded.policy.name} ({path})")
        if not self.task.text():
            self.task.setText(loaded.policy.classification.default)

    def bar_or_error(self) -> tuple[Any, str | None]:
        from console.core.pilot.bar import BarError, parse_bar

        try:
            return parse_bar(self.bar.toPlainText(), "bar.yaml"), None
        except BarError as err:
            return None, str(err)

    def _on_bar_text_changed(self) -> None:
        bar, error = self.bar_or_error()
        self.bar_state.setText(f"<span style='color:#c62828'>{error}</span>" if error else
                               f"bar OK: {len(bar.assertions)} assertion(s){', judge' if bar.judge else ''}; "
                               f"{bar.rule.describe()}")

    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Dataset", "", "Cases (*.jsonl *.csv)")
        if name:
            self.source.setCurrentIndex(1)
            self.source_value.setText(name)

    def _on_load_bar_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Quality bar", "", "Bars (*.yaml *.yml *.json)")
        if name:
            self.bar.setPlainText(Path(name).read_text(encoding="utf-8"))

    def _on_save_bar_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Quality bar", "bar.yaml", "YAML (*.yaml)")
        if name:
            Path(name).write_text(self.bar.toPlainText(), encoding="utf-8")

    # --- running ----------------------------------------------------------------------------
    def start(self, *, resume: bool) -> None:
        bar, error = self.bar_or_error()
        task, baseline, candidate = self.task.text().strip(), self.baseline.text().strip(), self.candidate.text().strip()
        if error or not (task and baseline and candidate):
            self.verdict.setText(error or "Fill in task, baseline and candidate.")
            return
        limit = int(self.limit.text()) if self.limit.text().strip().isdigit() else None
        source = (self.source.currentIndex(), self.source_value.text().strip())
        if not resume or self.run_id is None:
            key = f"{task}|{baseline}|{candidate}|{bar.to_json_text()}|{source}|{limit}"
            self.run_id = "pilot-" + hashlib.sha1(key.encode()).hexdigest()[:12]
        run_id = self.run_id
        self.run_button.setEnabled(False)
        self.resume_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.verdict.setText(f"running {run_id}…")
        job = self._bridge.stream(lambda: self._events(run_id, task, baseline, candidate, bar, source, limit),
                                  lambda event: None)
        job.sig_event_arrived.connect(self._on_job_event_arrived)
        job.sig_failed.connect(self._on_job_failed)
        job.sig_cancelled.connect(lambda: self._on_job_failed(f"cancelled; finished cells are kept — Resume continues {run_id}"))
        self._job = job

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    async def _events(self, run_id: str, task: str, baseline: str, candidate: str, bar: Any,
                      source: tuple[int, str], limit: int | None) -> AsyncIterator[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        work = asyncio.ensure_future(self._run(run_id, task, baseline, candidate, bar, source, limit, queue.put_nowait))
        try:
            while not (work.done() and queue.empty()):
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            yield ("finished", work.result())
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)

    async def _run(self, run_id: str, task: str, baseline: str, candidate: str, bar: Any, source: tuple[int, str],
                   limit: int | None, emit: Any) -> Any:
        from console.core.compare.session import CompareSession
        from console.core.ledger.filters import Filters
        from console.core.pilot.caller import LiveCaller
        from console.core.pilot.cases import cases_from_dataset, cases_from_imported, cases_from_log
        from console.core.pilot.runner import PilotRunner
        from console.core.pilot.store import PilotSetup
        from console.core.pilot.summary import summarize
        from console.core.pilot.verdict import decide, monthly_requests
        from console.core.workspace import Workspace

        if self._workspace is None:
            self._workspace = Workspace(self._log_url)
        if self._session is None:
            self._session = CompareSession(self._policy, self._policy_path)
        db = self._workspace.recorder.db
        kind, value = source
        if kind == 0:
            cases = await asyncio.to_thread(cases_from_imported, db, value, limit=limit)
        elif kind == 1:
            cases, _problems = await asyncio.to_thread(cases_from_dataset, value, limit=limit)
        else:
            cases = await asyncio.to_thread(cases_from_log, db, Filters.last(value or "30d", task=task), limit=limit or 500)
        if not cases:
            raise LookupError("no cases: logged requests keep their prompt only when recorded with it")
        setup = PilotSetup(run_id, task, baseline, (candidate,), bar.to_json_text(), {"source": list(source)})
        step = max(1, len(cases) * 2 // 200)
        last = [-step]

        def progress(done: int, total: int, cell: Any) -> None:
            if done == total or done - last[0] >= step:
                last[0] = done
                emit(("progress", done, total))

        caller = LiveCaller(self._session, recorder=self._workspace.recorder, task=task)
        report = await PilotRunner(db, setup, cases, bar, caller=caller).run(progress)
        volume = await asyncio.to_thread(monthly_requests, db, task)
        return report, [decide(report, bar, candidate, volume=volume)], summarize(report)

    def _on_job_event_arrived(self, event: Any) -> None:
        if event[0] == "progress":
            self.progress.setMaximum(event[2])
            self.progress.setValue(event[1])
        elif event[0] == "finished":
            self.show_outcome(event[1])

    def show_outcome(self, outcome: Any) -> None:
        report, verdicts, summaries = outcome
        self.outcome = outcome
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.resume_button.setEnabled(not report.complete)
        self.matrix.show_report(report)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, 300)
        self.charts.show_summaries(summaries)
        verdict = verdicts[0]
        colour = "#2e7d32" if verdict.meets_bar else "#c62828"
        lines = [f"<b style='color:{colour}'>{verdict.lines[0]}</b>"] + verdict.lines[1:]
        if report.resumed_cells:
            lines.append(f"resumed run {report.setup.run_id}: {report.resumed_cells} cells were already done")
        self.verdict.setText("<br>".join(lines))
        self.open_editor.setEnabled(self._policy is not None)
        self.sig_pilot_finished.emit(outcome)

    def _on_job_failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.resume_button.setEnabled(self.run_id is not None)
        self.verdict.setText(f"the pilot stopped: {message}")
        self.sig_pilot_finished.emit(None)

    # --- after ------------------------------------------------------------------------------
    def open_in_policy_editor(self) -> None:
        from console.core.pilot.route_edit import RouteEditError, candidate_first

        if self._policy is None:
            return
        try:
            edited = candidate_first(self._policy, self.task.text().strip(), self.candidate.text().strip())
        except RouteEditError as err:
            self.verdict.setText(f"{self.verdict.text()}<br><span style='color:#c62828'>{err}</span>")
            return
        self.sig_open_policy_requested.emit(edited)

    async def _aclose(self) -> None:
        session, workspace, self._session, self._workspace = self._session, self._workspace, None, None
        if session is not None:
            await session.aclose()
        if workspace is not None:
            await workspace.aclose()
