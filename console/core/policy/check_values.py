"""Checks on single sections: providers, model prices, routes and classification conditions."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from console.core.outcomes import Outcome
from console.core.policy.check_report import CheckReport
from console.core.policy.diagnostics import PathTuple
from console.core.policy.patterns import PatternError, check_pattern, keyword_pattern
from console.core.policy.prices import resolve_prices
from console.core.policy.schema import Condition, Policy, ProviderKind
from console.core.policy.url_secrets import credential_in_url, is_loopback, redact_url, sends_key_in_clear
from console.core.pricing import PriceSheet, cost_usd

#: Dollars per million tokens above which a price is a typo (the dearest models are ~$150/M).
ABSURD_PRICE = 1000.0
#: Hosted kinds that have a well-known default endpoint.
_DEFAULT_ENDPOINT = {ProviderKind.ANTHROPIC, ProviderKind.GEMINI}
_SECRET_HEADER = re.compile(r"authorization|api[-_]?key|token|secret", re.IGNORECASE)


def check_providers(policy: Policy, report: CheckReport) -> None:
    for name, provider in policy.providers.items():
        where: PathTuple = ("providers", name)
        if provider.kind is ProviderKind.LOCAL_GGUF:
            if provider.base_url is not None:
                report.add(where + ("base_url",), "a local-gguf provider runs in-process and takes no base_url",
                           code="local-with-base-url", found=redact_url(provider.base_url), expected="no base_url")
            if provider.key is not None:
                report.warn(where + ("key",), "a local-gguf provider needs no key", code="local-with-key")
            continue
        if provider.base_url is None and provider.kind not in _DEFAULT_ENDPOINT:
            report.add(where, f"a {provider.kind.value} provider needs a base_url", code="missing-base-url",
                       expected="base_url: https://.../v1", at_key=True)
        elif provider.base_url is not None:
            _check_base_url(provider.base_url, provider.key is not None, where + ("base_url",), report)
        if provider.key is None and not is_loopback(provider.base_url):
            report.warn(where, f"hosted provider '{name}' names no key", code="provider-without-key",
                        expected="key: keyring:NAME or key: env:VAR", at_key=True)
        for header in provider.headers:
            if _SECRET_HEADER.search(header):
                report.add(where + ("headers", header), f"header '{header}' looks like a credential; "
                           "keys never go in a policy file", code="secret-in-header", expected="key: keyring:NAME")


def _check_base_url(url: str, has_key: bool, where: PathTuple, report: CheckReport) -> None:
    shown = redact_url(url)
    try:
        parsed = urlparse(url)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        report.add(where, f"'{shown}' is not an http(s) URL", code="bad-base-url", found=shown,
                   expected="https://host/path")
    credential = credential_in_url(url)
    if credential is not None:
        # The value is never echoed: it may be a live key, and diagnostics are printed and shared.
        report.add(where, f"base_url carries a credential in {credential}; keys never go in a policy file "
                   "(they would be shared with it, logged and exported)", code="secret-in-url", found=shown,
                   expected="base_url without the key, and key: keyring:NAME or key: env:VAR")
    elif has_key and sends_key_in_clear(url):
        report.warn(where, f"the key would cross the network unencrypted: '{shown}' is plain http to another "
                    "machine", code="key-over-http", found=shown, expected="an https:// base_url")


def check_models(policy: Policy, report: CheckReport) -> None:
    for alias, model in policy.models.items():
        where: PathTuple = ("models", alias)
        provider = policy.providers.get(model.provider)
        hosted = provider is not None and provider.kind is not ProviderKind.LOCAL_GGUF
        if model.prices is not None:
            for field in ("input", "output", "cached_input", "reasoning"):
                value = getattr(model.prices, field)
                if value is not None and value > ABSURD_PRICE:
                    report.add(where + ("prices", field), f"${value:g} per million tokens is not a plausible price",
                               code="absurd-price", found=value, expected=f"at most {ABSURD_PRICE:g}")
            if hosted and model.prices.output == 0:
                report.warn(where + ("prices", "output"), "a hosted model with a zero output price: spend will read $0",
                            code="zero-output-price", found=0)
        elif hosted and resolve_prices(policy, alias).source == "none":
            report.warn(where + ("model",), f"no price for '{model.model}' in the policy, the user's price file "
                        "or the bundled table: its spend will read $0", code="no-price", found=model.model,
                        expected="a prices: block")


def check_routes(policy: Policy, report: CheckReport) -> None:
    for task, route in policy.routes.items():
        where: PathTuple = ("routes", task)
        known = [name for name in route.candidates if name in policy.models]
        if not route.candidates:
            report.add(where + ("candidates",), f"route '{task}' has no candidate", code="no-candidates",
                       found="[]", expected="at least one model alias")
        seen: set[str] = set()
        for index, name in enumerate(route.candidates):
            if name in seen:
                report.warn(where + ("candidates", index), f"'{name}' is listed twice", code="duplicate-candidate")
            seen.add(name)
        if Outcome.OK in route.fallback_on:
            index = route.fallback_on.index(Outcome.OK)
            report.add(where + ("fallback_on", index), "'ok' cannot trigger a fallback", code="fallback-on-ok")
        if route.regions is not None and known:
            if not any(policy.models[name].region in route.regions for name in known):
                report.warn(where + ("regions",), "no candidate is in an allowed region", code="no-candidate-in-region")
        if route.on_prem_only and known and not any(policy.models[n].region == "on-prem" for n in known):
            report.warn(where + ("on_prem_only",), "no candidate is on-prem", code="no-on-prem-candidate")
        if route.timeouts.first_token_s > route.timeouts.total_s:
            report.warn(where + ("timeouts", "first_token_s"), "the first-token timeout is longer than the total",
                        code="timeouts-inverted")
        _check_regex(route.confidence.validator_regex, where + ("confidence", "validator_regex"), report)
        if route.max_cost_usd is not None and known:
            cheapest = min(
                cost_usd(PriceSheet.from_prices(resolve_prices(policy, name).prices), input_tokens=1, output_tokens=1)
                for name in known
            )
            if route.max_cost_usd < cheapest:
                report.warn(where + ("max_cost_usd",), f"${route.max_cost_usd:g} is below what the cheapest candidate "
                            f"charges for a single token (${cheapest:.8f}): every request will be refused",
                            code="ceiling-below-cheapest", found=route.max_cost_usd)


def _check_regex(pattern: str | None, path: PathTuple, report: CheckReport) -> None:
    if pattern is None:
        return
    problem = check_pattern(pattern)
    if problem is not None:
        compiles_elsewhere = not problem.startswith("regex does not compile")
        report.add(path, problem, code="regex-unsupported" if compiles_elsewhere else "bad-regex", found=pattern,
                   expected="a pattern RE2 can run (no backreferences or lookarounds)")


def check_conditions(policy: Policy, report: CheckReport) -> None:
    for index, rule in enumerate(policy.classification.rules):
        _check_condition(rule.when, ("classification", "rules", index, "when"), report)


def _check_condition(condition: Condition, where: PathTuple, report: CheckReport) -> None:
    keys = [
        (info.alias or name) for name, info in Condition.model_fields.items() if getattr(condition, name) is not None
    ]
    if not keys:
        report.add(where, "a condition must set one test", code="empty-condition",
                   expected="one of keywords, regex, tokens, meta, all, any, not")
    elif len(keys) > 1:
        report.add(where, f"a condition sets {len(keys)} tests ({', '.join(keys)}); combine them under all: or any:",
                   code="condition-many-keys", found=", ".join(keys), expected="exactly one key")
    if condition.keywords is not None:
        if not condition.keywords:
            report.add(where + ("keywords",), "an empty keywords list never matches", code="empty-keywords", found="[]")
        for index, word in enumerate(condition.keywords):
            if not word.strip():
                report.add(where + ("keywords", index), "an empty keyword matches everything", code="blank-keyword")
        try:
            keyword_pattern(tuple(condition.keywords))
        except PatternError as error:
            report.add(where + ("keywords",), f"these keywords cannot be searched together ({error}); "
                       "split them over several rules", code="too-many-keywords")
    _check_regex(condition.regex, where + ("regex",), report)
    tokens = condition.tokens
    if tokens is not None:
        if tokens.min is None and tokens.max is None:
            report.add(where + ("tokens",), "tokens needs min or max", code="empty-tokens")
        elif tokens.min is not None and tokens.max is not None and tokens.min > tokens.max:
            report.add(where + ("tokens", "min"), f"tokens.min ({tokens.min}) is greater than tokens.max ({tokens.max})",
                       code="tokens-min-over-max", found=tokens.min)
    if condition.meta is not None and not condition.meta:
        report.add(where + ("meta",), "an empty meta test", code="empty-meta", expected="e.g. meta: {team: support}")
    for key in ("all", "any"):
        children = getattr(condition, key)
        if children is None:
            continue
        if not children:
            report.add(where + (key,), f"an empty '{key}' list", code="empty-combination")
        for index, child in enumerate(children):
            _check_condition(child, where + (key, index), report)
    if condition.not_ is not None:
        _check_condition(condition.not_, where + ("not",), report)
