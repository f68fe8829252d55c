"""Run the endpoint with uvicorn: in the foreground (``routedesk serve``) or on a background thread.

The listening socket is bound here, before uvicorn starts, so a port in use is a clear message
and port 0 gives a free port whose number is known at once. A background server runs its own
event loop on one thread; ``stop()`` asks uvicorn to finish (in-flight requests complete, the
lifespan closes the workspace) and joins the thread.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Any

from console.gateway.limits import EndpointLimits, raise_fd_limit

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); OSError with the system's reason when it cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto is
    # IPPROTO_TCP, and with Nagle on, a kept-alive connection waits ~40 ms for delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections wait in the backlog from now on, even before uvicorn runs
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def event_loop_name() -> str:
    """uvloop where it is installed (not on Windows): its C event loop takes about a third off
    what each request through the endpoint costs; the standard loop elsewhere."""
    try:
        import uvloop  # noqa: F401 - imported here so that installers bundle it
    except ImportError:
        return "asyncio"
    return "uvloop"


def make_server(app: Any, sock: socket.socket, *, log_level: str = "warning", limits: EndpointLimits | None = None,
                tls: tuple[str, str] | None = None) -> Any:
    """``tls``: (certificate file, key file): uvicorn's own TLS, for a gateway reached off loopback."""
    import uvicorn

    from console.gateway.connections import guarded_protocol

    limits = limits or EndpointLimits()
    raise_fd_limit()
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
        timeout_graceful_shutdown=5, server_header=False, loop=event_loop_name(),
        http=guarded_protocol(limits),  # httptools with head deadline, head size and connection cap
        proxy_headers=False,  # bound to loopback for local apps: no proxy in front to trust
        ssl_certfile=tls[0] if tls else None, ssl_keyfile=tls[1] if tls else None,
    )
    return uvicorn.Server(config)


class EndpointServer:
    """uvicorn serving ``app`` on a background thread.

    Attributes:
        url: ``http://HOST:PORT/v1`` once started.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *, limits: EndpointLimits | None = None) -> None:
        self._sock = bind_socket(host, port)
        self.host, self.port = self._sock.getsockname()[:2]
        self._server = make_server(app, self._sock, limits=limits)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def open_connections(self) -> int:
        """Client connections open now (the cap in EndpointLimits bounds it)."""
        return len(self._server.server_state.connections)

    def start(self, timeout_s: float = 10.0) -> "EndpointServer":
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="routedesk-endpoint"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the endpoint stopped while starting; see the log above")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the endpoint did not start within {timeout_s:.0f} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 15.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> "EndpointServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
