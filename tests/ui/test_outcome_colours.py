"""Pass/fail and error text stays readable in both themes: the light theme's green and red were under
3:1 against the dark window (the Pilot page's verdict, its bar errors, the case table's ticks)."""

from __future__ import annotations

from typing import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from console.ui.theme import apply_theme, outcome_colours


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application, its theme put back afterwards for the other tests."""
    application = qapp
    palette, sheet, style = application.palette(), application.styleSheet(), application.style().name()
    yield application
    application.setStyle(style)
    application.setPalette(palette)
    application.setStyleSheet(sheet)


@pytest.mark.parametrize("dark", [False, True])
def test_good_and_bad_read_against_each_themes_window_and_base(app: QApplication, dark: bool) -> None:
    apply_theme(app, dark=dark)
    for colour in outcome_colours():
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            assert contrast(QColor(colour), app.palette().color(role)) >= 4.5, (dark, colour, role)


def test_the_pilot_page_writes_its_errors_and_ticks_in_the_themes_colours(qtbot, app: QApplication) -> None:  # type: ignore[no-untyped-def]
    from console.ui.pages.pilot.page import PilotPage

    apply_theme(app, dark=True)
    page = PilotPage(None)
    qtbot.addWidget(page)
    page.bar.setPlainText("rule: [")  # not a bar: its error is said in the bad colour
    assert f"color:{outcome_colours()[1]}" in page.bar_state.text() and outcome_colours()[1] == "#ef9a9a"
    apply_theme(app, dark=False)
    page.bar.setPlainText("rule: {")
    assert "color:#c62828" in page.bar_state.text()
