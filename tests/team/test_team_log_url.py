"""ROUTEDESK_LOG_URL points the desk at the team's PostgreSQL log: what it routes lands there and
what it reads (``routedesk log``, the dashboards, replay, review) comes from there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.core.request import Request
from console.core.workspace import Workspace
from tests.support.fault_server import FaultServer, fault_server  # noqa: F401 - fixture
from tests.team.gateways import gateway_env, routedesk
from tests.team.test_budget_reservations import budget_policy


def test_the_desk_writes_and_reads_the_team_log(postgres_url: str, fault_server: FaultServer,  # noqa: F811
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ROUTEDESK_LOG_URL", postgres_url)
    workspace = Workspace()

    async def route_once() -> str:
        try:
            engine = workspace.engine(budget_policy(fault_server.url, 10.0))
            return (await engine.route(Request.from_prompt("to the team log"))).request_id
        finally:
            workspace.flush_log(30)
            await workspace.aclose()

    request_id = asyncio.run(route_once())
    import psycopg

    with psycopg.connect(postgres_url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT count(*) FROM request WHERE request_id = %s", (request_id,)).fetchone()[0] == 1
    listed = routedesk("log", "--json", env={**gateway_env(tmp_path / "home"), "ROUTEDESK_LOG_URL": postgres_url})
    assert listed.returncode == 0, listed.stderr
    assert request_id in listed.stdout
    assert not (tmp_path / "home" / "routedesk-log.sqlite3").exists()  # no desk log was made beside it
