"""What an edit is called in the Edit menu: "Undo: routine cost ceiling", never an internal path.

A document path (``("routes", "routine", "max_cost_usd")``) becomes the words an operator reads on
the form: the entry's name, then the field's label.
"""

from __future__ import annotations

from typing import Any

FIELD_WORDS = {
    "max_cost_usd": "cost ceiling", "max_output_tokens": "output token limit", "candidates": "candidates",
    "fallback_on": "fallback outcomes", "on_prem_only": "on-prem only", "require_tags": "required tags",
    "regions": "allowed regions", "ttft_ms": "first-token target", "latency": "latency",
    "connect_s": "connect timeout", "first_token_s": "first-token timeout", "idle_s": "idle timeout",
    "total_s": "total timeout", "retries": "retries", "max": "maximum", "backoff_ms": "retry backoff",
    "max_backoff_ms": "longest retry backoff", "json": "JSON check", "schema": "JSON schema",
    "min_mean_logprob": "confidence threshold", "validator_regex": "answer check", "escalate_to": "escalation task",
    "provider": "provider", "model": "model id", "input": "input price", "output": "output price",
    "cached_input": "cached input price", "reasoning": "reasoning price", "context_window": "context window",
    "region": "region", "tags": "tags", "gpu_layers": "GPU layers", "threads": "threads", "prefill": "prefill",
    "notes": "notes", "kind": "kind", "base_url": "base URL", "key": "key source", "headers": "headers",
    "description": "description", "default": "default task", "honour_task_hint": "honour task hints",
    "method": "classification method", "rules": "rules", "when": "condition", "task": "task", "name": "name",
    "limit_usd": "limit", "period": "period", "action": "action", "fallback_model": "fallback model",
    "scope": "scope", "team": "team", "allow": "allowed regions", "version": "version",
}
SKIP = {"prices", "timeouts", "output_check", "confidence", "classification"}
SECTIONS = {"routes": "route", "models": "model", "providers": "provider", "tasks": "task",
            "residency": "region", "budgets": "budget", "rules": "rule"}


def describe(path: tuple[Any, ...]) -> str:
    """Words for the field at ``path``: ``routes.routine.max_cost_usd`` → "routine cost ceiling"."""
    words: list[str] = []
    parts = list(path)
    index = 0
    while index < len(parts):
        part = parts[index]
        following = parts[index + 1] if index + 1 < len(parts) else None
        if part in SECTIONS and following is not None:
            # a keyed entry reads by its key ("routine"); a list entry by its kind and number ("rule 2")
            words.append(f"{SECTIONS[part]} {following + 1}" if isinstance(following, int) else str(following))
            index += 2
            continue
        if part in SKIP and following is not None:
            index += 1
            continue
        words.append(f"item {part + 1}" if isinstance(part, int) else FIELD_WORDS.get(str(part), str(part).replace("_", " ")))
        index += 1
    return " ".join(words) or "policy"
