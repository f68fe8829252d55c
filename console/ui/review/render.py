"""Render a review to ``review.pdf`` or ``review.html`` (by the file's suffix): the one entry point the
CLI and the window call. Needs a QApplication (charts are widgets); ``ensure_app`` makes one."""

from __future__ import annotations

import os
from pathlib import Path

from console.core.review.figures import Review

SUFFIXES = (".pdf", ".html", ".htm")


class RenderError(ValueError):
    """The output cannot be written (unknown suffix, unwritable place)."""


def ensure_app() -> object:
    """The running QApplication, or a new offscreen one (the CLI has no window)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["routedesk-review"])
    return app


def render_review(review: Review, path: Path, *, next_due: str | None = None) -> int:
    """Write ``review`` to ``path``; returns the pages written (1 for HTML). RenderError when it cannot."""
    from console.ui.review.charts import review_charts
    from console.ui.review.document import review_blocks

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise RenderError(f"{path}: the review is written as .pdf or .html, not {suffix or 'a file without a suffix'}")
    if not path.parent.is_dir():
        raise RenderError(f"{path.parent}: no such folder")
    ensure_app()
    blocks = review_blocks(review, review_charts(review), next_due=next_due)
    footer = f"Quarterly review · {review.policy_name} · {review.period.label}"
    partial = path.with_name(f".{path.name}.partial")
    try:
        if suffix == ".pdf":
            from console.ui.review.pdf_writer import write_review_pdf

            pages = write_review_pdf(blocks, partial, footer)
        else:
            from console.ui.review.html_writer import review_html

            partial.write_text(review_html(blocks, footer), encoding="utf-8")
            pages = 1
        if not partial.is_file():
            raise RenderError(f"{path}: the PDF could not be written there")
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise RenderError(f"{path}: cannot write the review: {error.strerror or error}") from None
    return pages
