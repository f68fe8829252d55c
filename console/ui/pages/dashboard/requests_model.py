"""The requests table's model: pages of logged requests fetched lazily, off the GUI thread.

``canFetchMore``/``fetchMore`` follow Qt's incremental-loading contract: a view asks for more as
it scrolls near the end, ``fetchMore`` starts one background page read and returns at once, and
the rows are inserted when the page arrives. Paging is keyset (attempt time), so the millionth
row costs what the first does. Sorting and text filtering are a proxy's job, over loaded rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from sqlalchemy import Engine

from console.core.ledger.chains import RequestChain
from console.core.ledger.series import RequestPage, requests_page
from console.ui.pages.dashboard.query import Drill

PAGE_SIZE = 200
COLUMNS = ("Time", "Task", "Team", "Kind", "Outcome", "Attempt chain", "Cost (USD)", "Latency (ms)")
SORT_ROLE = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex
Runner = Callable[..., None]  # run(func, on_done, on_failed, *args)


def chain_text(chain: RequestChain) -> str:
    """'gpt-mini ✗ rate_limited → claude ✓' — each attempt in order, after 'classified by X;' when
    a classifier model was asked."""
    parts, prefix = [], ""
    for attempt in chain.attempts:
        mark = "✓" if attempt["outcome"] == "ok" else f"✗ {attempt['outcome']}"
        if attempt.get("role") == "classify":
            prefix = f"classified by {attempt['model_alias']} {mark}; "
            continue
        parts.append(f"{attempt['model_alias']} {mark}")
    return prefix + " → ".join(parts)


def _cells(chain: RequestChain) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """One row's (shown text, sort key) per column."""
    request, text = chain.request, chain_text(chain)
    shown = (datetime.fromtimestamp(request["ts"]).strftime("%Y-%m-%d %H:%M:%S"), request["task"], request["team"],
             request["kind"], request["outcome"], text, f"{request['total_cost_usd']:.6f}",
             f"{request['total_latency_ms']:,.0f}")
    keys = (request["ts"], request["task"], request["team"], request["kind"], request["outcome"], text,
            request["total_cost_usd"], request["total_latency_ms"])
    return shown, keys


class RequestsModel(QAbstractTableModel):
    """Loaded request chains, newest first, and the read that brings the next page.

    Signals:
        sig_page_loaded(int): a page arrived with this many new rows.
        sig_page_failed(str): a page read failed; a sentence.
    """

    sig_page_loaded = Signal(int)
    sig_page_failed = Signal(str)

    def __init__(self, run: Runner, parent: Any = None) -> None:
        super().__init__(parent)
        self._run = run
        self.chains: list[RequestChain] = []
        # Each row's cells, made once when its page lands: the proxy's sort asks for a cell ~10
        # times a row, and making the row's attempt chain text and date on every ask cost the GUI
        # thread ~40 ms a page, while the charts of the same filter change were being drawn.
        self._display: list[tuple[str, ...]] = []
        self._sort_keys: list[tuple[Any, ...]] = []
        self._seen: set[str] = set()
        self.db: Engine | None = None
        self.drill: Drill | None = None
        self._before: float | None = None
        self._has_more = False
        self._loading = False
        self._generation = 0

    def show_requests(self, db: Engine | None, drill: Drill) -> None:
        """Start over with the requests behind ``drill``; the first page loads at once."""
        self.beginResetModel()
        self.chains, self._seen, self._display, self._sort_keys = [], set(), [], []
        self.db, self.drill = db, drill
        self._before, self._has_more, self._loading = None, db is not None, False
        self._generation += 1
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    @property
    def loading(self) -> bool:
        return self._loading

    # --- incremental loading ---------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._has_more and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if not self.canFetchMore(parent) or self.db is None or self.drill is None:
            return
        self._loading = True
        generation, drill, db, before = self._generation, self.drill, self.db, self._before

        def read() -> RequestPage:
            return requests_page(db, drill.filters, before=before, limit=PAGE_SIZE, failed_only=drill.failed_only,
                                 outcome=drill.outcome)

        self._run(read, lambda page: self._on_page(generation, page),
                  lambda message: self._on_failed(generation, message))

    def _on_page(self, generation: int, page: RequestPage) -> None:
        if generation != self._generation:
            return
        fresh = [c for c in page.chains if c.request["request_id"] not in self._seen]
        if fresh:
            cells = [_cells(chain) for chain in fresh]  # before the rows exist: the view asks at once
            self.beginInsertRows(QModelIndex(), len(self.chains), len(self.chains) + len(fresh) - 1)
            self.chains.extend(fresh)
            self._display.extend(display for display, _sort in cells)
            self._sort_keys.extend(sort for _display, sort in cells)
            self._seen.update(c.request["request_id"] for c in fresh)
            self.endInsertRows()
        self._before = page.next_before
        self._has_more = page.next_before is not None
        self._loading = False
        self.sig_page_loaded.emit(len(fresh))

    def _on_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._has_more = False
        self.sig_page_failed.emit(message)

    # --- Qt model --------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.chains)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.chains):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display[index.row()][column]
        if role == SORT_ROLE:
            return self._sort_keys[index.row()][column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
