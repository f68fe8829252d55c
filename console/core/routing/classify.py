"""Turn a request into a task, with the reason: explicit hint, first matching rule, or the default.

Rules are tested in order; the first whose condition holds wins. Each condition explains itself
(which keyword, which regex, how many tokens) so the window and ``routedesk explain`` can show why.
Keywords and regexes run on RE2 (``console.core.policy.patterns``): prompts come from users, and no
prompt may cost more than linear time to classify.
Model-based classification (a small local model choosing a label) lives in ``classify_model.py``;
this module is pure and never calls a model.
"""

from __future__ import annotations

from console.core.policy.patterns import PatternError, keyword_hit, search
from console.core.policy.schema import Condition, Policy, Rule
from console.core.request import Request
from console.core.routing.types import Classified


class _Subject:
    """The parts of a request that conditions look at, computed at most once per classification."""

    __slots__ = ("request", "text")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.text = request.text

    @property
    def tokens(self) -> int:
        return self.request.estimated_prompt_tokens


def _meta_matches(expected: dict[str, str | list[str]], metadata: dict[str, str]) -> str | None:
    for key, want in expected.items():
        have = metadata.get(key)
        options = [want] if isinstance(want, str) else want
        if have is None or have.casefold() not in {o.casefold() for o in options}:
            return None
    return ", ".join(f"{k}={metadata[k]}" for k in expected)


def explain_condition(cond: Condition, subject: _Subject) -> str | None:
    """Why ``cond`` holds for the subject, or None when it does not."""
    if cond.keywords is not None:
        word = keyword_hit(tuple(cond.keywords), subject.text)
        return f"keyword '{word}'" if word is not None else None
    if cond.regex is not None:
        try:
            hit = search(cond.regex, subject.text)
        except PatternError:
            return None  # `validate` refuses such a policy; a rule that cannot run never matches
        return f"regex /{cond.regex}/ matched '{hit.group()[:40]}'" if hit else None
    if cond.tokens is not None:
        n = subject.tokens
        low, high = cond.tokens.min, cond.tokens.max
        if (low is None or n >= low) and (high is None or n <= high):
            bounds = " and ".join(
                part for part in (f">= {low}" if low is not None else "", f"<= {high}" if high is not None else "") if part
            )
            return f"~{n} prompt tokens ({bounds})"
        return None
    if cond.meta is not None:
        why = _meta_matches(cond.meta, subject.request.metadata)
        return f"metadata {why}" if why else None
    if cond.all is not None:
        reasons = []
        for part in cond.all:
            why = explain_condition(part, subject)
            if why is None:
                return None
            reasons.append(why)
        return " and ".join(reasons)
    if cond.any is not None:
        for part in cond.any:
            why = explain_condition(part, subject)
            if why is not None:
                return why
        return None
    if cond.not_ is not None:
        return None if explain_condition(cond.not_, subject) is not None else "not (" + _describe(cond.not_) + ")"
    return None


def _describe(cond: Condition) -> str:
    if cond.keywords is not None:
        return "keywords " + ", ".join(cond.keywords)
    if cond.regex is not None:
        return f"regex /{cond.regex}/"
    if cond.tokens is not None:
        return f"tokens {cond.tokens.min}..{cond.tokens.max}"
    if cond.meta is not None:
        return "metadata " + ", ".join(f"{k}={v}" for k, v in cond.meta.items())
    if cond.all is not None:
        return "all of " + "; ".join(_describe(c) for c in cond.all)
    if cond.any is not None:
        return "any of " + "; ".join(_describe(c) for c in cond.any)
    if cond.not_ is not None:
        return "not " + _describe(cond.not_)
    return "empty condition"


def rule_label(rule: Rule, index: int) -> str:
    return rule.name or f"rule #{index + 1}"


def classify_by_rules(request: Request, policy: Policy) -> Classified:
    """The task for ``request`` by hint, rules, or default. Pure; no model is called."""
    cls = policy.classification
    hint = request.task_hint
    if hint and cls.honour_task_hint and hint in policy.tasks:
        return Classified(task=hint, reason=f"explicit task hint '{hint}'")
    subject = _Subject(request)
    for index, rule in enumerate(cls.rules):
        why = explain_condition(rule.when, subject)
        if why is not None:
            label = rule_label(rule, index)
            return Classified(task=rule.task, reason=f"{label} matched: {why}", rule=label)
    reason = "no rule matched; default task"
    if hint and hint not in policy.tasks:
        reason = f"task hint '{hint}' is not a task of this policy; no rule matched; default task"
    return Classified(task=cls.default, reason=reason)
