"""Benchmark: window cold start to first paint, against bare Qt + pyqtgraph in the same run.

Run: .venv/bin/python -m tests.bench.bench_startup [--runs 5]

Each figure is the wall time of a fresh process from launch until its window has painted once and
it exited (ROUTEDESK_EXIT_AFTER_FIRST_PAINT), offscreen. The baseline process imports PySide6 and
pyqtgraph, shows an empty QMainWindow with one PlotWidget, and exits after its first paint; the
difference is what Routedesk's own start-up adds. The window paints before the first policy is
parsed and its editor built; "routedesk + policy" times until the demo policy is open and painted.
Goal: routedesk <= 1.0 s here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BASELINE = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(pg.PlotWidget())
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, app.quit)
        return False
probe = Probe()
app.installEventFilter(probe)
window.resize(1200, 800)
window.show()
app.exec()
"""


def timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, timeout=60, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def measure(runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ROUTEDESK_HOME=home, XDG_CONFIG_HOME=home,
                   ROUTEDESK_EXIT_AFTER_FIRST_PAINT="1")
        figures: dict[str, list[float]] = {
            "python alone": [], "Qt + pyqtgraph": [], "routedesk window": [], "routedesk + policy": []
        }
        timed([sys.executable, "-m", "console"], env)  # first run writes settings; not counted
        for _ in range(runs):
            figures["python alone"].append(timed([sys.executable, "-c", "pass"], env))
            figures["Qt + pyqtgraph"].append(timed([sys.executable, "-c", BASELINE], env))
            figures["routedesk window"].append(timed([sys.executable, "-m", "console"], env))
            with_policy = dict(env, ROUTEDESK_EXIT_AFTER_FIRST_PAINT="policy")
            figures["routedesk + policy"].append(timed([sys.executable, "-m", "console"], with_policy))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    figures = measure(parser.parse_args().runs)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    for name, value in medians.items():
        print(f"{name:20s} {value * 1000:8.0f} ms   (runs: {', '.join(f'{v * 1000:.0f}' for v in figures[name])})")
    added = medians["routedesk window"] - medians["Qt + pyqtgraph"]
    print(f"{'routedesk adds':20s} {added * 1000:8.0f} ms over bare Qt + pyqtgraph")
    print(f"goal: window to first paint <= 1000 ms: {'met' if medians['routedesk window'] <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
