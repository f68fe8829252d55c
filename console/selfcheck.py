"""The installed app's self-check: open the window offscreen, route the demo prompt, check the log.

``routedesk self-check`` runs this in a packaged build to prove the parts a person needs were
frozen in and work together: Qt and the window, the demo policy, the bundled GGUF through
llama.cpp, the Engine (through the window's own engine thread, as the window routes) and the
routing log under the user's data directory (``ROUTEDESK_HOME`` respected). It needs no key and no
network. Each step is timed; the check passes only if every step did.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from console.build_info import BuildInfo, build_info, gpu_offload_available

DEMO_PROMPT = "Write a haiku about routing requests to the right model."
ANSWER_TOKENS = 48  # enough to show a real answer; short so the check stays a few seconds on a CPU
ROUTE_TIMEOUT_S = 180.0


@dataclass
class Step:
    """One timed part of the check; ``detail`` is a sentence a person can act on."""

    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class SelfCheckReport:
    build: BuildInfo
    gpu_offload: bool | None = None
    model_path: str = ""
    policy_path: str = ""
    log_path: str = ""
    answered_by: str = ""
    answer: str = ""
    screenshot: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def total_seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "build": self.build.to_json(),
            "gpu_offload": self.gpu_offload,
            "model_path": self.model_path,
            "policy_path": self.policy_path,
            "log_path": self.log_path,
            "answered_by": self.answered_by,
            "answer": self.answer,
            "screenshot": self.screenshot,
            "total_s": round(self.total_seconds, 3),
            "steps": [{"name": s.name, "ok": s.ok, "seconds": round(s.seconds, 3), "detail": s.detail}
                      for s in self.steps],
        }

    def lines(self) -> list[str]:
        gpu = {True: "yes", False: "no", None: "llama.cpp missing"}[self.gpu_offload]
        excerpt = " ".join(self.answer.split())[:160]
        out = [self.build.summary(), f"variant: {self.build.variant}; GPU offload available: {gpu}",
               f"policy: {self.policy_path}", f"model: {self.model_path}", f"log: {self.log_path}"]
        for step in self.steps:
            out.append(f"  [{'ok' if step.ok else 'FAIL'}] {step.name:<8} {step.seconds:6.2f} s  {step.detail}")
        if excerpt:
            out.append(f"answer ({self.answered_by}): {excerpt}")
        if self.screenshot:
            out.append(f"screenshot: {self.screenshot}")
        out.append(f"self-check {'passed' if self.ok else 'FAILED'} in {self.total_seconds:.2f} s")
        return out


def _timed(report: SelfCheckReport, name: str, action: Callable[[], str]) -> bool:
    """Run ``action``; record its time and sentence; an exception becomes a failed step, not a traceback."""
    started = time.perf_counter()
    try:
        detail, ok = action(), True
    except Exception as error:  # noqa: BLE001 - the check reports every failure as a sentence
        detail, ok = f"{type(error).__name__}: {error}", False
    report.steps.append(Step(name, ok, time.perf_counter() - started, detail))
    return ok


def _wait_for(job: Any, timeout_s: float) -> Any:
    """Spin a Qt event loop until ``job`` finishes; its result, or RuntimeError with its failure."""
    from PySide6.QtCore import QEventLoop, QTimer

    outcome: dict[str, Any] = {}
    loop = QEventLoop()
    job.sig_finished.connect(lambda value: (outcome.setdefault("value", value), loop.quit()))
    job.sig_failed.connect(lambda message: (outcome.setdefault("error", message), loop.quit()))
    job.sig_cancelled.connect(lambda: (outcome.setdefault("error", "cancelled"), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not job.done:
        loop.exec()
    if "error" in outcome:
        raise RuntimeError(outcome["error"])
    if "value" not in outcome:
        job.cancel()
        raise TimeoutError(f"no answer within {timeout_s:.0f} s")
    return outcome["value"]


def _settle(milliseconds: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


async def _route_demo(workspace: Any, policy: Any, policy_path: Path, prompt: str) -> Any:
    """On the engine thread, through the window's own Workspace (one per process: one log, one model load)."""
    import asyncio

    from console.core.request import Request

    engine = workspace.engine(policy, policy_path)
    result = await engine.route(Request.from_prompt(prompt, max_tokens=ANSWER_TOKENS))
    await asyncio.to_thread(workspace.flush_log)  # committed before the check reads the log
    return result


def _logged_requests(log_url: str, request_id: str) -> int:
    from sqlalchemy import text

    from console.core.app import open_log

    db = open_log(log_url)
    try:
        with db.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM request WHERE request_id = :id"),
                                    {"id": request_id}).scalar_one())
    finally:
        db.dispose()


