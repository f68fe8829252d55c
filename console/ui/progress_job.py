"""One cancellable background job at a time, with progress: the Run and Cancel buttons and the progress
bar of the What-if tab and the Assessment page.

The work runs in the engine bridge's executor, so the GUI thread never waits for it. Its progress
callback (``JobProgress``) runs on that worker thread: it only writes a number and reads a cancel
flag, both under a lock; a GUI timer shows the number. Cancel sets the flag and the work stops at its
next stage (``app.replay``'s contract: a progress callback that returns False cancels).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget


class JobProgress:
    """Shared by the worker (writes the stage and fraction, reads cancel) and the GUI timer.

    Attributes:
        lock: held while either side reads or writes; a test holds it to keep the worker at a stage.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()  # reentrant: cancel() may be called by code already holding it
        self.fraction = 0.0
        self.stage = ""
        self.cancelled = False

    def __call__(self, stage: str, fraction: float) -> bool:
        with self.lock:
            self.stage, self.fraction = stage, fraction
            return not self.cancelled

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True


class ProgressJob(QObject):
    """Runs ``work(progress)`` off the GUI thread and drives the buttons and bar while it runs.

    Signals:
        sig_status_changed(str): a sentence for the page's headline: running, cancelling, cancelled, failed.
        sig_job_finished(object): the work returned; its result.
    """

    sig_status_changed = Signal(str)
    sig_job_finished = Signal(object)

    def __init__(self, bridge: Any, *, run_label: str, running: str, noun: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._running, self._noun = running, noun
        self._job: Any = None
        self._ready = True
        self.progress: JobProgress | None = None
        self.run_button = QPushButton(run_label)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)

    def controls(self, *leading: QWidget) -> QHBoxLayout:
        """A row: ``leading`` (the page's inputs), Run, Cancel and the progress bar."""
        row = QHBoxLayout()
        for widget in (*leading, self.run_button, self.cancel_button):
            row.addWidget(widget)
        row.addWidget(self.progress_bar, 1)
        return row

    @property
    def busy(self) -> bool:
        return self._job is not None

    def set_ready(self, ready: bool) -> None:
        """Whether the page has what a run needs (Run is enabled when ready and idle)."""
        self._ready = ready
        self.run_button.setEnabled(ready and not self.busy)

    def start(self, work: Callable[[JobProgress], Any]) -> bool:
        """Run ``work`` with a fresh progress callback; False (nothing started) while a job runs."""
        if self.busy:
            return False
        self.progress = progress = JobProgress()
        self._job = self.bridge.run_blocking(lambda: work(progress))
        self._job.sig_finished.connect(self._on_finished)
        self._job.sig_failed.connect(self._on_failed)
        self._job.sig_cancelled.connect(lambda: self._on_failed("cancelled"))
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.sig_status_changed.emit(self._running)
        self._timer.start()
        return True

    def cancel(self) -> None:
        if self.progress is not None:
            self.progress.cancel()
        self.sig_status_changed.emit("Cancelling…")

    def _show_progress(self) -> None:
        if self.progress is not None:
            with self.progress.lock:
                self.progress_bar.setValue(int(self.progress.fraction * 100))

    def _finish(self) -> None:
        self._timer.stop()
        self._job = None
        self.run_button.setEnabled(self._ready)
        self.cancel_button.setEnabled(False)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.sig_status_changed.emit(f"{self._noun} cancelled." if "cancel" in message
                                     else f"{self._noun} failed: {message}")

    def _on_finished(self, result: Any) -> None:
        self._finish()
        self.progress_bar.setValue(100)
        self.sig_job_finished.emit(result)
