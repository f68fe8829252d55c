"""The console window: the only package that imports PySide6 / pyqtgraph.

``console.ui.app.run_window`` opens it; every page under ``console.ui.pages`` also runs alone
(``python -m console.ui.pages.<page>``). Background work goes through ``engine_bridge``.
"""
