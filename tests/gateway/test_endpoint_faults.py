"""The providers' fault matrix through the endpoint: every fault ends in a fallback answer or a clean
OpenAI-style error, streaming and not, and none hangs.

One endpoint serves one policy with a route per (fault, wire mode), so the whole matrix runs
against a single uvicorn server; the SDK (unmodified) is the client. Streams run in every failover
mode: ``continue`` (the default: the fallback continues the text already sent; the provider is
marked ``prefill: true``), ``error`` (a failure after text ends the stream with an error event) and
``restart`` (the next model's answer follows a marked ``routedesk.discarded`` notice).
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import openai
import pytest

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.integration.test_fault_matrix import CASES, FIRST_TOKEN_S, IDLE_S, TOTAL_S, Case
from tests.support.fault_server import FaultServer

MODES = ("plain", "error", "restart", "continue")
SLACK_S = 1.5  # the HTTP hop and the client thread, over the engine's own bound
PROMPT = [{"role": "user", "content": "tell me about the fault matrix"}]
STATUS = {"bad_request": 400, "content_policy": 400}

MATRIX = [
    (index, case, mode)
    for index, case in enumerate(CASES)
    for mode in MODES
    if not (case.streaming_only and mode == "plain") and not (case.plain_only and mode != "plain")
]


def task_name(index: int, mode: str) -> str:
    return f"f{index}-{mode}"


def matrix_policy(server: FaultServer) -> Policy:
    models: dict[str, Any] = {}
    routes: dict[str, Any] = {}
    for index, case, mode in MATRIX:
        task = task_name(index, mode)
        overrides = dict(case.route)
        models[f"{task}-first"] = {"provider": "faulty", "model": f"{case.fault}#{task}", "context_window": 4096,
                                   "prices": {"input": 1, "output": 2}}
        models[f"{task}-fallback"] = {"provider": "faulty", "model": f"{'ok-json' if 'output' in overrides else 'ok'}#{task}",
                                      "context_window": 100000, "prices": {"input": 1, "output": 2}}
        route: dict[str, Any] = {
            "candidates": [f"{task}-first", f"{task}-fallback"],
            "retries": {"max": 1, "backoff_ms": 20, "max_backoff_ms": 100},
            "timeouts": {"connect_s": 1, "first_token_s": FIRST_TOKEN_S, "idle_s": IDLE_S, "total_s": TOTAL_S},
            "fallback_on": [o for o in Outcome if o not in (Outcome.OK, Outcome.CONTENT_POLICY, Outcome.BAD_REQUEST)],
        }
        route.update(overrides)
        routes[task] = route
    return Policy.model_validate(
        {
            "name": "endpoint-fault-matrix",
            "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url, "prefill": True}},
            "models": models,
            "tasks": {name: {} for name in routes},
            "classification": {"default": next(iter(routes))},
            "routes": routes,
        }
    )


@pytest.fixture(scope="module")
def live() -> Iterator[LiveEndpoint]:
    server = FaultServer().start()  # one for the module: the matrix shares one endpoint
    try:
        with running_endpoint(matrix_policy(server)) as endpoint:
            yield endpoint
    finally:
        server.stop()


def _stream(client: Any, task: str, mode: str) -> tuple[list[Any], Exception | None]:
    chunks: list[Any] = []
    try:
        for chunk in client.chat.completions.create(
            model=task, messages=PROMPT, stream=True, extra_headers={"X-Routedesk-Stream-Failover": mode}
        ):
            chunks.append(chunk)
    except openai.APIError as err:
        return chunks, err
    return chunks, None


@pytest.mark.parametrize(("index", "case", "mode"), MATRIX, ids=[f"{c.fault}-{m}" for _, c, m in MATRIX])
def test_fault_through_the_endpoint(live: LiveEndpoint, index: int, case: Case, mode: str) -> None:
    client = live.openai(timeout=case.max_s + 10)
    task = task_name(index, mode)
    expected_model = f"{task}-{case.answered_by}"
    t0 = time.monotonic()
    if mode == "plain":
        try:
            completion = client.chat.completions.create(model=task, messages=PROMPT)
        except openai.APIStatusError as err:
            assert case.final != "ok", err.message
            assert err.status_code == STATUS[case.final] and err.body["routedesk_outcome"] == case.final
            assert f"{task}-first → {case.final}" in err.message  # the chain, in the message
        else:
            assert case.final == "ok" and completion.model == expected_model
            assert completion.choices[0].message.content.strip()
        assert time.monotonic() - t0 <= case.max_s + SLACK_S
        return

    chunks, error = _stream(client, task, mode)
    assert time.monotonic() - t0 <= case.max_s + SLACK_S
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    notices = [c.model_extra["routedesk"]["discarded"] for c in chunks if "routedesk" in (c.model_extra or {})
               and "discarded" in c.model_extra["routedesk"]]
    if error is not None:
        assert not finished  # an error never follows a clean finish
        if isinstance(error, openai.APIStatusError):  # failed before any text: a plain error response
            assert case.final != "ok" and error.body["routedesk_outcome"] == case.final
        elif case.final == "ok" and mode == "continue":  # a whole answer was sent, then judged: no taking it back
            assert text and "after the whole answer was streamed" in error.message, error.message
        elif case.final == "ok":  # text was sent, then the first model broke: failover mode 'error'
            assert mode == "error" and text, error.message
            assert "failed mid-stream" in error.message and error.body["routedesk"]["discarded"]["model"] == f"{task}-first"
        else:  # text was sent and nothing could take over
            assert error.body["routedesk_outcome"] == case.final
        return
    assert case.final == "ok", "a failed route must not end as a clean stream"
    assert len(finished) == 1 and finished[0].model == expected_model
    if notices:
        assert mode == "restart" and notices[0]["model"] == f"{task}-first"
        marked = [i for i, c in enumerate(chunks) if "discarded" in (c.model_extra or {}).get("routedesk", {})]
        answer = "".join(c.choices[0].delta.content or "" for c in chunks[marked[-1] + 1:] if c.choices)
        # after the last notice: the answering attempt's text, whole (the echo, or the echo as JSON)
        assert answer in (PROMPT[0]["content"], '{"answer": "%s"}' % PROMPT[0]["content"])
    else:
        assert text.strip()
    if mode == "continue":  # continued or not, the client read one whole answer, each character once
        assert text in (PROMPT[0]["content"], '{"answer": "%s"}' % PROMPT[0]["content"]), text
