"""What an empty log shows: what the page is for, and a button that fills a separate demo log.

Demo traffic (``console.core.app.traffic``) goes to ``routedesk-demo-log.sqlite3`` in the data
directory, never into the real routing log, written in chunks off the GUI thread with progress.
"""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

DEMO_REQUESTS = 30_000
DEMO_DAYS = 45.0


def demo_log_url() -> str:
    from console.core.paths import data_dir

    return f"sqlite:///{data_dir() / 'routedesk-demo-log.sqlite3'}"


def log_location(url: str | None) -> str:
    """Where the log is, for a person: its file path (None is the default file in the data
    directory, named, not "the default log"), or a server URL with any password masked."""
    import re

    if url is None:
        from console.core.paths import default_log_url

        try:
            url = default_log_url()
        except OSError as err:  # an unusable data directory: say which and why
            return f"the data directory ({err})"
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url.removeprefix("sqlite:///"))


class EmptyState(QWidget):
    """Shown instead of the charts while the log has no requests.

    Signals:
        sig_demo_ready(str): demo traffic was written to the log at this URL.
    """

    sig_demo_ready = Signal(str)

    def __init__(self, run: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run = run
        self._writer: Any = None  # console.core.app.traffic.DemoTrafficWriter while writing
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Generate demo traffic")
        self.button.setToolTip(f"Write {DEMO_REQUESTS:,} synthetic requests over {DEMO_DAYS:g} days into a "
                               "separate demo log (your routing log is not touched)")
        self.button.clicked.connect(self.generate_demo)
        self.progress = QProgressBar()
        self.progress.setRange(0, DEMO_REQUESTS)
        self.progress.hide()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.progress)
        layout.addStretch(2)
        self.set_log(None)

    def set_log(self, url: str | None, error: str | None = None) -> None:
        where = html.escape(log_location(url))
        if error:
            self.message.setText(f"<h3>The routing log could not be opened</h3><p><code>{where}</code>: "
                                 f"{html.escape(error)}</p>")
            return
        self.message.setText(
            f"<h3>No routed requests yet</h3><p>The routing log at <code>{where}</code> is empty. Requests routed "
            "by the console, the CLI or the local endpoint appear here within seconds.</p>"
            "<p>To see what these charts show, generate demo traffic into a separate demo log.</p>")

    def generate_demo(self, requests: int = DEMO_REQUESTS, end: float | None = None) -> None:
        self.button.setEnabled(False)
        self.progress.setRange(0, requests)
        self.progress.setValue(0)
        self.progress.show()
        from console.core.app.traffic import DemoTrafficWriter

        self._writer = DemoTrafficWriter(demo_log_url(), requests, days=DEMO_DAYS, end=end or time.time())
        self._next_chunk()

    def _next_chunk(self) -> None:
        writer = self._writer
        assert writer is not None
        self._run(writer.write_chunk, self._on_chunk_written, self._on_chunk_failed)

    def _on_chunk_written(self, done: int) -> None:
        writer = self._writer
        assert writer is not None
        self.progress.setValue(done)
        if done < writer.total:
            self._next_chunk()
            return
        self.button.setEnabled(True)
        self.progress.hide()
        self.sig_demo_ready.emit(writer.url)

    def _on_chunk_failed(self, message: str) -> None:
        self.button.setEnabled(True)
        self.progress.hide()
        self.message.setText(f"<h3>Demo traffic could not be written</h3><p>{message}</p>")
