"""Routes: pick a task, reorder its candidate chain by drag and drop, set its limits and fallbacks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.core.outcomes import Outcome
from console.core.policy.schema import DEFAULT_FALLBACK_ON
from console.ui.pages.policy_editor.commands import InsertItem, MoveItem, RemoveItem, SetValue
from console.ui.pages.policy_editor.document import MISSING, DocPath, PolicyDocument
from console.ui.pages.policy_editor.flow_view import FlowView, route_steps
from console.ui.pages.policy_editor.form_binding import FormBinding, mark_problem
from console.ui.pages.policy_editor.validation import problems_under

FALLBACK_CHOICES = [o for o in Outcome if o not in (Outcome.OK, Outcome.CANCELLED, Outcome.BUDGET_BLOCKED)]


class CandidateList(QListWidget):
    """The candidate chain; drag and drop (or the buttons) reorder it through the undo stack."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("candidates")
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)


class RouteEditor(QWidget):
    """Everything about one task's route.

    Signals:
        sig_model_requested(str): the operator asked (from the flow) to edit this model.
    """

    sig_model_requested = Signal(str)

    def __init__(self, document: PolicyDocument, stack: QUndoStack, parent: Any = None) -> None:
        super().__init__(parent)
        self._document, self._stack = document, stack
        self._diagnostics: list[Any] = []
        self.task: str | None = None
        self.tasks = QListWidget()
        self.tasks.setObjectName("route-tasks")
        self.tasks.currentTextChanged.connect(self._on_tasks_current_text_changed)
        self.flow = FlowView()
        self.flow.sig_candidate_selected.connect(self.candidates_select)
        self.flow.sig_move_requested.connect(self.move_candidate)
        self.flow.sig_remove_requested.connect(self.remove_candidate)
        self.flow.sig_model_requested.connect(self.sig_model_requested)
        self.candidates = CandidateList()
        self.candidates.model().rowsMoved.connect(self._on_candidates_rows_moved)
        self.candidates.currentRowChanged.connect(self._on_candidates_current_row_changed)
        self.create_route = QPushButton("Create a route for this task")
        self.create_route.clicked.connect(self._on_create_route_clicked)
        self.binding = FormBinding(document, stack)
        self._build_layout()
        document.subscribe(self._on_document_changed)
        self._reload_tasks()

    # --- layout ---------------------------------------------------------------------------
    @staticmethod
    def _hinted(edit: QLineEdit, hint: str) -> QLineEdit:
        edit.setPlaceholderText(hint)
        return edit

    def _build_layout(self) -> None:
        self.add_model = QComboBox()
        add, remove = QPushButton("Add"), QPushButton("Remove")
        up, down = QPushButton("Up"), QPushButton("Down")
        add.clicked.connect(self._on_add_clicked)
        remove.clicked.connect(self._on_remove_clicked)
        up.clicked.connect(lambda: self._move_selected(-1))
        down.clicked.connect(lambda: self._move_selected(+1))
        adding, moving = QHBoxLayout(), QHBoxLayout()  # two rows: the column stays narrow, nothing is cut
        adding.addWidget(self.add_model, 1)
        adding.addWidget(add)
        for widget in (remove, up, down):
            moving.addWidget(widget)
        chain = QGroupBox("Candidates, in order (drag to reorder)")
        chain.setMaximumWidth(260)
        chain_layout = QVBoxLayout(chain)
        chain_layout.addWidget(self.candidates)
        chain_layout.addLayout(adding)
        chain_layout.addLayout(moving)

        b = self.binding
        limits = QFormLayout()
        # Narrow (the Try-it panel open at 1440 px): a field goes under its label instead of off the edge.
        limits.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        limits.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Placeholders say what an empty field means (the schema's default), so "empty" is never a mystery.
        fields = [
            ("Cost ceiling ($ per request)", ("max_cost_usd",), "number", "no ceiling"),
            ("Max output tokens", ("max_output_tokens",), "integer", "512"),
            ("p95 latency (ms)", ("latency", "p95_ms"), "number", "no requirement"),
            ("First token within (ms)", ("latency", "ttft_ms"), "number", "no requirement"),
            ("Allowed regions", ("regions",), "list", "any region (e.g. eu, on-prem)"),
        ]
        for label, path, kind, hint in fields:
            limits.addRow(label, self._hinted(b.line(QLineEdit(), path, kind), hint))
        limits.addRow("", b.check(QCheckBox("On-prem models only"), ("on_prem_only",)))
        limits.addRow("", b.check(QCheckBox("Answer must be JSON"), ("output", "json")))
        fields = [
            ("Min mean logprob", ("confidence", "min_mean_logprob"), "number", "not checked"),
            ("Answer must match regex", ("confidence", "validator_regex"), None, "not checked"),
            ("When unsure, escalate to task", ("confidence", "escalate_to"), None, "no escalation"),
            ("Retries", ("retries", "max"), "integer", "1"),
            ("First-token timeout (s)", ("timeouts", "first_token_s"), "number", "20"),
            ("Total timeout (s)", ("timeouts", "total_s"), "number", "120"),
            # A live pilot (console/core/shadow): all four set, or none; clearing them all removes it.
            ("Shadow model (live pilot)", ("shadow", "model"), None, "no shadow"),
            ("Shadow sample (share)", ("shadow", "sample"), "number", "e.g. 0.05"),
            ("Shadow cap ($ per day)", ("shadow", "max_usd_per_day"), "number", "e.g. 2.00"),
            ("Shadow bar file", ("shadow", "bar"), None, "bars/NAME.yaml, beside the policy"),
        ]
        for label, path, kind, hint in fields:
            edit = b.line(QLineEdit(), path, kind) if kind else b.line(QLineEdit(), path)
            limits.addRow(label, self._hinted(edit, hint))

        self.fallback_box = QGroupBox("Fall back to the next candidate on")
        grid = QGridLayout(self.fallback_box)
        self.fallback_checks: dict[Outcome, QCheckBox] = {}
        for number, outcome in enumerate(FALLBACK_CHOICES):
            check = QCheckBox(outcome.value.replace("_", " "))
            check.toggled.connect(self._on_fallback_toggled)
            grid.addWidget(check, number // 2, number % 2)
            self.fallback_checks[outcome] = check

        settings = QWidget()
        settings_layout = QVBoxLayout(settings)
        settings_layout.addLayout(limits)
        settings_layout.addWidget(self.fallback_box)
        settings_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(settings)

        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(chain)
        middle.addWidget(scroll)
        middle.setStretchFactor(1, 1)
        middle.setSizes([200, 500])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.flow)
        right_layout.addWidget(self.create_route)
        right_layout.addWidget(middle, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Tasks"))
        left_layout.addWidget(self.tasks)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 4)
        splitter.setSizes([140, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # --- state ----------------------------------------------------------------------------
    @property
    def route_path(self) -> DocPath | None:
        return ("routes", self.task) if self.task is not None else None

    def candidate_aliases(self) -> list[str]:
        return [self.candidates.item(i).text() for i in range(self.candidates.count())]

    def select_task(self, task: str) -> None:
        matches = self.tasks.findItems(task, Qt.MatchFlag.MatchExactly)
        if matches:
            self.tasks.setCurrentItem(matches[0])

    def _reload_tasks(self) -> None:
        names = list(dict.fromkeys(self._document.keys(("tasks",)) + self._document.keys(("routes",))))
        current = self.task
        self.tasks.blockSignals(True)
        self.tasks.clear()
        self.tasks.addItems(names)
        self.tasks.blockSignals(False)
        if names:
            self.select_task(current if current in names else names[0])
            if self.task not in names:
                self._on_tasks_current_text_changed(self.tasks.currentItem().text())
        else:
            self._on_tasks_current_text_changed("")
        self.add_model.clear()
        self.add_model.addItems(self._document.keys(("models",)))

    def _reload_route(self) -> None:
        path = self.route_path
        route = self._document.get(path) if path else MISSING
        has_route = isinstance(route, dict)
        self.create_route.setVisible(path is not None and not has_route)
        self.binding.base = path if has_route else None
        self.binding.refresh()
        self.candidates.blockSignals(True)
        self.candidates.clear()
        for alias in (route.get("candidates") or []) if has_route else []:
            item = QListWidgetItem(str(alias))
            known = alias in self._document.keys(("models",))
            item.setToolTip("" if known else f"{alias} is not a model of this policy")
            self.candidates.addItem(item)
        self.candidates.blockSignals(False)
        self.candidates.setEnabled(has_route)
        fallback_on = route.get("fallback_on", [o.value for o in DEFAULT_FALLBACK_ON]) if has_route else []
        for outcome, check in self.fallback_checks.items():
            check.blockSignals(True)
            check.setChecked(outcome.value in (fallback_on or []))
            check.setEnabled(has_route)
            check.blockSignals(False)
        self.flow.set_steps(route_steps(self.task, self._document.data) if self.task else [])
        self.show_diagnostics(self._diagnostics)

    def show_diagnostics(self, diagnostics: list[Any]) -> None:
        self._diagnostics = list(diagnostics)
        self.binding.show_diagnostics(diagnostics)
        path = self.route_path
        for row in range(self.candidates.count()):
            item = self.candidates.item(row)
            problems = problems_under(diagnostics, path + ("candidates", row)) if path else []
            item.setToolTip("\n".join(p.message for p in problems))
            item.setForeground(Qt.GlobalColor.red if problems else self.palette().color(self.palette().ColorRole.Text))
        mark_problem(self.candidates, [p.message for p in problems_under(diagnostics, path + ("candidates",), exact=True)] if path else [])
        for number in range(self.tasks.count()):
            item = self.tasks.item(number)
            bad = problems_under(diagnostics, ("routes", item.text()))
            item.setToolTip("\n".join(p.message for p in bad))
            item.setForeground(Qt.GlobalColor.red if bad else self.palette().color(self.palette().ColorRole.Text))

    def select_path(self, path: DocPath) -> bool:
        if path[:1] != ("routes",) or len(path) < 2:
            return False
        self.select_task(str(path[1]))
        if path[2:3] == ("candidates",):
            if len(path) > 3 and isinstance(path[3], int) and path[3] < self.candidates.count():
                self.candidates.setCurrentRow(path[3])
            self.candidates.setFocus()
            return True
        widget = self.binding.widget_for(path)
        (widget or self.candidates).setFocus()
        return True

    # --- edits ----------------------------------------------------------------------------
    def _on_tasks_current_text_changed(self, text: str) -> None:
        self.task = text or None
        self._reload_route()

    def _on_create_route_clicked(self) -> None:
        if self.route_path is not None:
            first = self._document.keys(("models",))[:1]
            self._stack.push(SetValue(self._document, self.route_path, {"candidates": first}, f"Add route {self.task}"))

    def _on_candidates_rows_moved(self, _parent: QModelIndex, start: int, _end: int, _dest: QModelIndex, row: int) -> None:
        target = row if row < start else row - 1
        if self.route_path is not None and target != start:
            command = MoveItem(self._document, self.route_path + ("candidates",), start, target)
            # The list is still inside its drop handling: rebuild it after that returns.
            QTimer.singleShot(0, lambda: self._stack.push(command))

    def candidates_select(self, row: int) -> None:
        self.candidates.setCurrentRow(row)

    def move_candidate(self, row: int, target: int) -> None:
        """Move the candidate at ``row`` to ``target`` (undoable), keeping it selected."""
        path = self.route_path
        if path is None or row == target or not (0 <= row < self.candidates.count() and 0 <= target < self.candidates.count()):
            return
        alias = self.candidates.item(row).text()
        self._stack.push(MoveItem(self._document, path + ("candidates",), row, target,
                                  f"try {alias} {'earlier' if target < row else 'later'} on {self.task}"))
        self.candidates.setCurrentRow(target)
        self.flow.selected = target
        self.flow.update()

    def remove_candidate(self, row: int) -> None:
        if self.route_path is not None and 0 <= row < self.candidates.count():
            self._stack.push(RemoveItem(self._document, self.route_path + ("candidates",), row))

    def _move_selected(self, step: int) -> None:
        row, path = self.candidates.currentRow(), self.route_path
        target = row + step
        if path is None or row < 0 or not (0 <= target < self.candidates.count()):
            return
        self._stack.push(MoveItem(self._document, path + ("candidates",), row, target))
        self.candidates.setCurrentRow(target)

    def _on_candidates_current_row_changed(self, row: int) -> None:
        self.flow.selected = row
        self.flow.update()

    def _on_add_clicked(self) -> None:
        alias = self.add_model.currentText()
        if self.route_path is not None and alias:
            self._stack.push(InsertItem(self._document, self.route_path + ("candidates",), alias))

    def _on_remove_clicked(self) -> None:
        row = self.candidates.currentRow()
        if self.route_path is not None and row >= 0:
            self._stack.push(RemoveItem(self._document, self.route_path + ("candidates",), row))

    def _on_fallback_toggled(self, _checked: bool) -> None:
        if self.route_path is None:
            return
        chosen = [o.value for o, check in self.fallback_checks.items() if check.isChecked()]
        default = [o.value for o in DEFAULT_FALLBACK_ON]
        value: Any = MISSING if sorted(chosen) == sorted(default) else chosen
        command = SetValue(self._document, self.route_path + ("fallback_on",), value, "Edit fallback outcomes")
        if command.changes_anything:
            self._stack.push(command)

    def _on_document_changed(self, path: DocPath) -> None:
        if not path or path[0] in ("tasks", "models") and len(path) <= 2 or path[0] == "routes" and len(path) <= 1:
            self._reload_tasks()
        elif path[0] in ("routes", "budgets", "models"):
            self._reload_route()
