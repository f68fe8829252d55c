"""``routedesk serve`` off loopback: plain HTTP refused unless the operator says a proxy terminates TLS;
HTTPS with uvicorn's own TLS; a bad config file is an error naming it. Real processes, real certificates."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from console.core.policy.save import save_policy
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.team.gateways import GatewayProcess, gateway_env, routedesk
from tests.team.test_budget_reservations import budget_policy


def test_plain_http_off_loopback_is_refused_without_an_explicit_flag(tmp_path: Path) -> None:
    done = routedesk("serve", "--host", "0.0.0.0", "--allow-remote", "--no-log")
    assert done.returncode == 2 and "plain HTTP on 0.0.0.0" in done.stderr and "--insecure-http" in done.stderr
    config = tmp_path / "gateway.toml"
    config.write_text('host = "0.0.0.0"\n')  # a config file allows remote binding, never plain HTTP
    done = routedesk("serve", "--config", str(config))
    assert done.returncode == 2 and "plain HTTP on 0.0.0.0" in done.stderr
    assert routedesk("serve", "--tls-cert", "c.pem").returncode == 2


def test_a_bad_config_file_stops_serve_with_its_name_and_key(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("prot = 8765\n")
    done = routedesk("serve", "--config", str(config))
    assert done.returncode == 2 and f"{config}: unknown setting 'prot'" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_speaks_https_with_its_own_certificate(tmp_path: Path, fault_server: FaultServer) -> None:  # noqa: F811
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    save_policy(budget_policy(fault_server.url, 10.0), tmp_path / "policy.yaml")
    token = tmp_path / "token"
    token.write_text("a-long-enough-token-for-the-endpoint-0123456789")
    token.chmod(0o600)
    config = tmp_path / "desk.toml"
    config.write_text(f'policy = "policy.yaml"\nport = 0\ntls_cert = "server.pem"\ntls_key = "key.pem"\n')
    gateway = GatewayProcess(config, tmp_path / "home", extra=["--token-file", str(token), "--no-log"])
    try:
        gateway.wait_ready()
        assert gateway.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context()
        authority.configure_trust(context)
        with httpx.Client(verify=context, timeout=30) as client:
            answer = client.post(f"{gateway.url}/chat/completions", headers={"authorization": f"Bearer {token.read_text()}"},
                                 json={"model": "auto", "messages": [{"role": "user", "content": "over tls"}]})
            assert answer.status_code == 200 and answer.json()["model"] == "paid"
        with httpx.Client(timeout=10) as plain, pytest.raises(httpx.HTTPError):
            plain.get(gateway.url.replace("https://", "http://") + "/models")
    finally:
        assert gateway.stop() == 0, gateway.output()


def test_an_unreachable_team_store_stops_serve_with_a_sentence(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('port = 0\n[team]\npostgres = "postgresql://routedesk@127.0.0.1:1/none"\n')
    done = routedesk("serve", "--config", str(config), "--no-log", env=gateway_env(tmp_path / "home"))
    assert done.returncode == 1 and "error: the team store: PostgreSQL at" in done.stderr
    assert "cannot connect" in done.stderr and "Traceback" not in done.stderr
