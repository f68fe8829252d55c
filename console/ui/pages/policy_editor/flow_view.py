"""A route drawn as a flow: the task, its candidates in order, then the fallbacks that really apply.

A budget fallback is drawn only when it can change this route: its action is ``fallback``, its
scope covers this task and at least one candidate (provider, model), and its fallback model is not
already in the chain (the planner skips models it has seen). Escalation is drawn only when the
route checks confidence (an unsure answer is what escalates) and the target task has a route.

Boxes wrap onto further rows when the view is narrow (the policy editor at 1440 px with Try it
open), and long names are elided with the full name in the tooltip. Candidates can be reordered
by dragging one box onto another, or from the context menu, which also removes a candidate or
opens its model; each of those is a request the route editor turns into an undoable command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

BOX_HEIGHT, GAP, PAD, MAX_BOX = 34, 30, 10, 180


@dataclass(frozen=True)
class FlowStep:
    """One box of the flow. ``kind`` is task, candidate, budget or escalate; ``index`` a candidate's place."""

    label: str
    kind: str
    detail: str = ""
    index: int = -1


def _covers_candidate(scope: dict[str, Any], candidates: list[str], models: dict[str, Any]) -> list[str]:
    """The candidates a budget's provider/model scope covers."""
    covered = []
    for alias in candidates:
        model = models.get(alias) if isinstance(models.get(alias), dict) else {}
        if scope.get("model") not in (None, alias):
            continue
        if scope.get("provider") not in (None, model.get("provider")):
            continue
        covered.append(alias)
    return covered


def route_steps(task: str, document_data: dict[str, Any]) -> list[FlowStep]:
    """The boxes for ``task``'s route, in the order requests would try them."""
    route = (document_data.get("routes") or {}).get(task) or {}
    models = document_data.get("models") or {}
    candidates = [str(alias) for alias in route.get("candidates") or []]
    steps = [FlowStep(task, "task", "task")]
    for number, alias in enumerate(candidates):
        model = models.get(alias) or {}
        detail = model.get("region", "global") if isinstance(model, dict) else ""
        steps.append(FlowStep(alias, "candidate", str(detail) if alias in models else "unknown model", number))
    shown = set(candidates)
    for budget in document_data.get("budgets") or []:
        if not isinstance(budget, dict) or budget.get("action") != "fallback" or not budget.get("fallback_model"):
            continue
        scope = budget.get("scope") or {}
        fallback = str(budget["fallback_model"])
        if scope.get("task") not in (None, task) or fallback in shown:
            continue
        covered = _covers_candidate(scope, candidates, models)
        if not covered:
            continue
        shown.add(fallback)
        whom = "" if covered == candidates else f" ({', '.join(covered)})"
        team = f", team {scope['team']}" if scope.get("team") else ""
        steps.append(FlowStep(fallback, "budget", f"when {budget.get('name')} is spent{whom}{team}"))
    confidence = route.get("confidence") or {}
    escalate = confidence.get("escalate_to")
    checks = confidence.get("min_mean_logprob") is not None or confidence.get("validator_regex")
    if escalate and checks and escalate in (document_data.get("routes") or {}):
        steps.append(FlowStep(str(escalate), "escalate", "if every answer is unsure"))
    return steps


