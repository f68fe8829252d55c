"""What one running endpoint holds: the engine it routes by, the token, the refusal count, the watcher.

The front end that starts the endpoint (``routedesk serve``, the window's switch, a test) builds a
``GatewayState`` and hands it to ``create_app``; it reads the counters back while and after the
server runs. The state owns its ``Workspace`` unless given one, and closes it at shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from console.core.engine import Engine
from console.core.policy.schema import Policy
from console.core.workspace import Workspace
from console.gateway.auth import RefusalCounter
from console.gateway.limits import EndpointLimits
from console.gateway.watch import PolicyStatus, PolicyWatcher
from console.gateway.wire import FailoverMode

if TYPE_CHECKING:
    from console.gateway.team import TeamGateway


@dataclass
class GatewayState:
    """Attributes:
        engine: routes every request (its policy can change under it: hot reload).
        workspace: where the engine came from; its ledger writer records every request.
        token: the bearer token clients must present (bytes; replace it to rotate while running).
        refusals: requests refused for a missing or wrong token.
        watcher: polls the policy file, when there is one.
        stream_failover: what a stream does when an attempt fails after sending text and another
            model could take over: "continue" (the next model that takes a prefill continues the
            answer; the default), "error" (end with an error event) or "restart".
        owns_workspace: close the workspace at shutdown.
        head_after_s: how long a stream may wait for its first text before the response head is
            sent anyway (failures after that are reported in-band, not as an HTTP status).
        keepalive_s: the longest silence in a stream: an SSE comment fills it.
        limits: request size and time limits (the server applies the connection ones).
        team: a team gateway's shared state (API keys instead of the token; shared budgets,
            circuit signals, the published policy); None on a desk.
    """

    engine: Engine
    workspace: Workspace
    token: bytes
    refusals: RefusalCounter = field(default_factory=RefusalCounter)
    watcher: PolicyWatcher | None = None
    stream_failover: FailoverMode = "continue"
    owns_workspace: bool = True
    head_after_s: float = 1.0
    keepalive_s: float = 5.0
    limits: EndpointLimits = field(default_factory=EndpointLimits)
    team: "TeamGateway | None" = None

    @classmethod
    def open(
        cls,
        policy: Policy,
        path: str | Path | None,
        *,
        token: str,
        workspace: Workspace | None = None,
        watch_interval_s: float = 1.0,
        on_policy_status: Callable[[PolicyStatus], None] | None = None,
        stream_failover: FailoverMode = "continue",
    ) -> "GatewayState":
        owns = workspace is None
        workspace = workspace if workspace is not None else Workspace()
        engine = workspace.engine(policy, path, scope="endpoint")  # its own engine, the shared log writer
        watcher = (
            PolicyWatcher(engine, path, interval_s=watch_interval_s, on_status=on_policy_status)
            if path is not None
            else None
        )
        return cls(engine, workspace, token.encode(), watcher=watcher, stream_failover=stream_failover, owns_workspace=owns)

    @property
    def policy_status(self) -> PolicyStatus | None:
        return self.watcher.status if self.watcher is not None else None

    def set_token(self, token: str) -> None:
        self.token = token.encode()
