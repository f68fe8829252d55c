"""Start the real endpoint (uvicorn on a background thread, free loopback port) for tests.

    with running_endpoint(policy, path=..., log_url=...) as live:
        client = live.openai()             # the official SDK, unmodified
        live.state.refusals.count, live.ledger_requests()
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from console.core.policy.schema import Policy
from console.core.secrets import MemoryKeyStore
from console.core.workspace import Workspace
from console.gateway.app import create_app
from console.gateway.limits import EndpointLimits
from console.gateway.server import EndpointServer
from console.gateway.state import GatewayState
from console.gateway.token import get_or_create_token


@dataclass
class LiveEndpoint:
    server: EndpointServer
    state: GatewayState
    token: str
    log_url: str | None
    clients: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def openai(self, **kwargs: Any) -> Any:
        import openai

        kwargs.setdefault("timeout", 30.0)
        kwargs.setdefault("max_retries", 0)
        client = openai.OpenAI(base_url=self.url, api_key=kwargs.pop("api_key", self.token), **kwargs)
        self.clients.append(client)  # closed when the endpoint stops: no sockets left open
        return client

    def ledger_requests(self) -> list[dict[str, Any]]:
        """Every request row in the log, oldest first (once what was recorded is committed)."""
        assert self.log_url is not None
        self.state.workspace.flush_log()
        from sqlalchemy import select

        from console.core.ledger.store import open_ledger
        from console.core.ledger.tables import request_table

        db = open_ledger(self.log_url)
        try:
            with db.connect() as conn:
                table = request_table()
                return [dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.ts))]
        finally:
            db.dispose()


@contextlib.contextmanager
def running_endpoint(
    policy: Policy,
    *,
    path: str | Path | None = None,
    log_url: str | None = None,
    watch_interval_s: float = 0.05,
    stream_failover: str = "continue",
    limits: EndpointLimits | None = None,
) -> Iterator[LiveEndpoint]:
    token = get_or_create_token(MemoryKeyStore())
    workspace = Workspace(log_url, record=log_url is not None)
    state = GatewayState.open(
        policy, path, token=token, workspace=workspace, watch_interval_s=watch_interval_s,
        stream_failover=stream_failover,  # type: ignore[arg-type]
    )
    state.owns_workspace = True  # the server's loop opened its connections; it closes them
    if limits is not None:
        state.limits = limits
    server = EndpointServer(create_app(state), limits=limits).start()
    live = LiveEndpoint(server, state, token, log_url)
    try:
        yield live
    finally:
        for client in live.clients:
            client.close()
        server.stop()
