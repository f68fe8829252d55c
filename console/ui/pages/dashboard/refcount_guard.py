"""A guard against a PySide6 6.12.0 reference-count bug that kills long-running windows on Python 3.11.

Measured here (PySide6 6.12.0, shiboken6 6.12.0, CPython 3.11): every call into a Python override
of a widget event handler such as ``paintEvent`` or ``resizeEvent`` takes one reference from
``None`` and never gives it back. ``None`` starts with ~5,000 references, so after ~5,000 paints
the process dies with "Fatal Python error: none_dealloc". pyqtgraph overrides those handlers on
every chart, and a live dashboard repaints several charts every few seconds: minutes, not days.

The guard tops ``None``'s count up on a timer, far above anything the bug can take between two
checks. It writes the count field directly (``ob_refcnt``, the first field of every CPython
object), only on CPython before 3.12; from 3.12 on ``None`` is immortal and the guard does nothing.
The added references are never taken back, so finalization cannot reach zero either.
"""

from __future__ import annotations

import ctypes
import platform
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer

FLOOR = 1_000_000
TOP_UP = 10_000_000
CHECK_MS = 5_000
_GUARD_NAME = "routedesk-none-refcount-guard"


def needed() -> bool:
    return platform.python_implementation() == "CPython" and sys.version_info < (3, 12)


def top_up_none(floor: int = FLOOR, amount: int = TOP_UP) -> int:
    """Raise None's reference count by ``amount`` when it is under ``floor``; returns what was added."""
    if not needed() or sys.getrefcount(None) >= floor:
        return 0
    count = ctypes.c_ssize_t.from_address(id(None))
    count.value += amount
    return amount


def install(app: QCoreApplication | None = None) -> QObject | None:
    """Top up now and every ``CHECK_MS`` for the life of the application (idempotent)."""
    app = app or QCoreApplication.instance()
    if app is None or not needed():
        return None
    existing = app.findChild(QTimer, _GUARD_NAME)
    if existing is not None:
        return existing
    top_up_none()
    timer = QTimer(app)
    timer.setObjectName(_GUARD_NAME)
    timer.setInterval(CHECK_MS)
    timer.timeout.connect(lambda: top_up_none())
    timer.start()
    return timer
