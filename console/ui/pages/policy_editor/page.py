"""The policy editor page: several policies in tabs, with open/new/save/save as/revert and recent files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QTabWidget, QToolBar, QToolButton, QVBoxLayout, QWidget

from console.ui.layout import page_layout
from console.ui.pages.policy_editor.document import PolicyDocument
from console.ui.pages.policy_editor.editor_tab import PolicyEditorTab, PolicyOpenError, open_document
from console.ui.pages.policy_editor.new_policy import new_policy_data
from console.ui.pages.policy_editor.recent_files import recent_files, remember

FILE_FILTER = "Policies (*.yaml *.yml);;All files (*)"


class PolicyEditorPage(QWidget):
    """Tabs of PolicyEditorTab sharing one undo group (Ctrl+Z acts on the visible policy).

    Signals:
        sig_active_policy_changed(str): the visible policy's title, for the status bar.
        sig_policies_changed(): a policy was opened, closed or saved (the Keys page lists providers).
    """

    sig_active_policy_changed = Signal(str)
    sig_policies_changed = Signal()
    sig_pilot_swap = Signal(str, str, str, str)  # What-if's Pilot this swap: task, baseline, candidate, bar

    def __init__(self, bridge: Any = None, parent: Any = None, *, active_policy: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        from console.core.active_policy import ActivePolicy

        # What the other pages follow (console.core.active_policy); this page is its only writer.
        self.active_policy = active_policy if active_policy is not None else ActivePolicy()
        self.undo_group = QUndoGroup(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("policy-tabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.actions_by_name = self._make_actions()
        toolbar = QToolBar()
        toolbar.setObjectName("policy-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar = toolbar
        self.recent_menu = QMenu("Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.actions_by_name["recent"] = recent_action = self.recent_menu.menuAction()
        for name in ("new", "open", "recent", "save", "save_as", "revert", "undo", "redo"):
            toolbar.addAction(self.actions_by_name[name])
        recent_button = toolbar.widgetForAction(recent_action)
        if isinstance(recent_button, QToolButton):  # a click opens the list, not only the arrow beside it
            recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_button = recent_button
        layout = page_layout(QVBoxLayout(self))
        layout.addWidget(toolbar)
        layout.addWidget(self.tabs)

    def _make_actions(self) -> dict[str, QAction]:
        def action(text: str, shortcut: Any, slot: Any) -> QAction:
            made = QAction(text, self)
            made.setShortcut(QKeySequence(shortcut))
            made.triggered.connect(slot)
            return made

        undo = self._history_action("Undo", self.undo_group.undo, self.undo_group.canUndoChanged,
                                    self.undo_group.undoTextChanged, self.undo_group.canUndo, self.undo_group.undoText)
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self._history_action("Redo", self.undo_group.redo, self.undo_group.canRedoChanged,
                                    self.undo_group.redoTextChanged, self.undo_group.canRedo, self.undo_group.redoText)
        redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence.StandardKey.Redo])
        return {
            "new": action("New", QKeySequence.StandardKey.New, self.new_policy),
            "open": action("Open…", QKeySequence.StandardKey.Open, self.open_dialog),
            "save": action("Save", QKeySequence.StandardKey.Save, self.save_current),
            "save_as": action("Save as…", "Ctrl+Shift+S", self.save_current_as),
            "revert": action("Revert", "", self.revert_current),
            "versions": action("Versions…", "", self.show_versions),
            "undo": undo,
            "redo": redo,
        }

    def _history_action(self, verb: str, slot: Any, can_changed: Any, text_changed: Any, can: Any, text: Any) -> QAction:
        """Undo or Redo, labelled "Undo: routine cost ceiling" (commands name fields in words), or just "Undo"."""
        made = QAction(verb, self)
        made.triggered.connect(slot)

        def refresh(*_args: Any) -> None:
            made.setEnabled(can())
            made.setText(f"{verb}: {text()}" if can() and text() else verb)

        can_changed.connect(refresh)
        text_changed.connect(refresh)
        self.undo_group.activeStackChanged.connect(refresh)
        refresh()
        return made

    # --- tabs -----------------------------------------------------------------------------
    @property
    def current(self) -> PolicyEditorTab | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, PolicyEditorTab) else None

    def editors(self) -> list[PolicyEditorTab]:
        return [w for w in (self.tabs.widget(i) for i in range(self.tabs.count())) if isinstance(w, PolicyEditorTab)]

    def add_document(self, document: PolicyDocument) -> PolicyEditorTab:
        editor = PolicyEditorTab(document, self._bridge)
        self.undo_group.addStack(editor.stack)
        editor.sig_title_changed.connect(self._retitle_tabs)
        editor.sig_saved.connect(self._on_editor_saved)
        editor.what_if.sig_pilot_swap.connect(self.sig_pilot_swap)
        editor.sig_validated.connect(lambda _validation, e=editor: self._publish() if e is self.current else None)
        self.tabs.setCurrentIndex(self.tabs.addTab(editor, editor.title()))
        self._retitle_tabs()
        self.sig_policies_changed.emit()
        return editor

    def open_path(self, path: Path) -> PolicyEditorTab | None:
        """Open ``path`` in a tab (or show its tab); a shipped example opens as the user's own copy."""
        from console.core.paths import example_copy, shipped_example_name

        path = Path(path)
        example = shipped_example_name(path)
        if example is not None:  # the installation's file is never edited in place
            try:
                copy = example_copy(example)
            except OSError as error:
                return self._open_example_unsaved(path, example, error)
            path = copy if copy is not None else path
        for editor in self.editors():
            if editor.document.path and editor.document.path.resolve() == path.resolve():
                self.tabs.setCurrentWidget(editor)
                return editor
        try:
            document = open_document(path)
        except PolicyOpenError as error:
            QMessageBox.warning(self, "Cannot open policy", str(error))
            return None
        remember(path)
        return self.add_document(document)

    def _open_example_unsaved(self, shipped: Path, example: str, error: OSError) -> PolicyEditorTab | None:
        """The example as an unsaved document when the data directory cannot hold its copy.

        The installation's file is still never written (Save asks where), and the notice is not
        modal: this runs while the window opens (also in ``routedesk self-check``), where a modal box
        would wait for a click nobody gives.
        """
        try:
            document = open_document(shipped)
        except PolicyOpenError as open_error:
            self._notice("Cannot open the example", str(open_error))
            return None
        document.path = None
        self._notice("The example opened unsaved",
                     f"{example} could not be copied to your data directory ({error}). It is open as an unsaved "
                     "policy: Save asks where to keep it.")
        return self.add_document(document)

    def _notice(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def close_tab(self, index: int) -> bool:
        editor = self.tabs.widget(index)
        if isinstance(editor, PolicyEditorTab) and editor.dirty:
            if not editor.ask("Unsaved changes", f"Close {editor.title()} and lose its unsaved changes?"):
                return False
        self.tabs.removeTab(index)
        if isinstance(editor, PolicyEditorTab):
            self.undo_group.removeStack(editor.stack)
            editor.deleteLater()
        self._retitle_tabs()
        self.sig_policies_changed.emit()
        return True

    # --- actions --------------------------------------------------------------------------
    def new_policy(self) -> None:
        self.add_document(PolicyDocument(new_policy_data()))

    def open_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open policy", "", FILE_FILTER)
        if name:
            self.open_path(Path(name))

    def save_current(self) -> bool:
        editor = self.current
        if editor is None:
            return False
        if editor.document.path is None:
            return self.save_current_as()
        return editor.save()

    def save_current_as(self) -> bool:
        editor = self.current
        if editor is None:
            return False
        name, _ = QFileDialog.getSaveFileName(self, "Save policy as", "", FILE_FILTER)
        return bool(name) and editor.save(Path(name))

    def revert_current(self) -> None:
        editor = self.current
        if editor is not None and editor.document.path is not None:
            editor.reload_from_disk()

    def show_versions(self) -> Any:
        """The visible policy's saved versions (``versions_dialog``); choosing one restores it in the editor."""
        from console.core.policy.versions import versions
        from console.ui.pages.policy_editor import versions_dialog

        editor = self.current
        if editor is None:
            return None
        name = str(editor.document.get(("name",), "untitled"))
        kept = versions(name)
        from console.core.policy.loader import text_hash
        from console.ui.pages.policy_editor.disk_watch import read_text

        on_disk = read_text(editor.document.path) if editor.document.path is not None else None
        dialog = versions_dialog.VersionsDialog(name, kept, self,
                                                current_hash=text_hash(on_disk) if on_disk is not None else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self._bridge is None:  # a page on its own, without an engine thread
            dialog.show_rows(versions_dialog.version_rows(kept))
        else:  # every version parsed and compared: off the GUI thread
            dialog.job = self._bridge.run_blocking(versions_dialog.version_rows, kept)
            dialog.job.sig_finished.connect(dialog.show_rows)
        dialog.sig_restore_requested.connect(lambda version, e=editor: e.restore_text(
            version.text(), f"Restore the version of {version.saved_at.astimezone():%Y-%m-%d %H:%M}"))
        dialog.open()
        return dialog

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in recent_files():
            self.recent_menu.addAction(str(path), lambda p=path: self.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _on_editor_saved(self, path: str) -> None:
        remember(Path(path))
        self.sig_policies_changed.emit()
        self._on_tabs_current_changed(self.tabs.currentIndex())

    def _on_tabs_current_changed(self, _index: int) -> None:
        editor = self.current
        if editor is not None:
            self.undo_group.setActiveStack(editor.stack)
        index = self.tabs.currentIndex()
        self.sig_active_policy_changed.emit(self.tabs.tabText(index) if editor else "no policy open")
        self._publish()

    # --- names and the active policy --------------------------------------------------------
    def tab_names(self) -> list[str]:
        """Each tab's name without its marks: two files of one name show the folders that differ."""
        from console.ui.pages.policy_editor.tab_names import distinct_names

        editors = self.editors()
        return distinct_names([e.document.path for e in editors],
                              [str(e.document.get(("name",), "untitled")) for e in editors])

    def _retitle_tabs(self, _title: str = "") -> None:
        for editor, name in zip(self.editors(), self.tab_names()):
            index = self.tabs.indexOf(editor)
            marks = (" (example)" if editor.is_example else "") + (" *" if editor.dirty else "")
            self.tabs.setTabText(index, name + marks)
            self.tabs.setTabToolTip(index, str(editor.document.path) if editor.document.path else "not saved yet")
        if self.current is not None:
            self.sig_active_policy_changed.emit(self.tabs.tabText(self.tabs.currentIndex()))

    def _publish(self) -> None:
        """Tell the active-policy model which saved policy is in front (its saved state, not unsaved edits)."""
        from console.core.active_policy import NO_POLICY, PolicyChoice

        editor = self.current
        if editor is None:
            self.active_policy.set(NO_POLICY)
            return
        name = dict(zip(self.editors(), self.tab_names())).get(editor, editor.title())
        self.active_policy.set(PolicyChoice(editor.document.path, editor.saved_policy, name))
