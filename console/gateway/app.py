"""The endpoint's ASGI app: routes, error bodies and lifespan over a ``GatewayState``.

    POST /v1/chat/completions   route by the policy (see wire.py, targets.py, streaming.py)
    POST /v1/messages           the same, in Anthropic's Messages API shapes (messages_api.py)
    GET  /v1/models             auto, the tasks, the routable model aliases
    GET  /v1/models/{id}        one of them
    GET  /healthz               liveness and what runs: policy hash, published version, instance (no key needed)
Every request passes the bearer-token guard first (auth.py), then the body limits (limits.py). The lifespan starts the policy
watcher and the rollouts' guardrail checks and, at shutdown, closes the workspace (provider connections, the ledger writer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from console.gateway.auth import ASGIApp, BearerAuth
from console.gateway.body import read_chat_call
from console.gateway.limits import BodyLimit
from console.gateway.messages_api import messages
from console.gateway.responses import completion_body, dumps, error_body, result_error_body, routedesk_headers
from console.gateway.state import GatewayState
from console.gateway.streaming import stream_chat
from console.gateway.targets import UnknownModel, model_list, resolve_target
from console.gateway.wire import WireError

log = logging.getLogger(__name__)


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status, headers=headers, media_type="application/json")


def create_app(state: GatewayState) -> ASGIApp:
    """The endpoint for ``state``, behind the bearer-token guard."""

    async def chat_completions(http: HttpRequest) -> Response:
        t0 = time.perf_counter()
        try:
            call = await read_chat_call(await http.body(), http.headers, offload_bytes=state.limits.offload_bytes)
        except WireError as err:
            return _json(error_body(err.message, param=err.param, code=err.code), err.status)
        engine = state.engine
        try:
            target = resolve_target(engine.policy, call.model, call.request)
        except UnknownModel as err:
            return _json(error_body(str(err), param="model", code="model_not_found"), 404)
        if call.stream:
            return await stream_chat(state, call, target, t0)
        policy_hash = engine.policy_hash
        t_route = time.perf_counter()
        result = await engine.route(call.request, task=target.task, prefer=target.prefer)
        overhead = result.overhead_ms + ((t_route - t0) * 1000)
        headers = routedesk_headers(result, policy_hash, overhead)
        if not result.ok:
            status, failure = result_error_body(result)
            return _json(failure, status, headers)
        return _json(completion_body(result, policy_hash, overhead), 200, headers)

    async def anthropic_messages(http: HttpRequest) -> Response:
        return await messages(state, http)

    async def models(_: HttpRequest) -> Response:
        return _json(model_list(state.engine.policy))

    async def one_model(http: HttpRequest) -> Response:
        wanted = http.path_params["model_id"]
        for entry in model_list(state.engine.policy)["data"]:
            if entry["id"] == wanted:
                return _json(entry)
        return _json(error_body(f"The model '{wanted}' does not exist", param="model", code="model_not_found"), 404)

    async def healthz(_: HttpRequest) -> Response:
        body: dict[str, Any] = {"status": "ok", "policy": state.engine.policy.name,
                                "policy_hash": state.engine.policy_hash}
        if state.team is not None:
            body.update(state.team.status())
        return _json(body)

    async def not_found(http: HttpRequest, exc: Exception) -> Response:
        return _json(error_body(f"no such endpoint: {http.method} {http.url.path}", code="not_found"), 404)

    async def crashed(http: HttpRequest, exc: Exception) -> Response:
        log.exception("the endpoint failed on %s %s", http.method, http.url.path, exc_info=exc)
        return _json(error_body(f"internal error in the Routedesk endpoint: {type(exc).__name__}", type_="server_error"), 500)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        watching = asyncio.create_task(state.watcher.run()) if state.watcher is not None else None
        # The guardrails of staged rollouts are checked where requests are served; a shared workspace
        # (the window's) checks them on its own loop.
        guarding = asyncio.create_task(state.workspace.watch_rollouts()) if state.owns_workspace else None
        teaming = asyncio.create_task(state.team.run(state.engine)) if state.team is not None else None
        try:
            yield
        finally:
            for task in (teaming, watching, guarding):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if state.team is not None:
                state.team.close()
            if state.owns_workspace:
                await state.workspace.aclose()
            else:  # a shared workspace (the window's): close only this endpoint's engine, on its own loop
                await state.workspace.close_engine(state.engine)

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", anthropic_messages, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", one_model, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_found, Exception: crashed},
        lifespan=lifespan,
    )
    if state.team is not None and state.team.keys is not None:
        from console.gateway.team_auth import TeamKeyAuth

        return TeamKeyAuth(BodyLimit(app, state.limits), state.team.keys, state.refusals)
    return BearerAuth(BodyLimit(app, state.limits), lambda: state.token, state.refusals)
