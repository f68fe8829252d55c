"""The pilot's charts: long model names on the category axes never run into each other."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from console.core.pilot.summary import ModelSummary
from console.ui.pages.pilot.charts import PilotCharts

MODELS = ["gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1", "meta-llama/Llama-3.1-70B-Instruct-Turbo",
          "anthropic/claude-3-5-sonnet-20241022"]


def _summary(model: str, rate: float, cost: float) -> ModelSummary:
    return ModelSummary(model, 1319, int(rate * 1319), rate, rate - 0.02, rate + 0.02, cost, 0.0, 800.0, 2000.0, 0, 0)


def _widest_line_and_slot(charts: PilotCharts) -> list[tuple[float, float]]:
    out = []
    for plot in (charts.pass_plot, charts.cost_plot):
        axis = plot.getPlotItem().getAxis("bottom")
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        ticks = axis._tickLevels[0]  # what set_category_ticks gave the axis: (position, wrapped text)
        widest = max(metrics.horizontalAdvance(line) for _x, text in ticks for line in text.split("\n"))
        out.append((widest, plot.getPlotItem().vb.width() / len(ticks)))
    return out


def test_long_model_names_wrap_to_their_own_slot_and_again_on_resize(qtbot: QtBot) -> None:
    charts = PilotCharts()
    qtbot.addWidget(charts)
    charts.resize(820, 280)
    charts.show()
    qtbot.waitExposed(charts)
    charts.show_summaries([_summary(m, 0.6 + 0.1 * n, 1.0 + n) for n, m in enumerate(MODELS)])
    for widest, slot in _widest_line_and_slot(charts):
        assert widest < slot
    charts.resize(600, 280)
    qtbot.wait(50)
    for widest, slot in _widest_line_and_slot(charts):
        assert widest < slot
    # every character of every name is still there (wrapped, never cut)
    axis = charts.pass_plot.getPlotItem().getAxis("bottom")
    assert [text.replace("\n", "") for _x, text in axis._tickLevels[0]] == [m.rsplit("/", 1)[-1] for m in MODELS]
