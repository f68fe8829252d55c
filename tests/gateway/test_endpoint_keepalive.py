"""Headers early: while a stream waits for its first text (a hanging model, a failover), the endpoint sends
its response head and SSE keep-alive comments, so a client with a short read timeout stays; failures
after the head arrive in-band. Real endpoint, fault-server upstreams, the official SDK and raw httpx.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import httpx
import openai
import pytest

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer

FIRST_TOKEN_S = 1.2
PROMPT = [{"role": "user", "content": "still there"}]


def keepalive_policy(server: FaultServer) -> Policy:
    timeouts = {"connect_s": 1, "first_token_s": FIRST_TOKEN_S, "idle_s": 1, "total_s": 5}
    fallback_on = [o.value for o in Outcome if o is not Outcome.OK]
    return Policy.model_validate({
        "name": "keepalive",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url}},
        "models": {
            "hanging": {"provider": "faulty", "model": "hang"},
            "hanging-alone": {"provider": "faulty", "model": "hang#alone"},
            "answering": {"provider": "faulty", "model": "ok"},
        },
        "tasks": {"slow": {}, "dead": {}},
        "classification": {"default": "slow"},
        "routes": {
            "slow": {"candidates": ["hanging", "answering"], "retries": {"max": 0}, "timeouts": timeouts,
                     "fallback_on": fallback_on},
            "dead": {"candidates": ["hanging-alone"], "retries": {"max": 0}, "timeouts": timeouts,
                     "fallback_on": fallback_on},
        },
    })


@pytest.fixture(scope="module")
def live() -> Iterator[LiveEndpoint]:
    server = FaultServer().start()
    try:
        with running_endpoint(keepalive_policy(server)) as endpoint:
            yield endpoint
    finally:
        server.stop()


@pytest.fixture
def quick(live: LiveEndpoint) -> Iterator[LiveEndpoint]:
    live.state.head_after_s, live.state.keepalive_s = 0.1, 0.2
    try:
        yield live
    finally:
        live.state.head_after_s, live.state.keepalive_s = 1.0, 5.0


def test_the_head_and_keepalives_arrive_while_the_first_model_hangs(quick: LiveEndpoint) -> None:
    body = {"model": "slow", "messages": PROMPT, "stream": True}
    headers = {"authorization": f"Bearer {quick.token}"}
    lines: list[tuple[float, str]] = []
    t0 = time.monotonic()
    with httpx.Client(timeout=10) as client, client.stream("POST", quick.url + "/chat/completions", json=body,
                                                            headers=headers) as response:
        head_s = time.monotonic() - t0
        assert response.status_code == 200
        for line in response.iter_lines():
            lines.append((time.monotonic() - t0, line))
    assert head_s < FIRST_TOKEN_S / 2  # long before the first model's first-token deadline
    first_data = next(at for at, line in lines if line.startswith("data:"))
    assert first_data >= FIRST_TOKEN_S  # the answer came from the fallback, after the deadline
    keepalives = [at for at, line in lines if line == ": keep-alive" and at < first_data]
    assert len(keepalives) >= 4
    gaps = [b - a for a, b in zip([0.0] + keepalives, keepalives + [first_data])]
    assert max(gaps) < 0.6  # never silent for long
    assert [line for _, line in lines if line][-1] == "data: [DONE]"


def test_a_client_with_a_short_read_timeout_stays_through_the_failover(quick: LiveEndpoint) -> None:
    client = quick.openai(timeout=openai.Timeout(10.0, read=0.6))
    chunks = list(client.chat.completions.create(model="slow", messages=PROMPT, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "still there"
    assert chunks[-1].model == "answering"


def test_without_keepalives_that_client_gives_up(live: LiveEndpoint) -> None:
    """The control: the same client and route, with the head held back, times out."""
    live.state.head_after_s, live.state.keepalive_s = 30.0, 30.0
    try:
        client = live.openai(timeout=openai.Timeout(10.0, read=0.6))
        with pytest.raises(openai.APITimeoutError):
            list(client.chat.completions.create(model="slow", messages=PROMPT, stream=True))
    finally:
        live.state.head_after_s, live.state.keepalive_s = 1.0, 5.0


def test_a_failure_after_the_head_is_reported_in_band(quick: LiveEndpoint) -> None:
    client = quick.openai(timeout=openai.Timeout(10.0, read=0.6))
    chunks: list[Any] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(model="dead", messages=PROMPT, stream=True):
            chunks.append(chunk)
    assert not isinstance(caught.value, openai.APIStatusError)  # the head was 200: the error is an event
    assert caught.value.body["code"] == "timeout" and caught.value.body["routedesk_outcome"] == "first_token_timeout"
    assert "hanging-alone" in caught.value.message
    assert not [c for c in chunks if c.choices and c.choices[0].delta.content]


def test_a_quick_failure_still_gets_a_plain_status(live: LiveEndpoint) -> None:
    """Within head_after_s nothing has been sent: a failure is a normal HTTP error, as before."""
    client = live.openai()
    with pytest.raises(openai.NotFoundError):
        list(client.chat.completions.create(model="no-such-model", messages=PROMPT, stream=True))


def test_a_client_that_leaves_while_keepalives_flow_cancels_the_request(tmp_path: Any) -> None:
    """Stress: clients hang up at varied moments while the first model hangs; every request ends
    logged as cancelled (none left running, none logged as answered), and the endpoint stays usable."""
    import random

    server = FaultServer().start()
    rng = random.Random(14)
    try:
        with running_endpoint(keepalive_policy(server), log_url=f"sqlite:///{tmp_path}/log.sqlite3") as live:
            live.state.head_after_s, live.state.keepalive_s = 0.02, 0.03
            body = {"model": "slow", "messages": PROMPT, "stream": True}
            headers = {"authorization": f"Bearer {live.token}"}
            for _ in range(8):
                with httpx.Client(timeout=10) as client, client.stream(
                        "POST", live.url + "/chat/completions", json=body, headers=headers) as response:
                    deadline = time.monotonic() + rng.uniform(0.0, 0.3)
                    for line in response.iter_lines():
                        if time.monotonic() >= deadline:
                            break  # leave mid-wait: the connection closes with the block
            deadline = time.monotonic() + 10
            while len(live.ledger_requests()) < 8 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [r["outcome"] for r in live.ledger_requests()] == ["cancelled"] * 8
            answer = live.openai().chat.completions.create(model="slow", messages=PROMPT)
            assert answer.choices[0].message.content == "still there"
    finally:
        server.stop()
