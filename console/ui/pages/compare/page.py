"""The Side by side page: a prompt, the models to ask, and one streaming column per model.

Work runs on the engine thread: the page hands the bridge a coroutine that runs the core's
``Comparison`` (``console.core.app.compare``) on the window's one Workspace, whose provider pool
holds the loaded GGUF files the other pages use too; its events come back as queued job events
and land in their columns.
Calls are logged as kind ``comparison``; Save keeps the comparison (winner, note) in the log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea, QSpinBox, QSplitter, QVBoxLayout, QWidget,
)

from console.ui.empty_hint import HintOrContent
from console.ui.layout import page_layout
from console.ui.pages.compare.chart import CostLatencyChart
from console.ui.pages.compare.column_view import ColumnView
from console.ui.policy_in_use import PolicyInUse


class ComparePage(QWidget):
    """Signals:
        sig_comparison_finished(object): a run ended; the ComparisonResult.
        sig_saved_list_changed(): the saved comparisons were (re)read.
    """

    sig_comparison_finished = Signal(object)
    sig_saved_list_changed = Signal()

    def __init__(self, bridge: Any, *, policy_path: Path | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge  # its workspace is the window's one Workspace (log, provider pool)
        self._policy: Any = None
        self._policy_path: Path | None = None
        self._runner: Any = None
        self._job: Any = None
        self.result: Any = None
        self.columns: list[ColumnView] = []
        from console.core.active_policy import PolicyFollower

        # Results (or a run under way) pin the policy they came from: the editor's is only offered.
        self.follower = PolicyFollower(lambda: self.result is not None or not self.run_button.isEnabled())
        self._build()
        if policy_path is not None:
            self.set_policy_path(policy_path)

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.policy_row = PolicyInUse("no policy: ad hoc models only")
        self.policy_label = self.policy_row.label
        self.policy_row.sig_switch_requested.connect(self._on_policy_row_switch_requested)
        open_policy = QPushButton("Policy…")
        open_policy.clicked.connect(self._on_open_policy_clicked)
        self.models = QListWidget()
        self.models.setMaximumHeight(64)
        self.extra_models = QLineEdit()
        self.extra_models.setPlaceholderText("more models, comma-separated: MODEL@http://host/v1, /path/model.gguf")
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("The prompt every model answers")
        self.prompt.setMaximumHeight(64)
        self.system = QLineEdit()
        self.system.setPlaceholderText("optional system prompt")
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 32768)
        self.max_tokens.setValue(256)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(-0.1, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setSpecialValueText("model default")
        self.temperature.setValue(-0.1)
        self.json_mode = QCheckBox("JSON mode")
        self.per_column = QLineEdit()
        self.per_column.setObjectName("per-column")
        self.per_column.setPlaceholderText(
            "per-column settings (optional): smollm2: temperature=0.2, max_tokens=64; other: json=on, system=…"
        )
        self.run_button = QPushButton("Run side by side")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.run_comparison())
        self.stop_all_button = QPushButton("Stop all")
        self.stop_all_button.setEnabled(False)
        self.stop_all_button.clicked.connect(self.stop_all)
        self.status = QLabel("")
        form = QFormLayout()
        policy_row = QHBoxLayout()
        policy_row.addWidget(self.policy_row, 1)
        policy_row.addWidget(open_policy)
        form.addRow("Policy", policy_row)
        form.addRow("Models", self.models)
        form.addRow("", self.extra_models)
        form.addRow("Prompt", self.prompt)
        form.addRow("System", self.system)
        form.addRow("Per column", self.per_column)
        knobs = QHBoxLayout()
        for label, widget in (("max tokens", self.max_tokens), ("temperature", self.temperature)):
            knobs.addWidget(QLabel(label))
            knobs.addWidget(widget)
        knobs.addWidget(self.json_mode)
        knobs.addStretch(1)
        knobs.addWidget(self.run_button)
        knobs.addWidget(self.stop_all_button)
        form.addRow("", knobs)

        self.columns_host = QWidget()
        self.columns_row = QHBoxLayout(self.columns_host)
        self.columns_row.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.columns_host)
        self.chart = CostLatencyChart()
        self.chart.setMinimumHeight(160)
        self.chart.setMaximumHeight(260)
        split = QSplitter(Qt.Orientation.Vertical)
        self.columns_area = HintOrContent(scroll, "Each model's answer streams into a column of its own here, with "
                                                  "its cost, latency and time to first token. Tick the models above "
                                                  "(or add more), type a prompt and press Run side by side.")
        split.addWidget(self.columns_area)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 200])

        self.note = QLineEdit()
        self.note.setPlaceholderText("a note kept with the comparison (why the winner won)")
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.saved = QComboBox()
        self.saved.setMinimumWidth(260)
        load = QPushButton("Open saved")
        load.clicked.connect(lambda: self.load_saved(self.saved.currentData()))
        rerun = QPushButton("Re-run on the chosen models")
        rerun.clicked.connect(self.rerun)
        for button in (self.save_button, self.export_button):
            button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.export_button)
        bottom.addSpacing(16)
        bottom.addWidget(self.saved)
        bottom.addWidget(load)
        bottom.addWidget(rerun)

        layout = page_layout(QVBoxLayout(self))
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

    # --- policy and models ------------------------------------------------------------------
    def set_policy_path(self, path: Path) -> None:
        """Use the policy saved at ``path`` (chosen here with Policy…, or when the page runs alone)."""
        from console.core.active_policy import PolicyChoice
        from console.core.policy.loader import load_policy

        loaded = load_policy(path)
        if loaded.policy is None:
            self.policy_label.setText(f"{path.name}: has errors; ad hoc models only")
            return
        self.follower.used = PolicyChoice(Path(path), loaded.policy, Path(path).name)
        self.follower.offered = None
        self._use_policy(self.follower.used)

    def follow(self, choice: Any) -> None:
        """The active policy changed (a PolicyChoice): adopt it, or offer it while results are shown."""
        if self.follower.consider(choice):
            self._use_policy(choice)
        self.policy_row.show_offer(self.follower.offered, "The answers shown came from the policy on the left; "
                                   "using this one clears them (saved comparisons stay saved).", self.follower.used)

    def _on_policy_row_switch_requested(self) -> None:
        if not self.run_button.isEnabled():
            self.status.setText("Stop the run first, then switch policy.")
            return
        choice = self.follower.take_offer()
        if choice is not None:
            self.result = None
            self._make_columns([])
            self.chart.show_columns([], [], [], [], [])
            self.save_button.setEnabled(False)
            self.export_button.setEnabled(False)
            self.status.setText("")
            self._use_policy(choice)
        self.policy_row.show_offer(None, "")

    def _use_policy(self, choice: Any) -> None:
        self._policy, self._policy_path = choice.policy, choice.path
        self.policy_row.show_used(f"{choice.policy.name} — {choice.label}", str(choice.path))
        self.models.clear()
        for alias in choice.policy.models:
            item = QListWidgetItem(alias)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.models.addItem(item)
        self.refresh_saved()

    def _on_open_policy_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Policy", "", "Policies (*.yaml *.yml)")
        if name:
            self.set_policy_path(Path(name))

    def chosen_models(self) -> list[str]:
        checked = [self.models.item(i).text() for i in range(self.models.count())
                   if self.models.item(i).checkState() == Qt.CheckState.Checked]
        extra = [m.strip() for m in self.extra_models.text().split(",") if m.strip()]
        return checked + extra

    def params(self) -> Any:
        from console.core.app.compare import CompareParams

        temperature = None if self.temperature.value() < 0 else self.temperature.value()
        return CompareParams(prompt=self.prompt.toPlainText(), system=self.system.text() or None,
                             temperature=temperature, max_tokens=self.max_tokens.value(),
                             json_mode=self.json_mode.isChecked())

    # --- running ----------------------------------------------------------------------------
    def run_comparison(self, params: Any = None) -> None:
        from console.core.app.compare import ColumnSpecError, parse_columns

        params = params or self.params()
        if not params.prompt.strip():
            self.status.setText("Type a prompt first.")
            return
        try:
            specs = parse_columns(self.chosen_models(), self._policy, self.per_column.text())
        except ColumnSpecError as err:
            self.status.setText(str(err))
            return
        if not specs:
            self.status.setText("Choose at least one model.")
            return
        self._make_columns(specs)
        self.status.setText(f"asking {len(specs)} models…")
        self.run_button.setEnabled(False)
        self.stop_all_button.setEnabled(True)
        self.save_button.setEnabled(False)
        self.export_button.setEnabled(False)
        job = self._bridge.stream(lambda: self._events_on_engine(specs, params), lambda event: None)
        job.sig_event_arrived.connect(self._on_job_event_arrived)
        job.sig_finished.connect(self._on_job_finished)
        job.sig_failed.connect(self._on_job_failed)
        job.sig_cancelled.connect(lambda: self._on_job_failed("stopped"))
        self._job = job

    def _make_columns(self, specs: list[Any]) -> None:
        for view in self.columns:
            view.setParent(None)
            view.deleteLater()
        self.columns = []
        for index, spec in enumerate(specs):
            view = ColumnView(index, spec.label, spec.alias or spec.model_id or "")
            view.sig_stop_requested.connect(self.stop_column)
            view.winner.toggled.connect(self._on_column_winner_toggled)
            self.columns_row.addWidget(view)
            self.columns.append(view)
        if self.columns:
            self.columns_area.show_content()
        else:
            self.columns_area.show_hint()

    async def _events_on_engine(self, specs: list[Any], params: Any) -> AsyncIterator[Any]:
        """The run's column events as they happen, then ("finished", ComparisonResult) last."""
        import asyncio

        from console.ui.queued_events import queued_then_result

        queue: asyncio.Queue[Any] = asyncio.Queue()
        task = asyncio.ensure_future(self._run_on_engine(specs, params, queue.put_nowait))
        async for event in queued_then_result(queue, task, "finished"):
            yield event

    async def _run_on_engine(self, specs: list[Any], params: Any, sink: Any) -> Any:
        from console.core.app import Comparison

        self._runner = Comparison(self._bridge.workspace, self._policy, self._policy_path, specs, params)
        return await self._runner.run(sink)

    def stop_column(self, index: int) -> None:
        if self._runner is not None:
            self._runner.cancel(index)

    def stop_all(self) -> None:
        if self._runner is not None:
            self._runner.cancel_all()

    def _on_job_event_arrived(self, event: Any) -> None:
        from console.core.app.compare import ColumnFinished, ColumnStarted, ColumnText

        if not isinstance(event, (ColumnFinished, ColumnStarted, ColumnText)) or event.index >= len(self.columns):
            return
        view = self.columns[event.index]
        if isinstance(event, ColumnText):
            view.append(event.text)
        elif isinstance(event, ColumnStarted):
            view.show_running()
        elif isinstance(event, ColumnFinished):
            view.show_result(event.result)

    def _on_job_finished(self, last_event: Any) -> None:
        _finished, result = last_event
        self._show_result(result)
        self.status.setText(f"done in {result.wall_ms:.0f} ms" + "".join(f" · {n}" for n in result.notes))
        self.sig_comparison_finished.emit(result)

    def _show_result(self, result: Any) -> None:
        self.result = result
        self.run_button.setEnabled(True)
        self.stop_all_button.setEnabled(False)
        self.save_button.setEnabled(True)
        self.export_button.setEnabled(True)
        for view, column in zip(self.columns, result.columns):
            view.show_result(column)
            view.winner.setChecked(column.label == result.winner)
        self.note.setText(result.note)
        cols = result.columns
        self.chart.show_columns([c.label for c in cols], [c.cost_usd for c in cols], [c.latency_ms for c in cols],
                                [c.ttft_ms for c in cols], [c.outcome.value == "ok" for c in cols])

    def _on_job_failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.stop_all_button.setEnabled(False)
        self.status.setText(f"the comparison stopped: {message}")

    def _on_column_winner_toggled(self, checked: bool) -> None:
        if self.result is None or not checked:
            return
        for view in self.columns:
            if view.winner.isChecked():
                self.result.winner = view.label

    # --- keeping ----------------------------------------------------------------------------
    def save(self) -> None:
        if self.result is None:
            return
        self.result.note = self.note.text()
        result = self.result

        async def save_on_engine() -> int:
            from console.core.app.compare import save_comparison

            return save_comparison(self._bridge.workspace, result)

        job = self._bridge.submit(save_on_engine)
        job.sig_finished.connect(lambda cid: (self.status.setText(f"saved as comparison #{cid}"), self.refresh_saved()))
        job.sig_failed.connect(lambda m: self.status.setText(f"could not save: {m}"))
        self._save_job = job

    def refresh_saved(self) -> None:
        async def read() -> Any:
            from console.core.app.compare import list_comparisons

            return list_comparisons(self._bridge.workspace)

        job = self._bridge.submit(read)
        job.sig_finished.connect(self._on_saved_listed)
        job.sig_failed.connect(lambda m: self.status.setText(f"cannot read saved comparisons: {m}"))
        self._list_job = job

    def _on_saved_listed(self, saved: list[Any]) -> None:
        self.saved.clear()
        for item in saved:
            winner = f" · winner {item.winner}" if item.winner else ""
            self.saved.addItem(f"#{item.comparison_id} · {item.columns} models{winner} · {item.prompt[:40]}", item.comparison_id)
        self.sig_saved_list_changed.emit()

    def load_saved(self, comparison_id: int | None) -> None:
        if comparison_id is None:
            return

        async def read() -> Any:
            from console.core.app.compare import load_comparison

            return load_comparison(self._bridge.workspace, comparison_id)

        job = self._bridge.submit(read)
        job.sig_finished.connect(self._on_saved_loaded)
        job.sig_failed.connect(lambda m: self.status.setText(m))
        self._load_job = job

    def _on_saved_loaded(self, result: Any) -> None:
        self.prompt.setPlainText(result.params.prompt)
        self.system.setText(result.params.system or "")
        self.max_tokens.setValue(result.params.max_tokens)
        self.json_mode.setChecked(result.params.json_mode)
        self._make_columns(result.specs)
        self._show_result(result)
        self.status.setText(f"comparison #{result.comparison_id}, saved")

    def rerun(self) -> None:
        """The loaded (or last) comparison's prompt and settings, on the models chosen now."""
        self.run_comparison(self.result.params if self.result is not None else None)

    def _on_export_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export comparison", "comparison.md",
                                              "Markdown (*.md);;CSV (*.csv);;JSON (*.json)")
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        from console.core.app.compare import write_export

        if self.result is None:
            return
        self.result.note = self.note.text()
        try:
            write_export(path, self.result)
        except (OSError, ValueError) as err:
            self.status.setText(f"could not export: {err}")
            return
        self.status.setText(f"exported to {path}")
