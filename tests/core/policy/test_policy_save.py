"""Canonical, atomic saving: shipped policies are canonical, dump → load gives the same policy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.core.policy.loader import load_policy, load_policy_text
from console.core.policy.save import dump_policy, policy_hash, save_policy, source_has_comments
from console.core.policy.schema import Policy

POLICIES = Path(__file__).resolve().parents[3] / "policies"
SHIPPED = sorted(POLICIES.glob("*.yaml"))


def test_both_seed_policies_ship() -> None:
    assert {p.name for p in SHIPPED} >= {"support-desk.yaml", "demo.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_policy_is_clean_and_canonical(path: Path, tmp_path: Path) -> None:
    result = load_policy(path)
    assert result.policy is not None, "\n".join(d.format() for d in result.diagnostics)
    assert result.diagnostics == []
    assert dump_policy(result.policy) == result.text
    assert policy_hash(result.policy) == result.content_hash
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    save_policy(result.policy, copy)
    assert copy.read_bytes() == path.read_bytes()


def _policy(**extra: object) -> Policy:
    data: dict[str, object] = {
        "name": "t",
        "providers": {"local": {"kind": "local-gguf"}},
        "models": {"m": {"provider": "local", "model": "bundled:smollm2-135m"}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["m"]}},
    }
    data.update(extra)
    return Policy.model_validate(data)


def test_dump_is_block_style_keeps_unicode_and_writes_version_first() -> None:
    policy = _policy(description="Café ☕ — naïve résumé", notes="line one\nline two")
    text = dump_policy(policy)
    assert text.startswith("version: 1\nname: t\n")
    assert "Café ☕ — naïve résumé" in text
    assert "notes: |-\n  line one\n  line two\n" in text
    assert "{" not in text.replace("chat: {}", "")
    assert "candidates:\n      - m\n" in text
    assert "max_output_tokens" not in text  # defaults are left out


def test_aliased_fields_dump_under_their_yaml_names() -> None:
    policy = _policy(routes={"chat": {"candidates": ["m"], "output": {"json": True, "schema": {"type": "object"}}}})
    text = dump_policy(policy)
    assert "json: true" in text and "schema:" in text and "json_" not in text
    assert load_policy_text(text).parsed == policy


def test_save_is_atomic_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o600)
    digest = save_policy(_policy(), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]
    assert digest == policy_hash(_policy()) == load_policy(target).content_hash


def test_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("old\n")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        save_policy(_policy(), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


def test_policy_hash_changes_with_content() -> None:
    assert policy_hash(_policy()) != policy_hash(_policy(description="x"))
    assert len(policy_hash(_policy())) == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1 # why\n", True),
        ("# header\na: 1\n", True),
        ("a: 'x # not a comment'\n", False),
        ("a: |\n  # inside a block\n", False),
        ("a: x#y\n", False),
        ("a: [1\n# broken yaml but a comment\n", True),
    ],
)
def test_source_has_comments(text: str, expected: bool) -> None:
    assert source_has_comments(text) is expected


def test_shipped_policies_carry_no_comments() -> None:
    for path in SHIPPED:
        assert not source_has_comments(path.read_text(encoding="utf-8")), path


names = st.text("abcdefghijklmnopqrstuvwxyz-_", min_size=1, max_size=8)
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30) | st.text("ab é\n", max_size=12)
price = st.floats(min_value=0, max_value=500, allow_nan=False) | st.integers(0, 100).map(float)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    models = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    tasks = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    model_data = {
        alias: {
            "provider": "hosted",
            "model": draw(names),
            "prices": draw(st.none() | st.fixed_dictionaries({"input": price, "output": price})),
            "context_window": draw(st.integers(1, 2_000_000)),
            "region": draw(st.sampled_from(["global", "eu", "us", "on-prem"])),
            "tags": draw(st.lists(names, max_size=2)),
            "notes": draw(st.none() | text),
        }
        for alias in models
    }
    routes = {
        task: {
            "candidates": draw(st.lists(st.sampled_from(models), min_size=1, max_size=3)),
            "max_cost_usd": draw(st.none() | price),
            "max_output_tokens": draw(st.integers(1, 4096)),
            "regions": draw(st.none() | st.lists(st.sampled_from(["eu", "us", "on-prem"]), max_size=2)),
            "latency": {"p95_ms": draw(st.none() | st.floats(1, 1e5))},
            "notes": draw(st.none() | text),
        }
        for task in tasks
    }
    rules = [
        {"task": draw(st.sampled_from(tasks)), "when": {"keywords": draw(st.lists(text, min_size=1, max_size=3))}}
        for _ in range(draw(st.integers(0, 3)))
    ]
    return Policy.model_validate(
        {
            "name": draw(text.filter(bool)),
            "description": draw(st.none() | text),
            "providers": {"hosted": {"kind": "openai-compatible", "base_url": "https://x.test/v1", "key": "env:K"}},
            "models": model_data,
            "tasks": {task: {"description": draw(st.none() | text)} for task in tasks},
            "classification": {"default": tasks[0], "rules": rules, "honour_task_hint": draw(st.booleans())},
            "routes": routes,
            "budgets": [{"name": "b", "limit_usd": draw(st.floats(0.01, 1e4))}] if draw(st.booleans()) else [],
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_dump_then_load_gives_an_equal_policy(policy: Policy) -> None:
    text = dump_policy(policy)
    result = load_policy_text(text, "generated.yaml")
    assert result.parsed == policy, "\n".join(d.format() for d in result.diagnostics)
    assert dump_policy(result.parsed) == text


@pytest.mark.parametrize("name", ["0E0", "1e3", "0o10", "0x1F", ".5", "yes", "2026-01-01", "~"])
def test_text_that_yaml_1_2_reads_as_a_number_is_quoted(name: str) -> None:
    # The reader is YAML 1.2 (ruamel.yaml); the canonical writer must quote what 1.2 would not read as text.
    text = dump_policy(_policy(name=name))
    assert load_policy_text(text).parsed == _policy(name=name), text
