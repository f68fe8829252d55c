"""The Rollout page: each route in staged rollout, its share over time, its guardrails, advance and roll back."""
