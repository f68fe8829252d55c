"""Try it: a prompt and metadata in, the task, the matching rule and the explained plan out.

The plan is ``Engine.explain`` over the policy as currently edited, recomputed a moment after each
edit (no model is called). Whether each provider's key can be had is read once per set of key
references, off the GUI thread (a keyring read may wait on an unlock prompt), and a model without
its key is dropped in the plan with that reason. "Send" (or Ctrl+Enter) routes the prompt for real
on the engine thread; the answer streams into its own box, and the status line, the notes and the
attempt chain say what happened on the way (try_it_outcome).
"""

from __future__ import annotations

import html
from typing import Any, Mapping

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.request import Request
from console.ui.pages.policy_editor.prompt_history import PromptHistory, TriedPrompt
from console.ui.pages.policy_editor.try_it_outcome import AttemptOutcomeView
from console.ui.result_table import result_table

EXPLAIN_DELAY_MS = 150
TTFT_READ_DELAY_MS = 1000  # after the first paint: see set_policy
SEND_KEYS = ("Ctrl+Return", "Ctrl+Enter")  # Return on the main block, Enter on the keypad


def parse_metadata(text: str) -> dict[str, str]:
    """``team=ops, region=eu`` → {"team": "ops", "region": "eu"} (items without '=' are ignored)."""
    pairs = {}
    for item in text.replace(";", ",").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            pairs[key.strip()] = value.strip()
    return pairs


def key_references(policy: Any) -> tuple[tuple[str, str, str], ...]:
    """What a key check depends on: each provider's name, kind and key reference."""
    return tuple(sorted((name, provider.kind.value, provider.key or "") for name, provider in policy.providers.items()))


