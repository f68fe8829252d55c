"""The Pilot page: choose the cases, write the bar, run baseline and candidate, read the verdict.

The bar is edited as YAML and checked as you type; it is stored with the run before the first
case is called. The run itself is the core's (``console.core.app.pilot.run_pilot``) on the window's
one Workspace, on the engine thread; progress comes back as job events (at most ~200 per run).
Cancel stops the run with every finished cell kept; Resume, or the same set-up started again here
or with ``routedesk pilot``, continues the same run id.
"Route's shadow (live)" grades what a route's ``shadow:`` collected from live traffic (the core's
``run_shadow_pilot``, as ``routedesk pilot --from-shadow``); with Live on it grades the new cases
every few seconds, so the pilot fills up as traffic arrives.
"Open in policy editor" emits the policy with the candidate first in the task's route; the Router
tab trains a learned router from a finished pilot and emits the route with its ``router:`` entry.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from typing import Any, AsyncIterator

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton,
    QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from console.ui.layout import page_layout
from console.ui.pages.pilot.charts import PilotCharts
from console.ui.empty_hint import HintOrContent
from console.ui.pages.pilot.matrix_model import PilotMatrixModel
from console.ui.pages.pilot.router_section import RouterSection
from console.ui.policy_in_use import PolicyInUse
from console.ui.theme import outcome_colours

DEFAULT_BAR = """name: numeric answer
assertions:
  - kind: numeric          # the final number matches the reference's
rule:
  relative_to_baseline: 0.95   # candidate passes >= 95% of the cases the baseline passes
