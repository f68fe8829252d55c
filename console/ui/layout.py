"""The window's spacing and type scale, defined once: every page's margins and title sizes come from here.

Pages call ``page_layout`` for their outermost layout, so each page's content starts the same
distance from the window's edge as its header's title (console.ui.page_header), and name their
section titles ``section-title`` (a group of fields: a QGroupBox; a column: ``column-title``); the theme's stylesheet takes its point sizes
from ``TYPE`` (console.ui.theme). tests/ui/test_layout_system.py walks every page of the real
window and fails a page that keeps Qt's default margins or sizes a title by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtWidgets import QLayout

#: left and right edge of every page (and of its header), in pixels
PAGE_MARGIN = 16
#: between a page's groups (header to content, panel to panel), and at a page's top and bottom
SECTION_SPACING = 12
#: between controls inside one group (a row of buttons, a label and its field)
CONTROL_SPACING = 6


@dataclass(frozen=True)
class TypeScale:
    """Point sizes: page title, section title, body text, captions (hints, units, notes).

    Body text is the application font (Qt's platform default, 9-10pt); the stylesheet sizes titles only,
    so widgets that measure their text (the flow view, the charts' axes) keep the size they were fitted to.
    """

    title: int = 15
    section: int = 12
    body: int = 10
    caption: int = 9


TYPE = TypeScale()

L = TypeVar("L", bound=QLayout)


def page_layout(layout: L) -> L:
    """``layout`` as a page's outermost layout: the shared page margins and section spacing."""
    layout.setContentsMargins(PAGE_MARGIN, SECTION_SPACING, PAGE_MARGIN, SECTION_SPACING)
    layout.setSpacing(SECTION_SPACING)
    return layout


def type_scale_stylesheet() -> str:
    """The stylesheet rules that give titles their place on the type scale (appended to the theme's)."""
    return "\n".join((
        f"QLabel#page-title {{ font-size: {TYPE.title}pt; font-weight: 600; }}",
        f"QLabel#section-title, QLabel#guide-title {{ font-size: {TYPE.section}pt; font-weight: 600; }}",
        # A group box titles a few fields inside a section, often in a narrow column: body size, semibold
        # (at the section size "Fall back to the next candidate on" was cut off beside the route form).
        # A column title (column-title) stays at the body size too; its own <b> marks the name.
        "QGroupBox { font-weight: 600; }",
        "",
    ))
