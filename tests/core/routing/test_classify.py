"""Rules classification: hints, first match wins, combinators, reasons."""

from __future__ import annotations

from console.core.request import Request
from console.core.routing.classify import classify_by_rules
from tests.core.routing.policies import base_policy


def test_default_task_when_nothing_matches() -> None:
    got = classify_by_rules(Request.from_prompt("Where is my parcel?"), base_policy())
    assert got.task == "routine"
    assert "default" in got.reason


def test_keyword_rule_names_the_keyword_case_insensitive() -> None:
    got = classify_by_rules(Request.from_prompt("I want a REFUND now"), base_policy())
    assert got.task == "escalation"
    assert got.rule == "angry"
    assert "keyword 'REFUND'" in got.reason


def test_keywords_match_whole_words_only() -> None:
    assert classify_by_rules(Request.from_prompt("refunded already, thanks"), base_policy()).task == "routine"


def test_regex_rule() -> None:
    got = classify_by_rules(Request.from_prompt("This is Unacceptable."), base_policy())
    assert got.task == "escalation" and "regex" in got.reason


def test_first_match_wins_and_token_rule() -> None:
    long_angry = "refund " + "word " * 4000
    got = classify_by_rules(Request.from_prompt(long_angry), base_policy())
    assert got.task == "long_thread" and got.rule == "long"


def test_all_with_not_and_metadata() -> None:
    policy = base_policy()
    vip = classify_by_rules(Request.from_prompt("hello", metadata={"tier": "VIP"}), policy)
    assert vip.task == "escalation" and "tier=VIP" in vip.reason
    billing = classify_by_rules(Request.from_prompt("about my invoice", metadata={"tier": "vip"}), policy)
    assert billing.task == "routine"


def test_task_hint_wins_when_known_and_is_explained_when_not() -> None:
    policy = base_policy()
    assert classify_by_rules(Request.from_prompt("refund", task_hint="triage"), policy).task == "triage"
    unknown = classify_by_rules(Request.from_prompt("hi", task_hint="nope"), policy)
    assert unknown.task == "routine" and "'nope' is not a task" in unknown.reason


def test_hint_ignored_when_policy_says_so() -> None:
    data_policy = base_policy()
    data_policy.classification.honour_task_hint = False
    assert classify_by_rules(Request.from_prompt("refund", task_hint="triage"), data_policy).task == "escalation"


def _keyword_policy(keywords: list[str]):  # type: ignore[no-untyped-def]
    from console.core.policy.schema import Policy

    return Policy.model_validate({
        "name": "k",
        "providers": {"local": {"kind": "local-gguf"}},
        "models": {"m": {"provider": "local", "model": "bundled:smollm2-135m"}},
        "tasks": {"chat": {}, "hit": {}},
        "classification": {"default": "chat", "rules": [{"task": "hit", "when": {"keywords": keywords}}]},
        "routes": {"chat": {"candidates": ["m"]}, "hit": {"candidates": ["m"]}},
    })


def test_keyword_edges_follow_unicode_words_as_python_re_did() -> None:
    # RE2's \b is ASCII-only; keyword edges are spelled out so accented words still match whole.
    policy = _keyword_policy(["café", "C++", "refund"])
    assert "keyword 'CAFÉ'" in classify_by_rules(Request.from_prompt("un CAFÉ noir"), policy).reason
    assert classify_by_rules(Request.from_prompt("deux cafés"), policy).task == "chat"
    assert "keyword 'C++'" in classify_by_rules(Request.from_prompt("I write C++."), policy).reason
    assert classify_by_rules(Request.from_prompt("refund_id 7"), policy).task == "chat"
    assert classify_by_rules(Request.from_prompt("x.refund!"), policy).task == "hit"
    assert classify_by_rules(Request.from_prompt("ärefund"), policy).task == "chat"


def test_a_keyword_list_too_large_for_one_search_is_refused_by_validate() -> None:
    from console.core.policy.checks import check_policy

    policy = _keyword_policy([f"w{index}x" for index in range(400_000)])
    codes = [d.code for d in check_policy(policy)]
    assert "too-many-keywords" in codes
