"""A provider that was down and came back gets traffic again within the circuit's longest cooldown,
however long it was down: through the endpoint, with the official SDK, on a short real clock (the
defaults' 30 s scaled down to 0.4 s; the 30 s figure itself is checked on a fake clock in
tests/core/routing/test_health.py)."""

from __future__ import annotations

import time

from console.core.policy.schema import Policy
from tests.gateway.endpoint import running_endpoint
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture

MAX_COOLDOWN_S = 0.4
PROMPT = [{"role": "user", "content": "are you back"}]


def recovery_policy(server: FaultServer, max_cooldown_s: float) -> Policy:
    return Policy.model_validate({
        "name": "recovery",
        "providers": {"up": {"kind": "openai-compatible", "base_url": server.url}},
        "models": {"primary": {"provider": "up", "model": "switch:name=primary"}, "backup": {"provider": "up", "model": "ok"}},
        "tasks": {"chat": {}},
        "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["primary", "backup"], "retries": {"max": 0}}},
        "circuit": {"failures": 2, "window_s": 5, "cooldown_s": 0.1, "cooldown_multiplier": 2,
                    "max_cooldown_s": max_cooldown_s},
    })


def seconds_until_primary_answers(server: FaultServer, max_cooldown_s: float, down_s: float) -> float:
    with running_endpoint(recovery_policy(server, max_cooldown_s)) as live:
        client = live.openai()
        server.switch("primary", "500")
        down_until = time.monotonic() + down_s
        while time.monotonic() < down_until:  # steady traffic while it is down: the backup answers
            assert client.chat.completions.create(model="auto", messages=PROMPT).model == "backup"
            time.sleep(0.02)
        server.switch("primary", "ok")
        recovered = time.monotonic()
        while client.chat.completions.create(model="auto", messages=PROMPT).model != "primary":
            time.sleep(0.02)
            assert time.monotonic() - recovered < 10, "the recovered provider never got traffic back"
        return time.monotonic() - recovered


def test_a_recovered_provider_gets_traffic_back_within_the_longest_cooldown(fault_server: FaultServer) -> None:
    # Down for 5× the cap: with uncapped doubling (0.1, 0.2, 0.4, 0.8, 1.6...) it would wait over 1 s.
    waited = seconds_until_primary_answers(fault_server, MAX_COOLDOWN_S, down_s=5 * MAX_COOLDOWN_S)
    assert waited <= MAX_COOLDOWN_S + 0.25
    probes = [r for r in fault_server.requests_for("switch:name=primary")]
    assert len(probes) < 2 + 5 * MAX_COOLDOWN_S / 0.1 + 2  # while down: a probe per cooldown, not per request
