"""A throwaway Redis server for the team-gateway tests: Debian's ``redis-server`` on a free loopback port.

It runs from a temp dir with persistence off (no RDB snapshot, no AOF) and is stopped and deleted
afterwards. Missing binaries or driver skip locally and fail under CI=true (``require_part``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.parts import require_part


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One running server; ``url(db)`` gives a redis:// URL, ``flush()`` empties every database."""

    def __init__(self, binary: str, root: Path) -> None:
        self.binary, self.root = binary, root
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> None:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.root / "redis.log")]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self._process.poll() is not None or time.monotonic() > deadline:
                        log = (self.root / "redis.log").read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"redis-server did not answer on port {self.port}: {log}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flush(self) -> None:
        import redis

        with redis.Redis(port=self.port) as client:
            client.flushall()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the whole session (skips locally / fails in CI when unavailable)."""
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None)
    require_part(binary is not None, "redis-server is not installed (Debian package redis-server)")
    try:
        import redis  # noqa: F401
    except ImportError:
        require_part(False, "redis-py (the Redis client) is not installed")
    assert binary is not None
    root = Path(tempfile.mkdtemp(prefix="routedesk-redis-"))
    server = RedisServer(binary, root)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        require_part(False, f"could not start a throwaway Redis: {exc}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The session's server, emptied before each test."""
    redis_server.flush()
    yield redis_server.url()
