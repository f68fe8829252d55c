"""The Keys page: list, set/replace (masked), delete and test provider keys; every keyring call off the GUI thread.

Each test's result is kept (``KeyVerification``) and shown in the Status column with its time, so
a key the provider refused reads "rejected by the provider", not "set in keyring". Messages are
sentences about this window (its buttons), never a command line to type.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.app.keys import KeyVerification
from console.ui.layout import page_layout
from console.ui.pages.keys.key_status import ProviderKeyRow, provider_entries, status_rows
from console.ui.result_table import result_table

COLUMNS = ["Policy", "Provider", "Kind", "Key from", "Status"]


class KeysPage(QWidget):
    """Providers of the open policies and their keys.

    ``policies`` returns the open PolicyDocuments; ``store`` defaults to the OS keyring.
    """

    def __init__(self, bridge: Any, policies: Callable[[], list[Any]], store: Any = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge, self._policies = bridge, policies
        self._store = store
        self.rows: list[ProviderKeyRow] = []
        self.verified: dict[str, KeyVerification] = {}  # provider name -> its last test
        self._entries: list[Any] = []
        self._jobs: list[Any] = []
        self.warning = QLabel()
        self.warning.setObjectName("banner")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.table = result_table(COLUMNS, "keys-table")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.message = QLabel("Keys are stored in the OS keyring, never in policy files or logs.")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Refresh", self.refresh),
            ("Set / replace key…", self._on_set_clicked),
            ("Delete key", self._on_delete_clicked),
            ("Test connection", self._on_test_clicked),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = page_layout(QVBoxLayout(self))
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.refresh()

    def store(self) -> Any:
        """The OS keyring (unless given a store): where Set and Delete write and the status is read.

        Not the workspace's: asking for that from the GUI thread would open the routing log too.
        """
        if self._store is None:
            from console.core.app.keys import KeyringStore

            self._store = KeyringStore()
        return self._store

    # --- background work ------------------------------------------------------------------
    def _run(self, func: Any, *args: Any, done: Callable[[Any], None]) -> Any:
        job = self._bridge.run_blocking(func, *args)
        self._keep(job, done)
        return job

    def _keep(self, job: Any, done: Callable[[Any], None]) -> None:
        self._jobs.append(job)
        job.sig_finished.connect(done)
        job.sig_failed.connect(self._on_job_failed)
        for signal in (job.sig_finished, job.sig_failed):
            signal.connect(lambda *_a, j=job: self._jobs.remove(j) if j in self._jobs else None)

    def refresh(self) -> None:
        self._entries = provider_entries(self._policies())
        self._run(status_rows, self._entries, self.store(), dict(self.verified), done=self._show_rows)

    def _show_rows(self, rows: list[ProviderKeyRow]) -> None:
        self.warning.hide()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, value in enumerate((row.policy, row.provider, row.kind, row.ref or "—", row.status)):
                item = QTableWidgetItem(value)
                if column == 4 and (row.presence in ("missing", "env var not set", "bad reference")
                                    or row.status.startswith("rejected") or row.status.endswith("failed")):
                    item.setForeground(Qt.GlobalColor.red)
                if column == 4 and row.provider in self.verified:
                    item.setToolTip(self.verified[row.provider].sentence)
                self.table.setItem(number, column, item)

    def _on_job_failed(self, message: str) -> None:
        if "cannot store keys" in message:
            self.warning.setText(message)
            self.warning.show()
        self.message.setText(message)

    # --- actions --------------------------------------------------------------------------
    def selected(self) -> ProviderKeyRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def set_key(self, row: ProviderKeyRow, value: str) -> Any:
        """Store ``value`` under the row's keyring name (engine thread); returns the Job."""
        name = row.keyring_name
        if name is None:
            self.message.setText(f"{row.provider} takes its key from {row.ref or 'nowhere'}; set that instead.")
            return None
        self.verified.pop(row.provider, None)  # a new key has not been tested
        return self._run(self.store().set, name, value,
                         done=lambda _r: self._after(f"Key for {row.provider} saved. Test connection checks it works."))

    def delete_key(self, row: ProviderKeyRow) -> Any:
        name = row.keyring_name
        if name is None:
            self.message.setText(f"{row.provider} has no keyring entry to delete.")
            return None
        self.verified.pop(row.provider, None)
        return self._run(
            self.store().delete, name,
            done=lambda existed: self._after(f"Key for {row.provider} {'deleted' if existed else 'was not set'}."),
        )

    def test_key(self, row: ProviderKeyRow) -> Any:
        if row.config is None:
            return None
        name, config = row.provider, row.config
        job = self._bridge.submit(lambda: self._verify_on_engine(name, config))
        self._keep(job, self._on_verified)
        self.message.setText(f"Testing {row.provider}…")
        return job

    async def _verify_on_engine(self, name: str, provider: Any) -> tuple[KeyVerification, bool]:
        """Engine thread: the core's key test through the window's one provider pool."""
        from console.core.app.keys import KeyTestFailed, verify_key

        try:
            return KeyVerification.of(name, await verify_key(name, provider, self._bridge.workspace.providers)), False
        except KeyTestFailed as err:
            return KeyVerification.of(name, err), err.missing

    def _on_verified(self, result: tuple[KeyVerification, bool]) -> None:
        verification, missing = result
        self.verified[verification.provider] = verification
        if verification.passed:
            text = verification.sentence
        else:
            text = f"The test of {verification.provider} failed: {verification.sentence.rstrip('.')}."
            if missing:
                text += " Select it and choose Set / replace key… to add one."
            elif verification.rejected:
                text += " Replace the key with Set / replace key…, then test again."
        self._after(text)

    def _after(self, text: str) -> None:
        self.message.setText(text)
        self.refresh()

    def _on_set_clicked(self) -> None:
        row = self.selected()
        if row is None:
            self.message.setText("Select a provider first.")
            return
        value, ok = QInputDialog.getText(self, "Set key", f"Key for {row.provider}:", QLineEdit.EchoMode.Password)
        if ok and value:
            self.set_key(row, value)

    def _on_delete_clicked(self) -> None:
        row = self.selected()
        if row is not None:
            self.delete_key(row)

    def _on_test_clicked(self) -> None:
        row = self.selected()
        if row is not None:
            self.test_key(row)
