"""The window's status bar shows the routing log's alarm (a damaged log here) and clears it."""

from __future__ import annotations

from pathlib import Path

from console.core.ledger.health import LedgerHealth


def test_a_damaged_log_raises_the_alarm_in_the_status_bar(qtbot, tmp_path: Path) -> None:
    from console.ui.main_window import MainWindow

    damaged = tmp_path / "log.sqlite3"
    damaged.write_bytes(b"not a database at all" * 300)
    window = MainWindow()
    qtbot.addWidget(window)
    window.bridge.log_url = f"sqlite:///{damaged}"
    normal = window.log_label.text()
    window.bridge.start()
    window.bridge.submit(lambda: _touch(window.bridge)).sig_failed.connect(lambda m: None)  # the engine thread opens it
    qtbot.waitUntil(lambda: "LOG ALARM" in window.log_label.text(), timeout=15000)
    assert "cannot write" in window.log_label.text()
    assert str(damaged) in window.log_label.toolTip() and "mv " in window.log_label.toolTip()
    window.bridge.sig_log_health_changed.emit(LedgerHealth())  # and when it clears
    qtbot.waitUntil(lambda: window.log_label.text() == normal, timeout=5000)
    window.close()


async def _touch(bridge) -> None:  # type: ignore[no-untyped-def]
    # Opening the log (the first routed request, or Try it's first-token history read, does this)
    # raises the alarm; making the workspace alone does not open the log (start-up stays quick).
    bridge.workspace.recorder  # noqa: B018
