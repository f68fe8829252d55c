"""Two routes in staged rollout with real traffic in a real log, for the Rollout page's tests and screenshots.

Requests are routed through a real Engine to the fault server (tests/support/fault_server.py):
on ``support`` the candidate answers well and the rollout has been advanced to 25 %; on ``code``
the candidate answers 500 and the guardrail check has rolled it back, its numbers in the log.

    python -m tests.ui.rollout_scene OUT_DIR     # the Rollout page in the window, light and dark, as PNGs
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

POLICY = """\
name: rollout-demo
providers:
  faulty: {{kind: openai-compatible, base_url: '{url}'}}
models:
  premium: {{provider: faulty, model: 'slow-ok:ms=40#premium', prices: {{input: 5, output: 15}}}}
  cheap: {{provider: faulty, model: 'slow-ok:ms=25#cheap', prices: {{input: 0.15, output: 0.6}}}}
  big: {{provider: faulty, model: 'ok#big', prices: {{input: 3, output: 15}}}}
  mid: {{provider: faulty, model: '500#mid', prices: {{input: 0.5, output: 1.5}}}}
tasks: {{support: {{}}, code: {{}}}}
classification:
  default: support
  rules: [{{task: code, when: {{keywords: [code]}}}}]
routes:
  support:
    candidates: [premium]
    rollout:
      candidate: cheap
      replaces: premium
      steps: [5, 25, 50, 100]
      sticky_by: meta.customer
      guardrails: {{failure_rate: {{min_requests: 20}}, p95_latency: {{min_requests: 20}}, cost_per_request: {{min_requests: 20}}}}
  code:
    candidates: [big]
    retries: {{max: 0}}
    rollout:
      candidate: mid
      replaces: big
      steps: [50, 100]
      guardrails: {{failure_rate: {{min_requests: 20}}, p95_latency: {{min_requests: 20}}, cost_per_request: null}}
"""


def write_scene(folder: Path, fault_url: str, log_url: str | None = None) -> tuple[Path, str]:
    """The policy file and the log URL (``log_url``, or a new log in ``folder``), with the traffic and the
    rollouts' history in the log."""
    from console.core.app.rollout import advance_rollout, rollout_status
    from console.core.policy.loader import load_policy_or_raise
    from console.core.request import Request
    from console.core.workspace import Workspace

    path = folder / "rollout-demo.yaml"
    path.write_text(POLICY.format(url=fault_url))
    url = log_url or f"sqlite:///{folder / 'rollout-log.sqlite3'}"
    policy = load_policy_or_raise(path)

    async def traffic() -> None:
        workspace = Workspace(url)
        engine = workspace.engine(policy, path)
        advance_rollout(workspace.rollouts, policy, "support", by="window")  # 5 % → 25 %
        for i in range(160):
            await engine.route(Request.from_prompt(f"my order {i} is late", metadata={"customer": f"c{i % 50}"}))
        for i in range(60):
            await engine.route(Request.from_prompt(f"fix this code {i}"))
        rollout_status(workspace.rollouts, policy, "code", check=True)  # the guardrail check: rolls back
        await workspace.aclose()

    asyncio.run(traffic())
    return path, url


def shoot(window: object, out: Path, theme: str) -> Path:
    """Open the Rollout page of ``window`` (its policy already open), wait for its data, save a PNG."""
    from PySide6.QtTest import QTest

    from console.ui.main_window import PAGES

    row = [title for title, _ in PAGES].index("Rollout")
    window.set_theme(theme)  # type: ignore[attr-defined]
    window.navigation.setCurrentRow(row)  # type: ignore[attr-defined]
    page = window.ensure_page(row)  # type: ignore[attr-defined]
    shown: list[object] = []
    page.sig_statuses_shown.connect(shown.append)
    page.refresh()
    for _ in range(600):
        if shown and page._job is None:
            break
        QTest.qWait(50)
    QTest.qWait(300)
    target = out / f"rollout-1440x900-{theme}.png"
    window.grab().save(str(target))  # type: ignore[attr-defined]
    return target


def main(out_dir: str) -> int:
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        os.environ["ROUTEDESK_HOME"] = home
        from PySide6.QtWidgets import QApplication

        from console.ui.engine_bridge import EngineBridge
        from console.ui.main_window import MainWindow
        from tests.support.fault_server import FaultServer

        server = FaultServer().start()
        try:
            path, url = write_scene(Path(home), server.url)
            app = QApplication.instance() or QApplication([])
            for theme in ("light", "dark"):
                bridge = EngineBridge()
                bridge.log_url = url
                window = MainWindow(bridge)
                window.resize(1440, 900)
                window.show()
                window.open_first_policy(path)
                window.guide.dismiss()
                print(shoot(window, out, theme))
                window.set_theme("system")
                window.close()
                bridge.shutdown()
            del app
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
