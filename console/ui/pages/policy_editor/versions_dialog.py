"""The policy's version history: every saved version, what it changed, and a way back to one.

The list comes from ``console.core.policy.versions`` (each save keeps one); the words under each
version come from ``version_diff`` against the version before it. Restoring puts the version's text
into the editor as one undoable edit: nothing is written until the user saves, and the save becomes
the newest version in turn, so no version is ever lost by restoring another.
The list shows each version at once; what each changed needs every version parsed (tens of ms
each: seconds for a year of saves), so the page works that out off the GUI thread (``show_rows``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
)

from console.core.policy.versions import PolicyVersion


def version_rows(policy_versions: list[PolicyVersion]) -> list[tuple[PolicyVersion, list[str]]]:
    """Each version (newest first) with its diff summary against the version saved before it."""
    from console.core.policy.loader import load_policy_text
    from console.core.policy.version_diff import diff_summary

    rows = []
    previous = None
    for version in policy_versions:
        policy = load_policy_text(version.text(), str(version.file)).parsed
        lines = diff_summary(previous, policy) if policy is not None else ["(no longer a valid policy)"]
        rows.append((version, lines))
        previous = policy if policy is not None else previous
    return rows[::-1]


class VersionsDialog(QDialog):
    """Saved versions of one policy, newest first, with the text of the selected one.

    Signals:
        sig_restore_requested(object): the PolicyVersion the user chose to restore.
    """

    sig_restore_requested = Signal(object)

    def __init__(self, policy_name: str, policy_versions: list[PolicyVersion], parent: Any = None, *,
                 current_hash: str | None = None) -> None:
        super().__init__(parent)
        self.current_hash = current_hash  # the text hash of the file as it is now: that version is marked
        self.setWindowTitle(f"Versions of {policy_name}")
        self.resize(860, 520)
        self.list = QListWidget()
        self.list.setObjectName("policy-versions")
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setObjectName("policy-version-text")
        for version in policy_versions[::-1]:  # newest first; what each changed follows (show_rows)
            item = QListWidgetItem(self._head(version) + "\n  reading what changed…")
            item.setData(Qt.ItemDataRole.UserRole, version)
            self.list.addItem(item)
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = buttons.addButton("Restore this version", QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.list, 2)
        body.addWidget(self.preview, 3)
        layout = QVBoxLayout(self)
        note = ("No saved versions yet: each save keeps one." if not policy_versions else
                "Every save keeps a version. Restoring one puts it in the editor (undoable); save to keep it.")
        layout.addWidget(QLabel(note))
        layout.addLayout(body)
        layout.addWidget(buttons)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _head(self, version: PolicyVersion) -> str:
        now = "  · the file now" if version.text_hash == self.current_hash else ""
        return f"{version.saved_at.astimezone().strftime('%Y-%m-%d %H:%M')}  ({version.policy_hash[:8]}){now}"

    def show_rows(self, rows: list[tuple[PolicyVersion, list[str]]]) -> None:
        """What each version changed (``version_rows``' result, newest first), under its date."""
        for row, (version, lines) in enumerate(rows[: self.list.count()]):
            item = self.list.item(row)
            item.setText(self._head(version) + "\n  " + "\n  ".join(lines[:4]))
            item.setToolTip("\n".join(lines))

    def selected(self) -> PolicyVersion | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_list_current_item_changed(self, *_args: Any) -> None:
        version = self.selected()
        is_now = version is not None and version.text_hash == self.current_hash
        self.restore_button.setEnabled(version is not None and not is_now)
        self.restore_button.setToolTip("This version is the file as it is now" if is_now else "")
        try:
            self.preview.setPlainText(version.text() if version else "")
        except OSError as error:
            self.preview.setPlainText(f"cannot read this version: {error}")
            self.restore_button.setEnabled(False)

    def _on_restore_button_clicked(self) -> None:
        version = self.selected()
        if version is not None:
            self.sig_restore_requested.emit(version)
            self.accept()
