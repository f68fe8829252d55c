"""The Pilot page's router section: train a router from the finished pilot, read its curve, use it.

"Train a router" runs the core's ``train_from_pilot`` off the GUI thread (on the engine loop's
executor), with its progress on a bar. The curve of the held-out cases appears with a draggable
operating point; "Use in policy" asks for the policy with the route's ``router:`` entry at the target
that point stands for (its pass rate over the strongest model's), which the page opens as a draft in
the policy editor - where What-if replays it.

Signals:
    sig_use_in_policy_requested(str, float): the router file and the target the operator chose.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget

from console.ui.empty_hint import HintOrContent
from console.ui.pages.pilot.router_chart import RouterCurveChart
from console.ui.theme import outcome_colours

CHART_MIN_HEIGHT = 260  # the curve chart and its operating-point line: room for its labels and legend


class RouterSection(QWidget):
    """Attributes:
        train_button, use_button, progress, chart, summary: the section's parts. trained: the core's
        PilotRouter once training finished.
    """

    sig_use_in_policy_requested = Signal(str, float)
    """Write ``router: {file, target}`` into a draft of the policy (file, target)."""

    def __init__(self, bridge: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._job: Any = None
        self.run_id: str | None = None
        self.trained: Any = None
        self.train_button = QPushButton("Train a router")
        self.train_button.setEnabled(False)
        self.train_button.setToolTip("Learn from this pilot's graded cases which model passes each prompt")
        self.train_button.clicked.connect(self.train)
        self.use_button = QPushButton("Use in policy")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p%")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem = QLabel("")  # why Use in policy could not: under the summary, never in its place
        self.problem.setObjectName("router-problem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.chart = RouterCurveChart()
        # The chart scrolls rather than be squeezed: at 1440x900 with the first-run guide open, the words
        # above it left the plot ~50 px, its labels and legend on top of each other. Only the chart is in
        # the scroll area: a word-wrapped label in one asks for its height at its narrowest width.
        self.chart.setMinimumHeight(CHART_MIN_HEIGHT)
        self.body_scroll = QScrollArea()
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body_scroll.setWidget(self.chart)
        self.area = HintOrContent(self.body_scroll, "When a pilot has finished, Train a router learns from its graded "
                                                    "cases which model passes each prompt. Its pass rate against cost "
                                                    "on cases it did not train on is charted here; drag the operating "
                                                    "point, then Use in policy.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.area, 1)

    def show_problem(self, text: str) -> None:
        """Say why the router could not be used (empty: nothing to say); the summary stays as it is."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def set_pilot(self, run_id: str | None, complete: bool) -> None:
        """The pilot the section trains from (a finished one enables training)."""
        if run_id != self.run_id:
            self.trained = None
            self.use_button.setEnabled(False)
            self.area.show_hint()
            self.show_problem("")  # it was about the router of the pilot before
            self.progress.setRange(0, 1)
            self.progress.setValue(0)  # not the last training's 100 %
            self.summary.setText("")
        self.run_id = run_id
        self.train_button.setEnabled(bool(run_id) and complete and self._job is None)

    def train(self) -> None:
        if not self.run_id or self._job is not None:
            return
        run_id = self.run_id
        self.train_button.setEnabled(False)
        self.use_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.summary.setText(f"training a router on pilot {run_id}…")
        self.show_problem("")
        job = self._bridge.stream(lambda: self._events(run_id), lambda event: None)
        job.sig_event_arrived.connect(self._on_job_event_arrived)
        job.sig_failed.connect(self._on_job_failed)
        job.sig_cancelled.connect(lambda: self._on_job_failed("cancelled"))
        self._job = job

    async def _events(self, run_id: str) -> AsyncIterator[Any]:
        """Engine thread: progress events, then ("trained", PilotRouter); the fitting itself in a worker."""
        from console.core.app.router import train_from_pilot
        from console.ui.queued_events import queued_then_result

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def progress(done: int, total: int, what: str) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, ("progress", done, total, what))

        work = asyncio.ensure_future(loop.run_in_executor(
            None, lambda: train_from_pilot(self._bridge.workspace, run_id, progress=progress)))
        async for event in queued_then_result(queue, work, "trained"):
            yield event

    def _on_job_event_arrived(self, event: Any) -> None:
        if event[0] == "progress":
            self.progress.setRange(0, event[2])
            self.progress.setValue(event[1])
            self.summary.setText(f"training: {event[3]}…")
        elif event[0] == "trained":
            self._job = None
            self.show_trained(event[1])

    def show_trained(self, trained: Any) -> None:
        self.trained = trained
        report = trained.report
        self.train_button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.area.show_content()
        self.chart.show_report(report)
        strong = report.strongest.rsplit("/", 1)[-1]
        self.summary.setText(
            f"<b>{trained.router.learner.label}</b> (chosen on held-out folds), saved as {trained.path.name}. "
            f"On {report.prompts} cases it did not train on, reaching {report.target:.0%} of {strong}'s pass rate "
            f"takes {report.router_share:.0%} of calls to {strong}; a random router takes {report.random_share:.0%}, "
            f"the longest prompts first {report.longest_share:.0%}.")
        self.use_button.setEnabled(True)

    def _on_job_failed(self, message: str) -> None:
        self._job = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.train_button.setEnabled(bool(self.run_id))
        self.summary.setText(f"<span style='color:{outcome_colours()[1]}'>no router: {message}</span>")

    def _on_use_clicked(self) -> None:
        if self.trained is not None:
            self.sig_use_in_policy_requested.emit(str(self.trained.path.name), round(self.chart.point_target(), 3))
