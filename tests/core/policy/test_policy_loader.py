"""Loading: every problem reported and located, files that are not policies, no tracebacks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.core.policy.diagnostics import Diagnostic, PolicyLoadError, format_path
from console.core.policy.loader import load_policy, load_policy_or_raise, load_policy_text

DEMO = Path(__file__).resolve().parents[3] / "policies" / "demo.yaml"

MANY_PROBLEMS = """\
name: many
providers:
  local: {kind: local-gguf}
models:
  small: {provider: local, model: x.gguf, context_window: big}
tasks:
  chat: {}
classification:
  default: chat
  rulez: []
routes:
  chat:
    candidates: [smal]
    max_cost_usd: -2
"""


def test_every_problem_is_reported_not_just_the_first() -> None:
    result = load_policy_text(MANY_PROBLEMS, "many.yaml")
    found = {(d.line, d.path, d.code) for d in result.errors}
    assert found == {
        (5, "models.small.context_window", "wrong-type"),
        (10, "classification.rulez", "unknown-key"),
        (13, "routes.chat.candidates[0]", "unknown-model"),
        (14, "routes.chat.max_cost_usd", "out-of-range"),
    }
    assert result.policy is None and result.parsed is None


def test_unknown_key_suggests_the_field_it_resembles() -> None:
    result = load_policy_text(MANY_PROBLEMS, "many.yaml")
    [diagnostic] = [d for d in result.errors if d.code == "unknown-key"]
    assert diagnostic.suggestion == "rules"
    assert diagnostic.format() == (
        "many.yaml:10:3: error: classification.rulez: unknown key 'rulez' (did you mean 'rules'?); "
        "expected one of method, default, honour_task_hint, rules, model, notes"
    )


def test_the_demo_policy_loads() -> None:
    policy = load_policy_or_raise(DEMO)
    assert policy.name == "demo"
    assert set(policy.tasks) >= {"chat", "summarize"}


def test_load_or_raise_carries_every_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(MANY_PROBLEMS)
    with pytest.raises(PolicyLoadError) as caught:
        load_policy_or_raise(path)
    assert len(caught.value.errors) == 4
    assert str(caught.value).count("\n") == 3
    assert str(caught.value).startswith(f"{path}:5:")


def test_warnings_alone_do_not_stop_a_load() -> None:
    text = DEMO.read_text().replace("classification:\n", "classification:\n  honour_task_hint: false\n", 1)
    text = text.replace("  summarize:\n    description", "  unused:\n    description: never chosen\n  summarize:\n    description", 1)
    text += "  unused:\n    candidates:\n      - smollm2\n"
    result = load_policy_text(text, "w.yaml")
    assert result.policy is not None
    assert [d.code for d in result.diagnostics] == ["unreachable-task"]
    assert result.diagnostics[0].severity == "warning"


def test_a_broken_entry_is_set_aside_without_cascading_errors() -> None:
    text = DEMO.read_text().replace("    gpu_layers: all\n", "    gpu_layers: every\n")
    result = load_policy_text(text, "d.yaml")
    # smollm2 is broken; the routes naming it must not add "unknown model" noise
    assert [d.path for d in result.errors] == ['models.smollm2.gpu_layers']


def test_missing_file_directory_and_non_utf8(tmp_path: Path) -> None:
    missing = load_policy(tmp_path / "nope.yaml")
    assert [d.code for d in missing.diagnostics] == ["no-file"]
    folder = load_policy(tmp_path)
    assert [d.code for d in folder.diagnostics] == ["not-a-file"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: ok\ndescription: caf\xe9\n")
    [diagnostic] = load_policy(latin).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("not-utf8", 2, 17)


def _codes_as_unprivileged_user(path: Path) -> list[str]:
    """Load ``path`` in a forked child that dropped root, since root reads every file."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: modules are already imported, so no file access is needed but the policy's
        try:
            os.setgid(65534)
            os.setuid(65534)
            codes = ",".join(d.code or "" for d in load_policy(path).diagnostics)
            os.write(write_end, codes.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        codes = pipe.read()
    os.waitpid(pid, 0)
    return codes.split(",") if codes else []


def test_unreadable_file(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "secret.yaml"
    path.write_text("name: x\n")
    path.chmod(0)
    codes = _codes_as_unprivileged_user(path) if os.geteuid() == 0 else [d.code for d in load_policy(path).diagnostics]
    assert codes == ["unreadable"]


def test_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    result = load_policy_text("\n".join(lines) + "\n", "bomb.yaml")
    assert [d.code for d in result.diagnostics] == ["too-big"]


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + DEMO.read_bytes())
    assert load_policy(path).policy is not None


def test_diagnostic_format_and_json() -> None:
    diagnostic = Diagnostic("p.yaml", 3, 7, "routes.routine.candidates[1]", "unknown model 'gpt5'",
                            found="gpt5", suggestion="gpt-5", code="unknown-model")
    assert diagnostic.format() == "p.yaml:3:7: error: routes.routine.candidates[1]: unknown model 'gpt5' (did you mean 'gpt-5'?)"
    assert diagnostic.to_json()["line"] == 3 and diagnostic.to_json()["severity"] == "error"
    assert format_path(("models", "gpt-4.1", "prices")) == 'models["gpt-4.1"].prices'
    assert Diagnostic("p.yaml", None, None, "", "no such file").format() == "p.yaml: error: no such file"


SMALL = """\
version: 1
name: {name}
providers:
  local: {{kind: local-gguf}}
models:
  small: {{provider: local, model: bundled:smollm2-135m, region: on-prem}}
tasks:
  chat: {{description: {description}}}
classification:
  default: chat
routes:
  chat: {{candidates: [small]}}
"""


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("!!python/object/apply:os.system [ls]", "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!include other.yaml", "!include"),
        ("!!binary aGk=", "!!binary"),
        ("!!set {a, b}", "!!set"),
        ("!!timestamp 2026-01-01", "!!timestamp"),
        ("!<tag:example.com,2026:thing> x", "tag:example.com,2026:thing"),
    ],
)
def test_only_core_tags_are_accepted(name: str, tag: str) -> None:
    result = load_policy_text(SMALL.format(name=name, description="x"), "tags.yaml")
    assert [(d.code, d.line, d.path) for d in result.errors] == [("yaml-tag", 2, "name")]
    assert f"'{tag}' is not allowed" in result.errors[0].format()


