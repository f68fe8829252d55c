"""Every page of the real window keeps the shared margins (console.ui.layout) and sizes its titles on the type scale.

The check walks the window itself, page by page, so a page added later that builds its layout with
Qt's default margins, or makes a title of a bold label at the body size, fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtWidgets import QApplication, QGroupBox, QLabel, QVBoxLayout, QWidget

from console.ui.layout import PAGE_MARGIN, SECTION_SPACING, TYPE, page_layout


@pytest.fixture
def themed_app() -> Iterator[QApplication]:
    """The light theme (its stylesheet carries the type scale), restored afterwards for the other tests."""
    from console.ui.theme import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet, style = app.palette(), app.styleSheet(), app.style().name()
    apply_theme(app, dark=False)
    yield app
    app.setStyle(style)
    app.setPalette(palette)
    app.setStyleSheet(sheet)


def _size(widget: QWidget) -> float:
    widget.ensurePolished()  # the stylesheet's font reaches the widget when it is polished
    return widget.font().pointSizeF()


def layout_problems(name: str, page: QWidget) -> list[str]:
    """What on ``page`` ignores the shared margins or the type scale (empty: nothing)."""
    problems = []
    outer = page.layout()
    if outer is None:
        return [f"{name}: no layout"]
    margins = outer.contentsMargins()
    found = (margins.left(), margins.top(), margins.right(), margins.bottom())
    if found != (PAGE_MARGIN, SECTION_SPACING, PAGE_MARGIN, SECTION_SPACING):
        problems.append(f"{name}: outer margins {found}, not console.ui.layout.page_layout's")
    if outer.spacing() != SECTION_SPACING:
        problems.append(f"{name}: outer spacing {outer.spacing()}, not SECTION_SPACING")
    body = QApplication.font().pointSizeF()
    for label in page.findChildren(QLabel):
        hand_made_title = label.text().lstrip().startswith("<b>")
        if hand_made_title and label.objectName() not in ("section-title", "column-title"):
            problems.append(f"{name}: {label.text()[:40]!r} is a title not named section-title or column-title")
        if label.objectName() == "section-title" and (_size(label) != TYPE.section or label.font().weight() < 600):
            problems.append(f"{name}: section title {label.text()[:40]!r} at {_size(label)}pt")
        if label.objectName() == "column-title" and _size(label) != body:
            problems.append(f"{name}: column title {label.text()[:40]!r} at {_size(label)}pt")
    for box in page.findChildren(QGroupBox):  # titles a group of fields: body size, semibold
        if _size(box) != body or box.font().weight() < 600:
            problems.append(f"{name}: group {box.title()!r} titled at {_size(box)}pt, weight {box.font().weight()}")
    return problems


def test_every_page_uses_the_shared_margins_and_type_scale(qtbot: Any, policy_file: Path,
                                                           themed_app: QApplication) -> None:
    from console.core.app import write_demo_traffic
    from console.core.paths import default_log_url
    from console.ui.main_window import PAGES, MainWindow

    write_demo_traffic(default_log_url(), 300, days=7, seed=5)  # dashboards with their charts, not the empty state
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_first_policy(policy_file)
    window.resize(1440, 900)
    window.show()
    problems: list[str] = []
    for row, (title, _factory) in enumerate(PAGES):
        window.navigation.setCurrentRow(row)
        page = window.pages[title]
        if title == "Dashboards":
            qtbot.waitUntil(lambda: page.stack.currentWidget() is not page.empty, timeout=15000)
            qtbot.wait(300)  # the drift list and requests fill in after the charts
        frame = window.frames[title]
        header = frame.title.parentWidget().layout().contentsMargins()
        assert (header.left(), header.right()) == (PAGE_MARGIN, PAGE_MARGIN), title  # title above the page's edge
        assert _size(frame.title) == TYPE.title and frame.title.font().weight() >= 600, title
        assert frame.subtitle.text().strip(), f"{title}: no line under the title saying what the page is for"
        problems += layout_problems(title, page)
        assert window.width() == 1440, f"{title} widens the window to {window.width()} px"  # larger titles must not
    guide = window.guide.layout().contentsMargins()
    assert (guide.left(), guide.right()) == (PAGE_MARGIN, PAGE_MARGIN)
    assert _size(window.guide.findChild(QLabel, "guide-title")) == TYPE.section
    assert not problems, "\n".join(problems)
    window.close()


def test_the_check_fails_a_page_that_ignores_the_layout_system(qtbot: Any, themed_app: QApplication) -> None:
    careless = QWidget()
    qtbot.addWidget(careless)
    column = QVBoxLayout(careless)  # Qt's default margins
    column.addWidget(QLabel("<b>Results</b>"))  # a title made by hand, at the body size
    assert len(layout_problems("careless", careless)) == 3  # margins, spacing, title
    careful = QWidget()
    qtbot.addWidget(careful)
    column = page_layout(QVBoxLayout(careful))
    title = QLabel("<b>Results</b>")
    title.setObjectName("section-title")
    column.addWidget(title)
    column.addWidget(QGroupBox("Settings"))
    assert layout_problems("careful", careful) == []
