"""The Team page: the team gateway's API keys (list, create, revoke) and publishing the active policy.

Everything goes through ``console.core.app.team`` on a worker (the team store is a PostgreSQL
server, possibly remote), never on the GUI thread. A new key is shown once, in a read-only field
to copy; the store keeps only its hash. The store's address starts from ``$ROUTEDESK_TEAM_STORE``.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.app import team
from console.ui.layout import page_layout
from console.ui.result_table import result_table

COLUMNS = ["Id", "Name", "Team", "Created", "State"]


class TeamPage(QWidget):
    """``active_policy`` returns the active PolicyChoice (its ``path`` is what Publish sends)."""

    def __init__(self, bridge: Any, active_policy: Callable[[], Any], parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge, self._active_policy = bridge, active_policy
        self._jobs: list[Any] = []
        self.keys: list[team.ApiKey] = []
        self.store = QLineEdit(os.environ.get("ROUTEDESK_TEAM_STORE", ""))
        self.store.setPlaceholderText("postgresql://user@host/database (the team store)")
        self.table = result_table(COLUMNS, "team-keys-table")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.key_name, self.key_team = QLineEdit(), QLineEdit()
        self.key_name.setPlaceholderText("who the key is for")
        self.key_team.setPlaceholderText("team")
        self.new_key = QLineEdit()
        self.new_key.setReadOnly(True)
        self.new_key.setPlaceholderText("a new key appears here once")
        self.message = QLabel("Keys are stored as hashes in the team store; a revoked key is refused by every "
                              "gateway within 2 seconds.")
        self.message.setWordWrap(True)
        store_row = QHBoxLayout()
        store_row.addWidget(QLabel("Team store:"))
        store_row.addWidget(self.store, 1)
        store_row.addWidget(self._button("Connect", self.refresh))
        create_row = QHBoxLayout()
        for widget in (self.key_name, self.key_team, self._button("Create key", self._on_create_clicked),
                       self._button("Revoke selected", self._on_revoke_clicked)):
            create_row.addWidget(widget)
        publish_row = QHBoxLayout()
        publish_row.addWidget(self.new_key, 1)
        publish_row.addWidget(self._button("Publish the active policy", self._on_publish_clicked))
        layout = page_layout(QVBoxLayout(self))
        layout.addLayout(store_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(create_row)
        layout.addLayout(publish_row)
        layout.addWidget(self.message)

    def _button(self, text: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        return button

    # --- background work ------------------------------------------------------------------
    def _run(self, func: Any, *args: Any, done: Callable[[Any], None]) -> Any:
        job = self._bridge.run_blocking(func, *args)
        self._jobs.append(job)
        job.sig_finished.connect(done)
        job.sig_failed.connect(self.message.setText)
        for signal in (job.sig_finished, job.sig_failed):
            signal.connect(lambda *_a, j=job: self._jobs.remove(j) if j in self._jobs else None)
        return job

    def _url(self) -> str | None:
        url = self.store.text().strip()
        if not url:
            self.message.setText("Enter the team store's address (a PostgreSQL URL) first.")
            return None
        return url

    # --- actions --------------------------------------------------------------------------
    def refresh(self) -> Any:
        url = self._url()
        return self._run(team.list_keys, url, done=self._show_keys) if url else None

    def _show_keys(self, keys: list[team.ApiKey]) -> None:
        self.keys = keys
        self.table.setRowCount(len(keys))
        for number, key in enumerate(keys):
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            created = f"{key.created_at:%Y-%m-%d %H:%M}" if key.created_at else ""
            for column, value in enumerate((key.id, key.name, key.team, created, state)):
                self.table.setItem(number, column, QTableWidgetItem(value))

    def create_key(self, name: str, team_name: str) -> Any:
        url = self._url()
        if url is None:
            return None
        return self._run(team.create_key, url, name.strip(), team_name.strip(), done=self._on_created)

    def _on_created(self, created: tuple[team.ApiKey, str]) -> None:
        key, plain = created
        self.new_key.setText(plain)
        self.message.setText(f"Key {key.id} for {key.name} (team {key.team}) created. Copy it now: it is shown "
                             "only this once.")
        self.refresh()

    def revoke_selected(self) -> Any:
        row = self.table.currentRow()
        url = self._url()
        if url is None or not 0 <= row < len(self.keys):
            self.message.setText(self.message.text() if url is None else "Select a key first.")
            return None
        key = self.keys[row]
        return self._run(team.revoke_key, url, key.id, done=lambda revoked: self._after_revoke(key, revoked))

    def _after_revoke(self, key: team.ApiKey, revoked: bool) -> None:
        self.message.setText(f"Key {key.id} ({key.name}) revoked; every gateway refuses it within 2 seconds."
                             if revoked else f"Key {key.id} was already revoked.")
        self.refresh()

    def publish_active(self) -> Any:
        url = self._url()
        choice = self._active_policy()
        if url is None:
            return None
        if choice is None or not choice.usable:
            self.message.setText("Open and save a policy without errors first; the saved file is what is published.")
            return None
        path, user = choice.path, os.environ.get("USER", "")
        return self._run(lambda: team.publish_policy(url, path, by=user), done=self._on_published)

    def _on_published(self, done: team.PublishedPolicy) -> None:
        self.message.setText(f"Published {done.name} ({done.policy_hash}) as version {done.version}; every "
                             "gateway runs it within a second.")

    def _on_create_clicked(self) -> None:
        self.create_key(self.key_name.text(), self.key_team.text())

    def _on_revoke_clicked(self) -> None:
        self.revoke_selected()

    def _on_publish_clicked(self) -> None:
        self.publish_active()
