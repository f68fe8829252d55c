"""The background-job piece of the What-if tab and the Assessment page: result, failure, one job at a time."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot
from PySide6.QtWidgets import QWidget

from console.ui.engine_bridge import EngineBridge
from console.ui.progress_job import JobProgress, ProgressJob


def _job(qtbot: QtBot, bridge: EngineBridge) -> tuple[QWidget, ProgressJob]:
    """The job and the widget holding its buttons (kept by the caller: the job is its child)."""
    holder = QWidget()
    qtbot.addWidget(holder)
    job = ProgressJob(bridge, run_label="Go", running="Working…", noun="Work", parent=holder)
    holder.setLayout(job.controls())
    return holder, job


def test_a_result_is_handed_over_and_one_job_runs_at_a_time(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    try:
        _holder, job = _job(qtbot, bridge)
        release = threading.Event()
        statuses: list[str] = []
        job.sig_status_changed.connect(statuses.append)

        def work(progress: JobProgress) -> int:
            progress("half", 0.5)
            release.wait(30)
            return 42

        with qtbot.waitSignal(job.sig_job_finished, timeout=30000) as finished:
            assert job.start(work)
            assert job.busy and not job.run_button.isEnabled() and job.cancel_button.isEnabled()
            assert not job.start(work)  # a second start while one runs does nothing
            qtbot.waitUntil(lambda: job.progress_bar.value() == 50, timeout=10000)
            release.set()
        assert finished.args == [42] and statuses == ["Working…"]
        assert not job.busy and job.run_button.isEnabled() and job.progress_bar.value() == 100
    finally:
        bridge.shutdown()


def test_a_failure_is_a_sentence_and_run_follows_readiness(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    try:
        _holder, job = _job(qtbot, bridge)
        statuses: list[str] = []
        job.sig_status_changed.connect(statuses.append)

        def work(_progress: JobProgress) -> None:
            raise ValueError("the log is gone")

        job.set_ready(False)  # e.g. the draft got an error while the job ran
        job.start(work)
        qtbot.waitUntil(lambda: not job.busy, timeout=30000)
        assert statuses[-1].startswith("Work failed: the log is gone")
        assert not job.run_button.isEnabled() and not job.cancel_button.isEnabled()
        job.set_ready(True)
        assert job.run_button.isEnabled()
    finally:
        bridge.shutdown()
