"""The local OpenAI-compatible endpoint: an ASGI app (Starlette, served by uvicorn) over the core Engine.

    state = GatewayState.open(policy, path, token=..., workspace=Workspace())
    app = create_app(state)                       # POST /v1/chat/completions, GET /v1/models
    server = EndpointServer(app, host, port).start()   # uvicorn on a background thread (tests, window)

A front end like the CLI and the window: it imports console.core, never console.ui or console.cli.
Nothing here opens a socket, a thread or a loop at import time.
"""

from __future__ import annotations

__all__ = ["GatewayState", "create_app", "EndpointServer", "TOKEN_KEY_NAME"]


def __getattr__(name: str) -> object:
    # Starlette and uvicorn load only when the endpoint is actually used.
    if name == "GatewayState":
        from console.gateway.state import GatewayState

        return GatewayState
    if name == "create_app":
        from console.gateway.app import create_app

        return create_app
    if name == "EndpointServer":
        from console.gateway.server import EndpointServer

        return EndpointServer
    if name == "TOKEN_KEY_NAME":
        from console.gateway.token import TOKEN_KEY_NAME

        return TOKEN_KEY_NAME
    raise AttributeError(name)
