"""A guard against a PySide6 6.12.0 reference-count bug that kills long-running windows on Python 3.11.

Measured here (PySide6 6.12.0, shiboken6 6.12.0, CPython 3.11): every call into a Python override
that returns None to C++ (``paintEvent``, ``resizeEvent``, ``fetchMore``, a model's ``data`` with
nothing to say) takes one reference from ``None`` and never gives it back; a run of the benchmark
also died on ``True``/``False`` the same way. ``None`` starts with ~5,000 references, so after ~5,000 paints
the process dies with "Fatal Python error: none_dealloc". pyqtgraph overrides those handlers on
every chart, and a live dashboard repaints several charts every few seconds: minutes, not days.

The guard tops the counts of ``None``, ``True`` and ``False`` up on a timer, far above anything the bug can take between two
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


SINGLETONS = (None, True, False)


def top_up(floor: int = FLOOR, amount: int = TOP_UP) -> int:
    """Raise each singleton's reference count by ``amount`` when under ``floor``; returns how many were."""
    if not needed():
        return 0
    raised = 0
    for singleton in SINGLETONS:
        if sys.getrefcount(singleton) < floor:
            ctypes.c_ssize_t.from_address(id(singleton)).value += amount
            raised += 1
    return raised


def install(app: QCoreApplication | None = None) -> QObject | None:
    """Top up now and every ``CHECK_MS`` for the life of the application (idempotent)."""
    app = app or QCoreApplication.instance()
    if app is None or not needed():
        return None
    existing = app.findChild(QTimer, _GUARD_NAME)
    if existing is not None:
        return existing
    top_up()
    timer = QTimer(app)
    timer.setObjectName(_GUARD_NAME)
    timer.setInterval(CHECK_MS)
    timer.timeout.connect(lambda: top_up())
    timer.start()
    return timer
