"""The review as a paginated PDF, drawn with Qt's own PDF writer (``QPdfWriter`` + ``QPainter``).

Laid out here rather than by ``QTextDocument``, whose pagination may cut a table row in two at a
page end: each block is measured, and a row, a chart or a heading with no room left starts the
next page (a continued table repeats its header). The title page stands alone; every other page
has a footer with the report's name and "page N of M", so the whole layout is done before drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from console.ui.review.blocks import Block, Bullets, Chart, Heading, Paragraph, Table, Title

DPI = 150
GAP = 14  # device pixels between blocks
PAD = 5  # inside a table cell
INK, MUTED, RULE, HEAD_FILL, ACCENT = "#1d2430", "#4a5465", "#c4cad3", "#eef1f5", "#4e79a7"
Draw = Callable[[QPainter, float], None]  # draws at a y offset on the current page


@dataclass
class _Page:
    ops: list[tuple[float, float, Draw]]  # (y, height, draw)


class _Layout:
    """Places blocks on pages (ops), measuring text with the painter that will draw it."""

    def __init__(self, painter: QPainter, width: float, height: float) -> None:
        self.painter, self.width, self.height = painter, width, height
        self.pages: list[_Page] = [_Page([])]
        self.y = 0.0
        self.body, self.bold = QFont("DejaVu Sans", 9), QFont("DejaVu Sans", 9, QFont.Weight.Bold)
        self.small = QFont("DejaVu Sans", 8)
        self.heading, self.title = QFont("DejaVu Sans", 15, QFont.Weight.Bold), QFont("DejaVu Sans", 26, QFont.Weight.Bold)

    # --- measuring and placing -------------------------------------------------------------
    def text_height(self, font: QFont, text: str, width: float) -> float:
        self.painter.setFont(font)
        flags = int(Qt.TextFlag.TextWordWrap)
        return self.painter.boundingRect(QRectF(0, 0, max(width, 1.0), 1e6), flags, text).height()

    def new_page(self) -> None:
        self.pages.append(_Page([]))
        self.y = 0.0

    def room(self, height: float) -> bool:
        return self.y + height <= self.height or self.y == 0.0

    def place(self, height: float, draw: Draw) -> None:
        if not self.room(height):
            self.new_page()
        self.pages[-1].ops.append((self.y, height, draw))
        self.y += height

    # --- blocks ------------------------------------------------------------------------------
    def text(self, font: QFont, text: str, *, colour: str = INK, indent: float = 0.0, after: float = GAP) -> None:
        width = self.width - indent
        height = self.text_height(font, text, width)

        def draw(p: QPainter, y: float) -> None:
            p.setFont(font)
            p.setPen(QColor(colour))
            p.drawText(QRectF(indent, y, width, height), int(Qt.TextFlag.TextWordWrap), text)

        self.place(height + after, draw)

    def title_page(self, block: Title) -> None:
        self.y = self.height * 0.28
        self.place(8, lambda p, y: p.fillRect(QRectF(0, y, self.width, 6), QColor(ACCENT)))
        self.text(self.title, block.title, after=GAP * 2)
        for line in block.lines:
            self.text(QFont("DejaVu Sans", 12), line, colour=MUTED, after=GAP / 2)
        self.new_page()

    def heading_block(self, block: Heading) -> None:
        need = self.text_height(self.heading, block.text, self.width) + GAP * 2 + 120  # keep with what follows
        if not self.room(need):
            self.new_page()
        self.y += GAP if self.y else 0
        self.text(self.heading, block.text, after=GAP / 2)
        self.place(GAP / 2, lambda p, y: (p.setPen(QPen(QColor(RULE), 2)), p.drawLine(0, int(y), int(self.width), int(y))))

    def chart(self, block: Chart) -> None:
        image = QImage.fromData(block.png, "PNG")
        height = self.width * image.height() / max(image.width(), 1)
        caption = self.text_height(self.small, block.caption, self.width)

        def draw(p: QPainter, y: float) -> None:
            p.drawImage(QRectF(0, y, self.width, height), image)
            p.setFont(self.small)
            p.setPen(QColor(MUTED))
            p.drawText(QRectF(0, y + height + 4, self.width, caption), int(Qt.TextFlag.TextWordWrap), block.caption)

        self.place(height + caption + 4 + GAP, draw)

    def table(self, block: Table) -> None:
        weights = list(block.widths or [max(6, min(40, max(len(line) for row in (block.columns, *block.rows)
                                                            for line in row[i].split("\n"))))
                                        for i in range(len(block.columns))])
        widths = [self.width * w / sum(weights) for w in weights]
        lefts = [sum(widths[:i]) for i in range(len(widths))]

        def row_height(cells: Sequence[str], font: QFont) -> float:
            return max(self.text_height(font, c, w - 2 * PAD) for c, w in zip(cells, widths)) + 2 * PAD

        def draw_row(cells: Sequence[str], font: QFont, height: float, fill: str | None) -> Draw:
            def draw(p: QPainter, y: float) -> None:
                if fill:
                    p.fillRect(QRectF(0, y, self.width, height), QColor(fill))
                p.setFont(font)
                for i, (cell, left, width) in enumerate(zip(cells, lefts, widths)):
                    p.setPen(QPen(QColor(RULE), 1))
                    p.drawRect(QRectF(left, y, width, height))
                    align = Qt.AlignmentFlag.AlignRight if i in block.numeric else Qt.AlignmentFlag.AlignLeft
                    p.setPen(QColor(INK))
                    p.drawText(QRectF(left + PAD, y + PAD, width - 2 * PAD, height - 2 * PAD),
                               int(align) | int(Qt.TextFlag.TextWordWrap), cell)
            return draw

        header_height = row_height(block.columns, self.bold)
        header = draw_row(block.columns, self.bold, header_height, HEAD_FILL)
        first_row = row_height(block.rows[0], self.body) if block.rows else 0.0
        if not self.room(header_height + first_row):
            self.new_page()  # never a header alone at a page's foot
        self.place(header_height, header)
        for row in block.rows:
            height = row_height(row, self.body)
            if not self.room(height):  # the row moves whole to the next page, under the header again
                self.new_page()
                self.place(header_height, header)
            self.place(height, draw_row(row, self.body, height, None))
        self.y += GAP

    def add(self, block: Block) -> None:
        if isinstance(block, Title):
            self.title_page(block)
        elif isinstance(block, Heading):
            self.heading_block(block)
        elif isinstance(block, Paragraph):
            self.text(self.bold if block.emphasis else self.body, block.text)
        elif isinstance(block, Bullets):
            for item in block.items:
                self.text(self.body, f"•  {item}", indent=12, after=4)
            self.y += GAP
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Chart):
            self.chart(block)
        else:
            raise TypeError(f"no PDF layout for {block!r}")


def layout_pages(painter: QPainter, blocks: Sequence[Block], width: float, height: float) -> list[_Page]:
    """Blocks placed on pages of ``width`` × ``height`` device pixels (empty pages dropped)."""
    layout = _Layout(painter, width, height)
    for block in blocks:
        layout.add(block)
    return [page for page in layout.pages if page.ops] or [_Page([])]


def write_review_pdf(blocks: Sequence[Block], path: Path, footer: str) -> int:
    """Write the PDF; returns its page count."""
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(16, 16, 16, 20), QPageLayout.Unit.Millimeter))
    writer.setTitle(footer)
    writer.setCreator("Routedesk")
    painter = QPainter(writer)
    try:
        page_rect = writer.pageLayout().paintRectPixels(DPI)
        footer_room = 40
        pages = layout_pages(painter, blocks, page_rect.width(), page_rect.height() - footer_room)
        for number, page in enumerate(pages, start=1):
            if number > 1:
                writer.newPage()
            for y, _height, draw in page.ops:
                draw(painter, y)
            if number > 1:  # the title page carries no footer
                painter.setFont(QFont("DejaVu Sans", 8))
                painter.setPen(QColor(MUTED))
                bottom = QRectF(0, page_rect.height() - footer_room + 12, page_rect.width(), footer_room - 12)
                painter.drawText(bottom, int(Qt.AlignmentFlag.AlignLeft), footer)
                painter.drawText(bottom, int(Qt.AlignmentFlag.AlignRight), f"page {number} of {len(pages)}")
    finally:
        painter.end()
    return len(pages)
