"""A route drawn as a flow: the task, its candidates in order, then budget fallbacks and escalation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BOX_HEIGHT, GAP, PAD = 34, 34, 10


@dataclass(frozen=True)
class FlowStep:
    """One box of the flow. ``kind`` is task, candidate, budget or escalate."""

    label: str
    kind: str
    detail: str = ""


def route_steps(task: str, document_data: dict[str, Any]) -> list[FlowStep]:
    """The boxes for ``task``'s route, in the order requests would try them."""
    route = (document_data.get("routes") or {}).get(task) or {}
    models = document_data.get("models") or {}
    steps = [FlowStep(task, "task", "task")]
    for alias in route.get("candidates") or []:
        model = models.get(alias) or {}
        detail = model.get("region", "global") if isinstance(model, dict) else ""
        steps.append(FlowStep(str(alias), "candidate", str(detail) if alias in models else "unknown model"))
    for budget in document_data.get("budgets") or []:
        if not isinstance(budget, dict) or budget.get("action") != "fallback" or not budget.get("fallback_model"):
            continue
        scope_task = (budget.get("scope") or {}).get("task")
        if scope_task in (None, task):
            steps.append(FlowStep(str(budget["fallback_model"]), "budget", f"when {budget.get('name')} is spent"))
    escalate = (route.get("confidence") or {}).get("escalate_to")
    if escalate:
        steps.append(FlowStep(str(escalate), "escalate", "if every answer is unsure"))
    return steps


class FlowView(QWidget):
    """Paints ``route_steps`` left to right; arrows say when the next box is tried."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._steps: list[FlowStep] = []
        self.setMinimumHeight(BOX_HEIGHT + 2 * PAD + 16)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    @property
    def steps(self) -> list[FlowStep]:
        return list(self._steps)

    def set_steps(self, steps: list[FlowStep]) -> None:
        self._steps = steps
        self.updateGeometry()
        self.update()

    def _box_width(self, metrics: QFontMetrics, step: FlowStep) -> int:
        return max(metrics.horizontalAdvance(step.label), metrics.horizontalAdvance(step.detail)) + 2 * PAD

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        width = sum(self._box_width(metrics, s) + GAP for s in self._steps) + PAD
        return QSize(max(width, 200), BOX_HEIGHT + 2 * PAD + 16)

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        metrics = QFontMetrics(self.font())
        text_color = palette.color(palette.ColorRole.WindowText)
        fills = {
            "task": palette.color(palette.ColorRole.Highlight),
            "candidate": palette.color(palette.ColorRole.Base),
            "budget": QColor(214, 160, 40),
            "escalate": QColor(150, 110, 200),
        }
        x, top = float(PAD), float(PAD)
        line_height = metrics.height()
        for number, step in enumerate(self._steps):
            width = self._box_width(metrics, step)
            box = QRectF(x, top, width, BOX_HEIGHT + line_height // 2)
            if number:
                self._arrow(painter, x - GAP, x, box.center().y(), text_color, dashed=step.kind in ("budget", "escalate"))
            fill = QColor(fills.get(step.kind, fills["candidate"]))
            if step.kind in ("budget", "escalate"):
                fill.setAlpha(90)
            path = QPainterPath()
            path.addRoundedRect(box, 6, 6)
            painter.fillPath(path, fill)
            painter.setPen(QPen(text_color, 1))
            painter.drawPath(path)
            label_color = palette.color(palette.ColorRole.HighlightedText) if step.kind == "task" else text_color
            painter.setPen(label_color)
            painter.drawText(box.adjusted(PAD, 3, -PAD, -line_height), Qt.AlignmentFlag.AlignCenter, step.label)
            small = QColor(label_color)
            small.setAlpha(170)
            painter.setPen(small)
            painter.drawText(box.adjusted(PAD, line_height, -PAD, -2), Qt.AlignmentFlag.AlignCenter, step.detail)
            x += width + GAP
        painter.end()

    @staticmethod
    def _arrow(painter: QPainter, start: float, end: float, y: float, color: QColor, dashed: bool) -> None:
        pen = QPen(color, 1.5, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(start + 4, y), QPointF(end - 4, y))
        head = QPainterPath(QPointF(end - 4, y))
        head.lineTo(end - 11, y - 4)
        head.lineTo(end - 11, y + 4)
        head.closeSubpath()
        painter.fillPath(head, color)
