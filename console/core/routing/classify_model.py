"""Classify a request by asking a small (usually local) model to choose one task label.

The call carries ``choices`` so providers that can constrain decoding (llama.cpp grammars) only
ever produce a valid label; the label's probability comes from its token log-probabilities. When
the model fails, answers off the label set, or is less sure than ``min_probability``, the rules
decide instead and the reason says so.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime, timezone
from typing import Callable

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.providers.base import Completion, ProviderCall, ProviderError, TextChunk
from console.core.records import Usage
from console.core.request import Message, Request
from console.core.routing.execute import Binding
from console.core.routing.types import Classified, ClassifierCall

_INSTRUCTIONS = (
    "You route support requests. Reply with exactly one label from this list and nothing else: {labels}."
)


def classifier_prompt(request: Request, policy: Policy) -> tuple[Message, ...]:
    labels = sorted(policy.tasks)
    spec = policy.classification.model
    described = "; ".join(
        f"{name}: {task.description}" for name, task in sorted(policy.tasks.items()) if task.description
    )
    system = (spec.instructions if spec and spec.instructions else _INSTRUCTIONS).format(labels=", ".join(labels))
    if described:
        system += f"\nTasks: {described}"
    return (Message("system", system), Message("user", request.text[-4000:]))


async def classify_with_model(
    request: Request,
    policy: Policy,
    bind: Callable[[str], Binding],
    *,
    fallback: Callable[[Request, Policy], Classified],
) -> Classified:
    spec = policy.classification.model
    assert spec is not None
    labels = tuple(sorted(policy.tasks))
    binding = bind(spec.model)
    if binding.provider is None:
        return _fallen_back(fallback(request, policy), f"classifier model unavailable ({binding.problem})")
    call = ProviderCall(
        model_id=binding.model_id,
        messages=classifier_prompt(request, policy),
        max_tokens=16,
        temperature=0.0,
        want_logprobs=True,
        choices=labels,
    )
    text = ""
    logprobs: list[float] = []
    started_at, t0 = datetime.now(timezone.utc), time.perf_counter()
    usage: Usage | None = None

    def made(outcome: Outcome, error: str | None = None) -> ClassifierCall:
        return ClassifierCall(
            alias=spec.model, provider=binding.provider_name, model_id=binding.model_id, outcome=outcome,
            started_at=started_at, latency_ms=(time.perf_counter() - t0) * 1000, usage=usage, error=error,
        )

    try:
        async with asyncio.timeout(spec.timeout_s):
            async for event in binding.provider.stream(call):
                if isinstance(event, TextChunk):
                    text += event.text
                    logprobs.extend(event.logprobs)
                elif isinstance(event, Completion):
                    usage = event.usage
                    break
    except ProviderError as err:
        why = f"classifier model failed ({err.outcome.value}: {err.message})"
        return _fallen_back(fallback(request, policy), why, made(err.outcome, err.message))
    except TimeoutError:
        why = f"classifier model gave no label within {spec.timeout_s:g}s"
        return _fallen_back(fallback(request, policy), why, made(Outcome.TIMEOUT, why))
    done = made(Outcome.OK)  # the call worked (and is billed) whether or not its label is used
    label = text.strip().strip(".").casefold()
    match = next((name for name in labels if name.casefold() == label), None)
    if match is None:
        return _fallen_back(fallback(request, policy), f"classifier model answered {text.strip()[:40]!r}, not a task", done)
    probability = math.exp(sum(logprobs)) if logprobs else None
    if probability is not None and probability < spec.min_probability:
        return _fallen_back(
            fallback(request, policy),
            f"classifier model chose '{match}' with probability {probability:.2f} < {spec.min_probability:.2f}",
            done,
        )
    shown = f" (p={probability:.2f})" if probability is not None else ""
    return Classified(task=match, reason=f"model {spec.model} chose '{match}'{shown}", probability=probability, call=done)


def _fallen_back(by_rules: Classified, why: str, call: ClassifierCall | None = None) -> Classified:
    return Classified(task=by_rules.task, reason=f"{why}; by rules: {by_rules.reason}", rule=by_rules.rule, call=call)
