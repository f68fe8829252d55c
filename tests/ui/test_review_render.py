"""The quarterly review rendered: a PDF whose every page has content (checked as pictures with
poppler's pdftoppm), page numbers and a title page, tables that never split a row, and an HTML page
that needs no network. ``routedesk review`` end to end on a demo quarter."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage, QPainter, QPdfWriter

from console.cli.main import run
from console.core.app.review import parse_period, quarterly_review
from console.core.policy.loader import load_policy_or_raise
from console.core.review.demo import ReviewDemo, write_review_demo
from console.core.review.figures import Review
from console.ui.review.blocks import Heading, Paragraph, Table
from console.ui.review.pdf_writer import DPI, layout_pages
from console.ui.review.render import RenderError, render_review
from tests.ui.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 12, 1, 6, 30, tzinfo=datetime.timezone.utc).timestamp()
SECTIONS = ("1. Spend", "2. Reliability", "3. Latency", "4. Policy changes", "5. Pilots and rollouts",
            "6. Prices and models", "7. Recommendations")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ReviewDemo:
    return write_review_demo(tmp_path_factory.mktemp("review-demo"),
                             (ROOT / "policies" / "demo-traffic.yaml").read_text(), requests=4000, now=NOW)


@pytest.fixture(scope="module")
def review(demo: ReviewDemo) -> Review:
    policy = load_policy_or_raise(demo.policy_file)
    return quarterly_review(policy, parse_period(since="90d", now=NOW), url=demo.url, data_root=demo.folder,
                            now=NOW, mark=False)


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        require_or_skip(f"{tool} (Debian poppler-utils) is not installed")
    return str(found)


def _inked_share(image: QImage) -> float:
    """Share of sampled pixels that are not white, away from the footer."""
    inked = total = 0
    for y in range(0, int(image.height() * 0.9), 4):
        for x in range(0, image.width(), 4):
            total += 1
            inked += image.pixelColor(x, y).lightness() < 235
    return inked / total


def test_every_pdf_page_has_content_and_a_number(qtbot, review: Review, tmp_path: Path) -> None:
    target = tmp_path / "review.pdf"
    pages = render_review(review, target, next_due="2027-03-01")
    assert pages >= 4 and target.read_bytes().startswith(b"%PDF")
    subprocess.run([_poppler("pdftoppm"), "-r", "40", "-png", str(target), str(tmp_path / "page")], check=True,
                   timeout=120)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for number, path in enumerate(images, start=1):
        share = _inked_share(QImage(str(path)))
        assert share > (0.01 if number == 1 else 0.03), f"page {number} is (nearly) blank: {share:.3f}"
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True, timeout=120).stdout
    page_texts = text.split("\f")
    assert "Quarterly review: demo" in page_texts[0] and "page 1 of" not in page_texts[0]  # a title page alone
    assert "Next review due: 2027-03-01" in page_texts[0]
    for number in range(2, pages + 1):
        assert f"page {number} of {pages}" in page_texts[number - 1]
    flat = " ".join(text.split())
    for section in SECTIONS:
        assert section in flat
    for word in ("investigate failure", "gpt-4.1-mini", "MEETS the bar"):
        assert word in flat, word


def test_a_table_row_is_never_split_and_a_continued_table_repeats_its_header(qtbot, tmp_path: Path) -> None:
    writer = QPdfWriter(str(tmp_path / "probe.pdf"))
    writer.setResolution(DPI)
    painter = QPainter(writer)
    try:
        rows = tuple((f"row {n}", "\n".join(["a line of a cell that holds several"] * (1 + n % 4)), f"{n}")
                     for n in range(60))
        blocks = [Heading("Table"), Paragraph("before"), Table(("name", "text", "n"), rows, frozenset({2}))]
        height = 900.0
        pages = layout_pages(painter, blocks, 1200.0, height)
    finally:
        painter.end()
    assert len(pages) > 2
    for page in pages:
        for y, h, _draw in page.ops:
            assert y + h <= height + 1e-6 or y == 0, "a block runs past the page's foot"
    # every page after the first starts with the header row: as tall as the first page's header
    header_heights = {page.ops[0][1] for page in pages[1:]}
    assert len(header_heights) == 1


def test_the_html_opens_with_no_network(qtbot, review: Review, tmp_path: Path) -> None:
    target = tmp_path / "review.html"
    assert render_review(review, target) == 1
    page = target.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page.replace("https://", "")
    assert "<link" not in page and "<script" not in page
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page


def test_a_bad_output_is_refused_before_any_work(qtbot, review: Review, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="as .pdf or .html"):
        render_review(review, tmp_path / "review.docx")
    with pytest.raises(RenderError, match="no such folder"):
        render_review(review, tmp_path / "missing" / "review.pdf")


def test_routedesk_review_writes_the_file_and_moves_the_due_date(qtbot, demo: ReviewDemo, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 private_home: Path) -> None:
    target = tmp_path / "q.html"
    assert run(["review", "--since", "90d", "-p", str(demo.policy_file), "--db", demo.url, "-o", str(target)]) == 0
    out = capsys.readouterr().out
    due = (datetime.date.today() + datetime.timedelta(days=91)).isoformat()
    assert f"the next review of 'demo' is due {due}" in out and target.is_file()
    assert (private_home / "review-schedule.json").is_file()
    assert run(["review", "--quarter", "2026Q5", "-o", str(target)]) == 2
    assert "not a quarter" in capsys.readouterr().err
    assert run(["review", "-o", str(tmp_path / "q.txt")]) == 2
    assert "write the review as .pdf or .html" in capsys.readouterr().err
    assert run(["review", "--demo", "--db", demo.url, "-o", str(target)]) == 2
    assert "--demo makes its own policy and log" in capsys.readouterr().err


def test_an_empty_period_is_a_short_review_that_says_so(qtbot, demo: ReviewDemo, tmp_path: Path) -> None:
    policy = load_policy_or_raise(demo.policy_file)
    empty = quarterly_review(policy, parse_period(quarter_text="2020Q1"), url=demo.url, data_root=demo.folder,
                             mark=False)
    target = tmp_path / "empty.html"
    render_review(empty, target)
    page = target.read_text(encoding="utf-8")
    assert "the log has no production requests under policy &#x27;demo&#x27; in 2020Q1" in page
    assert "<img" not in page  # no empty charts


def test_the_readme_command_reviews_demo_history_without_touching_the_users_data(
        qtbot, tmp_path: Path, capsys: pytest.CaptureFixture[str], private_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the demo's folder goes with the test's
    before = sorted(p.name for p in private_home.iterdir()) if private_home.exists() else []
    target = tmp_path / "review.pdf"
    assert run(["review", "--demo", "-o", str(target)]) == 0  # README: routedesk review --demo -o review.pdf
    assert "wrote" in capsys.readouterr().out and target.read_bytes().startswith(b"%PDF")
    assert (sorted(p.name for p in private_home.iterdir()) if private_home.exists() else []) == before
    (folder,) = tmp_path.glob("routedesk-review-demo-*")
    assert (folder / "demo-log.sqlite3").is_file() and (folder / "review-schedule.json").is_file()


def test_a_recommended_command_reads_as_one_command_and_none_of_its_lines_wraps(qtbot, review: Review,
                                                                                tmp_path: Path) -> None:
    # Wrapped by the table after a hyphen ("--" / "baseline"), a command copied out of the PDF no longer runs.
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize

    from console.ui.review.document import review_blocks
    from console.ui.review.pdf_writer import PAD, _Layout

    table = next(b for b in review_blocks(review, {}) if isinstance(b, Table) and b.columns[-1] == "next step")
    commands = [r.next_step for r in review.recommendations]
    cells = [row[-1] for row in table.rows]
    assert any(c.startswith("routedesk ") for c in commands) and any(" \\\n" in c for c in cells)
    for cell, command in zip(cells, commands):
        assert cell.replace(" \\\n", " ").split() == command.split()  # pasted into a shell: the same words
    writer = QPdfWriter(str(tmp_path / "probe.pdf"))
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(16, 16, 16, 20), QPageLayout.Unit.Millimeter))
    painter = QPainter(writer)
    try:
        layout = _Layout(painter, writer.pageLayout().paintRectPixels(DPI).width(), 1e6)
        assert table.widths is not None
        column = layout.width * table.widths[-1] / sum(table.widths) - 2 * PAD
        one_line = layout.text_height(layout.body, "routedesk", column)
        for cell in cells:
            for line in cell.split("\n"):
                if line.startswith(("routedesk", "  --")):
                    assert layout.text_height(layout.body, line, column) == one_line, line
    finally:
        painter.end()


def test_a_review_bar_chart_wraps_its_labels_between_words(qtbot) -> None:
    # Filled before it was laid out, the chart wrapped "summarize/gemini-flash" to its minimum width:
    # "summariz", "e/gemini", "-flash".
    from console.ui.pages.dashboard.bar_chart import CategoryBars
    from console.ui.plots import wrap_label
    from console.ui.review.charts import _grab

    labels = ["analysis/reasoner", "summarize/gemini-flash", "support/gpt-mini", "extract/local-smol"] * 2
    chart = CategoryBars("Attempt failure rate by task and model", "", lambda v: f"{v:.1f}%")
    png = _grab(chart, lambda: chart.show_bars(labels, [("rate", [1.0] * len(labels))], [None] * len(labels)))
    assert png.startswith(b"\x89PNG")
    for label in labels:
        lines = wrap_label(label, chart._ticks[1]).split("\n")
        assert all(line[-1] in "/-_ ." for line in lines[:-1]), lines


def test_a_policy_with_no_traffic_of_its_own_gets_no_advice_about_other_policies_traffic(
        qtbot, demo: ReviewDemo, tmp_path: Path) -> None:
    # The log holds the demo policy's quarter; a review of another policy over the same period said
    # "Spend $0.00" and then recommended on the demo's tasks ("code: keep, 54% of spend").
    other = tmp_path / "other.yaml"
    other.write_text(re.sub(r"(?m)^name: .*$", "name: other", demo.policy_file.read_text(encoding="utf-8")))
    policy = load_policy_or_raise(other)
    assert policy.name == "other"
    review = quarterly_review(policy, parse_period(since="90d", now=NOW), url=demo.url, data_root=demo.folder,
                              mark=False)
    assert review.spend.counts.requests == 0 and review.recommendations == [] and review.new_models == []
    target = tmp_path / "other.html"
    render_review(review, target)
    page = target.read_text(encoding="utf-8")
    assert "None: the period has no traffic under this policy" in page
    assert "<tbody></tbody>" not in page  # no table is a header on its own
