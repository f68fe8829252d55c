"""The Qt side of the core's ActivePolicy: one signal a page connects to, nothing more.

The core model (``console.core.active_policy``) holds the state and knows nothing of Qt; this
adapter re-announces its changes as ``sig_active_policy_changed`` and stops listening when the Qt
object goes away, so a closed page is never called.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.active_policy import ActivePolicy, PolicyChoice


class ActivePolicySignal(QObject):
    """Signals:
        sig_active_policy_changed(object): the new PolicyChoice.
    """

    sig_active_policy_changed = Signal(object)

    def __init__(self, model: ActivePolicy, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model
        self._unsubscribe = model.subscribe(self.sig_active_policy_changed.emit)
        self.destroyed.connect(lambda _obj=None, stop=self._unsubscribe: stop())

    @property
    def current(self) -> PolicyChoice:
        return self.model.current
