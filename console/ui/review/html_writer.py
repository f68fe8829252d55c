"""The review as one HTML file that opens with no network: styles inline, charts as ``data:`` URIs."""

from __future__ import annotations

import base64
import html
from typing import Sequence

from console.ui.review.blocks import Block, Bullets, Chart, Heading, Paragraph, Table, Title

STYLE = """
body { font-family: 'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif; color: #1d2430; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; line-height: 1.4; }
header { border-bottom: 3px solid #4e79a7; margin-bottom: 1.5em; padding-bottom: 1em; }
header h1 { margin: 0 0 .3em 0; font-size: 2em; }
header p { margin: .1em 0; color: #4a5465; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #d5dae2; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0 1.2em 0; width: 100%; font-size: .9em; }
th, td { border: 1px solid #d5dae2; padding: .3em .5em; vertical-align: top; text-align: left; white-space: pre-line; }
th { background: #eef1f5; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { page-break-inside: avoid; }
figure { margin: 1em 0; }
figure img { width: 100%; height: auto; border: 1px solid #d5dae2; }
figcaption { color: #4a5465; font-size: .85em; }
p.em { font-weight: bold; }
"""


def _table(block: Table) -> str:
    def cell(tag: str, index: int, text: str) -> str:
        kind = ' class="n"' if index in block.numeric else ""
        return f"<{tag}{kind}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(block.columns))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in block.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _block(block: Block) -> str:
    if isinstance(block, Title):
        lines = "".join(f"<p>{html.escape(line)}</p>" for line in block.lines)
        return f"<header><h1>{html.escape(block.title)}</h1>{lines}</header>"
    if isinstance(block, Heading):
        return f"<h2>{html.escape(block.text)}</h2>"
    if isinstance(block, Paragraph):
        kind = ' class="em"' if block.emphasis else ""
        return f"<p{kind}>{html.escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Chart):
        data = base64.b64encode(block.png).decode("ascii")
        return (f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    raise TypeError(f"no HTML for {block!r}")


def review_html(blocks: Sequence[Block], title: str) -> str:
    body = "\n".join(_block(block) for block in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
