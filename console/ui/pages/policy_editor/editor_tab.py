"""One open policy: its section editors, the YAML beside them, problems below, Try-it on the side.

Owns the policy's PolicyDocument and QUndoStack. Validation runs a moment after each edit and
feeds every view the same diagnostics. Saving shows the diff against the disk (only the edited
lines: comments, order and quoting stay) and never overwrites a file that changed on disk without
asking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from console.ui.pages.policy_editor.commands import ReplaceDocument
from console.ui.pages.policy_editor.disk_watch import DiskWatch, read_text
from console.ui.pages.policy_editor.document import DocPath, PolicyDocument
from console.ui.pages.policy_editor.problems_panel import ProblemsPanel
from console.ui.pages.policy_editor.route_editor import RouteEditor
from console.ui.pages.policy_editor.rule_builder import TasksAndRules
from console.ui.pages.policy_editor.section_editor import SectionEditor
from console.ui.pages.policy_editor.sections import BUDGETS, MODELS, PROVIDERS, RESIDENCY
from console.ui.pages.policy_editor.try_it import TryItPanel
from console.ui.pages.policy_editor.what_if import WhatIfPanel
from console.ui.pages.policy_editor.validation import Validation, parse_path, validate_document
from console.ui.pages.policy_editor.yaml_panel import DiffDialog, PendingDiff, YamlPanel, unified_diff

VALIDATE_DELAY_MS = 120
Ask = Callable[[str, str], bool]


class PolicyOpenError(Exception):
    """The file cannot be opened in the visual editor; the message says why."""


def open_document(path: Path) -> PolicyDocument:
    """The policy at ``path`` as an editable document that keeps the file's comments."""
    from console.core.policy.source_map import parse_yaml

    text = read_text(path)
    if text is None:
        raise PolicyOpenError(f"{path} cannot be read as UTF-8 text.")
    parsed = parse_yaml(text)
    if parsed.tree is None and parsed.problems:
        problem = parsed.problems[0]
        raise PolicyOpenError(f"{path} is not valid YAML at line {problem.position[0]}: {problem.message}")
    duplicates = [problem for problem in parsed.problems if problem.code == "duplicate-key"]
    if duplicates:
        # The editor would hold only one of the two entries and save the file without the other.
        problem = duplicates[0]
        raise PolicyOpenError(f"{path}, line {problem.position[0]}: {problem.message}. "
                              "Remove one of them in a text editor, then open the file here.")
    if not isinstance(parsed.tree, dict):
        raise PolicyOpenError(f"{path} does not hold a policy (its top level is not a mapping).")
    return PolicyDocument(parsed.tree, path, text)


