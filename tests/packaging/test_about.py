"""Help → About: build facts, GPU offload, and the bundled components' licences with their texts."""

from __future__ import annotations

from pathlib import Path

from console.build_info import BuildInfo


def test_about_dialog_shows_build_facts_and_licences(qtbot, private_home: Path) -> None:
    from console.ui.about import AboutDialog

    info = BuildInfo(version="1.2.3", variant="cuda", build_date="2026-01-02", git_commit="abc123", packaged=True)
    dialog = AboutDialog(gpu_offload="checking", info=info)
    qtbot.addWidget(dialog)
    assert dialog.variant_label.text().startswith("CUDA")
    assert dialog.gpu_label.text() == "checking…"
    dialog.show_gpu_offload(False)
    assert dialog.gpu_label.text().startswith("no")
    listed = [dialog.licenses.item(row).text() for row in range(dialog.licenses.count())]
    assert any(text.startswith("Qt 6 — LGPL-3.0-only") for text in listed)
    assert any("llama.cpp" in text and "MIT" in text for text in listed)
    assert any("SmolLM2" in text and "Apache-2.0" in text for text in listed)
    dialog.select_component("Qt 6")
    text = dialog.license_text.toPlainText()
    assert "linked dynamically" in text and "GNU LESSER GENERAL PUBLIC LICENSE" in text
    dialog.select_component("pyqtgraph")
    assert "Permission is hereby granted" in dialog.license_text.toPlainText()


def test_help_menu_opens_about_with_the_real_gpu_answer(qtbot, private_home: Path) -> None:
    from console.build_info import gpu_offload_available
    from console.ui.about import GPU_TEXT
    from console.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    about = next(a for a in help_menu.actions() if "About" in a.text())
    about.trigger()
    dialog = window.about_dialog
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.gpu_label.text() != "checking…", timeout=10_000)
    assert dialog.gpu_label.text() == GPU_TEXT[gpu_offload_available()]
    dialog.close()
    window.close()
