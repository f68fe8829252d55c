"""The GGUF header check and reader, over tiny valid files the ``gguf`` package writes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from console.core.providers.gguf_file import GGUFError, read_gguf_info
from console.core.providers.local_models import ModelNotFound, resolve_model_path
from tests.support.parts import require_part

try:
    import gguf  # a test dependency (pyproject's [test] extra): writes the tiny files these tests read
except ImportError:  # importorskip would skip silently even under CI; require_part fails there
    gguf = None


@pytest.fixture(autouse=True)
def _gguf_writer() -> None:
    require_part(gguf is not None, "the gguf package is missing: pip install gguf (the [test] extra)")


def write_tiny_gguf(path: Path, *, declare_parameters: bool = False) -> Path:
    """A small but well-formed GGUF: llama metadata, a vocab array, two F32 tensors."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny test model")
    writer.add_context_length(1024)
    writer.add_block_count(2)
    writer.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    writer.add_token_list(["<s>", "</s>", "hello", "wörld"])
    writer.add_token_scores([0.0, 0.0, -1.0, -2.0])
    if declare_parameters:
        writer.add_uint64("general.parameter_count", 7)
    writer.add_tensor("token_embd.weight", np.ones((4, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones((8,), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_reads_metadata_of_a_valid_file(tmp_path: Path) -> None:
    info = read_gguf_info(write_tiny_gguf(tmp_path / "tiny.gguf"))
    assert info.architecture == "llama"
    assert info.name == "tiny test model"
    assert info.context_length == 1024
    assert info.file_type == "ALL_F32"
    assert info.tensor_count == 2
    assert info.parameter_count == 4 * 8 + 8
    assert info.parameter_count_estimated
    assert info.metadata["tokenizer.ggml.tokens"] == "<array of 4>"
    assert info.size_bytes == os.path.getsize(tmp_path / "tiny.gguf")


def test_declared_parameter_count_wins(tmp_path: Path) -> None:
    info = read_gguf_info(write_tiny_gguf(tmp_path / "tiny.gguf", declare_parameters=True))
    assert info.parameter_count == 7
    assert not info.parameter_count_estimated


@pytest.mark.parametrize("keep", [3, 10, 40, 200])
def test_truncated_header_is_named_truncated(tmp_path: Path, keep: int) -> None:
    data = write_tiny_gguf(tmp_path / "full.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:keep])
    with pytest.raises(GGUFError, match="truncated|not a GGUF"):
        read_gguf_info(cut)


def test_missing_tensor_data_is_caught_before_llama_cpp(tmp_path: Path) -> None:
    data = write_tiny_gguf(tmp_path / "full.gguf").read_bytes()
    cut = tmp_path / "half.gguf"
    cut.write_bytes(data[:-16])  # the header is whole; the last tensor is short
    with pytest.raises(GGUFError, match="truncated: its tensors need"):
        read_gguf_info(cut)


def test_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 not found</html>")
    with pytest.raises(GGUFError, match="not a GGUF model"):
        read_gguf_info(fake)


def test_unknown_version_and_absurd_counts(tmp_path: Path) -> None:
    bad_version = tmp_path / "v9.gguf"
    bad_version.write_bytes(b"GGUF" + (9).to_bytes(4, "little") + bytes(16))
    with pytest.raises(GGUFError, match="version 9"):
        read_gguf_info(bad_version)
    huge = tmp_path / "huge.gguf"
    huge.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + (2**40).to_bytes(8, "little") + bytes(8))
    with pytest.raises(GGUFError, match="corrupt"):
        read_gguf_info(huge)


def test_missing_directory_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="does not exist"):
        read_gguf_info(tmp_path / "nope.gguf")
    with pytest.raises(GGUFError, match="not a regular file"):
        read_gguf_info(tmp_path)


def test_resolve_relative_to_policy_then_models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    beside = write_tiny_gguf(policy_dir / "beside.gguf")
    assert resolve_model_path("beside.gguf", policy_dir=policy_dir) == beside.resolve()
    from console.core import paths

    stored = write_tiny_gguf(paths.models_dir() / "stored.gguf")
    assert resolve_model_path("stored.gguf", policy_dir=policy_dir) == stored.resolve()
    assert resolve_model_path(str(stored)) == stored.resolve()
    with pytest.raises(ModelNotFound, match="looked in") as caught:
        resolve_model_path("ghost.gguf", policy_dir=policy_dir)
    assert str(policy_dir) in str(caught.value) and "models" in str(caught.value)
    with pytest.raises(ModelNotFound, match="bundled models: smollm2-135m"):
        resolve_model_path("bundled:nothing")


def test_without_the_gguf_package_these_tests_fail_under_ci() -> None:
    # The writer is a test dependency: under CI its absence must fail the run, never skip it quietly.
    import subprocess
    import sys

    script = ("import sys; sys.modules['gguf'] = None; import pytest; "
              "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', __file__, '-k', 'not under_ci']))")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script.replace("__file__", repr(__file__))], cwd=root,
                          env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "required part missing under CI: the gguf package is missing" in done.stdout