def ask_with_message_box(parent: QWidget) -> Ask:
    def ask(title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    return ask


class PolicyEditorTab(QWidget):
    """Editor for one policy document.

    Signals:
        sig_title_changed(str): the tab's title (name, '*' when unsaved).
        sig_validated(object): a new Validation after an edit.
        sig_saved(str): the path just saved.
    """

    sig_title_changed = Signal(str)
    sig_validated = Signal(object)
    sig_saved = Signal(str)

    def __init__(self, document: PolicyDocument, bridge: Any = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.document = document
        self.stack = QUndoStack(self)
        self.validation = Validation("")
        self.saved_policy: Any = None  # the policy as saved on disk (None: unsaved, or the file has errors)
        self.ask: Ask = ask_with_message_box(self)
        self.show_diff_before_save = True
        self.disk_changed = False  # the file changed on disk and the user has not reloaded
        self.models = SectionEditor(MODELS, document, self.stack)
        self.providers = SectionEditor(PROVIDERS, document, self.stack)
        self.tasks = TasksAndRules(document, self.stack)
        self.routes = RouteEditor(document, self.stack)
        self.routes.sig_model_requested.connect(self.show_model)
        self.budgets = SectionEditor(BUDGETS, document, self.stack)
        self.residency = SectionEditor(RESIDENCY, document, self.stack)
        self.yaml_view = YamlPanel()
        self.pending_diff = PendingDiff()
        self.try_it = TryItPanel(bridge)
        self.what_if = WhatIfPanel(bridge)
        self.problems = ProblemsPanel()
        self.problems.sig_problem_activated.connect(self.go_to_path)
        self.watch = DiskWatch(self)
        self.watch.sig_file_changed.connect(self._on_watch_file_changed)
        self._build_layout()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        document.subscribe(self._on_document_changed)
        self.stack.cleanChanged.connect(self._on_stack_clean_changed)
        self.watch.watch(document.path, document.disk_text)
        self.validate_now()

    def _build_layout(self) -> None:
        self.sections = QTabWidget()
        self.sections.setObjectName("sections")
        budgets_and_residency = QSplitter(Qt.Orientation.Vertical)
        budgets_and_residency.addWidget(self.budgets)
        budgets_and_residency.addWidget(self.residency)
        for widget, title in (
            (self.models, "Models"),
            (self.providers, "Providers"),
            (self.tasks, "Tasks && rules"),
            (self.routes, "Routes"),
            (budgets_and_residency, "Budgets && residency"),
        ):
            self.sections.addTab(widget, title)
        side = QTabWidget()
        side.addTab(self.try_it, "Try it")
        side.addTab(self.what_if, "What-if")
        side.addTab(self.yaml_view, "YAML to save")
        side.addTab(self.pending_diff, "Changes")
        self.side = side
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.sections)
        top.addWidget(side)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([760, 500])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(self.problems)
        main.setStretchFactor(0, 5)
        main.setStretchFactor(1, 1)
        main.setSizes([700, 110])
        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        reload_button, keep_button = QPushButton("Reload from disk"), QPushButton("Keep mine")
        reload_button.clicked.connect(self.reload_from_disk)
        keep_button.clicked.connect(self.keep_mine)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(reload_button)
        banner_layout.addWidget(keep_button)
        self.banner.hide()
        self.example_note = QLabel()
        self.example_note.setObjectName("example-note")
        self.example_note.setWordWrap(True)
        self.example_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._show_example_note()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.example_note)
        layout.addWidget(self.banner)
        layout.addWidget(main)

    # --- naming ---------------------------------------------------------------------------
    @property
    def is_example(self) -> bool:
        """The document is the user's copy of a shipped example (console.core.paths.example_copy)."""
        from console.core.paths import is_example_copy

        return is_example_copy(self.document.path)

    def title(self) -> str:
        name = self.document.path.name if self.document.path else str(self.document.get(("name",), "untitled"))
        return name + (" (example)" if self.is_example else "") + ("" if self.stack.isClean() else " *")

    def _show_example_note(self) -> None:
        if self.is_example and self.document.path is not None:
            self.example_note.setText(
                f"<b>Example policy.</b> This is your own copy of the {self.document.path.name} shipped with "
                f"Routedesk, kept in <code>{self.document.path.parent}</code>: edit and save it freely, the "
                "installation's file is never changed. Use <i>Save as…</i> to keep your work under a name of your own."
            )
        self.example_note.setVisible(self.is_example)

    def _on_stack_clean_changed(self, _clean: bool) -> None:
        self.sig_title_changed.emit(self.title())

    @property
    def dirty(self) -> bool:
        return not self.stack.isClean()

    # --- validation -----------------------------------------------------------------------
    def _on_document_changed(self, _path: DocPath) -> None:
        self._timer.start()

    def validate_now(self) -> Validation:
        self._timer.stop()
        filename = self.document.path.name if self.document.path else "<policy>"
        self.validation = validation = validate_document(self.document.data, filename, self.document.disk_text)
        if self.document.path is not None and self.stack.isClean():  # the document is what the file holds
            self.saved_policy = validation.policy
        for editor in (self.models, self.providers, self.budgets, self.residency, self.tasks.tasks, self.tasks.rules):
            editor.model.set_diagnostics(validation.diagnostics)
        self.routes.show_diagnostics(validation.diagnostics)
        self.problems.show_diagnostics(validation.diagnostics)
        self.yaml_view.show_text(validation.text)
        self._show_pending_diff()
        self.try_it.set_policy(validation.policy, self.document.path)
        self.what_if.set_policy(validation.policy)
        self.sig_validated.emit(validation)
        return validation

    def _show_pending_diff(self) -> None:
        """The diff saving would write, live; the tab says how many lines change."""
        name = self.document.path.name if self.document.path else "new policy"
        if not self.validation.text:
            return
        self.pending_diff.show_diff(self.document.disk_text or "", self.validation.text, name)
        count = self.pending_diff.changed_lines
        self.side.setTabText(self.side.indexOf(self.pending_diff), f"Changes ({count})" if count else "Changes")

    def show_model(self, alias: str) -> None:
        """The Models tab, with ``alias``'s row selected (the flow view's "Edit model")."""
        if self.models.select_path(("models", alias)):
            self.sections.setCurrentWidget(self.models)

    def go_to_path(self, path_text: str) -> None:
        """Show the field a diagnostic names: its section tab, row and widget."""
        path = parse_path(path_text)
        for number, editor in enumerate((self.models, self.providers, self.tasks, self.routes)):
            if editor.select_path(path):
                self.sections.setCurrentIndex(number)
                return
        if self.budgets.select_path(path) or self.residency.select_path(path):
            self.sections.setCurrentIndex(4)
            return
        for diagnostic in self.validation.diagnostics:
            if diagnostic.path == path_text and diagnostic.line:
                self.side.setCurrentWidget(self.yaml_view)
                self.yaml_view.go_to_line(diagnostic.line)
                return

    # --- saving ---------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> bool:
        """Save to ``path`` (default: the document's own file); False when refused or cancelled."""
        from console.core.policy.save import save_text

        target = path or self.document.path
        if target is None:
            return False
        validation = self.validate_now()
        if validation.policy is None:
            QMessageBox.warning(self, "Cannot save", "This policy has errors; fix the problems listed below first.")
            return False
        if target == self.document.path:
            self.watch.check_now()
            if self.disk_changed and not self.ask(
                "File changed on disk", f"{target.name} changed on disk since you opened it. Overwrite it with your version?"
            ):
                return False
        disk = (read_text(target) or "") if target.exists() else ""
        if self.show_diff_before_save:
            dialog = DiffDialog(unified_diff(disk, validation.text, target.name), self)
            if dialog.exec() != DiffDialog.DialogCode.Accepted:
                return False
        save_text(validation.text, target)
        self.document.path, self.document.disk_text = target, validation.text
        self.saved_policy = validation.policy
        self._show_pending_diff()  # nothing left to save
        if not hasattr(self.document.data, "ca"):
            # A new policy was plain data, written canonically (schema order): from now on the document is
            # the file as written, so the next save changes only what the next edit changes.
            from console.core.policy.source_map import parse_yaml

            self.document.data = parse_yaml(validation.text).tree
        self.watch.watch(target, validation.text)
        self.disk_changed = False
        self.banner.hide()
        self.stack.setClean()
        self._show_example_note()  # saved as a file of the user's own: no longer the example
        self.sig_title_changed.emit(self.title())
        self.sig_saved.emit(str(target))
        return True

    def reload_from_disk(self) -> None:
        if self.document.path is None:
            return
        try:
            fresh = open_document(self.document.path)
        except PolicyOpenError as error:
            QMessageBox.warning(self, "Cannot reload", str(error))
            return
        self.stack.push(ReplaceDocument(self.document, fresh.data))
        self.document.disk_text = fresh.disk_text
        self.watch.known_text = fresh.disk_text
        self._show_pending_diff()
        self.stack.setClean()
        self.disk_changed = False
        self.banner.hide()

    def restore_text(self, text: str, label: str) -> bool:
        """Put a saved version's ``text`` in the editor as one undoable edit (saved only when the user saves)."""
        from console.core.policy.source_map import parse_yaml

        parsed = parse_yaml(text)
        if not isinstance(parsed.tree, dict):
            QMessageBox.warning(self, "Cannot restore", "That version is not a policy any more.")
            return False
        self.stack.push(ReplaceDocument(self.document, parsed.tree, label))
        return True

    def keep_mine(self) -> None:
        """The user chose their version over the changed file: the next save overwrites it knowingly."""
        self.disk_changed = False
        self.banner.hide()

    def _on_watch_file_changed(self, text: str) -> None:
        if text == self.document.disk_text:
            return
        if not self.dirty:
            self.reload_from_disk()
            return
        self.banner_label.setText(
            f"{self.document.path.name if self.document.path else 'The file'} changed on disk while you were editing. "
            "Reload it (your unsaved edits are undoable) or keep your version?"
        )
        self.disk_changed = True
        self.banner.show()
