"""Screenshots of every page of the console window, light and dark, for a person to look at.

    xvfb-run -a python packaging/screenshots.py OUT_DIR      # or with QT_QPA_PLATFORM=offscreen

Opens the demo policy, visits each page (and each section of the policy editor), and writes
``OUT_DIR/<theme>-<page>.png``. Runs with a throwaway ROUTEDESK_HOME so it never touches the
user's recent files or settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower().replace("&&", "and")).strip("-")


def take(out_dir: Path) -> list[Path]:
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from console.ui.demo import demo_policy_path
    from console.ui.main_window import MainWindow
    from console.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, os.environ["ROUTEDESK_HOME"])
    written: list[Path] = []
    for theme in ("light", "dark"):
        apply_theme(app, dark=theme == "dark")
        window = MainWindow()
        window.open_first_policy(demo_policy_path())
        window.resize(1440, 900)
        window.show()
        QTest.qWait(600)  # background jobs (GPU check, GGUF header, key status) report back
        editor = window.policy_page.current
        if editor is not None:
            editor.try_it.prompt.setPlainText("Summarize this: the quarterly review moved to Friday.")
            editor.try_it.explain_now()
        for row in range(window.navigation.count()):
            window.navigation.setCurrentRow(row)
            page_name = _slug(window.navigation.item(row).text())
            if row == 0 and editor is not None:
                for section in range(editor.sections.count()):
                    editor.sections.setCurrentIndex(section)
                    if section == 2:
                        editor.tasks.rules.view.selectRow(0)
                    QTest.qWait(150)
                    target = out_dir / f"{theme}-{page_name}-{_slug(editor.sections.tabText(section))}.png"
                    window.grab().save(str(target))
                    written.append(target)
                editor.side.setCurrentIndex(1)
                QTest.qWait(100)
                target = out_dir / f"{theme}-{page_name}-yaml.png"
                window.grab().save(str(target))
                written.append(target)
                editor.side.setCurrentIndex(0)
                continue
            QTest.qWait(300)
            target = out_dir / f"{theme}-{page_name}.png"
            window.grab().save(str(target))
            written.append(target)
        window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for the PNG files (created if missing)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ROUTEDESK_HOME"] = tempfile.mkdtemp(prefix="routedesk-shots-")
    for path in take(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
