"""A screenshot of the Pilot page grading a live shadow pilot, from traffic routed here and now.

    QT_QPA_PLATFORM=offscreen python packaging/screenshot_shadow.py OUT_DIR [--requests 80]

In a throwaway ROUTEDESK_HOME: the project's loopback OpenAI-protocol server (tests/support/
fault_server.py) serves a production model and a cheaper shadow model that fails one call in ten;
a policy shadows half of route ``support`` to it; real requests go through the Engine (the log
gets production and shadow rows, the pilot tables the collected pairs). Then the window opens that
policy, the Pilot page grades the route's shadow with Live on, more traffic arrives, and the page
is saved after Live has graded the new cases: ``OUT_DIR/pilot-shadow-live.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUESTIONS = ["Where is my order {n}?", "Can I change the address on order {n}?", "Order {n} arrived damaged.",
             "How do I return order {n}?", "Was order {n} charged twice?"]
BAR = "name: answers the customer\nassertions:\n  - {kind: regex, value: '[a-z]'}\nrule: {relative_to_baseline: 0.85}\n"


def write_policy(folder: Path, url: str) -> Path:
    (folder / "bars").mkdir(parents=True, exist_ok=True)
    (folder / "bars" / "support.yaml").write_text(BAR, encoding="utf-8")
    path = folder / "support-shadow.yaml"
    path.write_text(f"""name: support-shadow
providers:
  loopback: {{kind: openai-compatible, base_url: "{url}"}}
models:
  gpt-large: {{provider: loopback, model: "slow-ok:ms=40", prices: {{input: 2.5, output: 10}}}}
  gpt-mini: {{provider: loopback, model: "switch:name=mini", prices: {{input: 0.15, output: 0.6}}}}
tasks: {{support: {{}}}}
classification: {{default: support}}
routes:
  support:
    candidates: [gpt-large]
    shadow: {{model: gpt-mini, sample: 0.5, max_usd_per_day: 2.00, bar: bars/support.yaml}}
""", encoding="utf-8")
    return path


def route(path: Path, start: int, count: int, server) -> None:  # type: ignore[no-untyped-def]
    from console.core.app import Request, Workspace
    from console.core.policy.loader import load_policy_or_raise

    policy = load_policy_or_raise(path)

    async def go() -> None:
        workspace = Workspace()
        try:
            engine = workspace.engine(policy, path)
            for n in range(start, start + count):
                server.switch("mini", "500" if n % 10 == 7 else "ok")  # the cheaper model fails one call in ten
                await engine.route(Request.from_prompt(QUESTIONS[n % len(QUESTIONS)].format(n=1000 + n)))
                if engine.shadows is not None:
                    await engine.shadows.wait_idle()
        finally:
            await workspace.aclose()

    asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--requests", type=int, default=80)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="routedesk-shadow-shot-"))
    os.environ["ROUTEDESK_HOME"] = str(home)
    from tests.support.fault_server import FaultServer

    server = FaultServer().start()
    try:
        path = write_policy(home, server.url)
        route(path, 0, args.requests, server)
        return shoot(path, args.out_dir, args.requests, server)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def wait_until(condition: Callable[[], Any], timeout_s: float) -> bool:
    """Process Qt events until ``condition()`` holds (True) or ``timeout_s`` runs out (False)."""
    import time

    from PySide6.QtTest import QTest

    deadline = time.time() + timeout_s
    while not condition():
        if time.time() > deadline:
            return False
        QTest.qWait(50)
    return True


def shoot(path: Path, out_dir: Path, sent: int, server) -> int:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from console.ui.main_window import MainWindow
    from console.ui.pages.pilot import page as pilot_page

    app = QApplication.instance() or QApplication(sys.argv)
    pilot_page.LIVE_EVERY_MS = 500
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    window.open_first_policy(path)
    QTest.qWait(600)
    try:
        window.navigation.setCurrentRow(5)
        page = window.pages["Pilot"]
        page.show_shadow("support")
        if not wait_until(lambda: page.outcome is not None, 60):
            print("the shadow pilot gave no verdict in 60 s", file=sys.stderr)
            return 1
        first = len(page.outcome.report.cases)
        route(path, sent, sent // 2, server)  # traffic goes on; Live grades what it shadowed
        if not wait_until(lambda: len(page.outcome.report.cases) > first, 60):
            print("Live grading did not pick up the new cases in 60 s", file=sys.stderr)
            return 1
        QTest.qWait(300)
        target = out_dir / "pilot-shadow-live.png"
        window.grab().save(str(target))  # Live still on: the page as an operator watching it sees it
        print(target, f"({first} cases, then {len(page.outcome.report.cases)})")
        return 0
    finally:
        page.cancel()
        window.close()
        app.processEvents()


if __name__ == "__main__":
    raise SystemExit(main())
