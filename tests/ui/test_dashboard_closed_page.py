"""A dashboard closed while its reads are still running: their answers arrive after the page, its
data worker and its requests model are deleted, and are dropped (it used to call into the deleted
requests model: "Internal C++ object (RequestsModel) already deleted", seen in the marker tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex

from console.core.app import write_demo_traffic
from tests.ui.test_dashboard import END, wait_drawn


def test_reads_that_finish_after_the_page_is_deleted_are_dropped(qtbot: Any, bridge: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    write_demo_traffic(url, 600, days=3, seed=7, end=END)
    for _round in range(15):  # the read and the deletion race: many rounds, each closing at once
        from console.ui.pages.dashboard.page import DashboardPage

        page = DashboardPage(bridge, log_url=url, clock=lambda: END + 60)  # not qtbot's: this test deletes it
        page.resize(1300, 900)
        page.show()
        wait_drawn(qtbot, page)
        model = page.requests.model
        if model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())  # a page of requests being read off the GUI thread
        page.filters_bar.set_filter("kind", "pilot")  # and every section of a new query
        jobs = list(page.data._jobs)
        page.close()
        page.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        # every job the page started reports after it is gone (pytest-qt fails the test on an
        # exception raised in the event loop)
        qtbot.waitUntil(lambda: all(job.done for job in jobs), timeout=20000)
        qtbot.wait(20)
