"""API-key guard for a team gateway: each caller presents its own key; its team rides on the request.

Keys are checked against the team store (``core.team.api_keys``) through a small cache: a key's
verdict (valid with its team, or refused) is kept ``ttl_s`` seconds, so a revocation reaches
every instance within ``ttl_s`` (the stated bound, 2 s by default) while a busy key costs no
database round trip per request. The check runs off the event loop.

A passed request has its team set from the key: any ``X-Routedesk-Team`` header (or
``X-Routedesk-Meta-Team``) the client sent is replaced, and headers win over body metadata
(``wire.metadata_of``), so budgets and dashboards scope by the key's team, not the caller's word.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable

from console.core.team.api_keys import ApiKey, digest
from console.gateway.auth import ASGIApp, Receive, RefusalCounter, Scope, Send, refuse

#: how long a key's verdict is trusted: the bound on how late an instance sees a revocation
DEFAULT_KEY_TTL_S = 2.0
_TEAM_HEADERS = (b"x-routedesk-team", b"x-routedesk-meta-team")


class KeyCache:
    """Verdicts per key digest, each trusted for ``ttl_s``; ``lookup`` asks the store on a miss."""

    def __init__(self, lookup: Callable[[bytes], ApiKey | None], ttl_s: float = DEFAULT_KEY_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lookup = lookup
        self.ttl_s = ttl_s
        self._clock = clock
        self._verdicts: dict[bytes, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def cached(self, key_digest: bytes) -> tuple[bool, ApiKey | None]:
        """(found and fresh, verdict)."""
        with self._lock:
            held = self._verdicts.get(key_digest)
        if held is None or self._clock() - held[0] >= self.ttl_s:
            return False, None
        return True, held[1]

    def check(self, key_digest: bytes) -> ApiKey | None:
        fresh, verdict = self.cached(key_digest)
        if fresh:
            return verdict
        verdict = self.lookup(key_digest)
        with self._lock:
            if len(self._verdicts) > 100_000:  # a flood of made-up keys must not grow memory without end
                self._verdicts.clear()
            self._verdicts[key_digest] = (self._clock(), verdict)
        return verdict


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credential = value.partition(b" ")
            return credential.strip() if scheme.lower() == b"bearer" and credential.strip() else None
    return None


class TeamKeyAuth:
    """Pass requests that present an active API key (their team set from it); refuse the rest with 401."""

    def __init__(self, app: ASGIApp, keys: KeyCache, refusals: RefusalCounter) -> None:
        self.app = app
        self.keys = keys
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/healthz":  # the load balancer's probe carries no key
            await self.app(scope, receive, send)
            return
        presented = _bearer(scope)
        key: ApiKey | None = None
        if presented is not None:
            key_digest = digest(presented)
            fresh, key = self.keys.cached(key_digest)
            if not fresh:
                try:
                    key = await asyncio.to_thread(self.keys.check, key_digest)
                except Exception:  # noqa: BLE001 - the key store is down: refuse, never let an unchecked key in
                    key = None
        if key is None:
            self.refusals.add()
            await refuse(send, "missing, unknown or revoked API key; ask your team's Routedesk admin "
                               "(`routedesk team key-create`)")
            return
        headers = [(n, v) for n, v in scope["headers"] if n not in _TEAM_HEADERS]
        headers.append((b"x-routedesk-team", key.team.encode()))
        await self.app({**scope, "headers": headers, "routedesk.key": key.id}, receive, send)
