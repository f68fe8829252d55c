"""The status bar's endpoint switch: start/stop the local OpenAI-compatible endpoint on the open policy.

The endpoint (console.gateway) runs uvicorn on its own thread with its own Workspace; starting,
stopping and the keyring calls for its token run on the engine thread, never in a GUI slot. While it
runs, a timer shows the refusal count and whether a saved policy change was refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from console.ui.engine_bridge import EngineBridge

DEFAULT_PORT = 8765
POLL_MS = 2000


def start_endpoint(path: Path, port: int, workspace: Any = None) -> tuple[Any, Any, str]:
    """Engine thread: load the policy, fetch the token from the keyring, start serving.

    With the window's ``workspace`` the endpoint logs through the window's one ledger writer.
    """
    from console.core.policy.loader import load_policy_or_raise
    from console.core.secrets import KeyringStore
    from console.gateway.app import create_app
    from console.gateway.server import EndpointServer
    from console.gateway.state import GatewayState
    from console.gateway.token import get_or_create_token

    policy = load_policy_or_raise(path)
    token = get_or_create_token(KeyringStore())
    state = GatewayState.open(policy, path, token=token, workspace=workspace)
    server = EndpointServer(create_app(state), "127.0.0.1", port).start()
    return server, state, token


def rotate(state: Any) -> str:
    from console.core.secrets import KeyringStore
    from console.gateway.token import rotate_token

    token = rotate_token(KeyringStore())
    state.set_token(token)
    return token


class GatewaySwitch(QWidget):
    """Endpoint: off [Start] — or — Endpoint: URL (policy) [Stop] [Copy token] [Rotate].

    Signals:
        sig_running_changed(bool): the endpoint started or stopped.
    """

    sig_running_changed = Signal(bool)

    def __init__(self, bridge: EngineBridge, policy_path: Callable[[], Path | None], port: int = DEFAULT_PORT) -> None:
        super().__init__()
        self._bridge = bridge
        self._policy_path = policy_path
        self.port = port
        self.server: Any = None
        self._stopping: Any = None  # a server whose stop is still running on the engine thread
        self.state: Any = None
        self.token: str | None = None
        self.label = QLabel("endpoint: off")
        self.toggle = QToolButton(text="Start endpoint")
        self.copy = QToolButton(text="Copy token")
        self.rotate = QToolButton(text="Rotate token")
        for button in (self.copy, self.rotate):
            button.setVisible(False)
        self.toggle.clicked.connect(self._on_toggle_clicked)
        self.copy.clicked.connect(self._on_copy_clicked)
        self.rotate.clicked.connect(self._on_rotate_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.toggle, self.copy, self.rotate):
            layout.addWidget(widget)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh)
        bridge.add_closer(self._close_on_shutdown)

    @property
    def running(self) -> bool:
        return self.server is not None

    def _on_toggle_clicked(self) -> None:
        self.stop() if self.running else self.start()

    def start(self) -> None:
        path = self._policy_path()
        if path is None:
            self.label.setText("endpoint: save the policy to a file first")
            return
        self.toggle.setEnabled(False)
        self.label.setText("endpoint: starting…")
        bridge, port = self._bridge, self.port  # the workspace is reached in the job: making it opens the log
        job = bridge.run_blocking(lambda: start_endpoint(Path(path), port, bridge.workspace))
        job.sig_finished.connect(self._on_started)
        job.sig_failed.connect(self._on_failed)

    def _on_started(self, result: Any) -> None:
        self.server, self.state, self.token = result
        self.toggle.setEnabled(True)
        self.toggle.setText("Stop endpoint")
        for button in (self.copy, self.rotate):
            button.setVisible(True)
        self._poll.start()
        self.refresh()
        self.sig_running_changed.emit(True)

    def _on_failed(self, message: str) -> None:
        self.toggle.setEnabled(True)
        self.label.setText(f"endpoint: could not start ({message})")

    def stop(self) -> None:
        server, self.server, self.state, self.token = self.server, None, None, None
        self._poll.stop()
        for button in (self.copy, self.rotate):
            button.setVisible(False)
        self.toggle.setText("Start endpoint")
        if server is None:
            self.label.setText("endpoint: off")
            return
        # Off only once it is: the server thread is joined on the engine thread, and a window closed
        # meanwhile still stops it (see _close_on_shutdown) instead of leaving it running.
        self._stopping = server
        self.toggle.setEnabled(False)
        self.label.setText("endpoint: stopping…")
        job = self._bridge.run_blocking(server.stop)
        job.sig_finished.connect(self._on_stopped)
        job.sig_failed.connect(self._on_stopped)

    def _on_stopped(self, _: object = None) -> None:
        self._stopping = None
        self.toggle.setEnabled(True)
        self.label.setText("endpoint: off")
        self.sig_running_changed.emit(False)

    def refresh(self) -> None:
        if self.server is None or self.state is None:
            return
        text = f"endpoint: {self.server.url}"
        refused = self.state.refusals.count
        if refused:
            text += f" · {refused} refused (no/wrong token)"
        status = self.state.policy_status
        tip = f"Routes by {self._policy_path()}; saved changes apply to new requests."
        if status is not None and status.state == "refused":
            text += " · policy save refused, previous policy serving"
            tip = "\n".join(status.diagnostics) or tip
        self.label.setText(text)
        self.label.setToolTip(tip)

    def _on_copy_clicked(self) -> None:
        if self.token:
            QGuiApplication.clipboard().setText(self.token)
            self.label.setText(f"endpoint: {self.server.url} · token copied")

    def _on_rotate_clicked(self) -> None:
        if self.state is None:
            return
        job = self._bridge.run_blocking(rotate, self.state)
        job.sig_finished.connect(self._on_rotated)
        job.sig_failed.connect(lambda message: self.label.setText(f"endpoint: could not rotate the token ({message})"))

    def _on_rotated(self, token: str) -> None:
        self.token = token
        if self.server is not None:
            self.label.setText(f"endpoint: {self.server.url} · token rotated (old one refused from now on)")

    async def _close_on_shutdown(self) -> None:
        servers = (self.server, self._stopping)
        self.server = self._stopping = None
        for server in servers:
            if server is not None:
                server.stop()  # joins its thread (a second stop of one being stopped only joins too)