def _show_answer_in_try_it(window: Any, prompt: str, answer: str) -> None:
    """Put the routed prompt, its plan and the answer in the policy editor's Try it pane for the picture."""
    try_it = getattr(getattr(window.policy_page, "current", None), "try_it", None)
    if try_it is None:
        return
    try_it.prompt.setPlainText(prompt)
    try_it.explain_now()
    try_it.answer.setPlainText(f"{answer}\n\n(routed by routedesk self-check)")
    _settle(200)


def _save_about_picture(window: Any, gpu_offload: bool | None, target: Path) -> None:
    """Help → About as a person would open it, Qt's licence selected, saved next to the window's picture."""
    from console.ui.about import AboutDialog

    dialog = AboutDialog(window, gpu_offload=gpu_offload)
    dialog.select_component("Qt 6")
    dialog.show()
    _settle(100)
    dialog.grab().save(str(target))
    dialog.close()
    dialog.deleteLater()


def run_self_check(*, prompt: str = DEMO_PROMPT, screenshot: Path | None = None,
                   timeout_s: float = ROUTE_TIMEOUT_S) -> SelfCheckReport:
    """Open the window offscreen, route ``prompt`` on the demo policy, check the log; never raises."""
    from console.core import paths

    report = SelfCheckReport(build=build_info())
    state: dict[str, Any] = {}

    def open_window() -> str:
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is None:
            # Headless unless the caller picked a platform (QT_QPA_PLATFORM=xcb under Xvfb tests the X11 path).
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

        from console.ui.demo import demo_policy_path
        from console.ui.main_window import MainWindow

        from console.ui.theme import apply_theme

        app = QApplication.instance() or QApplication(["routedesk"])
        apply_theme(app)  # as run_window does: the check sees (and pictures) the window a user sees
        state["app"] = app
        demo = demo_policy_path()
        if demo is None:
            raise FileNotFoundError("this build carries no demo policy (policies/demo.yaml)")
        report.policy_path = str(demo)
        window = MainWindow()
        state["window"] = window
        window.open_first_policy(demo)
        window.show()
        _settle(300)  # let the window's start-up jobs (GPU check, GGUF header) report back
        return f"window open on {app.platformName()} with {window.navigation.count()} pages"

    def check_model() -> str:
        from console.core.providers.gguf_file import read_gguf_info
        from console.core.providers.local_models import bundled_model_path

        path = bundled_model_path("smollm2-135m")
        report.model_path = str(path)
        info = read_gguf_info(path)
        report.gpu_offload = gpu_offload_available()
        return f"{info.name or path.name}: {info.size_bytes / 1e6:.0f} MB, {info.architecture}, GGUF v{info.version}"

    def route() -> str:
        from console.core.policy.loader import load_policy_or_raise

        policy = load_policy_or_raise(Path(report.policy_path))
        window = state["window"]
        result = _wait_for(window.bridge.submit(lambda: _route_demo(window.bridge.workspace, policy, Path(report.policy_path), prompt)),
                           timeout_s)
        state["result"] = result
        report.answered_by, report.answer = result.answered_by or "", result.text
        if not result.ok:
            raise RuntimeError(f"{result.outcome.value}: {result.error}")
        if not result.text.strip():
            raise RuntimeError("the model answered with no text")
        return f"answered by {result.answered_by} in {result.latency_ms:.0f} ms"

    def check_log() -> str:
        url = paths.default_log_url()
        report.log_path = url.removeprefix("sqlite:///")
        found = _logged_requests(url, state["result"].request_id)
        if found != 1:
            raise RuntimeError(f"the request is not in the log at {report.log_path}")
        return f"request {state['result'].request_id[:8]} recorded"

    def close_window() -> str:
        window = state.pop("window")
        if screenshot is not None:
            _show_answer_in_try_it(window, prompt, report.answer)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot)):
                raise OSError(f"could not write the screenshot {screenshot}")
            report.screenshot = str(screenshot)
            _save_about_picture(window, report.gpu_offload, screenshot.with_name(f"{screenshot.stem}-about.png"))
        window.close()
        window.deleteLater()
        _settle(50)
        if window.bridge.running:
            raise RuntimeError("the engine thread is still running after the window closed")
        return "window closed, engine thread stopped"

    if _timed(report, "window", open_window):
        _timed(report, "model", check_model) and _timed(report, "route", route) and _timed(report, "log", check_log)
    if "window" in state:  # close whatever was opened, also after a failed step: no engine thread left behind
        _timed(report, "close", close_window)
    return report

