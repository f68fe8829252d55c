"""Semantic warnings and the price precedence (policy > user file > bundled table > nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core.policy.checks import check_policy
from console.core.policy.loader import load_policy_text
from console.core.policy.prices import (
    PriceTable,
    bundled_price_table,
    effective_prices,
    parse_price_table,
    resolve_prices,
    user_price_table,
)
from console.core.policy.schema import Policy, Prices


def _policy(provider: dict[str, object] | None = None, model: dict[str, object] | None = None,
            route: dict[str, object] | None = None) -> Policy:
    return Policy.model_validate({
        "name": "t",
        "providers": {"hosted": provider or {"kind": "openai-compatible", "base_url": "https://x.test/v1",
                                             "key": "env:K"}},
        "models": {"m": {"provider": "hosted", "model": "gpt-4o", **(model or {})}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["m"], **(route or {})}},
    })


def _codes(policy: Policy) -> list[tuple[str, str, str]]:
    return [(d.severity, d.path, d.code) for d in check_policy(policy)]


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEDESK_HOME", str(tmp_path / "home"))


def test_a_sound_policy_has_no_findings_and_no_location() -> None:
    assert check_policy(_policy()) == []


def test_hosted_provider_without_key_warns_but_loopback_does_not() -> None:
    remote = _policy({"kind": "openai-compatible", "base_url": "https://x.test/v1"})
    assert _codes(remote) == [("warning", "providers.hosted", "provider-without-key")]
    local_server = _policy({"kind": "openai-compatible", "base_url": "http://127.0.0.1:8080/v1"})
    assert _codes(local_server) == []
    anthropic = _policy({"kind": "anthropic", "key": "keyring:anthropic"}, {"model": "claude-sonnet-4-5"})
    assert _codes(anthropic) == []


def test_price_warnings() -> None:
    assert _codes(_policy(model={"prices": {"input": 1, "output": 0}})) == [
        ("warning", "models.m.prices.output", "zero-output-price")]
    assert _codes(_policy(model={"model": "my-private-finetune"})) == [("warning", "models.m.model", "no-price")]


def test_ceiling_below_one_token_warns() -> None:
    [finding] = check_policy(_policy(route={"max_cost_usd": 0.000001}))
    assert (finding.severity, finding.path, finding.code) == ("warning", "routes.chat.max_cost_usd", "ceiling-below-cheapest")
    assert check_policy(_policy(route={"max_cost_usd": 0.01})) == []


def test_findings_are_located_when_loaded_from_text() -> None:
    text = "\n".join([
        "name: t",
        "providers:",
        "  hosted: {kind: openai-compatible, base_url: 'https://x.test/v1'}",
        "models:",
        "  m: {provider: hosted, model: gpt-4o}",
        "tasks: {chat: {}}",
        "classification: {default: chat}",
        "routes: {chat: {candidates: [m]}}",
    ]) + "\n"
    [warning] = load_policy_text(text, "t.yaml").diagnostics
    assert (warning.line, warning.column, warning.code) == (3, 3, "provider-without-key")


def test_price_precedence(tmp_path: Path) -> None:
    bundled = bundled_price_table()
    assert bundled.lookup("gpt-4-1106-preview") == Prices(input=10, output=30)
    assert bundled.lookup("mistralai/Mixtral-8x7B-Instruct-v0.1") == Prices(input=0.6, output=0.6)
    assert bundled.lookup("openai/gpt-4o") == bundled.lookup("gpt-4o")
    assert len(bundled.entries) >= 30 and bundled.diagnostics == ()

    policy = _policy()
    assert resolve_prices(policy, "m").source == "bundled"
    user = PriceTable({"gpt-4o": Prices(input=1, output=2)}, "user")
    assert resolve_prices(policy, "m", user=user) .prices == Prices(input=1, output=2)
    own = _policy(model={"prices": {"input": 5, "output": 6}})
    assert resolve_prices(own, "m", user=user).source == "policy"
    with pytest.raises(KeyError):
        resolve_prices(policy, "nope")


def test_local_models_are_free_and_unknown_models_are_zero() -> None:
    local = _policy({"kind": "local-gguf"}, {"model": "bundled:smollm2-135m"})
    assert resolve_prices(local, "m").source == "local"
    unknown = _policy(model={"model": "mystery"})
    assert (resolve_prices(unknown, "m").source, effective_prices(unknown, "m")) == ("none", Prices(input=0, output=0))


def test_user_price_file_wins_and_a_broken_one_never_raises(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "prices.yaml").write_text("models:\n  gpt-4o: {input: 0.5, output: 0.75}\n")
    assert effective_prices(_policy(), "m") == Prices(input=0.5, output=0.75)
    (home / "prices.yaml").write_text("models:\n  gpt-4o: {input: cheap, output: 1}\n  extra: [\n")
    table = user_price_table()
    assert table.entries == {} and table.diagnostics
    assert resolve_prices(_policy(), "m").source == "bundled"


def test_price_file_entries_that_do_not_validate_are_skipped() -> None:
    table = parse_price_table("models:\n  a: {input: 1, output: 2}\n  b: {input: -1, output: 2}\n", "p.yaml")
    assert list(table.entries) == ["a"]
    assert [(d.line, d.severity) for d in table.diagnostics] == [(3, "warning")]
