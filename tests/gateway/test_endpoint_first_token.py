"""Adaptive first-token deadlines through the endpoint: the official SDK streams against fault-server
models whose history is in the routing log. A chat model that usually starts at once is cut long before
the route's static deadline when it hangs; a "reasoning" model with a history of slow first tokens is
waited for past that static deadline; a model without history gets the static value; and
``routedesk explain --db`` says each deadline and where it came from.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.cli.main import run
from console.core.policy.schema import Policy
from tests.gateway.endpoint import LiveEndpoint, running_endpoint
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 (fixture)

THINK_S = 0.5  # the reasoning model's first token, every time
SAMPLES = 5


def policy_doc(server: FaultServer, *, think_static_s: float) -> dict[str, Any]:
    timeouts = {"connect_s": 1, "idle_s": 2, "total_s": 10}
    return {
        "name": "first-token",
        "providers": {"faulty": {"kind": "openai-compatible", "base_url": server.url}},
        "models": {
            "chat": {"provider": "faulty", "model": "switch:name=chat"},
            "thinker": {"provider": "faulty", "model": f"hang-first-token:s={THINK_S}#thinker"},
            "newcomer": {"provider": "faulty", "model": f"hang-first-token:s={THINK_S}#newcomer"},
            "backup": {"provider": "faulty", "model": "ok#backup"},
        },
        "tasks": {"chat": {}, "think": {}, "new": {}},
        "classification": {"default": "chat"},
        "first_token_deadline": {"p95_multiple": 3, "floor_s": 0.3, "ceiling_s": 60, "min_samples": SAMPLES},
        "routes": {
            "chat": {"candidates": ["chat", "backup"], "retries": {"max": 0},
                     "timeouts": {**timeouts, "first_token_s": 5}},
            "think": {"candidates": ["thinker", "backup"], "retries": {"max": 0},
                      "timeouts": {**timeouts, "first_token_s": think_static_s}},
            "new": {"candidates": ["newcomer", "backup"], "retries": {"max": 0},
                    "timeouts": {**timeouts, "first_token_s": think_static_s}},
        },
    }


def stream(live: LiveEndpoint, task: str) -> tuple[str, float]:
    t0 = time.monotonic()
    chunks = live.openai().chat.completions.create(
        model=task, messages=[{"role": "user", "content": "first token please"}], stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, time.monotonic() - t0


def last_attempts(live: LiveEndpoint) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from console.core.ledger.store import open_ledger
    from console.core.ledger.tables import attempt_table

    live.state.workspace.flush_log()
    assert live.log_url is not None
    db = open_ledger(live.log_url)
    try:
        with db.connect() as conn:
            table = attempt_table()
            rows = conn.execute(select(table).order_by(table.c.ts.desc(), table.c.position.desc())).all()
            last = rows[0]._mapping["request_id"]
            return sorted((dict(r._mapping) for r in rows if r._mapping["request_id"] == last),
                          key=lambda r: r["position"])
    finally:
        db.dispose()


def test_deadlines_fit_each_models_history(fault_server: FaultServer, tmp_path: Path,
                                           capsys: Any) -> None:
    log_url = f"sqlite:///{tmp_path / 'log.db'}"
    # Yesterday: the chat model answered at once, the reasoning model after THINK_S, under generous deadlines.
    with running_endpoint(Policy.model_validate(policy_doc(fault_server, think_static_s=5)), log_url=log_url) as live:
        for _ in range(SAMPLES):
            assert stream(live, "chat")[0] == "first token please"
            assert stream(live, "think")[0] == "first token please"
    # Today the static deadline is shorter than the reasoning model's usual first token, and the chat model hangs.
    doc = policy_doc(fault_server, think_static_s=THINK_S / 2)
    fault_server.switch("chat", "hang-first-token:s=4")
    with running_endpoint(Policy.model_validate(doc), log_url=log_url) as live:
        text, took = stream(live, "chat")
        assert text == "first token please"
        assert took < 2.5  # cut near 3 × p95, raised to the floor 0.3 s, not at the route's static 5 s
        first, answer = last_attempts(live)
        assert (first["model_alias"], first["outcome"]) == ("chat", "first_token_timeout")
        assert first["error_message"] == "no first token within 0.3s"
        assert answer["model_alias"] == "backup" and answer["ok"] == 1

        text, took = stream(live, "think")  # waited for past the static THINK_S / 2: its history earns ~1.5 s
        assert text == "first token please" and took >= THINK_S
        [only] = last_attempts(live)
        assert only["model_alias"] == "thinker" and only["ok"] == 1

        text, _ = stream(live, "new")  # the same behaviour, no history: the static deadline cuts it
        first, answer = last_attempts(live)
        assert (first["model_alias"], first["outcome"]) == ("newcomer", "first_token_timeout")
        assert first["error_message"] == f"no first token within {THINK_S / 2:g}s" and answer["model_alias"] == "backup"

    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(doc))
    capsys.readouterr()
    assert run(["explain", "-p", str(policy_file), "--db", log_url, "--task", "think", "why so slow"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"thinker .*\n +first token within ([\d.]+) s: 3 × p95 first token ([\d.]+) s "
                      rf"over {SAMPLES + 1} streamed answers\n", out)  # yesterday's and today's
    assert found, out
    deadline_s, p95_s = float(found[1]), float(found[2])
    assert p95_s >= THINK_S and deadline_s == pytest.approx(3 * p95_s, abs=0.02)
    assert run(["explain", "-p", str(policy_file), "--db", log_url, "--task", "new", "--json", "hi"]) == 0
    plan = json.loads(capsys.readouterr().out)
    newcomer = plan["candidates"][0]
    assert newcomer["first_token_s"] == THINK_S / 2
    assert newcomer["first_token_source"].startswith("the route's first_token_s (first-token history: 0 of")
