"""Spreadsheet-safe CSV: every CSV the product writes goes through here (CSV formula injection).

A spreadsheet opens a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
leading tab or carriage return can hide one; model names come from imported files and answers
can be shaped by prompt injection, so such a cell could run ``=HYPERLINK(...)`` or worse on the
reader's machine. OWASP's CSV Injection guidance
(https://owasp.org/www-community/attacks/CSV_Injection): prefix such a cell with a single quote
so it is read as text, and quote every field that needs it (the ``csv`` module does).

Decision on numbers: a value that is a number in Python (``int`` or ``float``, not ``bool``) is
written as a number, so a negative cost or delta stays numeric in the spreadsheet. Only text is
neutralised, even text that looks like a number ("-5" from a model name stays '-5): the type of
the value decides, never its look, so no crafted string slips through a numeric pattern.
"""

from __future__ import annotations

import csv
from typing import IO, Any, Iterable, Mapping, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a CSV cell: numbers unchanged, risky text prefixed with ``'``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def write_rows(handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write ``header`` and ``rows`` to ``handle`` as spreadsheet-safe CSV.

    Lines end with CRLF (RFC 4180): with that terminator the ``csv`` module also quotes a field
    holding a bare CR, which with LF endings it leaves bare, splitting the row in a spreadsheet."""
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)


def write_dicts(handle: IO[str], fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write dict ``rows`` (only ``fields``, in order) to ``handle`` as spreadsheet-safe CSV."""
    write_rows(handle, fields, ([row.get(field) for field in fields] for row in rows))
