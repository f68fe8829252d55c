"""Classify a request by asking a small (usually local) model to choose one task label.

The call carries ``choices`` so providers that can constrain decoding (llama.cpp grammars) only
ever produce a valid label; the label's probability comes from its token log-probabilities. When
the model fails, answers off the label set, or is less sure than ``min_probability``, the rules
decide instead and the reason says so.
"""

from __future__ import annotations

import asyncio
import math
from typing import Callable

from console.core.policy.schema import Policy
from console.core.providers.base import Completion, ProviderCall, ProviderError, TextChunk
from console.core.request import Message, Request
from console.core.routing.execute import Binding
from console.core.routing.types import Classified

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
    text, logprobs = "", []
    try:
        async with asyncio.timeout(spec.timeout_s):
            async for event in binding.provider.stream(call):
                if isinstance(event, TextChunk):
                    text += event.text
                    logprobs.extend(event.logprobs)
                elif isinstance(event, Completion):
                    break
    except ProviderError as err:
        return _fallen_back(fallback(request, policy), f"classifier model failed ({err.outcome.value}: {err.message})")
    except TimeoutError:
        return _fallen_back(fallback(request, policy), f"classifier model gave no label within {spec.timeout_s:g}s")
    label = text.strip().strip(".").casefold()
    match = next((name for name in labels if name.casefold() == label), None)
    if match is None:
        return _fallen_back(fallback(request, policy), f"classifier model answered {text.strip()[:40]!r}, not a task")
    probability = math.exp(sum(logprobs)) if logprobs else None
    if probability is not None and probability < spec.min_probability:
        return _fallen_back(
            fallback(request, policy),
            f"classifier model chose '{match}' with probability {probability:.2f} < {spec.min_probability:.2f}",
        )
    shown = f" (p={probability:.2f})" if probability is not None else ""
    return Classified(task=match, reason=f"model {spec.model} chose '{match}'{shown}", probability=probability)


def _fallen_back(by_rules: Classified, why: str) -> Classified:
    return Classified(task=by_rules.task, reason=f"{why}; by rules: {by_rules.reason}", rule=by_rules.rule)