class TryItPanel(QWidget):
    """Explains (and on request, sends) one prompt against the policy being edited.

    Attributes:
        key_store: where keys are read for the plan's key check (None: the workspace's, as routing reads them).
        missing_keys: provider → why its key is missing, from the last check (None until it is known;
            a re-check of the same references keeps the last answer until the new one arrives).
        history: the prompts sent this session.
    """

    def __init__(self, bridge: Any = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._policy: Any = None
        self.policy_path: Any = None  # the file the policy came from: relative GGUF paths resolve against it
        self._engine: Any = None
        self._job: Any = None
        self._model_streaming: str | None = None
        self.plan: Any = None
        self.key_store: Any = None
        self.missing_keys: Mapping[str, str] | None = None
        self._keys_checked_for: Any = None
        self._key_job: Any = None
        self._ttft_history: dict[str, list[float]] = {}  # the log's first tokens per model (see _read_ttft_history)
        self._ttft_read_for: Any = None
        self._ttft_job: Any = None
        self.history = PromptHistory()
        self.tried = QComboBox()
        self.tried.setObjectName("try-history")
        self.tried.setPlaceholderText("Prompts tried this session")
        self.tried.setEnabled(False)
        self.tried.activated.connect(self._on_tried_activated)
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("try-prompt")
        self.prompt.setPlaceholderText("Type a prompt, e.g. 'Why does this python function raise a traceback?' "
                                       "(Ctrl+Enter sends it)")
        self.prompt.setMaximumHeight(90)
        self.metadata = QLineEdit()
        self.metadata.setPlaceholderText("team=ops, region=eu")
        self.task_hint = QLineEdit()
        self.task_hint.setPlaceholderText("optional task hint")
        self.task_label = QLabel("—")
        self.task_label.setWordWrap(True)
        self.task_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.keys_label = QLabel()
        self.keys_label.setObjectName("try-keys")
        self.keys_label.setWordWrap(True)
        self.candidates = result_table(["Model", "Kept", "Est. cost $", "Reason"], "try-plan")
        self.candidates.horizontalHeader().setStretchLastSection(True)
        self.candidates.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.setWordWrap(True)
        self.candidates.setMinimumHeight(120)  # room for a few candidates whatever the splitter says
        self.send = QPushButton("Send for real")
        self.send.setToolTip("Route this prompt through the policy for real (Ctrl+Enter)")
        self.stop = QPushButton("Stop")
        self.stop.setEnabled(False)
        self.outcome = AttemptOutcomeView()
        self.answer = self.outcome.answer
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(EXPLAIN_DELAY_MS)
        self._timer.timeout.connect(self.explain_now)
        self.prompt.textChanged.connect(self._timer.start)
        self.metadata.textChanged.connect(self._timer.start)
        self.task_hint.textChanged.connect(self._timer.start)
        self.send.clicked.connect(self._on_send_clicked)
        self.stop.clicked.connect(self._on_stop_clicked)
        for keys in SEND_KEYS:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self._on_send_clicked)
        self._build_layout()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Tried", self.tried)
        form.addRow("Prompt", self.prompt)
        form.addRow("Metadata", self.metadata)
        form.addRow("Task hint", self.task_hint)
        form.addRow("Task", self.task_label)
        plan = QWidget()
        plan_layout = QVBoxLayout(plan)
        plan_layout.setContentsMargins(0, 0, 0, 0)
        plan_layout.addLayout(form)
        plan_layout.addWidget(self.keys_label)
        plan_layout.addWidget(self.candidates, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send)
        buttons.addWidget(self.stop)
        plan_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(plan)
        splitter.addWidget(self.outcome)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([460, 340])  # the plan needs a few rows; what happened needs room to read
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

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

            known = self._ttft_history if self._ttft_read_for == self._models_of(policy) else None
            self._engine = Engine(policy, ttft_seed=known)
            self._check_keys()
            # Later, not now: reading the log imports SQLAlchemy (~0.5 s), and at start-up that would
            # hold the import lock and the GIL while the window paints for the first time.
            QTimer.singleShot(TTFT_READ_DELAY_MS, self, self._read_ttft_history)
        self._timer.start()

    # --- first-token history ---------------------------------------------------------------
    def _read_ttft_history(self) -> None:
        """Read each model's measured first tokens from the log, off the GUI thread, when the models
        changed: the plan's first-token deadlines are then the ones routing would use."""
        policy, bridge = self._policy, self._bridge
        if policy is None or bridge is None or getattr(bridge, "closing", False):
            return
        models = self._models_of(policy)
        if models == self._ttft_read_for:
            return
        self._ttft_read_for = models
        # bridge.workspace is touched in the worker, never here: making the Workspace opens the log
        # (SQLAlchemy, ~0.5 s of imports), which on the GUI thread delayed the window's first paint.
        job = bridge.run_blocking(lambda: bridge.workspace.ttft_so_far(policy))
        self._ttft_job = job
        job.sig_finished.connect(lambda found, job=job: self._on_ttft_history(job, found))

    @staticmethod
    def _models_of(policy: Any) -> tuple[tuple[str, str], ...]:
        """What a history is read for: an alias re-pointed at another model has none of its old one."""
        return tuple(sorted((alias, model.model) for alias, model in policy.models.items()))

    def _on_ttft_history(self, job: Any, found: Any) -> None:
        if job is not self._ttft_job or self._engine is None:
            return
        self._ttft_job = None
        self._ttft_history = dict(found or {})
        self._engine.health.seed_ttft(self._ttft_history)
        self.explain_now()

    # --- keys -----------------------------------------------------------------------------
    def _check_keys(self, again: bool = False) -> None:
        """Read, off the GUI thread, which providers have no key; only when the references changed."""
        policy = self._policy
        if policy is None or self._bridge is None or getattr(self._bridge, "closing", False):
            return
        references = key_references(policy)
        if references == self._keys_checked_for and not again:
            return
        import asyncio

        from console.core.app import missing_keys

        if references != self._keys_checked_for:
            self.missing_keys = None  # another policy's keys: the old answer says nothing about them
        self._keys_checked_for = references
        bridge, store = self._bridge, self.key_store

        async def check() -> Any:  # on the engine thread; the keyring read itself in a worker thread
            keys = store if store is not None else bridge.workspace.providers.key_store  # what routing reads
            return await asyncio.get_running_loop().run_in_executor(None, missing_keys, policy, keys)

        job = bridge.submit(check)
        self._key_job = job
        job.sig_finished.connect(lambda found, job=job: self._on_keys_checked(job, found))
        job.sig_failed.connect(lambda message, job=job: self._on_keys_checked(job, None, message))
        self._show_key_state()

    def recheck_keys(self) -> None:
        """Read the keys again (one may have been set or removed on the Keys page since)."""
        self._check_keys(again=True)

    def _on_keys_checked(self, job: Any, found: Any, error: str | None = None) -> None:
        if job is not self._key_job:  # an older check, for references since replaced
            return
        self._key_job = None
        self.missing_keys = dict(found) if found is not None else None
        self._show_key_state(error)
        self.explain_now()

    def _show_key_state(self, error: str | None = None) -> None:
        if self._key_job is not None and self.missing_keys is None:
            text = "Checking provider keys… (the keyring may be waiting to be unlocked)"
        elif error:
            text = f"Keys could not be checked: {error}"
        elif self.missing_keys:
            text = "No key for " + "; ".join(f"<b>{name}</b> ({why})" for name, why in sorted(self.missing_keys.items()))
            text += ". Its models are dropped below; set keys on the Keys page."
        else:
            text = ""
        self.keys_label.setText(text)
        self.keys_label.setVisible(bool(text))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._key_job is None and self._keys_checked_for is not None:
            self.recheck_keys()  # coming back from the Keys page: what it changed shows at once

    # --- explaining -----------------------------------------------------------------------
    def explain_now(self) -> None:
        self._timer.stop()
        self.send.setEnabled(self._engine is not None and self._bridge is not None and self._job is None)
        if self._engine is None:
            self.plan = None
            self.task_label.setText("Fix the policy's errors to see a plan.")
            self.candidates.setRowCount(0)
            return
        self.plan = self._engine.explain(self.request(), missing_keys=self.missing_keys)
        self._show_plan(self.plan)

    def _show_plan(self, plan: Any) -> None:
        text = f"<b>{plan.task}</b> — {plan.task_reason}"
        if plan.blocked_by:
            text += f"<br>Blocked by budget <b>{plan.blocked_by}</b>."
        if plan.router_note:
            text += f"<br>{html.escape(plan.router_note)}"
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
                if column == 3:  # the first-token deadline and where it came from (routing/deadlines.py)
                    deadline = (f"\nFirst token within {decision.first_token_s:g} s: {decision.first_token_source}"
                                if decision.kept and decision.first_token_s is not None else "")
                    item.setToolTip(value + deadline)
                self.candidates.setItem(row, column, item)
        self.candidates.resizeRowsToContents()

    # --- history --------------------------------------------------------------------------
    def _remember(self, tried: TriedPrompt) -> None:
        self.history.add(tried)
        self.tried.clear()
        for item in self.history.items():
            self.tried.addItem(item.label)
            self.tried.setItemData(self.tried.count() - 1, item.prompt, Qt.ItemDataRole.ToolTipRole)
        self.tried.setCurrentIndex(-1)
        self.tried.setEnabled(True)

    def _on_tried_activated(self, index: int) -> None:
        items = self.history.items()
        if 0 <= index < len(items):
            tried = items[index]
            self.prompt.setPlainText(tried.prompt)
            self.metadata.setText(tried.metadata)
            self.task_hint.setText(tried.task_hint)
            self.explain_now()

    # --- sending --------------------------------------------------------------------------
    def _on_send_clicked(self) -> None:
        if self._bridge is None or self._policy is None or self._job is not None:
            return
        if not self.prompt.toPlainText().strip():
            self.outcome.set_status("Type a prompt first.")
            return
        from console.core.routing.events import Delta

        policy, request = self._policy, self.request()
        bridge = self._bridge
        path = self.policy_path

        def events():  # runs on the engine thread; lands in the routing log like any other traffic
            return bridge.workspace.engine(policy, path).route_stream(request)

        self._remember(TriedPrompt(self.prompt.toPlainText(), self.metadata.text().strip(), self.task_hint.text().strip()))
        self.outcome.begin()
        self._model_streaming = None
        self._job = bridge.stream(events, text_of=lambda e: e.text if isinstance(e, Delta) else None)
        self._job.sig_text_arrived.connect(self._on_job_text_arrived)
        self._job.sig_event_arrived.connect(self._on_job_event_arrived)
        self._job.sig_finished.connect(self._on_job_finished)
        self._job.sig_failed.connect(self._on_job_failed)
        self._job.sig_cancelled.connect(self._on_job_cancelled)
        self.send.setEnabled(False)
        self.stop.setEnabled(True)

    def _on_job_event_arrived(self, event: Any) -> None:
        from console.core.routing.events import Discarded, Started

        if isinstance(event, Started):
            self._model_streaming = event.model
            self.outcome.set_status(f"Trying {event.model} (attempt {event.attempt + 1})… waiting for its first token.")
        elif isinstance(event, Discarded):
            self.outcome.restart_answer()
            self.outcome.add_note(f"{event.model} failed ({event.outcome.value}: {event.reason}) after "
                                  f"{event.discarded_chars:,} characters; its text was discarded and the answer "
                                  "restarted on the next candidate.")

    def _on_job_text_arrived(self, text: str) -> None:
        if self._model_streaming is not None:
            self.outcome.set_status(f"Answer streaming from {self._model_streaming}…")
        self.outcome.append_answer(text)

    def _on_job_finished(self, result: Any) -> None:
        if result is not None:
            self.outcome.show_result(result)
        self._end()

    def _on_job_failed(self, message: str) -> None:
        self.outcome.show_failure(message)
        self._end()

    def _on_job_cancelled(self) -> None:
        self.outcome.show_stopped()
        self._end()

    def _end(self) -> None:
        self._job = None
        self.stop.setEnabled(False)
        self.send.setEnabled(self._engine is not None)
        self.recheck_keys()  # a failed attempt may have been for want of a key set meanwhile

    def _on_stop_clicked(self) -> None:
        if self._job is not None:
            self._job.cancel()
