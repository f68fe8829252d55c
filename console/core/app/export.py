"""Export a policy for other tools: a LiteLLM proxy config, with a list of what it cannot express."""

from __future__ import annotations

from console.core.export_litellm import litellm_config_text

__all__ = ["litellm_config_text"]
