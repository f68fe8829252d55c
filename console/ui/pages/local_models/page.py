"""The Local models page: pick GGUF files, read their headers, load/unload them, measure a short run.

Every file read, load and generation runs on the engine thread through the bridge, with the core's
``LocalModels`` over the window's one provider pool: a model loaded here is the one the engines,
side by side and pilots use (never a second copy), and the workspace frees it at shutdown.

GPU layers and context start from the open policy that names the file (``load_defaults``), and
before a load the page shows the core's memory estimate for those settings (``estimate_memory``,
from the GGUF header) and warns when it will not fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.ui.layout import page_layout
from console.ui.pages.local_models.facts import bundled_model, describe, process_memory_mib


class LocalModelsPage(QWidget):
    """GGUF files on the left; metadata, load settings, load state and a speed test on the right.

    Signals:
        sig_loaded_count_changed(int): how many models are loaded now.
        sig_info_shown(object): the GGUFInfo shown, or the error sentence for a bad file.
    """

    sig_loaded_count_changed = Signal(int)
    sig_info_shown = Signal(object)

    def __init__(self, bridge: Any, policies: Callable[[], list[Any]] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._policies = policies or (lambda: [])
        self._models: Any = None  # console.core.app.LocalModels, used on the engine thread only
        self._loaded: dict[Path, Any] = {}  # path as listed here -> LoadedFacts
        self._job: Any = None
        self.info: Any = None  # the GGUFInfo of the file shown, None while unread or unusable
        self.offload: bool | None = None  # whether this llama.cpp can use a GPU (None: not known yet)
        self.setAcceptDrops(True)
        self.files = QListWidget()
        self.files.setObjectName("gguf-files")
        self.files.currentItemChanged.connect(self._on_files_current_item_changed)
        add = QPushButton("Add GGUF file…")
        add.clicked.connect(self._on_add_clicked)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel("GGUF files (drop files here)"))
        left_layout.addWidget(self.files)
        left_layout.addWidget(add)

        self.metadata = QFormLayout()
        meta_box = QGroupBox("Metadata")
        meta_box.setLayout(self.metadata)
        self.error = QLabel()
        self.error.setObjectName("banner")
        self.error.setWordWrap(True)
        self.error.hide()
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-1, 999)
        self.gpu_layers.setSpecialValueText("all")
        self.gpu_layers.setValue(-1)  # until a policy that names the file says otherwise
        self.context = QSpinBox()
        self.context.setRange(256, 1_048_576)
        self.context.setSingleStep(512)
        self.context.setValue(2048)
        self.load_button, self.unload_button, self.cancel_button = QPushButton("Load"), QPushButton("Unload"), QPushButton("Cancel")
        self.test_button = QPushButton("Quick run (32 tokens)")
        self.load_button.clicked.connect(self.load_current)
        self.unload_button.clicked.connect(self.unload_current)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.test_button.clicked.connect(self.quick_run)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.state = QLabel("Not loaded.")
        self.state.setWordWrap(True)
        self.estimate = QLabel()
        self.estimate.setObjectName("hint")
        self.estimate.setWordWrap(True)
        self.fit_warning = QLabel()
        self.fit_warning.setObjectName("banner")
        self.fit_warning.setWordWrap(True)
        self.fit_warning.hide()
        self.gpu_layers.valueChanged.connect(self._show_estimate)
        self.context.valueChanged.connect(self._show_estimate)
        settings = QFormLayout()
        settings.addRow("GPU layers (-1 = all)", self.gpu_layers)
        settings.addRow("Context (tokens)", self.context)
        buttons = QHBoxLayout()
        for button in (self.load_button, self.unload_button, self.cancel_button, self.test_button):
            buttons.addWidget(button)
        run_box = QGroupBox("Load and run")
        run_layout = QVBoxLayout(run_box)
        run_layout.addLayout(settings)
        run_layout.addWidget(self.estimate)
        run_layout.addWidget(self.fit_warning)
        run_layout.addLayout(buttons)
        run_layout.addWidget(self.progress)
        run_layout.addWidget(self.state)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setPlaceholderText("A quick run's answer appears here.")
        run_layout.addWidget(self.output)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.error)
        right_layout.addWidget(meta_box)
        right_layout.addWidget(run_box, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        layout = page_layout(QVBoxLayout(self))
        layout.addWidget(splitter)
        self._set_busy(False)
        self._check_offload()
        bundled = bundled_model()
        if bundled is not None:
            self.add_file(bundled)

    # --- files ----------------------------------------------------------------------------
    def add_file(self, path: Path) -> None:
        path = Path(path)
        for row in range(self.files.count()):
            if self.files.item(row).data(Qt.ItemDataRole.UserRole) == str(path):
                self.files.setCurrentRow(row)
                return
        item = QListWidgetItem(path.name)
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setToolTip(str(path))
        self.files.addItem(item)
        self.files.setCurrentItem(item)

    @property
    def current_path(self) -> Path | None:
        item = self.files.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _on_add_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add GGUF models", "", "GGUF models (*.gguf);;All files (*)")
        for name in names:
            self.add_file(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.add_file(Path(url.toLocalFile()))
        event.acceptProposedAction()

    def _on_files_current_item_changed(self, item: Any, _previous: Any) -> None:
        if item is None:
            return
        text = item.data(Qt.ItemDataRole.UserRole)
        from console.core.app.models import read_gguf_info

        self.info = None  # until this file's header is read
        job = self._bridge.run_blocking(read_gguf_info, Path(text))
        job.sig_finished.connect(self._show_info)
        job.sig_failed.connect(self._show_error)
        self._info_job = job
        self._show_state()

    def _clear_metadata(self) -> None:
        while self.metadata.rowCount():
            self.metadata.removeRow(0)

    def _show_info(self, info: Any) -> None:
        self.error.hide()
        self._clear_metadata()
        for label, value in describe(info):
            self.metadata.addRow(label, QLabel(value))
        self.info = info
        self._apply_policy_defaults(info)
        self._set_busy(False)
        self._show_estimate()
        self.sig_info_shown.emit(info)

    def _show_error(self, message: str) -> None:
        self._clear_metadata()
        self.info = None
        self.error.setText(message)
        self.error.show()
        self._set_busy(False)
        self._show_estimate()
        self.sig_info_shown.emit(message)

    # --- settings and the memory estimate -------------------------------------------------
    def _policy_sources(self) -> list[tuple[dict[str, Any], Path | None]]:
        sources = []
        for document in self._policies():
            data = {"providers": document.get(("providers",), {}) or {}, "models": document.get(("models",), {}) or {}}
            path = getattr(document, "path", None)
            sources.append((data, Path(path).parent if path else None))
        return sources

    def _apply_policy_defaults(self, info: Any) -> None:
        """GPU layers and context as the open policy that names this file says (blocking the
        estimate's signals: one estimate for both)."""
        from console.core.app.models import load_defaults

        defaults = load_defaults(info.path, self._policy_sources())
        context = defaults.context_window
        if info.context_length:
            context = min(context, info.context_length)
        for box, value in ((self.gpu_layers, defaults.gpu_layers), (self.context, context)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.gpu_layers.setToolTip(f"From the policy's model {defaults.alias!r}." if defaults.alias
                                   else "No open policy names this file: all layers a GPU will take.")

    def _check_offload(self) -> None:
        from console.core.app.models import gguf_offload_available

        job = self._bridge.run_blocking(gguf_offload_available)  # imports llama.cpp: never on the GUI thread
        job.sig_finished.connect(self._on_offload_known)
        self._offload_job = job

    def _on_offload_known(self, available: Any) -> None:
        self.offload = bool(available)
        self._show_estimate()

    def _show_estimate(self, *_args: Any) -> None:
        """The core's estimate for the settings shown, and a warning when it will not fit."""
        from console.core.app.models import available_ram, estimate_memory, fit_warning, mib

        if self.info is None:
            self.estimate.clear()
            self.fit_warning.hide()
            return
        offload = bool(self.offload)
        estimate = estimate_memory(self.info, gpu_layers=self.gpu_layers.value(), context=self.context.value(),
                                   offload=offload)
        free = available_ram()
        where = (f"about {mib(estimate.gpu)} on the GPU and {mib(estimate.ram)} in main memory" if estimate.gpu
                 else f"about {mib(estimate.ram)} of main memory")
        self.estimate.setText(f"Loading needs {where} (weights {mib(estimate.weights)}, context "
                              f"{mib(estimate.kv_cache)}, buffers {mib(estimate.compute)})"
                              + (f"; {mib(free)} of main memory is free." if free is not None else ".")
                              + ("" if offload else " This llama.cpp has no GPU: every layer stays in main memory."
                                 if self.offload is not None else ""))
        warning = fit_warning(estimate, ram_free=free)
        self.fit_warning.setText(warning or "")
        self.fit_warning.setVisible(warning is not None)

    # --- load / unload / run --------------------------------------------------------------
    def _models_on_engine(self) -> Any:
        """Called on the engine thread: the core's LocalModels over the window's one provider pool."""
        if self._models is None:
            from console.core.app import LocalModels

            self._models = LocalModels(self._bridge.workspace)
        return self._models

    def load_current(self) -> Any:
        path = self.current_path
        if path is None or self._job is not None:
            return None
        context, layers = self.context.value(), self.gpu_layers.value()

        async def load() -> Any:
            models = self._models_on_engine()
            loaded = await models.load(path, context_window=context, gpu_layers=layers)
            return path, loaded, models.loaded_count()

        self._start(self._bridge.submit(load), f"Loading {path.name}…")
        self._job.sig_finished.connect(self._on_loaded)
        return self._job

    def _on_loaded(self, result: Any) -> None:
        path, loaded, count = result
        self._loaded[path] = loaded
        self.sig_loaded_count_changed.emit(count)  # the pool's count: loads by other pages included
        self._show_state(f"Loaded with {loaded.layers_offloaded} layers on the GPU; "
                         f"memory in use {process_memory_mib():.0f} MiB.")

    def unload_current(self) -> Any:
        path = self.current_path
        loaded = self._loaded.get(path) if path else None
        if loaded is None or self._job is not None:
            return None

        async def unload() -> int:
            models = self._models_on_engine()
            await models.unload(loaded)
            return int(models.loaded_count())

        self._start(self._bridge.submit(unload), f"Unloading {path.name}…")
        self._job.sig_finished.connect(lambda count: self._on_unloaded(path, count))
        return self._job

    def _on_unloaded(self, path: Path, count: int) -> None:
        self._loaded.pop(path, None)
        self.sig_loaded_count_changed.emit(count)
        self._show_state(f"Unloaded; memory in use {process_memory_mib():.0f} MiB.")

    def quick_run(self) -> Any:
        path = self.current_path
        if path is None or path not in self._loaded or self._job is not None:
            self.state.setText("Load the model first.")
            return None
        from console.core.app.models import TextChunk

        self.output.clear()
        job = self._bridge.stream(lambda: self._models_on_engine().try_model(path),
                                  text_of=lambda e: e.text if isinstance(e, TextChunk) else None)
        self._start(job, "Generating…")
        job.sig_text_arrived.connect(self.output.insertPlainText)
        job.sig_finished.connect(self._on_run_finished)
        return job

    def _on_run_finished(self, completion: Any) -> None:
        speed = self._models.last_tokens_per_second if self._models is not None else 0.0
        tokens = completion.usage.output_tokens if completion is not None else 0
        self._show_state(f"Last run: {tokens} tokens at {speed:.1f} tokens/s; memory in use {process_memory_mib():.0f} MiB.")

    def _start(self, job: Any, text: str) -> None:
        self._job = job
        self._set_busy(True)
        self.state.setText(text)
        job.sig_failed.connect(lambda message: self._show_state(f"Failed: {message}"))
        job.sig_cancelled.connect(lambda: self._show_state("Cancelled."))

    def _on_cancel_clicked(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _show_state(self, text: str | None = None) -> None:
        self._job = None
        self._set_busy(False)
        path = self.current_path
        if text is not None:
            self.state.setText(text)
        elif path is not None:
            self.state.setText("Loaded." if path in self._loaded else "Not loaded.")

    def _set_busy(self, busy: bool) -> None:
        self.progress.setRange(0, 0 if busy else 1)  # an indeterminate bar while llama.cpp works
        self.cancel_button.setEnabled(busy)
        loaded = self.current_path in self._loaded if self.current_path else False
        self.load_button.setEnabled(not busy and not loaded and self.info is not None)
        self.load_button.setToolTip("Already loaded: Unload first to load it with other settings." if loaded else "")
        self.unload_button.setEnabled(not busy and loaded)
        self.test_button.setEnabled(not busy and loaded)
