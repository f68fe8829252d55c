"""Help → About: what this build is (version, date, variant, GPU offload) and the licences it ships.

Qt is used under the LGPL v3 and linked dynamically; the dialog says so next to the licence text,
which is shipped under resources/licenses/ with the other components' texts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.build_info import BuildInfo, BundledComponent, build_info, bundled_components

GPU_TEXT = {True: "yes — llama.cpp can offload layers to the GPU", False: "no — local models run on the CPU",
            None: "unknown (llama.cpp is not installed)"}


class AboutDialog(QDialog):
    """Build facts on top; bundled components on the left, the selected one's licence on the right.

    Attributes:
        components: the list shown, in order.
        licenses: the component list widget.
        license_text: the selected component's note and full licence text.
    """

    def __init__(self, parent: QWidget | None = None, *, gpu_offload: bool | None | str = "checking",
                 info: BuildInfo | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Routedesk")
        self.resize(860, 600)
        info = info or build_info()
        self.components: list[BundledComponent] = bundled_components()

        heading = QHBoxLayout()
        icon = QLabel()
        from console.core.resources import resource_path

        pixmap = QPixmap(str(resource_path("routedesk.png")))
        if not pixmap.isNull():
            icon.setPixmap(pixmap.scaled(72, 72, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))
        title = QLabel(f"<h2>Routedesk {info.version}</h2>A desktop console for multi-model LLM routing.")
        heading.addWidget(icon)
        heading.addWidget(title, 1)

        facts = QFormLayout()
        self.variant_label = QLabel("CUDA (NVIDIA GPUs)" if info.variant == "cuda" else "CPU (portable)")
        self.gpu_label = QLabel("checking…" if isinstance(gpu_offload, str) else GPU_TEXT[gpu_offload])
        facts.addRow("Version:", QLabel(info.version))
        facts.addRow("Build date:", QLabel(info.build_date))
        facts.addRow("Variant:", self.variant_label)
        facts.addRow("GPU offload:", self.gpu_label)
        facts.addRow("Commit:", QLabel(info.git_commit))

        self.licenses = QListWidget()
        self.licenses.setWordWrap(True)
        for component in self.components:
            self.licenses.addItem(f"{component.name} — {component.license}")
        self.license_text = QPlainTextEdit()
        self.license_text.setReadOnly(True)
        self.licenses.currentRowChanged.connect(self._on_licenses_current_row_changed)
        split = QSplitter()
        split.addWidget(self.licenses)
        split.addWidget(self.license_text)
        split.setSizes([360, 500])

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addLayout(facts)
        layout.addWidget(QLabel("Bundled components and their licences:"))
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        if self.components:
            self.licenses.setCurrentRow(0)

    def show_gpu_offload(self, available: bool | None) -> None:
        self.gpu_label.setText(GPU_TEXT[available])

    def select_component(self, name_part: str) -> None:
        """Select the first component whose name contains ``name_part`` (case-insensitive)."""
        for row, component in enumerate(self.components):
            if name_part.lower() in component.name.lower():
                self.licenses.setCurrentRow(row)
                return

    def _on_licenses_current_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self.components):
            self.license_text.clear()
            return
        component = self.components[row]
        header = [f"{component.name}", f"Licence: {component.license}", f"Source: {component.url}"]
        if component.note:
            header.append(component.note)
        self.license_text.setPlainText("\n".join(header) + "\n\n" + component.license_text())


def main() -> int:
    """``python -m console.ui.about``: the dialog alone, for a quick look."""
    import sys

    from PySide6.QtWidgets import QApplication

    from console.build_info import gpu_offload_available

    app = QApplication.instance() or QApplication(sys.argv)
    dialog = AboutDialog(gpu_offload=gpu_offload_available())
    dialog.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
