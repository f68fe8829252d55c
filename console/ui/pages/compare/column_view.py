"""One column of the Side by side page: the model's name, its live figures, its answer, Stop."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QRadioButton, QVBoxLayout

_OUTCOME_COLOURS = {"ok": "#2e7d32", "cancelled": "#8d6e63"}


class ColumnView(QFrame):
    """Signals:
        sig_stop_requested(int): the user pressed this column's Stop.
    """

    sig_stop_requested = Signal(int)

    def __init__(self, index: int, label: str, model: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.index = index
        self.label = label
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(240)
        self.title = QLabel(f"<b>{label}</b><br><span style='color:gray'>{model}</span>")
        self.title.setObjectName("column-title")
        self.winner = QRadioButton("winner")
        self.stop = QPushButton("Stop")
        self.stop.clicked.connect(lambda: self.sig_stop_requested.emit(self.index))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.winner)
        top.addWidget(self.stop)
        self.stats = QLabel("waiting…")
        self.stats.setWordWrap(True)
        self.stats.setObjectName("column-stats")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stats)
        layout.addWidget(self.text, 1)

    def append(self, text: str) -> None:
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.text.insertPlainText(text)

    def show_running(self) -> None:
        self.stats.setText("streaming…")

    def show_result(self, result: Any) -> None:
        """Final figures; an error stays here in the column, in words."""
        self.stop.setEnabled(False)
        outcome = result.outcome.value
        colour = _OUTCOME_COLOURS.get(outcome, "#c62828")
        ttft = "—" if result.ttft_ms is None else f"{result.ttft_ms:.0f} ms"
        est = " (est.)" if result.tokens_estimated else ""
        speed = f"{result.tokens_per_second:.1f} tok/s" if result.tokens_per_second else "— tok/s"
        lines = [f"<span style='color:{colour}'><b>{outcome}</b></span> · TTFT {ttft} · total {result.latency_ms:.0f} ms",
                 f"{speed} · tokens {result.input_tokens} in / {result.output_tokens} out{est}"
                 f" · ${result.cost_usd:.6f}"]
        if result.error:
            lines.append(f"<span style='color:{colour}'>{result.error}</span>")
        if result.shared_worker:
            lines.append(f"<i>{result.shared_worker}</i>")
        self.stats.setText("<br>".join(lines))
        if not self.text.toPlainText() and result.text:
            self.text.setPlainText(result.text)