class FlowView(QWidget):
    """Paints ``route_steps`` left to right, wrapping to new rows; arrows say when the next box is tried.

    Signals:
        sig_candidate_selected(int): a candidate box was clicked (its place in the chain).
        sig_move_requested(int, int): move the candidate at the first place to the second.
        sig_remove_requested(int): take the candidate at this place out of the route.
        sig_model_requested(str): open this model's row in the Models table.
    """

    sig_candidate_selected = Signal(int)
    sig_move_requested = Signal(int, int)
    sig_remove_requested = Signal(int)
    sig_model_requested = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._steps: list[FlowStep] = []
        self._pressed: int | None = None
        self.selected = -1
        self.setMouseTracking(True)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)

    @property
    def steps(self) -> list[FlowStep]:
        return list(self._steps)

    def set_steps(self, steps: list[FlowStep]) -> None:
        self._steps = steps
        self.updateGeometry()
        self.update()

    # --- geometry ---------------------------------------------------------------------------
    def _box_width(self, metrics: QFontMetrics, step: FlowStep) -> int:
        natural = max(metrics.horizontalAdvance(step.label), metrics.horizontalAdvance(step.detail)) + 2 * PAD
        return min(natural, MAX_BOX)

    def box_rects(self, width: int | None = None) -> list[QRectF]:
        """Each step's box at ``width`` (default: the view's), wrapping onto rows that fit."""
        metrics = QFontMetrics(self.font())
        width = width if width is not None else self.width()
        height = BOX_HEIGHT + metrics.height() // 2
        rects, x, y = [], float(PAD), float(PAD)
        for number, step in enumerate(self._steps):
            box_width = self._box_width(metrics, step)
            if number and x + box_width > width - PAD:
                x, y = float(PAD + GAP), y + height + PAD  # a continued row starts indented, under an arrow
            rects.append(QRectF(x, y, box_width, height))
            x += box_width + GAP
        return rects

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        rects = self.box_rects(width)
        return int(rects[-1].bottom() + PAD) if rects else BOX_HEIGHT + 2 * PAD

    def sizeHint(self) -> QSize:
        return QSize(400, self.heightForWidth(max(self.width(), 400)))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, BOX_HEIGHT + 2 * PAD)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.setMinimumHeight(self.heightForWidth(self.width()))

    def step_at(self, point: QPointF) -> int:
        for number, rect in enumerate(self.box_rects()):
            if rect.contains(point):
                return number
        return -1

    # --- editing from the flow --------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        number = self.step_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and number >= 0 and self._steps[number].kind == "candidate":
            self._pressed = self._steps[number].index
            self.selected = self._pressed
            self.sig_candidate_selected.emit(self._pressed)
            self.update()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        number = self.step_at(event.position())
        pressed, self._pressed = self._pressed, None
        if pressed is not None and number >= 0 and self._steps[number].kind == "candidate":
            target = self._steps[number].index
            if target != pressed:  # dropped on another candidate: take its place
                self.sig_move_requested.emit(pressed, target)
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pressed is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        else:
            number = self.step_at(event.position())
            step = self._steps[number] if number >= 0 else None
            if step is not None and (step.label, step.detail) != self._elided(step):
                QToolTip.showText(event.globalPosition().toPoint(), f"{step.label}\n{step.detail}", self)
        super().mouseMoveEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        number = self.step_at(event.position())
        if number >= 0 and self._steps[number].kind in ("candidate", "budget"):
            self.sig_model_requested.emit(self._steps[number].label)

    def context_menu_for(self, number: int) -> QMenu | None:
        """The menu a right click on box ``number`` opens (None: that box has none)."""
        if number < 0 or self._steps[number].kind != "candidate":
            return None
        step = self._steps[number]
        last = max(s.index for s in self._steps if s.kind == "candidate")
        menu = QMenu(self)
        earlier = menu.addAction("Try earlier", lambda: self.sig_move_requested.emit(step.index, step.index - 1))
        earlier.setEnabled(step.index > 0)
        later = menu.addAction("Try later", lambda: self.sig_move_requested.emit(step.index, step.index + 1))
        later.setEnabled(step.index < last)
        menu.addSeparator()
        menu.addAction(f"Edit model {step.label}…", lambda: self.sig_model_requested.emit(step.label))
        menu.addAction("Remove from this route", lambda: self.sig_remove_requested.emit(step.index))
        return menu

    def contextMenuEvent(self, event: Any) -> None:
        menu = self.context_menu_for(self.step_at(QPointF(event.pos())))
        if menu is not None:
            menu.exec(event.globalPos())

    # --- painting ---------------------------------------------------------------------------
    def _elided(self, step: FlowStep) -> tuple[str, str]:
        metrics = QFontMetrics(self.font())
        room = MAX_BOX - 2 * PAD
        return (metrics.elidedText(step.label, Qt.TextElideMode.ElideMiddle, room),
                metrics.elidedText(step.detail, Qt.TextElideMode.ElideRight, room))

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
        line_height = metrics.height()
        rects = self.box_rects()
        for number, (step, box) in enumerate(zip(self._steps, rects)):
            dashed = step.kind in ("budget", "escalate")
            if number and rects[number - 1].top() == box.top():
                self._arrow(painter, rects[number - 1].right(), box.left(), box.center().y(), text_color, dashed)
            elif number:  # a wrapped row: the arrow comes in from the left edge
                self._arrow(painter, float(PAD), box.left(), box.center().y(), text_color, dashed)
            fill = QColor(fills.get(step.kind, fills["candidate"]))
            if dashed:
                fill.setAlpha(90)
            path = QPainterPath()
            path.addRoundedRect(box, 6, 6)
            painter.fillPath(path, fill)
            selected = step.kind == "candidate" and step.index == self.selected
            highlight = palette.color(palette.ColorRole.Highlight)
            painter.setPen(QPen(highlight if selected else text_color, 2.5 if selected else 1))
            painter.drawPath(path)
            label, detail = self._elided(step)
            label_color = palette.color(palette.ColorRole.HighlightedText) if step.kind == "task" else text_color
            painter.setPen(label_color)
            painter.drawText(box.adjusted(PAD, 3, -PAD, -line_height), Qt.AlignmentFlag.AlignCenter, label)
            small = QColor(label_color)
            small.setAlpha(170)
            painter.setPen(small)
            painter.drawText(box.adjusted(PAD, line_height, -PAD, -2), Qt.AlignmentFlag.AlignCenter, detail)
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
