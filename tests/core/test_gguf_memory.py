"""The load memory estimate from a GGUF header: its parts, the GPU split, and the fit warning."""

from __future__ import annotations

import struct
from pathlib import Path

from console.core.app.models import estimate_memory, fit_warning, load_defaults, read_gguf_info


def write_gguf(path: Path, metadata: dict[str, int | str], padding: int = 64) -> Path:
    """A header-only GGUF v3 file (no tensors) with ``metadata``; ``padding`` bytes stand in for weights."""
    body = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata)))
    for key, value in metadata.items():
        encoded = key.encode()
        body += struct.pack("<Q", len(encoded)) + encoded
        if isinstance(value, str):
            text = value.encode()
            body += struct.pack("<IQ", 8, len(text)) + text
        else:
            body += struct.pack("<II", 4, value)  # uint32
    path.write_bytes(bytes(body) + b"\0" * padding)
    return path


LLAMA = {"general.architecture": "llama", "llama.block_count": 30, "llama.embedding_length": 576,
         "llama.attention.head_count": 9, "llama.attention.head_count_kv": 3, "llama.vocab_size": 49152,
         "llama.context_length": 8192}


def test_the_estimate_adds_weights_kv_cache_and_buffers(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", LLAMA, padding=10_000_000))
    estimate = estimate_memory(info, gpu_layers=0, context=2048)
    assert estimate.kv_cache == 2 * 30 * 2048 * 3 * (576 // 9) * 2  # K and V, f16, per layer and token
    assert estimate.weights == info.size_bytes and estimate.gpu == 0 and estimate.ram == estimate.total
    assert estimate_memory(info, gpu_layers=0, context=4096).kv_cache == 2 * estimate.kv_cache
    half = estimate_memory(info, gpu_layers=15, context=2048)
    assert half.gpu_share == 0.5 and 0 < half.ram < estimate.ram
    every = estimate_memory(info, gpu_layers=-1, context=2048)
    assert every.gpu_share == 1.0 and every.ram == 0
    no_gpu = estimate_memory(info, gpu_layers=-1, context=2048, offload=False)
    assert no_gpu.gpu == 0 and no_gpu.ram == no_gpu.total


def test_a_load_that_will_not_fit_gets_a_sentence(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", LLAMA))
    estimate = estimate_memory(info, gpu_layers=0, context=8192)
    assert fit_warning(estimate, ram_free=estimate.ram * 10) is None
    warning = fit_warning(estimate, ram_free=estimate.ram // 2)
    assert warning is not None and warning.startswith("This will probably not fit") and "main memory" in warning
    assert fit_warning(estimate, ram_free=None) is None  # nothing to check against: no false alarm


def test_load_defaults_follow_the_policy_that_names_the_file(tmp_path: Path) -> None:
    model = write_gguf(tmp_path / "tiny.gguf", LLAMA)
    policy = {"providers": {"local": {"kind": "local-gguf"}, "hosted": {"kind": "openai-compatible",
                                                                          "base_url": "http://x/v1", "key": "env:K"}},
              "models": {"remote": {"provider": "hosted", "model": "tiny.gguf"},
                         "tiny": {"provider": "local", "model": "tiny.gguf", "gpu_layers": "all",
                                  "context_window": 1024}}}
    defaults = load_defaults(model, [(policy, tmp_path)])
    assert (defaults.gpu_layers, defaults.context_window, defaults.alias) == (-1, 1024, "tiny")
    policy["models"]["tiny"]["gpu_layers"] = 7  # type: ignore[index]
    assert load_defaults(model, [(policy, tmp_path)]).gpu_layers == 7
    elsewhere = load_defaults(model, [(policy, tmp_path / "other")])
    assert elsewhere.alias is None and elsewhere.gpu_layers == -1  # no policy names it: all layers
