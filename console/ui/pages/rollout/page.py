"""Rollout: every route of the policy in front that is in staged rollout, one panel each.

The state is the routing log's (``console.core.app.rollout``), so this page shows what
``routedesk serve`` and ``routedesk rollout`` see and do. It reads it off the GUI thread through
the bridge every few seconds while shown, and after each button; Advance is compare-and-set on
the step the panel showed, so a rollout another process moved meanwhile is refused, not skipped.
Both buttons move live traffic at once, in every serving process, so each asks first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from console.ui.layout import page_layout
from console.ui.pages.rollout.panel import RolloutPanel

#: How often the page reads the rollouts while it is on screen.
REFRESH_MS = 5000


def _read(rollouts: Any, policy: Any) -> list[Any]:
    """(on the bridge's worker) every rollout of ``policy`` with its guardrails and events."""
    from console.core.app.rollout import rollout_status

    return rollout_status(rollouts, policy)


class RolloutPage(QWidget):
    """Signals:
        sig_statuses_shown(object): the statuses now on screen (a list of RolloutStatus).
    """

    sig_statuses_shown = Signal(object)

    def __init__(self, bridge: Any, parent: QWidget | None = None, *,
                 ask: Callable[[str, str], bool] | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.ask = ask or self._ask_with_message_box  # (title, question) -> go ahead?
        self.policy: Any = None
        self.policy_path: Path | None = None
        self.panels: dict[str, RolloutPanel] = {}
        self._job: Any = None
        self.headline = QLabel("Open a policy whose routes carry a rollout: section to see it here.")
        self.headline.setWordWrap(True)
        self._body = QWidget()
        self._body_layout = QVBoxLayout(self._body)
        self._body_layout.setContentsMargins(0, 0, 0, 0)
        self._body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = page_layout(QVBoxLayout(self))
        layout.addWidget(self.headline)
        layout.addWidget(scroll, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    def follow(self, choice: Any) -> None:
        """The active policy changed (a PolicyChoice): show its rollouts."""
        self.set_policy(choice.policy if choice.usable else None, choice.path)

    def set_policy(self, policy: Any, path: Path | None = None) -> None:
        self.policy, self.policy_path = policy, path
        for panel in self.panels.values():
            panel.setParent(None)
            panel.deleteLater()
        self.panels = {}
        routes = [n for n, r in policy.routes.items() if r.rollout] if policy is not None else []
        if policy is None:
            self.headline.setText("Open a policy whose routes carry a rollout: section to see it here.")
        elif not routes:
            self.headline.setText(f"{policy.name}: no route is in rollout. Add a rollout: section to a route "
                                  "(candidate, replaces, steps) to shift it to another model in steps.")
        else:
            self.headline.setText(f"{policy.name}: {len(routes)} route(s) in rollout. Guardrails are checked by the "
                                  "serving process (routedesk serve, or this window) on each rollout's evaluate_every.")
        for route in routes:
            panel = RolloutPanel(route)
            panel.sig_advance_requested.connect(self._on_panel_advance_requested)
            panel.sig_rollback_requested.connect(self._on_panel_rollback_requested)
            self._body_layout.insertWidget(self._body_layout.count() - 1, panel)
            self.panels[route] = panel
        if routes:
            self.bridge.watch_rollouts()  # the window routes too: its guardrails are checked here
            self.refresh()

    def refresh(self) -> None:
        if self.policy is None or not self.panels or self._job is not None:
            return
        bridge, policy = self.bridge, self.policy  # the workspace is reached in the job: never made on the GUI thread
        self._job = self.bridge.run_blocking(lambda: _read(bridge.workspace.rollouts, policy))
        self._job.sig_finished.connect(self._on_read)
        self._job.sig_failed.connect(self._on_read_failed)

    def _on_read(self, statuses: list[Any]) -> None:
        self._job = None
        for status in statuses:
            panel = self.panels.get(status.state.route)
            if panel is not None:
                panel.show_status(status)
        self.sig_statuses_shown.emit(statuses)

    def _on_read_failed(self, message: str) -> None:
        self._job = None
        self.headline.setText(f"Could not read the rollouts from the routing log: {message}")

    def _act(self, route: str, call: Any) -> None:
        self.panels[route].show_error("")
        job = self.bridge.run_blocking(call)
        job.sig_finished.connect(lambda _state: self.refresh())
        job.sig_failed.connect(lambda message: self._on_act_failed(route, message))

    def _on_act_failed(self, route: str, message: str) -> None:
        if route in self.panels:
            self.panels[route].show_error(message)
        self.refresh()

    def _ask_with_message_box(self, title: str, question: str) -> bool:
        return QMessageBox.question(self, title, question) == QMessageBox.StandardButton.Yes

    def _on_panel_advance_requested(self, route: str, step: int) -> None:
        from console.core.app.rollout import advance_rollout

        status = self.panels[route].status
        state = status.state if status is not None else None
        share = state.next_share if state is not None else None
        if state is not None and share is not None and not self.ask(
                "Advance the rollout", f"Send {share:g}% of route '{route}' to {state.candidate} (in place of "
                f"{state.replaces}) now? Every serving process follows within a second."):
            return
        bridge, policy = self.bridge, self.policy
        self._act(route, lambda: advance_rollout(bridge.workspace.rollouts, policy, route, by="window",
                                                 expected_step=step))

    def _on_panel_rollback_requested(self, route: str) -> None:
        from console.core.app.rollout import rollback_rollout

        status = self.panels[route].status
        state = status.state if status is not None else None
        if state is not None and not self.ask(
                "Roll back the rollout", f"Send all of route '{route}' back to {state.replaces} now? The rollout "
                "stops until someone resumes it."):
            return
        bridge, policy = self.bridge, self.policy
        self._act(route, lambda: rollback_rollout(bridge.workspace.rollouts, policy, route, by="window"))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._timer.start()
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        self._timer.stop()
        super().hideEvent(event)
