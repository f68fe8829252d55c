"""The one call a shadow makes: the production request's messages to the shadow model, once.

No fallback and no retry: a pilot measures that model, and a failure is its result. The route's
timeouts apply, each cut to the shadow's ``timeout_s``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from console.core.policy.schema import Route, Timeouts
from console.core.providers.base import ProviderCall
from console.core.records import AttemptRecord
from console.core.routing.attempt import AttemptResult, run_attempt
from console.core.routing.execute import Tried
from console.core.routing.recording import attempt_record

if TYPE_CHECKING:
    from console.core.shadow.dispatch import ShadowJob


def shadow_route(route: Route, limit_s: float, model: str) -> Route:
    """The route's deadlines, none longer than ``limit_s``."""
    t = route.timeouts
    timeouts = Timeouts(connect_s=min(t.connect_s, limit_s), first_token_s=min(t.first_token_s, limit_s),
                        idle_s=min(t.idle_s, limit_s), total_s=min(t.total_s, limit_s))
    return Route(candidates=[model], max_output_tokens=route.max_output_tokens, timeouts=timeouts, output=route.output)


async def call_shadow(job: "ShadowJob", started: datetime) -> tuple[AttemptRecord, str]:
    """Call the shadow model; its attempt record (priced) and its answer text."""
    model = job.spec.model
    binding = job.bind(model)
    if binding.provider is None:
        result = AttemptResult(binding.problem_outcome, error=binding.problem)
    else:
        route = shadow_route(job.route, job.spec.timeout_s, model)
        request = job.request
        call = ProviderCall(
            model_id=binding.model_id, messages=request.messages, max_tokens=route.max_output_tokens,
            temperature=request.temperature, json_mode=route.output.json_ or request.json_schema is not None,
            stream=True, connect_timeout_s=route.timeouts.connect_s, read_timeout_s=route.timeouts.total_s,
            sampling=request.sampling, json_schema=request.json_schema or None, schema_name=request.schema_name,
            schema_strict=request.schema_strict,
        )
        result = await run_attempt(binding.provider, call, route, lambda text: None,
                                   request.json_schema or route.output.schema_)
    record = attempt_record(0, Tried(binding, result, 0, job.route_name), job.prices, started)
    return record, result.text
