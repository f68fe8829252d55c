"""Hosted APIs from behind a corporate proxy with a corporate CA: a real CONNECT proxy on loopback
(tests/support/connect_proxy.py), a TLS upstream (the fault server) whose certificate comes from a
throwaway CA (trustme) trusted only through ``SSL_CERT_FILE``, reached by host name (``localhost``).

The environment's ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` are honoured, the policy's
``proxy`` setting wins over them, and loopback address literals are never proxied.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Iterator

import pytest
import trustme

from console.core.outcomes import Outcome
from console.core.policy.schema import Policy
from console.core.providers.base import ProviderError
from console.core.providers.openai_compat import OpenAICompatProvider
from tests.core.providers.conftest import drain, make_call
from tests.gateway.endpoint import running_endpoint
from tests.support.connect_proxy import ConnectProxy, running_proxy
from tests.support.fault_server import FaultServer

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")
DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens; using it fails at once


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def tls_upstream(ca: trustme.CA) -> Iterator[FaultServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server = FaultServer(tls=context, url_host="localhost").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    with running_proxy() as running:
        yield running


def ask(server: FaultServer, model: str = "ok", proxy: str | None = None) -> str:
    provider = OpenAICompatProvider("corp", base_url=server.url, proxy=proxy)
    return drain(provider, make_call(model, "through the proxy")).text


def test_https_goes_through_the_environment_proxy_to_a_ca_trusted_by_ssl_cert_file(
    clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer, proxy: ConnectProxy, ca_file: Path
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    assert ask(tls_upstream, "ok#env") == "through the proxy"
    assert proxy.seen == [("CONNECT", f"localhost:{tls_upstream.port}")]
    assert len(tls_upstream.requests_for("ok#env")) == 1


def test_streaming_works_through_the_tunnel(
    clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer, proxy: ConnectProxy, ca_file: Path
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    provider = OpenAICompatProvider("corp", base_url=tls_upstream.url)
    got = drain(provider, make_call("ok#stream", "one two three", stream=True))
    assert [c.text for c in got.chunks] == ["one", " two", " three"]
    assert proxy.seen[0][0] == "CONNECT"


def test_an_unknown_ca_is_refused_with_a_clear_outcome(
    clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer, proxy: ConnectProxy
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url)  # no SSL_CERT_FILE: the OS store does not know this CA
    with pytest.raises(ProviderError) as caught:
        ask(tls_upstream, "ok#untrusted")
    assert caught.value.outcome is Outcome.UNAVAILABLE
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message
    assert tls_upstream.requests_for("ok#untrusted") == []


def test_no_proxy_sends_that_host_direct(
    clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer, proxy: ConnectProxy, ca_file: Path
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    clean_env.setenv("NO_PROXY", "localhost")
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    assert ask(tls_upstream, "ok#noproxy") == "through the proxy"
    assert proxy.seen == []


def test_the_policy_proxy_setting_wins_over_the_environment(
    clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer, proxy: ConnectProxy, ca_file: Path
) -> None:
    clean_env.setenv("HTTPS_PROXY", DEAD_PROXY)
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    assert ask(tls_upstream, "ok#app-proxy", proxy=proxy.url) == "through the proxy"
    assert proxy.seen == [("CONNECT", f"localhost:{tls_upstream.port}")]
    assert ask(tls_upstream, "ok#direct", proxy="direct") == "through the proxy"  # past the dead env proxy
    with pytest.raises(ProviderError) as caught:
        ask(tls_upstream, "ok#dead")  # the environment's (dead) proxy, for contrast
    assert caught.value.outcome is Outcome.UNAVAILABLE


def test_plain_http_by_name_goes_through_http_proxy(clean_env: pytest.MonkeyPatch, proxy: ConnectProxy) -> None:
    server = FaultServer(url_host="localhost").start()
    try:
        clean_env.setenv("HTTP_PROXY", proxy.url)
        assert ask(server, "ok#forward") == "through the proxy"
        assert proxy.seen == [("POST", f"http://localhost:{server.port}/v1/chat/completions")]
    finally:
        server.stop()


def test_a_loopback_address_is_never_proxied(clean_env: pytest.MonkeyPatch) -> None:
    server = FaultServer().start()  # http://127.0.0.1:PORT: a local model server
    try:
        clean_env.setenv("HTTP_PROXY", DEAD_PROXY)
        clean_env.setenv("ALL_PROXY", DEAD_PROXY)
        assert ask(server, "ok#loopback") == "through the proxy"
    finally:
        server.stop()


def test_the_endpoint_routes_through_the_proxy_for_the_sdk(
    clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer, proxy: ConnectProxy, ca_file: Path
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url)
    clean_env.setenv("SSL_CERT_FILE", str(ca_file))
    clean_env.setenv("NO_PROXY", "127.0.0.1")  # the SDK's own hop to the endpoint stays direct
    policy = Policy.model_validate({
        "name": "corp",
        "providers": {"hosted": {"kind": "openai-compatible", "base_url": tls_upstream.url}},
        "models": {"remote": {"provider": "hosted", "model": "ok#sdk"}},
        "tasks": {"chat": {}}, "classification": {"default": "chat"},
        "routes": {"chat": {"candidates": ["remote"]}},
    })
    with running_endpoint(policy) as live:
        client = live.openai()
        reply = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hello corp"}])
        streamed = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hello again"}],
                                                  stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert reply.choices[0].message.content == "hello corp" and text == "hello again"
    assert ("CONNECT", f"localhost:{tls_upstream.port}") in proxy.seen


def test_a_bad_ssl_cert_file_is_a_clear_failure(clean_env: pytest.MonkeyPatch, tls_upstream: FaultServer,
                                               tmp_path: Path) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))

    async def go() -> None:
        provider = OpenAICompatProvider("corp", base_url=tls_upstream.url)
        try:
            with pytest.raises(ProviderError, match="SSL_CERT_FILE"):
                async for _ in provider.stream(make_call("ok")):
                    pass
        finally:
            await provider.aclose()

    asyncio.run(go())
