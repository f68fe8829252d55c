"""How much memory a GGUF model will take once loaded, from its header alone, before loading it.

LM Studio shows this before a load; so do we. The estimate adds three parts, split between the
GPU and main memory by the share of layers offloaded:

- weights: the tensor data (the file's size; llama.cpp maps it as it is stored), spread evenly
  over the layers (the embeddings and output head are a few percent and counted with them);
- KV cache: keys and values for every layer and every token of the context, f16 as llama.cpp
  stores them by default: ``2 × layers × context × kv_heads × head_dim × 2 bytes``;
- compute buffers: llama.cpp's scratch for one batch of 512 tokens, dominated by the logits
  (``512 × vocab × 4 bytes``) plus a few activations.

It is an estimate (llama.cpp's own allocator rounds and pads), good to tens of percent: enough to
warn that 30 GB of weights will not fit in 16 GB, which is what it is for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from console.core.providers.gguf_file import GGUFInfo

BATCH = 512  # llama.cpp's default n_batch: the compute buffers are sized for one batch
KV_BYTES = 2  # f16 keys and values


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a load will take: on the GPU, in main memory, and the parts they are made of."""

    weights: int
    kv_cache: int
    compute: int
    gpu_share: float  # 0..1: the layers offloaded over all layers

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute

    @property
    def gpu(self) -> int:
        return round((self.weights + self.kv_cache) * self.gpu_share) + (self.compute if self.gpu_share > 0 else 0)

    @property
    def ram(self) -> int:
        return self.total - self.gpu


def _int(info: GGUFInfo, key: str) -> int | None:
    value = info.metadata.get(f"{info.architecture}.{key}") if info.architecture else None
    return value if isinstance(value, int) and value > 0 else None


def estimate_memory(info: GGUFInfo, *, gpu_layers: int, context: int, offload: bool = True) -> MemoryEstimate:
    """What loading ``info`` with ``gpu_layers`` (-1: all) and a ``context``-token window takes.

    ``offload`` False: this llama.cpp cannot use a GPU, so every layer stays in main memory."""
    layers = _int(info, "block_count") or 1
    embedding = _int(info, "embedding_length") or 0
    heads = _int(info, "attention.head_count") or 1
    kv_heads = _int(info, "attention.head_count_kv") or heads
    head_dim = _int(info, "attention.key_length") or (embedding // heads if embedding else 0)
    vocab = _int(info, "vocab_size") or 32_000
    kv = 2 * layers * context * kv_heads * head_dim * KV_BYTES
    compute = BATCH * (vocab + 4 * embedding) * 4
    on_gpu = 0 if not offload else (layers if gpu_layers < 0 else min(gpu_layers, layers))
    return MemoryEstimate(weights=info.size_bytes, kv_cache=kv, compute=compute, gpu_share=on_gpu / layers)


def available_ram() -> int | None:
    """Main memory free for a new load now (Linux: MemAvailable; elsewhere: None, not checked)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return None


def mib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def fit_warning(estimate: MemoryEstimate, *, ram_free: int | None, vram_free: int | None = None) -> str | None:
    """A sentence when the load will not fit (None when it will, or when nothing can be checked)."""
    problems = []
    if ram_free is not None and estimate.ram > ram_free:
        problems.append(f"it needs about {mib(estimate.ram)} of main memory and {mib(ram_free)} is free")
    if vram_free is not None and estimate.gpu > vram_free:
        problems.append(f"it needs about {mib(estimate.gpu)} on the GPU and {mib(vram_free)} is free")
    if not problems:
        return None
    return ("This will probably not fit: " + "; ".join(problems)
            + ". Lower the context or the GPU layers, or close other models.")