"""
SOURCES = ("Imported history", "Dataset file", "Routing log", "Route's shadow (live)")
SOURCE_KINDS = ("imported", "dataset", "log", "shadow")  # the core's PilotSource kinds, in SOURCES order
LIVE_EVERY_MS = 5000  # a live shadow pilot grades its new cases this often


class PilotPage(QWidget):
    """Signals:
        sig_pilot_finished(object): the core's PilotOutcome of a finished run (None: it stopped).
        sig_open_policy_requested(object): a Policy (candidate placed first) for the policy editor.
    """

    sig_pilot_finished = Signal(object)
    sig_open_policy_requested = Signal(object)

    def __init__(self, bridge: Any, *, policy_path: Path | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge  # its workspace is the window's one Workspace (log, provider pool)
        self._policy: Any = None
        self._policy_path: Path | None = None
        self._job: Any = None
        self.run_id: str | None = None
        self.outcome: Any = None
        from console.core.active_policy import PolicyFollower

        # A run (finished, stopped or under way) pins the policy it ran on: the editor's is only offered.
        self.follower = PolicyFollower(lambda: self.run_id is not None)
        self._build()
        if policy_path is not None:
            self.set_policy_path(policy_path)

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.policy_row = PolicyInUse("no policy: open one in the policy editor")
        self.policy_label = self.policy_row.label
        self.policy_row.sig_switch_requested.connect(self._on_policy_row_switch_requested)
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.source_value = QLineEdit()
        self.source_value.setPlaceholderText("history name / dataset path / how far back (30d) / route")
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
        self.live = QCheckBox("Live")
        self.live.setToolTip("With a route's shadow: grade newly collected cases every few seconds")
        self.live.setEnabled(False)  # only a route's shadow has cases arriving (see _on_source_changed)
        self.live.toggled.connect(self._on_live_toggled)
        self.source.currentIndexChanged.connect(self._on_source_changed)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.timeout.connect(self._on_live_timer_timeout)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m cells")
        self.open_editor = QPushButton("Open route in policy editor (candidate first)")
        self.open_editor.setEnabled(False)
        self.open_editor.clicked.connect(self.open_in_policy_editor)

        form = QFormLayout()
        form.addRow("Policy", self.policy_row)
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
        run_row.addWidget(self.live)
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
        self.router = RouterSection(self._bridge)
        self.router.sig_use_in_policy_requested.connect(self._on_router_use_in_policy_requested)
        self.right = QTabWidget()
        self.right.addTab(self.charts, "Pass rate and cost")
        self.right.addTab(self.router, "Router")
        self.router.train_button.clicked.connect(lambda: self.right.setCurrentWidget(self.router))
        lower = QSplitter(Qt.Orientation.Horizontal)
        self.table_area = HintOrContent(self.table, "Every case appears here with each model's answer and whether "
                                                    "it passed the bar, once a pilot has run; a stopped pilot resumes where "
                                                    "it stopped.")
        lower.addWidget(self.table_area)
        lower.addWidget(self.right)
        lower.setSizes([640, 640])
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict, 1)
        verdict_row.addWidget(self.open_editor, 0, Qt.AlignmentFlag.AlignTop)
        layout = page_layout(QVBoxLayout(self))
        layout.addLayout(form)
        layout.addLayout(verdict_row)
        layout.addWidget(lower, 1)
        self._on_bar_text_changed()

    # --- inputs -----------------------------------------------------------------------------
    def prefill(self, *, task: str, baseline: str, candidate: str, bar: str) -> None:
        """Set up a pilot of one swap on the task's logged requests (What-if's Pilot this swap)."""
        self.source.setCurrentIndex(SOURCE_KINDS.index("log"))
        self.source_value.setText("30d")
        self.task.setText(task)
        self.baseline.setText(baseline)
        self.candidate.setText(candidate)
        self.bar.setPlainText(bar)

    def set_policy_path(self, path: Path) -> None:
        """Use the policy saved at ``path`` (when the page runs alone, or a test sets it)."""
        from console.core.active_policy import PolicyChoice
        from console.core.policy.loader import load_policy

        loaded = load_policy(path)
        if loaded.policy is None:
            self.policy_label.setText(f"{path.name}: has errors")
            return
        self.follower.used = PolicyChoice(Path(path), loaded.policy, Path(path).name)
        self.follower.offered = None
        self._use_policy(self.follower.used)

    def follow(self, choice: Any) -> None:
        """The active policy changed (a PolicyChoice): adopt it, or offer it while a run's results are shown."""
        if self.follower.consider(choice):
            self._use_policy(choice)
        self.policy_row.show_offer(self.follower.offered, "The pilot shown ran on the policy on the left; using "
                                   "this one clears it from the page (its cells stay in the log and resume).",
                                   self.follower.used)

    def _on_policy_row_switch_requested(self) -> None:
        if self.cancel_button.isEnabled():
            self.verdict.setText("Cancel the running pilot first, then switch policy.")
            return
        choice = self.follower.take_offer()
        if choice is not None:
            self.run_id, self.outcome = None, None
            self.table_area.show_hint()
            self.resume_button.setEnabled(False)
            self.open_editor.setEnabled(False)
            self.router.set_pilot(None, False)
            self.progress.reset()
            self.verdict.setText("Set the bar, then run.")
            self._use_policy(choice)
        self.policy_row.show_offer(None, "")

    def _use_policy(self, choice: Any) -> None:
        self._policy, self._policy_path = choice.policy, choice.path
        self.policy_row.show_used(f"{choice.policy.name} — {choice.label}", str(choice.path))
        if not self.task.text():
            self.task.setText(choice.policy.classification.default)

    def bar_or_error(self) -> tuple[Any, str | None]:
        from console.core.app.pilot import BarError, parse_bar

        try:
            return parse_bar(self.bar.toPlainText(), "bar.yaml"), None
        except BarError as err:
            return None, str(err)

    def _on_bar_text_changed(self) -> None:
        bar, error = self.bar_or_error()
        self.bar_state.setText(f"<span style='color:{outcome_colours()[1]}'>{error}</span>" if error else
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
    def setup_request(self) -> tuple[Any, str | None]:
        """The core's PilotSetupRequest for what the form says, or (None, why not)."""
        from console.core.app import PilotSetupRequest, PilotSource

        if SOURCE_KINDS[self.source.currentIndex()] == "shadow":
            return self._shadow_request()
        bar, error = self.bar_or_error()
        task, baseline, candidate = self.task.text().strip(), self.baseline.text().strip(), self.candidate.text().strip()
        if error or not (task and baseline and candidate):
            return None, error or "Fill in task, baseline and candidate."
        limit = int(self.limit.text()) if self.limit.text().strip().isdigit() else None
        source = PilotSource(SOURCE_KINDS[self.source.currentIndex()], self.source_value.text().strip())  # type: ignore[arg-type]
        return PilotSetupRequest(task, baseline, (candidate,), bar, source, limit), None

    def _shadow_request(self) -> tuple[Any, str | None]:
        """The route's shadow as a pilot set-up; the form shows its task, models and bar."""
        from console.core.app import PilotError
        from console.core.app.shadow import shadow_setup

        try:
            request = shadow_setup(self._policy, self._policy_path, self.source_value.text().strip())
        except PilotError as err:
            return None, str(err)
        self.task.setText(request.task)
        self.baseline.setText(request.baseline)
        self.candidate.setText(request.candidates[0])
        self.bar.setPlainText(yaml.safe_dump(request.bar.model_dump(mode="json", exclude_defaults=True), sort_keys=False))
        return request, None

    def show_shadow(self, route: str, *, live: bool = True) -> None:
        """Grade the route's shadow now (and, with ``live``, again every few seconds)."""
        self.source.setCurrentIndex(SOURCE_KINDS.index("shadow"))
        self.source_value.setText(route)
        self.start(resume=False)
        self.live.setChecked(live)  # after the start: ticked on an idle page, Live would start one itself

    def _on_source_changed(self, index: int) -> None:
        shadow = SOURCE_KINDS[index] == "shadow"
        self.live.setEnabled(shadow)
        if not shadow:
            self.live.setChecked(False)

    def _on_live_toggled(self, checked: bool) -> None:
        """Ticked while no run is going: grade now and from then on (not only from the next Run)."""
        if not checked:
            self._live_timer.stop()
        elif self.run_button.isEnabled() and self.source_value.text().strip():
            self._live_timer.start(0)

    def _on_live_timer_timeout(self) -> None:
        if self.live.isChecked() and SOURCE_KINDS[self.source.currentIndex()] == "shadow" and self.run_button.isEnabled():
            self.start(resume=True)

    def start(self, *, resume: bool) -> None:
        from console.core.app import pilot_run_id

        request, error = self.setup_request()
        if request is None:
            self.verdict.setText(error or "")
            return
        if not resume or self.run_id is None:
            self.run_id = pilot_run_id(request)  # the id `routedesk pilot` gives the same set-up
        run_id = self.run_id
        self.run_button.setEnabled(False)
        self.resume_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.verdict.setText(f"running {run_id}…")
        job = self._bridge.stream(lambda: self._events(run_id, request), lambda event: None)
        job.sig_event_arrived.connect(self._on_job_event_arrived)
        job.sig_failed.connect(self._on_job_failed)
        job.sig_cancelled.connect(lambda: self._on_job_failed(f"cancelled; finished cells are kept — Resume continues {run_id}"))
        self._job = job

    def cancel(self) -> None:
        self.live.setChecked(False)  # a cancel stops a live shadow pilot too
        self._live_timer.stop()
        if self._job is not None:
            self._job.cancel()

    async def _events(self, run_id: str, request: Any) -> AsyncIterator[Any]:
        """Engine thread: the run's progress as events, then ("finished", outcome)."""
        from console.core.app import run_pilot
        from console.ui.queued_events import queued_then_result

        queue: asyncio.Queue[Any] = asyncio.Queue()
        steps: list[int] = []

        def progress(done: int, total: int) -> None:
            step = max(1, total // 200)
            if done == total or not steps or done - steps[-1] >= step:
                steps.append(done)
                queue.put_nowait(("progress", done, total))

        if request.source.kind == "shadow":
            from console.core.app.shadow import run_shadow_pilot

            work = asyncio.ensure_future(run_shadow_pilot(self._bridge.workspace, self._policy, self._policy_path,
                                                          request.source.value, progress=progress))
        else:
            work = asyncio.ensure_future(run_pilot(self._bridge.workspace, self._policy, self._policy_path, request,
                                                   run_id=run_id, progress=progress))
        async for event in queued_then_result(queue, work, "finished"):
            yield event

    def _on_job_event_arrived(self, event: Any) -> None:
        if event[0] == "progress":
            self.progress.setMaximum(event[2])
            self.progress.setValue(event[1])
        elif event[0] == "finished":
            self.show_outcome(event[1])

    def show_outcome(self, outcome: Any) -> None:
        """Show a core PilotOutcome (or a graded shadow's ShadowPilot): the matrix, the charts, the verdict."""
        shadow = outcome if hasattr(outcome, "spend_line") else None
        if shadow is not None:
            outcome = shadow.outcome
        report, verdicts, summaries = outcome.report, outcome.verdicts, outcome.summaries
        self.outcome = outcome
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.resume_button.setEnabled(not report.complete)
        self.matrix.show_report(report)
        self.table_area.show_content()
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, 300)
        self.charts.show_summaries(summaries)
        verdict = verdicts[0]
        colour = outcome_colours()[0 if verdict.meets_bar else 1]
        lines = [f"<b style='color:{colour}'>{verdict.lines[0]}</b>"] + verdict.lines[1:]
        if report.resumed_cells and shadow is None:
            lines.append(f"resumed run {report.setup.run_id}: {report.resumed_cells} cells were already done")
        if shadow is not None:  # each grading resumes the route's one run: what is new is the news
            graded_now = len(report.cases) - report.resumed_cells // max(len(report.models), 1)
            lines.append(f"live shadow pilot: {len(report.cases)} cases collected from traffic so far "
                         f"({graded_now} graded just now); {shadow.spend_line}")
            if self.live.isChecked():
                self._live_timer.start(LIVE_EVERY_MS)
        self.verdict.setText("<br>".join(lines))
        self.open_editor.setEnabled(self._policy is not None)
        self.router.set_pilot(report.setup.run_id, report.complete)
        self.sig_pilot_finished.emit(outcome)

    def _on_job_failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.resume_button.setEnabled(self.run_id is not None)
        self.verdict.setText(f"the pilot stopped: {message}")
        if self.live.isChecked() and SOURCE_KINDS[self.source.currentIndex()] == "shadow":
            self._live_timer.start(LIVE_EVERY_MS)  # e.g. no case collected yet: look again soon
        self.sig_pilot_finished.emit(None)

    # --- after ------------------------------------------------------------------------------
    def open_in_policy_editor(self) -> None:
        from console.core.app.pilot import RouteEditError, candidate_first

        if self._policy is None:
            return
        try:
            edited = candidate_first(self._policy, self.task.text().strip(), self.candidate.text().strip())
        except RouteEditError as err:
            self.verdict.setText(f"{self.verdict.text()}<br><span style='color:{outcome_colours()[1]}'>{err}</span>")
            return
        self.sig_open_policy_requested.emit(edited)

    def _on_router_use_in_policy_requested(self, file: str, target: float) -> None:
        """The route of this pilot's task gets ``router: {file, target}``, opened as a draft in the editor."""
        from console.core.app.router import RouterError, policy_with_router

        if self._policy is None or self.outcome is None:
            self.router.show_problem("Open a policy first: the router entry is written into its route.")
            return
        task = self.task.text().strip()
        try:
            edited = policy_with_router(self._policy, task, file, target, self.outcome.report.models)
        except RouterError as err:
            self.router.show_problem(f"<span style='color:{outcome_colours()[1]}'>{err}.</span> The router stays saved as {file}: "
                                     f"give {self._policy.name} a route for '{task}' on the Policies page, or switch "
                                     "to a policy that has one, then Use in policy again.")
            return
        self.router.show_problem("")
        self.sig_open_policy_requested.emit(edited)
