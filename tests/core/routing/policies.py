"""Small policies built in code for routing tests (the shipped YAML ones are tested elsewhere)."""

from __future__ import annotations

from typing import Any

from console.core.policy.schema import Policy


def base_policy_dict() -> dict[str, Any]:
    return {
        "name": "routing-test",
        "providers": {
            "hosted": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"},
            "eu": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"},
            "local": {"kind": "local-gguf"},
        },
        "models": {
            "frontier": {
                "provider": "hosted",
                "model": "frontier-1",
                "prices": {"input": 10, "output": 30},
                "context_window": 128000,
                "region": "us",
            },
            "mid": {
                "provider": "hosted",
                "model": "mid-1",
                "prices": {"input": 0.5, "output": 1.5},
                "context_window": 16000,
                "region": "us",
            },
            "mid-eu": {
                "provider": "eu",
                "model": "mid-eu-1",
                "prices": {"input": 0.6, "output": 1.8},
                "context_window": 32000,
                "region": "eu",
                "tags": ["gdpr"],
            },
            "long": {
                "provider": "hosted",
                "model": "long-1",
                "prices": {"input": 1.25, "output": 5},
                "context_window": 1000000,
                "region": "global",
            },
            "local": {
                "provider": "local",
                "model": "bundled:smollm2-135m",
                "prices": {"input": 0, "output": 0},
                "context_window": 2048,
                "region": "on-prem",
            },
        },
        "tasks": {"routine": {}, "escalation": {}, "long_thread": {}, "triage": {}},
        "classification": {
            "default": "routine",
            "rules": [
                {"name": "long", "task": "long_thread", "when": {"tokens": {"min": 3000}}},
                {
                    "name": "angry",
                    "task": "escalation",
                    "when": {"any": [{"keywords": ["refund", "lawyer", "cancel"]}, {"regex": "(?i)\\bunacceptable\\b"}]},
                },
                {
                    "name": "vip-not-billing",
                    "task": "escalation",
                    "when": {"all": [{"meta": {"tier": "vip"}}, {"not": {"keywords": ["invoice"]}}]},
                },
            ],
        },
        "routes": {
            "routine": {"candidates": ["mid", "mid-eu", "local"], "max_cost_usd": 0.01},
            "escalation": {"candidates": ["frontier", "mid-eu", "local"]},
            "long_thread": {"candidates": ["long", "frontier", "local"]},
            "triage": {"candidates": ["local"]},
        },
        "budgets": [
            {
                "name": "frontier-daily",
                "scope": {"model": "frontier"},
                "limit_usd": 50,
                "action": "fallback",
                "fallback_model": "mid",
            },
            {"name": "team-growth", "scope": {"team": "growth"}, "limit_usd": 5, "action": "block"},
            {"name": "all-warn", "limit_usd": 1000, "action": "warn"},
        ],
        "residency": {"eu": {"allow": ["eu", "on-prem"]}},
    }


def base_policy(**overrides: Any) -> Policy:
    data = base_policy_dict()
    data.update(overrides)
    return Policy.model_validate(data)
