"""What the Engine hands the recorder: prompt text only on opt-in, the policy hash, every attempt."""

from __future__ import annotations

import asyncio

from console.core.engine import Engine
from console.core.outcomes import Outcome
from console.core.records import MemoryRecorder
from console.core.request import Request
from tests.core.routing.policies import base_policy


def route_with(store_prompts: bool) -> MemoryRecorder:
    recorder = MemoryRecorder()
    policy = base_policy()
    policy.routes["routine"].candidates = ["mid"]
    # An unreachable provider (port 9 on loopback): the answer fails, but the request is still recorded.
    engine = Engine(policy, recorder=recorder, store_prompts=store_prompts)

    async def go() -> None:
        try:
            await engine.route(Request.from_prompt("secret customer text", metadata={"region": "us"}))
        finally:
            await engine.aclose()

    asyncio.run(go())
    return recorder


def test_prompt_text_is_logged_only_when_opted_in() -> None:
    assert route_with(False).requests[0].prompt_text is None
    assert route_with(True).requests[0].prompt_text == "secret customer text"


def test_a_failed_request_is_recorded_with_its_reason_and_hash() -> None:
    [record] = route_with(False).requests
    assert record.outcome is not Outcome.OK
    assert record.policy_hash and record.policy_name == "routing-test"
    assert record.task == "routine" and record.metadata == {"region": "us"}
    # refused connection: tried, retried once after backoff, then no candidate is left
    assert [(a.model_alias, a.outcome, a.retry_index) for a in record.attempts] == [
        ("mid", Outcome.UNAVAILABLE, 0),
        ("mid", Outcome.UNAVAILABLE, 1),
    ]
