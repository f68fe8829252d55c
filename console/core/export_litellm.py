"""A policy as a LiteLLM proxy config: as much of it as LiteLLM can express, and a plain list of the rest.

    text = litellm_config_text(policy)      # YAML with a comment block on top

What maps:
- every model alias → a ``model_list`` entry (``model_name`` = alias) with the LiteLLM provider
  prefix (``openai/``, ``anthropic/``, ``gemini/``, ``openrouter/``, ``xai/``), ``api_base``,
  ``api_key: os.environ/VAR`` (``keyring:NAME`` becomes ``ROUTEDESK_<NAME>_API_KEY``; ``env:VAR``
  stays VAR — never a key value), per-token input/output costs from the effective prices, and the
  timeouts of the routes that use it;
- every task → a ``model_name`` = task entry for its route's first model, with
  ``router_settings.fallbacks`` from the route's chain (clients send ``model: <task>``); each alias
  also falls back to what follows it in the routes that name it;
- retries, the circuit breaker (allowed_fails, cooldown_time), model-scoped budgets
  (``max_budget`` + ``budget_duration`` on the deployment) and whole-policy budgets that block
  (``litellm_settings.max_budget``).
Local GGUF models need an OpenAI-protocol server (``python -m llama_cpp.server``); they are
exported as ``openai/`` with a placeholder ``api_base`` and a warning.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from console.core.policy.prices import effective_prices
from console.core.policy.schema import Policy, ProviderKind
from console.core.policy.url_secrets import credential_in_url, without_credentials

LOCAL_PLACEHOLDER_BASE = "http://127.0.0.1:8080/v1"
NO_KEY = "no-key-needed"  # LiteLLM's OpenAI client insists on some api_key; keyless servers ignore it
_PERIODS = {"day": "1d", "month": "30d"}
_HOST_PREFIX = {"openrouter.ai": "openrouter", "api.x.ai": "xai"}


def env_var_for(ref: str) -> str:
    """The environment variable a key reference is exported as (``keyring:openai`` → ``ROUTEDESK_OPENAI_API_KEY``)."""
    scheme, _, name = ref.partition(":")
    if scheme == "env":
        return name
    return "ROUTEDESK_" + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") + "_API_KEY"


def _per_token(per_million: float) -> float:
    return float(f"{per_million / 1_000_000:.12g}")  # 4e-07, not 4.0000000000000003e-07


def _litellm_params(policy: Policy, alias: str, notes: list[str], key_lines: dict[str, str]) -> dict[str, Any]:
    model = policy.models[alias]
    provider = policy.providers[model.provider]
    params: dict[str, Any] = {}
    if provider.kind is ProviderKind.LOCAL_GGUF:
        params["model"] = f"openai/{alias}"
        params["api_base"] = LOCAL_PLACEHOLDER_BASE
        notes.append(f"{alias}: a local GGUF model ({model.model}); LiteLLM cannot load it. Serve it with an "
                     f"OpenAI-protocol server (python -m llama_cpp.server --model FILE) and set api_base "
                     f"(placeholder {LOCAL_PLACEHOLDER_BASE}).")
    elif provider.kind is ProviderKind.ANTHROPIC:
        params["model"] = f"anthropic/{model.model}"
    elif provider.kind is ProviderKind.GEMINI:
        params["model"] = f"gemini/{model.model}"
    else:
        host = urlsplit(provider.base_url or "").hostname or ""
        prefix = _HOST_PREFIX.get(host, "openai")
        params["model"] = f"{prefix}/{model.model}"
    if provider.base_url and provider.kind is not ProviderKind.LOCAL_GGUF and not params["model"].startswith(("openrouter/", "xai/")):
        params["api_base"] = provider.base_url
        if credential_in_url(provider.base_url) is not None:
            # `validate` refuses such a policy; a Policy built in memory still never has its key copied out.
            params["api_base"] = without_credentials(provider.base_url)
            notes.append(f"{alias}: the base_url of provider '{model.provider}' carries a credential; it is left out "
                         f"of api_base ({params['api_base']}). Put the key in the keyring and name it with key:.")
    if provider.key:
        var = env_var_for(provider.key)
        params["api_key"] = f"os.environ/{var}"
        key_lines[var] = provider.key
    elif params["model"].startswith("openai/"):
        params["api_key"] = NO_KEY
    prices = effective_prices(policy, alias)
    params["input_cost_per_token"] = _per_token(prices.input)
    params["output_cost_per_token"] = _per_token(prices.output)
    routes = [r for r in policy.routes.values() if alias in r.candidates]
    if routes:
        params["timeout"] = max(r.timeouts.total_s for r in routes)
        params["stream_timeout"] = max(max(r.timeouts.first_token_s, r.timeouts.idle_s) for r in routes)
    for budget in policy.budgets:
        scope = budget.scope
        if scope.model == alias and not (scope.task or scope.team or scope.provider) and budget.action != "warn":
            params["max_budget"] = budget.limit_usd
            params["budget_duration"] = _PERIODS[budget.period]
    return params


def _fallbacks(policy: Policy) -> list[dict[str, list[str]]]:
    chains: dict[str, list[str]] = {}
    for task, route in policy.routes.items():
        if route.candidates:
            chains[task] = list(route.candidates[1:])
        for i, alias in enumerate(route.candidates):
            merged = chains.setdefault(alias, [])
            merged += [a for a in route.candidates[i + 1:] if a not in merged and a != alias]
    return [{name: chain} for name, chain in chains.items() if chain]


def _cannot_express(policy: Policy) -> list[str]:
    lines: list[str] = []
    cls = policy.classification
    lines.append(f"Task classification ({cls.method}: {len(cls.rules)} rule(s), default '{cls.default}'): LiteLLM "
                 "does not classify; clients must send model: <task> or model: <alias>.")
    if policy.residency:
        lines.append("Data-residency rules (" + ", ".join(policy.residency) + "): LiteLLM does not filter models by "
                     "a request's region.")
    for task, route in policy.routes.items():
        lost = []
        if route.regions or route.on_prem_only or route.require_tags:
            lost.append("region/on-prem/tag limits")
        if route.max_cost_usd is not None:
            lost.append(f"cost ceiling ${route.max_cost_usd} per request")
        if route.latency.p95_ms or route.latency.ttft_ms:
            lost.append("latency requirements")
        if route.output.json_ or route.output.schema_:
            lost.append("JSON output checks")
        if route.confidence.min_mean_logprob is not None or route.confidence.validator_regex or route.confidence.escalate_to:
            lost.append("low-confidence checks and escalation")
        if route.router is not None:
            lost.append(f"the learned router {route.router.file} (the static candidate order is exported)")
        lost.append("fallback_on outcomes (LiteLLM falls back on any error)")
        lines.append(f"Route '{task}': " + "; ".join(lost) + ".")
    for budget in policy.budgets:
        scope = budget.scope
        model_only = scope.model and not (scope.task or scope.team or scope.provider)
        unscoped = not (scope.model or scope.task or scope.team or scope.provider)
        if budget.action == "warn":
            lines.append(f"Budget '{budget.name}': action warn (LiteLLM budgets block).")
        elif not model_only and not (unscoped and budget.action == "block"):
            lines.append(f"Budget '{budget.name}': scope {scope.model_dump(exclude_none=True)} with action "
                         f"{budget.action} has no LiteLLM config equivalent (team budgets live in LiteLLM's database).")
        elif budget.action == "fallback":
            lines.append(f"Budget '{budget.name}': exported as a hard limit; past it LiteLLM skips the model and "
                         f"uses the fallbacks, not specifically '{budget.fallback_model}'.")
    lines.append("First-token and idle timeouts are exported as stream_timeout; retries and backoff are global in "
                 "LiteLLM, so the largest route values are used.")
    return lines


def litellm_config(policy: Policy) -> tuple[dict[str, Any], list[str]]:
    """The config as data, and the comment lines that go on top of it."""
    notes: list[str] = []
    key_lines: dict[str, str] = {}
    params = {alias: _litellm_params(policy, alias, notes, key_lines) for alias in policy.models}
    model_list = [{"model_name": alias, "litellm_params": p} for alias, p in params.items()]
    for task, route in policy.routes.items():
        if not route.candidates or task in params:
            continue
        first = {k: v for k, v in params[route.candidates[0]].items() if k not in ("max_budget", "budget_duration")}
        model_list.append({"model_name": task, "litellm_params": first})
        if first != params[route.candidates[0]]:
            notes.append(f"{task}: its entry is a second deployment of '{route.candidates[0]}'; that model's budget "
                         "is only counted for requests that name the alias.")
    routes = list(policy.routes.values())
    router: dict[str, Any] = {
        "fallbacks": _fallbacks(policy),
        "num_retries": max((r.retries.max for r in routes), default=0),
        "retry_after": min((r.retries.backoff_ms for r in routes), default=0) / 1000,
        "allowed_fails": policy.circuit.failures,
        "cooldown_time": policy.circuit.cooldown_s,
    }
    config: dict[str, Any] = {"model_list": model_list, "router_settings": router}
    blocking = [b for b in policy.budgets if b.action == "block" and not any(b.scope.model_dump(exclude_none=True).values())]
    if blocking:
        tightest = min(blocking, key=lambda b: b.limit_usd)
        config["litellm_settings"] = {"max_budget": tightest.limit_usd, "budget_duration": _PERIODS[tightest.period]}
    header = [
        f"LiteLLM proxy config exported by Routedesk from policy '{policy.name}'.",
        "Run: litellm --config THIS_FILE   (model_name: a model alias, or a task name for its whole route)",
        "",
        "Keys are never written here; set these environment variables:",
        *[f"  {var}  <- {ref}" + ("  (export it from the keyring)" if ref.startswith("keyring:") else "")
          for var, ref in sorted(key_lines.items())],
        *(["  (none: no provider of this policy needs a key)"] if not key_lines else []),
        "",
        "What LiteLLM cannot express (Routedesk enforces it; this config does not):",
        *[f"  - {line}" for line in _cannot_express(policy)],
    ]
    if notes:
        header += ["", "WARNING:", *[f"  - {note}" for note in notes]]
    return config, header


def litellm_config_text(policy: Policy) -> str:
    config, header = litellm_config(policy)
    comment = "\n".join(f"# {line}".rstrip() for line in header)
    return comment + "\n" + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120)
