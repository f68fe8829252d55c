"""The policy a "New" tab starts from: valid, and runnable on the bundled local model alone."""

from __future__ import annotations

from typing import Any


def new_policy_data() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "untitled",
        "providers": {"local": {"kind": "local-gguf"}},
        "models": {
            "smol": {"provider": "local", "model": "bundled:smollm2-135m", "context_window": 2048, "region": "on-prem"}
        },
        "tasks": {"chat": {"description": "Everything, until you add tasks"}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["smol"]}},
    }
