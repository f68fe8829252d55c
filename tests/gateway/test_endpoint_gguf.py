"""The endpoint over the demo policy: the bundled SmolLM2 GGUF, in-process, answers through the SDK."""

from __future__ import annotations

import pytest

from console.cli.policy_args import demo_policy_path
from console.core.policy.loader import load_policy_or_raise
from tests.gateway.endpoint import running_endpoint
from tests.support.parts import require_demo_gguf

pytestmark = [pytest.mark.gguf, pytest.mark.slow]


def test_demo_policy_answers_through_the_endpoint() -> None:
    require_demo_gguf()
    path = demo_policy_path()
    with running_endpoint(load_policy_or_raise(path), path=path) as live:
        chunks = list(live.openai(timeout=120).chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "Say hi."}], max_tokens=8, stream=True,
            stream_options={"include_usage": True},
        ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish[0].model in ("smollm2", "smollm2-cpu")
    assert chunks[-1].usage is not None and 0 < chunks[-1].usage.completion_tokens <= 8
