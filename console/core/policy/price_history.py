"""Which catalogue prices changed, and when: ``<data_dir>/price-history.jsonl``, one change a line.

``prices import`` appends here; the quarterly review reads it back for "prices that changed since
the last review". Appending a line is atomic enough for a file only this user writes, and a line a
crash cut short is skipped when read (the catalogue itself, written atomically, is what prices use).
Old spend never moves with these: each attempt in the log keeps the price it was charged at.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from console.core.policy.prices import user_price_file
from console.core.policy.schema import Prices

if TYPE_CHECKING:
    from console.core.policy.price_import import PriceChange

HISTORY_FILE = "price-history.jsonl"


@dataclass(frozen=True)
class RecordedPriceChange:
    as_of: datetime.date
    model_id: str
    old: Prices | None
    new: Prices
    source: str


def history_file(folder: Path | None = None) -> Path:
    return (folder or user_price_file().parent) / HISTORY_FILE


def append_changes(changes: Iterable["PriceChange"], *, as_of: datetime.date, source: str,
                   folder: Path | None = None) -> None:
    lines = [json.dumps({"as_of": as_of.isoformat(), "model": c.model_id, "source": source,
                         "old": None if c.old is None else c.old.model_dump(exclude_none=True),
                         "new": c.new.model_dump(exclude_none=True)}, sort_keys=True) + "\n" for c in changes]
    if lines:
        with history_file(folder).open("a", encoding="utf-8") as handle:
            handle.writelines(lines)


def read_changes(folder: Path | None = None, *, since: datetime.date | None = None,
                 until: datetime.date | None = None) -> list[RecordedPriceChange]:
    """The recorded changes within [since, until], oldest first; unreadable lines are skipped."""
    try:
        text = history_file(folder).read_text(encoding="utf-8")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
            change = RecordedPriceChange(datetime.date.fromisoformat(row["as_of"]), str(row["model"]),
                                         None if row["old"] is None else Prices.model_validate(row["old"]),
                                         Prices.model_validate(row["new"]), str(row.get("source", "")))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash, or edited by hand into something else
        if (since is None or change.as_of >= since) and (until is None or change.as_of <= until):
            found.append(change)
    return sorted(found, key=lambda c: (c.as_of, c.model_id))
