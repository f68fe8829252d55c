"""The fault server itself: fault names, request records, and running it from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from console.core.providers.openai_compat import OpenAICompatProvider
from tests.core.providers.conftest import KEY, drain, make_call
from tests.support.fault_server import Fault, FaultServer, parse_fault


def test_fault_names_parameters_tags_and_sequences() -> None:
    assert parse_fault("cut:after=3") == Fault("cut", {"after": "3"})
    assert parse_fault("429:retry_after=1#primary") == Fault("429", {"retry_after": "1"})
    spec = "seq:429:retry_after=2,500,ok#b"
    assert [parse_fault(spec, i).name for i in range(5)] == ["429", "500", "ok", "ok", "ok"]
    assert parse_fault(spec, 0).params == {"retry_after": "2"}


def test_requests_are_recorded_in_order_without_key_values(fault_server: FaultServer) -> None:
    for model in ("ok#1", "500#1", "ok#1"):
        try:
            drain(OpenAICompatProvider("o", base_url=fault_server.url, key=KEY), make_call(model))
        except Exception:  # noqa: BLE001 - the 500 is expected; only the records matter here
            pass
    records = fault_server.requests
    assert [r.model for r in records] == ["ok#1", "500#1", "ok#1"]
    assert records[0].at <= records[1].at <= records[2].at
    assert all(r.headers["authorization"] == "[redacted]" for r in records)
    assert KEY not in repr(records)
    assert len(fault_server.requests_for("ok#1")) == 2
    fault_server.clear()
    assert fault_server.requests == []


def test_runs_from_the_command_line() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fault_server"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http://"))
        request = urllib.request.Request(
            url + "/chat/completions",
            data=json.dumps({"model": "ok", "messages": [{"role": "user", "content": "ping pong"}]}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            assert json.load(response)["choices"][0]["message"]["content"] == "ping pong"
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
