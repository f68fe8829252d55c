"""Screenshots of the dashboards page with realistic demo traffic, light and dark.

    QT_QPA_PLATFORM=offscreen python -m console.ui.pages.dashboard.screenshots OUT_DIR

Writes demo traffic (45 days, a planted failure spike) into a throwaway log under a throwaway
ROUTEDESK_HOME, then saves ``OUT_DIR/<theme>-dashboard-{top,last-hour,lower,drift}.png`` and, after
switching the running window to the other theme, ``OUT_DIR/<theme>-dashboard-switched.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def take(out_dir: Path, url: str) -> list[Path]:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMainWindow

    from console.core.policy.schema import Budget, BudgetScope
    from console.ui.engine_bridge import EngineBridge
    from console.ui.pages.dashboard.page import DashboardPage
    from console.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    written: list[Path] = []
    for theme in ("light", "dark"):
        apply_theme(app, dark=theme == "dark")
        bridge = EngineBridge()
        window = QMainWindow()
        page = DashboardPage(bridge, log_url=url)
        window.setCentralWidget(page)
        window.resize(1440, 900)
        window.show()
        page.set_budgets([Budget(name="daily", limit_usd=50.0),  # far above the bars: noted, not drawn
                          Budget(name="growth team", period="month", limit_usd=12, scope=BudgetScope(team="growth"))])
        deadline = time.time() + 60
        while (page.last_draw_ms is None or page.drift.model.rowCount() == 0) and time.time() < deadline:
            QTest.qWait(50)
        QTest.qWait(600)

        def shot(name: str) -> None:
            target = out_dir / f"{theme}-dashboard-{name}.png"
            window.grab().save(str(target))
            written.append(target)

        def wait_drawn() -> None:
            page.last_draw_ms = None
            deadline = time.time() + 60
            while page.last_draw_ms is None and time.time() < deadline:
                QTest.qWait(50)
            QTest.qWait(300)

        shot("top")
        page.filters_bar.set_range_preset("Last hour")
        wait_drawn()
        shot("last-hour")
        page.filters_bar.set_range_preset("Last 30 days")
        wait_drawn()
        page.scroll.verticalScrollBar().setValue(page.scroll.verticalScrollBar().maximum())
        page.requests.view.selectRow(4)
        QTest.qWait(300)
        shot("lower")
        page.drift.activate_row(0)
        deadline = time.time() + 20
        while page.requests.model.loading and time.time() < deadline:
            QTest.qWait(50)
        page.requests.view.selectRow(0)
        QTest.qWait(300)
        shot("drift")
        page.scroll.verticalScrollBar().setValue(0)
        apply_theme(app, dark=theme != "dark")  # while running: chart text must follow
        QTest.qWait(300)
        shot("switched")
        page.shutdown()
        bridge.shutdown()
        window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for the PNG files (created if missing)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp(prefix="routedesk-dash-shots-")
    os.environ["ROUTEDESK_HOME"] = home
    from console.core.app import write_demo_traffic

    url = f"sqlite:///{Path(home) / 'demo-log.sqlite3'}"
    write_demo_traffic(url, 30_000, days=45, seed=5, spike=("support", "gpt-mini"), spike_hours=12)
    for path in take(args.out_dir, url):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