def test_a_tag_on_a_key_is_refused() -> None:
    text = SMALL.format(name="x", description="x").replace("  chat: {description", "  !custom chat: {description")
    result = load_policy_text(text, "keytag.yaml")
    assert [d.code for d in result.errors] == ["yaml-tag"]


def test_core_tags_plain_dates_and_merge_keys_load() -> None:
    # A plain date is text (YAML 1.2's core schema has no timestamps); an explicit !!str is text.
    result = load_policy_text(SMALL.format(name="!!str 2026", description="2026-01-01"), "core.yaml")
    assert result.policy is not None, [d.format() for d in result.diagnostics]
    assert result.policy.name == "2026"
    assert result.policy.tasks["chat"].description == "2026-01-01"
    merged = SMALL.format(name="x", description="x").replace(
        "region: on-prem}\n", "region: on-prem}\n  other: {<<: *d, model: other.gguf}\n"
    ).replace("  small: {", "  small: &d {")
    assert "<<: *d" in merged
    policy = load_policy_text(merged, "merge.yaml").parsed
    assert policy is not None
    assert (policy.models["other"].provider, policy.models["other"].model, policy.models["other"].region) == (
        "local", "other.gguf", "on-prem")


def test_deep_nesting_is_refused_with_a_location() -> None:
    text = SMALL.format(name="x", description="x") + "notes: " + "[" * 150 + "]" * 150 + "\n"
    result = load_policy_text(text, "deep.yaml")
    assert [d.code for d in result.errors] == ["too-big"]
    assert result.errors[0].line == 13


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (SMALL.format(name="!!int small", description="x"), 2),
        (SMALL.format(name="x", description="!!float many"), 8),
        (SMALL.format(name="x", description="x") + "%YAML 1.1\n", 13),
    ],
)
def test_values_that_do_not_read_as_their_tag_are_located_errors(text: str, line: int) -> None:
    result = load_policy_text(text, "odd.yaml")
    assert result.policy is None
    assert [d.line for d in result.errors] == [line], [d.format() for d in result.errors]


def test_mutated_policies_never_raise_and_every_problem_is_located() -> None:
    import random

    base = (Path(__file__).parent / "commented" / "team-policy.yaml").read_text(encoding="utf-8")
    pieces = [*":-[]{}#&*!|>'\"\n \t?,%@`\\", "\x00", "\x85", "\u2028", "&a ", "*a", "<<: ", "---\n", "%YAML 1.1\n",
              "%TAG ! tag:x,2000:\n", "!!python/name:os.system ", "!!int ", "!!binary ", "!!float "]
    rng = random.Random(2026)
    for _ in range(300):
        text = list(base)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(text))
            roll = rng.random()
            if roll < 0.4:
                text.insert(at, rng.choice(pieces))
            elif roll < 0.7:
                del text[at]
            else:
                text[at] = rng.choice(pieces)
        result = load_policy_text("".join(text), "mutant.yaml")
        assert all(d.line and d.column for d in result.diagnostics), [d.format() for d in result.diagnostics]
