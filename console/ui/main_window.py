"""The main window: page navigation, status bar, shortcuts, remembered geometry.

Pages are built once, in navigation order; Ctrl+1..n switch between them. QSettings holds the
window geometry and nothing else (domain data lives in the data directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QWidget

from console.ui.engine_bridge import EngineBridge

GEOMETRY_KEY = "window/geometry"
PageFactory = Callable[[EngineBridge, "MainWindow"], QWidget]


def _policy_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.policy_editor.page import PolicyEditorPage

    page = PolicyEditorPage(bridge)
    page.sig_active_policy_changed.connect(window.show_active_policy)
    page.sig_pilot_swap.connect(window.pilot_swap)
    return page


def _keys_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.keys.page import KeysPage

    page = KeysPage(bridge, policies=window.open_policies)
    window.sig_policies_changed_hook = page.refresh
    return page


def _local_models_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.local_models.page import LocalModelsPage

    page = LocalModelsPage(bridge)
    page.sig_loaded_count_changed.connect(window.show_loaded_models)
    return page


def _dashboard_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.dashboard.page import DashboardPage

    page = DashboardPage(bridge)

    def budgets_of_visible_policy(_title: str) -> None:
        editor = window.policy_page.current
        policy = getattr(getattr(editor, "validation", None), "policy", None)
        page.set_budgets(list(policy.budgets) if policy is not None else [])

    window.policy_page.sig_active_policy_changed.connect(budgets_of_visible_policy)
    return page


def _follow_visible_policy(page: Any, window: "MainWindow") -> None:
    """Point a page that picks models at the policy shown in the editor (saved file)."""

    def on_active_policy_changed(_title: str) -> None:
        editor = window.policy_page.current
        path = getattr(getattr(editor, "document", None), "path", None)
        if path is not None:
            page.set_policy_path(path)

    window.policy_page.sig_active_policy_changed.connect(on_active_policy_changed)


def _compare_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.compare.page import ComparePage

    page = ComparePage(bridge)
    _follow_visible_policy(page, window)
    return page


def _pilot_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.core.policy.save import policy_data
    from console.ui.pages.pilot.page import PilotPage
    from console.ui.pages.policy_editor.document import PolicyDocument

    page = PilotPage(bridge)
    _follow_visible_policy(page, window)

    def open_in_editor(policy: Any) -> None:
        # A new, unsaved tab: the person reviews the reordered route and saves it where they choose.
        window.policy_page.add_document(PolicyDocument(policy_data(policy), None, ""))
        window.navigation.setCurrentRow(0)

    page.sig_open_policy_requested.connect(open_in_editor)
    return page


def _assessment_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.assessment.page import AssessmentPage

    page = AssessmentPage(bridge)
    _follow_visible_policy(page, window)
    page.sig_pilot_swap.connect(window.pilot_swap)
    return page


PAGES: list[tuple[str, PageFactory]] = [
    ("Policies", _policy_page),
    ("Keys", _keys_page),
    ("Local models", _local_models_page),
    ("Dashboards", _dashboard_page),
    ("Side by side", _compare_page),
    ("Pilot", _pilot_page),
    ("Assessment", _assessment_page),
]


def settings() -> QSettings:
    return QSettings("routedesk", "routedesk")


class MainWindow(QMainWindow):
    """Navigation list on the left, the current page on the right, facts in the status bar."""

    def __init__(self, bridge: EngineBridge | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Routedesk")
        self.bridge = bridge or EngineBridge(self)
        self.sig_policies_changed_hook: Callable[[], None] | None = None
        # run_window sets this: each page, once built, lives as long as the window, so its objects are
        # frozen out of the collector's sight (console.core.heap). Off in tests: they share a process.
        self.settle_heap = False
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        try:
            self._build(bridge)
        except BaseException:
            self.bridge.shutdown()  # a window that failed to build must not leave its engine thread behind
            raise

    def _build(self, bridge: EngineBridge | None) -> None:
        # Pages are built on first visit: the dashboards alone import the log's queries and
        # SQLAlchemy (~0.5 s), which a window that opens on the policy editor need not wait for.
        for number, (title, _factory) in enumerate(PAGES, start=1):
            self.navigation.addItem(title)
            self.stack.addWidget(QWidget())  # placeholder until the page is first shown
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda n=number - 1: self.navigation.setCurrentRow(n))
        self.ensure_page(0)
        self.navigation.currentRowChanged.connect(self._on_navigation_current_row_changed)
        self.navigation.setCurrentRow(0)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._build_help_menu()
        self.policy_page.sig_policies_changed.connect(self._on_policy_page_policies_changed)
        self.resize(1280, 820)
        geometry = settings().value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def pilot_swap(self, task: str, baseline: str, candidate: str, bar: str) -> None:
        """What-if's Pilot this swap: the Pilot page, pre-filled for the task's logged requests."""
        row = [title for title, _ in PAGES].index("Pilot")
        page = self.ensure_page(row)
        page.prefill(task=task, baseline=baseline, candidate=candidate, bar=bar)  # type: ignore[attr-defined]
        self.navigation.setCurrentRow(row)

    def ensure_page(self, row: int) -> QWidget:
        """The page at ``row``, built now if this is its first visit."""
        title, factory = PAGES[row]
        page = self.pages.get(title)
        if page is None:
            page = factory(self.bridge, self)
            self.pages[title] = page
            placeholder = self.stack.widget(row)
            self.stack.insertWidget(row, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            if row and self._active_title is not None:  # a page that follows the policy in front catches up
                self.policy_page.sig_active_policy_changed.emit(self._active_title)
            if self.settle_heap:  # microseconds; spares each later full collection the page's imports
                from console.core.heap import settle

                settle(collect=False)
        return page

    def _on_navigation_current_row_changed(self, row: int) -> None:
        if row >= 0:
            self.ensure_page(row)
            self.stack.setCurrentIndex(row)

    @property
    def policy_page(self) -> Any:
        return self.pages["Policies"]

    def open_policies(self) -> list[Any]:
        """Documents of every open policy tab (the Keys page lists their providers)."""
        return [editor.document for editor in self.policy_page.editors()]

    def _build_status_bar(self) -> None:
        from console.core.paths import default_log_url

        self.policy_label = QLabel("no policy open")
        self.models_label = QLabel("local models loaded: 0")
        self.gpu_label = QLabel("GPU offload: checking…")
        try:
            log_text = f"log: {default_log_url().removeprefix('sqlite:///')}"
        except OSError as err:  # an unusable data directory: say so, the rest of the window still works
            log_text = f"log unavailable: {err}"
        self.log_label = QLabel(log_text)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar = self.statusBar()
        for label in (self.policy_label, self.models_label, self.gpu_label):
            bar.addWidget(label)
        bar.addPermanentWidget(self.log_label)
        self._log_text = log_text
        self.bridge.sig_log_health_changed.connect(self._on_bridge_log_health_changed)
        from console.ui.gateway_switch import GatewaySwitch

        self.gateway_switch = GatewaySwitch(self.bridge, self.current_policy_path)
        bar.addPermanentWidget(self.gateway_switch)
        self._gpu_job: Any = None
        # Importing llama.cpp takes ~0.3 s of interpreter time; done at once it would hold the GIL
        # against the GUI thread's first paint, so the check starts once the window is up.
        QTimer.singleShot(GPU_CHECK_DELAY_MS, self, self._start_gpu_check)

    def _on_bridge_log_health_changed(self, health: Any) -> None:
        """The log's alarm (disk full, damaged) replaces the log's path in the status bar until it clears."""
        if health.ok:
            self.log_label.setText(self._log_text)
            self.log_label.setStyleSheet("")
        else:
            self.log_label.setText(f"LOG ALARM: {'disk full' if health.state == 'disk_full' else 'cannot write'} "
                                   f"({health.kept} kept)")
            self.log_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.log_label.setToolTip(health.summary())

    def _start_gpu_check(self) -> None:
        if self.bridge.closing:
            return
        job = self.bridge.run_blocking(gpu_offload_available)
        job.sig_finished.connect(self._on_gpu_check_finished)
        job.sig_failed.connect(lambda message: self.gpu_label.setText("GPU offload: unknown"))
        self._gpu_job = job

    def _on_gpu_check_finished(self, available: Any) -> None:
        text = {True: "available", False: "not available", None: "llama.cpp not installed"}[available]
        self.gpu_label.setText(f"GPU offload: {text}")

    def current_policy_path(self) -> Path | None:
        """The file of the policy tab in front (what the endpoint switch serves)."""
        editor = self.policy_page.tabs.currentWidget() if "Policies" in self.pages else None
        document = getattr(editor, "document", None)
        return getattr(document, "path", None)

    _active_title: str | None = None

    def show_active_policy(self, title: str) -> None:
        self._active_title = title
        self.policy_label.setText(f"policy: {title}")

    def show_loaded_models(self, count: int) -> None:
        self.models_label.setText(f"local models loaded: {count}")

    def _on_policy_page_policies_changed(self) -> None:
        if self.sig_policies_changed_hook is not None:
            self.sig_policies_changed_hook()

    def _build_help_menu(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About Routedesk", self._on_about_requested)

    def _on_about_requested(self) -> None:
        from console.build_info import gpu_offload_available
        from console.ui.about import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        job = self.bridge.run_blocking(gpu_offload_available)  # loads llama.cpp: never on the GUI thread
        job.sig_finished.connect(dialog.show_gpu_offload)
        self._about_job = job
        self.about_dialog = dialog
        dialog.show()

    def open_first_policy(self, path: Path | None) -> None:
        if path is not None:
            self.policy_page.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        for editor in self.policy_page.editors():
            if editor.dirty and not editor.ask("Unsaved changes", f"Quit and lose the unsaved changes to {editor.title()}?"):
                event.ignore()
                return
        settings().setValue(GEOMETRY_KEY, self.saveGeometry())
        for page in self.pages.values():
            if hasattr(page, "shutdown"):
                page.shutdown()
        self.bridge.shutdown()
        event.accept()


GPU_CHECK_DELAY_MS = 1500


def gpu_offload_available() -> bool | None:
    """Whether this llama.cpp build can offload layers to a GPU (None: llama.cpp missing)."""
    try:
        import llama_cpp
    except ImportError:
        return None
    return bool(llama_cpp.llama_supports_gpu_offload())
