"""The main window: page navigation, status bar, shortcuts, remembered geometry.

Pages are built once, in navigation order; Ctrl+1..n switch between them. QSettings holds the
window geometry and nothing else (domain data lives in the data directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from console.ui.engine_bridge import EngineBridge

GEOMETRY_KEY = "window/geometry"
PageFactory = Callable[[EngineBridge, "MainWindow"], QWidget]


def _policy_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.policy_editor.page import PolicyEditorPage

    page = PolicyEditorPage(bridge, active_policy=window.active_policy)
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

    page = LocalModelsPage(bridge, policies=window.open_policies)
    page.sig_loaded_count_changed.connect(window.show_loaded_models)
    return page


def _dashboard_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.dashboard.page import DashboardPage

    page = DashboardPage(bridge)

    def budgets_of(choice: Any) -> None:
        # The dashboards redraw from the log on every change, so their budget lines may follow the
        # policy in front; the page header names it (nothing computed earlier is left standing).
        page.set_budgets(list(choice.policy.budgets) if choice.policy is not None else [])
        window.set_page_subtitle(page, f"Budget lines from: {choice.label}" if choice.policy is not None else
                                 "Budget lines: none (open and save a policy with budgets)", str(choice.path or ""))

    window.active_policy_signal.sig_active_policy_changed.connect(budgets_of)
    QTimer.singleShot(0, page, lambda: budgets_of(window.active_policy.current))
    return page


def _follow_active_policy(page: Any, window: "MainWindow") -> None:
    """Give a page that picks models the active policy now and on every change (it decides what to do)."""
    window.active_policy_signal.sig_active_policy_changed.connect(page.follow)
    page.follow(window.active_policy.current)


def _compare_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.compare.page import ComparePage

    page = ComparePage(bridge)
    _follow_active_policy(page, window)
    return page


def _pilot_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.core.policy.save import policy_data
    from console.ui.pages.pilot.page import PilotPage
    from console.ui.pages.policy_editor.document import PolicyDocument

    page = PilotPage(bridge)
    _follow_active_policy(page, window)

    def open_in_editor(policy: Any) -> None:
        # A new, unsaved tab: the person reviews the reordered route and saves it where they choose.
        window.policy_page.add_document(PolicyDocument(policy_data(policy), None, ""))
        window.navigation.setCurrentRow(0)

    page.sig_open_policy_requested.connect(open_in_editor)
    return page


def _assessment_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.assessment.page import AssessmentPage

    page = AssessmentPage(bridge)
    _follow_active_policy(page, window)
    page.sig_pilot_swap.connect(window.pilot_swap)
    return page


def _rollout_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.rollout.page import RolloutPage

    page = RolloutPage(bridge)
    _follow_active_policy(page, window)
    return page


def _team_page(bridge: EngineBridge, window: "MainWindow") -> QWidget:
    from console.ui.pages.team.page import TeamPage

    return TeamPage(bridge, active_policy=lambda: window.active_policy.current)


PAGES: list[tuple[str, PageFactory]] = [
    ("Policies", _policy_page),
    ("Keys", _keys_page),
    ("Local models", _local_models_page),
    ("Dashboards", _dashboard_page),
    ("Side by side", _compare_page),
    ("Pilot", _pilot_page),
    ("Assessment", _assessment_page),
    ("Rollout", _rollout_page),
    ("Team", _team_page),
]


def page_row(title: str) -> int:
    """Where the page called ``title`` sits in the navigation list."""
    return [page_title for page_title, _factory in PAGES].index(title)


def settings() -> QSettings:
    return QSettings("routedesk", "routedesk")


class MainWindow(QMainWindow):
    """Navigation list on the left, the current page on the right, facts in the status bar.

    Signals:
        sig_loaded_models_changed(int): local models loaded in the workspace's pool now (emitted
            from the pool's threads; delivered queued).
    """

    sig_loaded_models_changed = Signal(int)

    def __init__(self, bridge: EngineBridge | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Routedesk")
        self.bridge = bridge or EngineBridge(self)
        self.sig_policies_changed_hook: Callable[[], None] | None = None
        from console.core.active_policy import ActivePolicy
        from console.ui.active_policy_signal import ActivePolicySignal

        self.active_policy = ActivePolicy()  # the policy editor writes it; the other pages follow it
        self.active_policy_signal = ActivePolicySignal(self.active_policy, self)
        self.active_policy_signal.sig_active_policy_changed.connect(self._on_active_policy_changed)
        # run_window sets this: each page, once built, lives as long as the window, so its objects are
        # frozen out of the collector's sight (console.core.heap). Off in tests: they share a process.
        self.settle_heap = False
        self.sig_loaded_models_changed.connect(self.show_loaded_models)
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self.frames: dict[str, Any] = {}  # each page under its header (console.ui.page_header)
        try:
            self._build(bridge)
        except BaseException:
            self.bridge.shutdown()  # a window that failed to build must not leave its engine thread behind
            raise

    def _build(self, bridge: EngineBridge | None) -> None:
        # Pages are built on first visit: the dashboards alone import the log's queries and
        # SQLAlchemy (~0.5 s), which a window that opens on the policy editor need not wait for.
        for title, _factory in PAGES:  # Ctrl+1..n are the Go menu's (window_menus)
            self.navigation.addItem(title)
            self.stack.addWidget(QWidget())  # placeholder until the page is first shown
        self.ensure_page(0)
        self.navigation.currentRowChanged.connect(self._on_navigation_current_row_changed)
        self.navigation.setCurrentRow(0)
        from console.ui.first_run_guide import FirstRunGuide

        self.guide = FirstRunGuide(settings)
        self.guide.sig_step_requested.connect(self._on_guide_step_requested)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.guide)
        column.addWidget(self.stack, 1)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(right, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        from console.ui.window_menus import build_menus

        self.window_actions = build_menus(self)
        self._show_theme_choice()
        self.policy_page.sig_policies_changed.connect(self._on_policy_page_policies_changed)
        self.resize(1280, 820)
        geometry = settings().value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def pilot_swap(self, task: str, baseline: str, candidate: str, bar: str) -> None:
        """What-if's Pilot this swap: the Pilot page, pre-filled for the task's logged requests."""
        row = page_row("Pilot")
        page = self.ensure_page(row)
        page.prefill(task=task, baseline=baseline, candidate=candidate, bar=bar)  # type: ignore[attr-defined]
        self.navigation.setCurrentRow(row)

    def ensure_page(self, row: int) -> QWidget:
        """The page at ``row``, built now if this is its first visit."""
        title, factory = PAGES[row]
        page = self.pages.get(title)
        if page is None:
            from console.ui.page_header import PageFrame

            page = factory(self.bridge, self)
            self.pages[title] = page
            frame = PageFrame(title, page)
            self.frames[title] = frame
            placeholder = self.stack.widget(row)
            self.stack.insertWidget(row, frame)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            if self.settle_heap:  # microseconds; spares each later full collection the page's imports
                from console.core.heap import settle

                settle(collect=False)
        return page

    def _on_navigation_current_row_changed(self, row: int) -> None:
        if row >= 0:
            self.ensure_page(row)
            self.stack.setCurrentIndex(row)

    def set_page_subtitle(self, page: QWidget, text: str, tooltip: str = "") -> None:
        for title, built in self.pages.items():
            if built is page and title in self.frames:
                self.frames[title].set_subtitle(text, tooltip)

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
            log_text = f"log: {(self.bridge.log_url or default_log_url()).removeprefix('sqlite:///')}"
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
        from console.ui.review.reminder import ReviewReminder

        self.review_reminder = ReviewReminder()  # when the policy in front is due for its quarterly review
        self.review_reminder.sig_review_requested.connect(self.show_review_dialog)
        self.active_policy_signal.sig_active_policy_changed.connect(self.review_reminder.follow)
        bar.addWidget(self.review_reminder)
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
        self._watch_loaded_models()

    def _watch_loaded_models(self) -> None:
        """Count every load in the workspace's pool (an engine's, side by side's, a pilot's), not
        just the Local models page's; the pool calls back from its threads, the signal is queued."""
        if self.bridge.closing:
            return
        from console.core.app.models import watch_loaded_models

        async def watch() -> int:
            return watch_loaded_models(self.bridge.workspace, self.sig_loaded_models_changed.emit)

        job = self.bridge.submit(watch)
        job.sig_finished.connect(self.show_loaded_models)
        self._watch_job = job

    def show_review_dialog(self) -> Any:
        """File › Quarterly review…: the review of the policy in front (``console.ui.review.dialog``)."""
        from console.ui.review.dialog import ReviewDialog

        dialog = ReviewDialog(self.bridge, self.active_policy.current, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_review_written.connect(lambda _path: self.review_reminder.follow(self.active_policy.current))
        dialog.open()
        return dialog

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

    def _on_active_policy_changed(self, choice: Any) -> None:
        # A policy with a staged rollout: this window routes by it too (Try it, its endpoint), so it
        # follows the rollouts' state in the log and checks their guardrails from now on.
        policy = choice.policy
        if policy is not None and any(route.rollout for route in policy.routes.values()):
            self.bridge.watch_rollouts()

    def _on_policy_page_policies_changed(self) -> None:
        if self.sig_policies_changed_hook is not None:
            self.sig_policies_changed_hook()

    # --- commands, theme, guide ------------------------------------------------------------
    icons_applied = False

    def named_actions(self) -> dict[str, Any]:
        """The window's actions by name (the policy editor's and the menus'), for icons and tests."""
        return {**self.policy_page.actions_by_name, **self.window_actions}

    def apply_icons(self) -> None:
        """Icons for toolbar, menus and navigation (after the first paint: qtawesome is slow to import)."""
        from console.ui.icons import apply_icons

        apply_icons(self)

    def show_command_palette(self) -> Any:
        from console.ui.window_menus import open_palette

        self.command_palette = open_palette(self)  # not ``palette``: that is QWidget.palette()
        return self.command_palette

    def set_theme(self, mode: str) -> None:
        """Switch to the system, light or dark theme now, and remember the choice."""
        from console.ui.theme import set_theme_mode
        from console.ui.window_menus import current_app

        set_theme_mode(current_app(), mode, settings())
        self._show_theme_choice()
        if self.icons_applied:  # the glyphs are drawn in the text colour: redraw them in the new one
            self.apply_icons()

    def _show_theme_choice(self) -> None:
        from console.ui.theme import saved_theme_mode

        self.window_actions[f"theme_{saved_theme_mode(settings())}"].setChecked(True)

    def show_guide(self) -> None:
        self.guide.reopen()

    def _on_guide_step_requested(self, step: str) -> None:
        row = page_row({"try": "Policies", "compare": "Side by side", "traffic": "Dashboards",
                        "dashboards": "Dashboards"}[step])
        self.navigation.setCurrentRow(row)
        editor = self.policy_page.current
        if step == "try" and editor is not None:
            editor.side.setCurrentWidget(editor.try_it)
            editor.try_it.prompt.setFocus()

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
