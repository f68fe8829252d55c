"""``routes.X.rollout``: validated with located, plain errors; kept when the policy is saved and read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core.policy.loader import load_policy, load_policy_text
from console.core.policy.rollout_schema import duration_seconds
from console.core.policy.save import save_policy

BASE = """\
name: t
providers:
  local: {kind: openai-compatible, base_url: 'http://127.0.0.1:9/v1'}
models:
  premium: {provider: local, model: gpt-4o}
  cheap: {provider: local, model: gpt-4o-mini}
tasks: {chat: {}}
classification: {default: chat}
routes:
  chat:
    candidates: [premium]
    rollout:
{rollout}
"""


def _load(rollout: str):  # noqa: ANN202 - a LoadResult
    body = "\n".join("      " + line for line in rollout.strip().splitlines())
    return load_policy_text(BASE.replace("{rollout}", body), "t.yaml")


def test_a_full_rollout_loads_with_its_settings() -> None:
    result = _load("""
candidate: cheap
replaces: premium
steps: [5, 25, 50, 100]
sticky_by: meta.customer
advance: {after: 1d, min_requests: 500}
guardrails: {failure_rate: {margin: 0.03, min_requests: 50}, p95_latency: {margin: 0.5}, cost_per_request: null}
on_breach: hold
""")
    assert result.ok, result.diagnostics
    rollout = result.policy.routes["chat"].rollout
    assert (rollout.candidate, rollout.replaces, rollout.steps, rollout.sticky_key) == ("cheap", "premium", [5, 25, 50, 100], "customer")
    assert duration_seconds(rollout.advance.after) == 86400 and rollout.advance.min_requests == 500
    assert rollout.guardrails.failure_rate.margin == 0.03 and rollout.guardrails.cost_per_request is None
    assert rollout.on_breach == "hold"


@pytest.mark.parametrize(("rollout", "line", "words"), [
    ("candidate: cheep\nreplaces: premium", 13, "unknown model 'cheep'"),
    ("candidate: cheap\nreplaces: cheap", 14, "not a candidate of route 'chat'"),
    ("candidate: cheap\nreplaces: premium\nsteps: [25, 5]", 15, "steps must rise"),
    ("candidate: cheap\nreplaces: premium\nsteps: [0, 50]", 15, "above 0 and at most 100"),
    ("candidate: cheap\nreplaces: premium\nsticky_by: customer", 15, "sticky_by"),
    ("candidate: cheap\nreplaces: premium\nadvance: {after: soon}", 15, "'soon' is not a duration"),
    ("candidate: cheap\nreplaces: premium\non_breach: panic", 15, "on_breach"),
    ("candidate: cheap\nreplaces: premium\nguardrails: {failure_rate: {margin: 2}}", 15, "margin"),
])
def test_a_bad_rollout_is_an_error_saying_what_and_where(rollout: str, line: int, words: str) -> None:
    result = _load(rollout)
    assert not result.ok
    found = [e for e in result.errors if words in f"{e.path}: {e.message} {e.expected or ''}"]
    assert found, result.errors
    assert found[0].line == line, found[0]  # the line of the offending key in the file


def test_a_rollout_that_stops_short_of_100_percent_is_a_warning() -> None:
    result = _load("candidate: cheap\nreplaces: premium\nsteps: [10, 50]")
    assert result.ok and [w.code for w in result.warnings] == ["rollout-never-complete"]


def test_the_rollout_survives_save_and_reload(tmp_path: Path) -> None:
    result = _load("candidate: cheap\nreplaces: premium\nsticky_by: meta.team\nadvance: {after: 12h, min_requests: 50}")
    assert result.ok
    path = tmp_path / "p.yaml"
    save_policy(result.policy, path)
    again = load_policy(path)
    assert again.ok and again.policy == result.policy
    assert "rollout:" in path.read_text() and "after: 12h" in path.read_text()
