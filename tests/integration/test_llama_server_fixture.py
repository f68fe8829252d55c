"""The shared llama.cpp server fixture really serves the demo model over the OpenAI protocol."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = [pytest.mark.gguf, pytest.mark.slow]


def test_serves_models_and_chat(llama_server: str) -> None:
    assert llama_server.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{llama_server}/models", timeout=10) as response:  # noqa: S310 - loopback
        assert json.load(response)["data"]
    body = json.dumps({"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 5, "temperature": 0})
    request = urllib.request.Request(
        f"{llama_server}/chat/completions", data=body.encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        answer = json.load(response)
    assert answer["choices"][0]["message"]["content"]
    assert answer["usage"]["completion_tokens"] > 0
