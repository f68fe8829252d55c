"""The review as a sequence of layout blocks (title, headings, text, tables, charts), which both
writers lay out: ``html_writer`` as one self-contained page, ``pdf_writer`` as paginated PDF.
Pure data; the words and the order of the report are decided once, in ``document.py``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Title:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """Rows of text; ``numeric`` columns are right-aligned. A cell may hold several lines."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = field(default_factory=frozenset)
    widths: tuple[float, ...] | None = None  # relative column widths; None: from the text


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


Block = Title | Heading | Paragraph | Bullets | Table | Chart
