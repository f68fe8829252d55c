"""Plain facts the Local models page shows: formatted GGUF metadata and this process's memory use."""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from typing import Any


def describe(info: Any) -> list[tuple[str, str]]:
    """Rows of (label, value) for a ``GGUFInfo``."""
    params = info.parameter_count
    count = f"{params / 1e9:.2f} B" if params >= 1e9 else f"{params / 1e6:.0f} M"
    if info.parameter_count_estimated:
        count += " (counted from tensors)"
    return [
        ("Name", info.name or info.path.stem),
        ("Architecture", info.architecture or "unknown"),
        ("Parameters", count),
        ("Quantization", info.file_type or "unknown"),
        ("Trained context", f"{info.context_length:,} tokens" if info.context_length else "unknown"),
        ("File size", info.size_label),
        ("GGUF version", str(info.version)),
    ]


def process_memory_mib() -> float:
    """Resident memory of this process in MiB (current on Linux, peak elsewhere)."""
    status = Path("/proc/self/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def bundled_model() -> Path | None:
    """The demo GGUF shipped with Routedesk, if this install has it."""
    from console.core.app.models import bundled_demo_model

    return bundled_demo_model()  # None when not bundled in this install: the page simply starts empty
