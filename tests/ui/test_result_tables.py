"""Tables that show results are read-only on every page: a double-click never types over a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from console.ui.result_table import result_table


def test_a_result_table_cannot_be_edited_and_selects_whole_rows(qtbot: Any) -> None:
    table = result_table(["Model", "Cost"], "costs")
    qtbot.addWidget(table)
    table.setRowCount(1)
    table.setItem(0, 0, QTableWidgetItem("gpt-mini"))
    table.setItem(0, 1, QTableWidgetItem("$0.0040"))
    table.show()
    index = table.model().index(0, 1)
    assert not table.edit(index, QAbstractItemView.EditTrigger.DoubleClicked, None)  # no editor opens
    table.selectRow(0)
    assert {i.column() for i in table.selectedIndexes()} == {0, 1}
    assert table.objectName() == "costs" and table.horizontalHeaderItem(1).text() == "Cost"
    assert table.item(0, 1).data(Qt.ItemDataRole.DisplayRole) == "$0.0040"


def test_every_table_in_the_window_is_read_only(qtbot: Any, policy_file: Path) -> None:
    from console.ui.main_window import PAGES, MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_first_policy(policy_file)
    window.show()
    editable: list[str] = []
    seen = 0
    for row, (title, _factory) in enumerate(PAGES):
        window.navigation.setCurrentRow(row)
        for table in window.findChildren(QTableWidget):
            seen += 1
            if table.editTriggers() != QAbstractItemView.EditTrigger.NoEditTriggers:
                editable.append(f"{title}: {table.objectName() or type(table.parentWidget()).__name__}")
    assert seen >= 5  # keys, Try it's plan and attempts, the assessment, What-if
    assert not editable, "editable result tables:\n" + "\n".join(sorted(set(editable)))
    window.close()
