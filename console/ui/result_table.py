"""A table that shows results: read-only, whole rows selected, no row numbers.

Every page that lists what happened (keys, team keys, rollout events, What-if changes, the
assessment, Try it's plan and attempt chain) makes its table here, so none of them lets a
double-click type over a figure the operator is reading.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtWidgets import QAbstractItemView, QTableWidget


def result_table(headers: Sequence[str], name: str = "") -> QTableWidget:
    """A read-only table with these column headers (``name``: its object name, for tests and styles)."""
    table = QTableWidget(0, len(headers))
    if name:
        table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return table
