"""Try it: a prompt and metadata in, the task, the matching rule and the explained plan out.

The plan is ``Engine.explain`` over the policy as currently edited, recomputed a moment after each
edit (no model is called). "Send" routes the prompt for real on the engine thread and streams the
answer back through the bridge.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.request import Request

EXPLAIN_DELAY_MS = 150


def parse_metadata(text: str) -> dict[str, str]:
    """``team=ops, region=eu`` → {"team": "ops", "region": "eu"} (items without '=' are ignored)."""
    pairs = {}
    for item in text.replace(";", ",").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            pairs[key.strip()] = value.strip()
    return pairs


class TryItPanel(QWidget):
    """Explains (and on request, sends) one prompt against the policy being edited."""

    def __init__(self, bridge: Any = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._policy: Any = None
        self.policy_path: Any = None  # the file the policy came from: relative GGUF paths resolve against it
        self._engine: Any = None
        self._job: Any = None
        self.plan: Any = None
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("try-prompt")
        self.prompt.setPlaceholderText("Type a prompt, e.g. 'Why does this python function raise a traceback?'")
        self.prompt.setMaximumHeight(90)
        self.metadata = QLineEdit()
        self.metadata.setPlaceholderText("team=ops, region=eu")
        self.task_hint = QLineEdit()
        self.task_hint.setPlaceholderText("optional task hint")
        self.task_label = QLabel("—")
        self.task_label.setWordWrap(True)
        self.task_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.candidates = QTableWidget(0, 4)
        self.candidates.setObjectName("try-plan")
        self.candidates.setHorizontalHeaderLabels(["Model", "Kept", "Est. cost $", "Reason"])
        self.candidates.horizontalHeader().setStretchLastSection(True)
        self.candidates.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.setWordWrap(True)
        self.candidates.verticalHeader().setVisible(False)
        self.send = QPushButton("Send for real")
        self.stop = QPushButton("Stop")
        self.stop.setEnabled(False)
        self.answer = QPlainTextEdit()
        self.answer.setObjectName("try-answer")
        self.answer.setReadOnly(True)
        self.answer.setPlaceholderText("The answer streams here when you send.")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(EXPLAIN_DELAY_MS)
        self._timer.timeout.connect(self.explain_now)
        self.prompt.textChanged.connect(self._timer.start)
        self.metadata.textChanged.connect(self._timer.start)
        self.task_hint.textChanged.connect(self._timer.start)
        self.send.clicked.connect(self._on_send_clicked)
        self.stop.clicked.connect(self._on_stop_clicked)
        form = QFormLayout()
        form.addRow("Prompt", self.prompt)
        form.addRow("Metadata", self.metadata)
        form.addRow("Task hint", self.task_hint)
        form.addRow("Task", self.task_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send)
        buttons.addWidget(self.stop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.candidates, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.answer, 1)

    def request(self) -> Request:
        hint = self.task_hint.text().strip() or None
        return Request.from_prompt(self.prompt.toPlainText(), metadata=parse_metadata(self.metadata.text()), task_hint=hint)

    def set_policy(self, policy: Any, path: Any = None) -> None:
        """Explain against ``policy`` from now on (None while the policy has errors)."""
        self._policy = policy
        self.policy_path = path
        self._engine = None
        if policy is not None:
            from console.core.engine import Engine

            self._engine = Engine(policy)
        self._timer.start()

    def explain_now(self) -> None:
        self._timer.stop()
        self.send.setEnabled(self._engine is not None and self._bridge is not None and self._job is None)
        if self._engine is None:
            self.plan = None
            self.task_label.setText("Fix the policy's errors to see a plan.")
            self.candidates.setRowCount(0)
            return
        self.plan = self._engine.explain(self.request())
        self._show_plan(self.plan)

    def _show_plan(self, plan: Any) -> None:
        text = f"<b>{plan.task}</b> — {plan.task_reason}"
        if plan.blocked_by:
            text += f"<br>Blocked by budget <b>{plan.blocked_by}</b>."
        for warning in plan.warnings:
            text += f"<br>⚠ {warning}"
        self.task_label.setText(text)
        self.candidates.setRowCount(len(plan.candidates))
        for row, decision in enumerate(plan.candidates):
            model = decision.model + (f" (budget {decision.via_budget})" if decision.via_budget else "")
            cells = [model, "yes" if decision.kept else "dropped", f"{decision.estimated_cost_usd:.6f}", decision.reason]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if not decision.kept:
                    item.setForeground(Qt.GlobalColor.gray)
                self.candidates.setItem(row, column, item)

    # --- sending --------------------------------------------------------------------------
    def _on_send_clicked(self) -> None:
        if self._bridge is None or self._policy is None or self._job is not None:
            return
        from console.core.routing.events import Delta, Discarded, Started

        policy, request = self._policy, self.request()
        bridge = self._bridge

        path = self.policy_path

        def events():  # runs on the engine thread; lands in the routing log like any other traffic
            return bridge.workspace.engine(policy, path).route_stream(request)

        self.answer.clear()
        self._job = bridge.stream(events, text_of=lambda e: e.text if isinstance(e, Delta) else None)
        self._job.sig_text_arrived.connect(self._on_job_text_arrived)
        self._job.sig_event_arrived.connect(
            lambda e: self._note(f"[{e.model}: {e.reason}; answer restarts]") if isinstance(e, Discarded)
            else self._note(f"[{e.model}]") if isinstance(e, Started) and e.attempt > 0 else None
        )
        self._job.sig_finished.connect(self._on_job_finished)
        self._job.sig_failed.connect(lambda message: self._end(f"\n[failed: {message}]"))
        self._job.sig_cancelled.connect(lambda: self._end("\n[stopped]"))
        self.send.setEnabled(False)
        self.stop.setEnabled(True)

    def _note(self, text: str) -> None:
        self.answer.appendPlainText(text)

    def _on_job_text_arrived(self, text: str) -> None:
        self.answer.moveCursor(self.answer.textCursor().MoveOperation.End)
        self.answer.insertPlainText(text)

    def _on_job_finished(self, result: Any) -> None:
        if result is None:
            self._end("")
        elif result.ok:
            self._end(f"\n[{result.answered_by}, ${result.total_cost_usd:.6f}, {result.latency_ms:.0f} ms]")
        else:
            self._end(f"\n[{result.outcome.value}: {result.error}]")

    def _end(self, note: str) -> None:
        if note:
            self._on_job_text_arrived(note)
        self._job = None
        self.stop.setEnabled(False)
        self.send.setEnabled(self._engine is not None)

    def _on_stop_clicked(self) -> None:
        if self._job is not None:
            self._job.cancel()
